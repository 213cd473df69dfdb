import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import type { Experiment, Run } from '../api/types';
import {
  FIRST_RUN_SNIPPET,
  formatAgo,
  formatElapsed,
  ISidebarProps,
  Sidebar
} from '../components/Sidebar';

// The real icons pull in Lumino's drag-and-drop, which needs browser events jsdom lacks.
jest.mock('@jupyterlab/ui-components', () => {
  const icon = { react: () => null };
  return { refreshIcon: icon, searchIcon: icon };
});

const trans = nullTranslator.load('jupyter-studio');
const NOW = Date.UTC(2025, 0, 10, 12, 0, 0);
const MINUTE = 60_000;

function experiment(
  id: number,
  name: string,
  lastRunAt: number | null,
  runCount: number
) {
  return {
    id,
    name,
    description: '',
    archived: false,
    created_at: 0,
    updated_at: 0,
    last_run_at: lastRunAt,
    run_count: runCount,
    tags: {}
  } as Experiment;
}

function running(
  id: string,
  name: string,
  experimentId: number,
  startTime: number
): Run {
  return {
    id,
    name,
    experiment_id: experimentId,
    status: 'RUNNING',
    start_time: startTime
  } as Run;
}

function props(overrides: Partial<ISidebarProps> = {}): ISidebarProps {
  return {
    experiments: [
      experiment(2, 'wine', NOW - 5 * MINUTE, 12),
      experiment(1, 'iris', null, 0)
    ],
    experimentCount: 2,
    runningRuns: [],
    runningTotal: 0,
    experimentName: id => (id === 2 ? 'wine' : null),
    query: '',
    error: null,
    loaded: true,
    now: NOW,
    trans,
    onQueryChange: jest.fn(),
    onOpenExperiment: jest.fn(),
    onOpenRun: jest.fn(),
    onOpenRunById: jest.fn(),
    onRefresh: jest.fn(),
    ...overrides
  };
}

describe('Sidebar', () => {
  it('lists experiments with their run counts and last activity; a click opens one', () => {
    const p = props();
    render(<Sidebar {...p} />);
    const items = screen.getAllByTestId('studio-experiment-item');
    expect(items.map(item => item.getAttribute('data-experiment-id'))).toEqual([
      '2',
      '1'
    ]);
    expect(items[0].textContent).toContain('wine');
    expect(items[0].textContent).toContain('last run 5 min ago');
    expect(items[1].textContent).toContain('no runs yet');
    const counts = screen.getAllByTestId('studio-experiment-run-count');
    expect(counts.map(count => count.textContent)).toEqual(['12', '0']);
    fireEvent.click(items[0]);
    expect(p.onOpenExperiment).toHaveBeenCalledWith(2);
  });

  it('hands what is typed in the search box to onQueryChange', () => {
    const p = props();
    render(<Sidebar {...p} />);
    fireEvent.change(screen.getByTestId('studio-experiment-search'), {
      target: { value: 'wi' }
    });
    expect(p.onQueryChange).toHaveBeenCalledWith('wi');
  });

  it('says when no experiment matches the search', () => {
    render(<Sidebar {...props({ experiments: [], query: 'zzz ' })} />);
    expect(screen.queryAllByTestId('studio-experiment-item')).toHaveLength(0);
    expect(screen.getByText('No experiment matches “zzz”.')).toBeTruthy();
    expect(screen.queryByTestId('studio-empty')).toBeNull();
  });

  it('shows how to log a first run when there is no experiment', () => {
    render(<Sidebar {...props({ experiments: [], experimentCount: 0 })} />);
    const empty = screen.getByTestId('studio-empty');
    expect(empty.textContent).toContain('No experiments yet');
    expect(empty.querySelector('code')?.textContent).toBe(FIRST_RUN_SNIPPET);
    expect(FIRST_RUN_SNIPPET.split('\n')).toHaveLength(3);
    expect(FIRST_RUN_SNIPPET).toContain('import studio');
  });

  it("shows the server's message instead of the empty state, and retries", () => {
    const p = props({
      experiments: [],
      experimentCount: 0,
      error: 'Studio database is locked.'
    });
    render(<Sidebar {...p} />);
    expect(screen.getByRole('alert').textContent).toContain(
      'Studio database is locked.'
    );
    expect(screen.queryByTestId('studio-empty')).toBeNull();
    fireEvent.click(screen.getByText('Retry'));
    expect(p.onRefresh).toHaveBeenCalledTimes(1);
  });

  it('says it is loading until the first answer', () => {
    render(
      <Sidebar
        {...props({ experiments: [], experimentCount: 0, loaded: false })}
      />
    );
    expect(screen.getByText('Loading…')).toBeTruthy();
    expect(screen.queryByTestId('studio-empty')).toBeNull();
  });

  it('lists running runs with their experiment and elapsed time; a click opens one', () => {
    const p = props({
      runningRuns: [
        running('r1', 'forest-1', 2, NOW - 65_000),
        running('r2', '', 3, NOW - 2 * 3600_000 - 5 * MINUTE)
      ],
      runningTotal: 5
    });
    render(<Sidebar {...p} />);
    const section = screen.getByTestId('studio-running-runs');
    expect(section.textContent).toContain('Running5');
    const runs = screen.getAllByTestId('studio-running-run');
    expect(runs.map(r => r.getAttribute('data-run-id'))).toEqual(['r1', 'r2']);
    expect(runs[0].textContent).toContain('forest-1');
    expect(runs[0].textContent).toContain('wine');
    expect(runs[0].textContent).toContain('1 min 5 s');
    expect(runs[1].textContent).toContain('r2'); // no name: the id stands in
    expect(runs[1].textContent).toContain('Experiment 3'); // not listed (archived, say)
    expect(runs[1].textContent).toContain('2 h 5 min');
    expect(section.textContent).toContain('and 3 more');
    fireEvent.click(runs[1]);
    expect(p.onOpenRun).toHaveBeenCalledWith('r2');
  });

  it('says when nothing is running', () => {
    render(<Sidebar {...props()} />);
    expect(screen.getByTestId('studio-running-runs').textContent).toContain(
      'No run is running.'
    );
  });

  it('has buttons to refresh and to open a run by id', () => {
    const p = props();
    render(<Sidebar {...p} />);
    fireEvent.click(screen.getByTestId('studio-refresh'));
    fireEvent.click(screen.getByText('Open run…'));
    expect(p.onRefresh).toHaveBeenCalledTimes(1);
    expect(p.onOpenRunById).toHaveBeenCalledTimes(1);
  });
});

describe('formatElapsed', () => {
  it('reads like every other duration, to the second', () => {
    expect(formatElapsed(-5)).toBe('0 s');
    expect(formatElapsed(42_000)).toBe('42 s');
    expect(formatElapsed(185_000)).toBe('3 min 5 s');
    expect(formatElapsed(2 * 3600_000 + 7 * MINUTE)).toBe('2 h 7 min');
    expect(formatElapsed(76 * 3600_000)).toBe('3 d 4 h');
  });
});

describe('formatAgo', () => {
  it('says how long ago, in the largest unit that fits', () => {
    expect(formatAgo(NOW - 10_000, NOW, trans)).toBe('just now');
    expect(formatAgo(NOW - 59 * MINUTE, NOW, trans)).toBe('59 min ago');
    expect(formatAgo(NOW - 3 * 60 * MINUTE, NOW, trans)).toBe('3 h ago');
    expect(formatAgo(NOW - 24 * 60 * MINUTE, NOW, trans)).toBe('1 day ago');
    expect(formatAgo(NOW - 3 * 24 * 60 * MINUTE, NOW, trans)).toBe(
      '3 days ago'
    );
    expect(formatAgo(NOW - 90 * 24 * 60 * MINUTE, NOW, trans)).toBe(
      new Date(NOW - 90 * 24 * 60 * MINUTE).toLocaleDateString()
    );
  });
});
