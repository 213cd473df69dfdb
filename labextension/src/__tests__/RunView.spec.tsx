import { fireEvent, render } from '@testing-library/react';
import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';
import uPlot from 'uplot';

import type { Artifact, Run } from '../api/types';
import { isOpenable } from '../components/ArtifactTree';
import { IRunViewProps, RunView } from '../components/RunView';

interface ICall {
  data: uPlot.AlignedData;
  plot: { opts: uPlot.Options };
}
// The mock (test/uplotMock.js) records what the charts hand to uPlot.
const uplot = uPlot as unknown as { __calls: ICall[] };

const run: Run = {
  id: 'r1',
  name: 'gentle-fox',
  experiment_id: 1,
  status: 'RUNNING',
  start_time: 1_700_000_000_000,
  end_time: null,
  duration_ms: null,
  artifact_uri: '/tmp/r1',
  parent_run_id: 'p0',
  source: '/home/me/work/train.ipynb',
  params: { lr: '0.1', depth: '3' },
  tags: { team: 'vision' },
  metrics: {}
};

function props(change: Partial<IRunViewProps> = {}): IRunViewProps {
  const folders = new Map<string, Artifact[]>([
    [
      '',
      [
        { path: 'model', is_dir: true, size: null },
        { path: 'notes.txt', is_dir: false, size: 2048 },
        { path: 'weights.bin', is_dir: false, size: 10 }
      ]
    ],
    ['model', [{ path: 'model/MLmodel', is_dir: false, size: 30 }]]
  ]);
  return {
    run,
    parent: {
      ...run,
      id: 'p0',
      name: 'search',
      parent_run_id: null,
      status: 'FINISHED'
    },
    children: [{ ...run, id: 'c1', name: 'fold-1', status: 'FAILED' }],
    childrenTotal: 3,
    metrics: [
      {
        key: 'loss',
        steps: [0, 1, 2],
        timestamps: [10, 20, 30],
        values: [3, 2, 1],
        total: 100_000,
        downsampled: true,
        error: null,
        pending: false
      }
    ],
    folders,
    expanded: new Set(['model']),
    loading: false,
    error: null,
    artifactsError: null,
    sourcePath: 'train.ipynb',
    defaultSmoothing: 0.6,
    now: 1_700_000_090_000,
    downloadUrl: path => `/studio/api/runs/r1/artifacts/content?path=${path}`,
    onOpenRun: jest.fn(),
    onOpenSource: jest.fn(),
    onToggleFolder: jest.fn(),
    onOpenArtifact: jest.fn(),
    trans: nullTranslator.load('jupyter-studio'),
    ...change
  };
}

function lastCall(): ICall {
  return uplot.__calls[uplot.__calls.length - 1];
}

describe('RunView', () => {
  it('shows the overview, params, tags and run links', () => {
    const p = props();
    const { getByTestId } = render(<RunView {...p} />);
    expect(getByTestId('studio-run-status').textContent).toBe('RUNNING');
    expect(getByTestId('studio-params').textContent).toContain('depth3');
    expect(getByTestId('studio-tags').textContent).toContain('vision');
    fireEvent.click(getByTestId('studio-source-link'));
    expect(p.onOpenSource).toHaveBeenCalledWith('train.ipynb');
    fireEvent.click(getByTestId('studio-parent-run'));
    expect(p.onOpenRun).toHaveBeenCalledWith('p0');
    const children = getByTestId('studio-child-runs');
    expect(children.textContent).toContain('fold-1');
    expect(children.textContent).toContain('and 2 more');
    // Running for 90 s, counted up to `now`.
    expect(
      getByTestId('studio-source-link').closest('dl')?.textContent
    ).toContain('1 min 30 s');
  });

  it('charts each metric with the toolbar options, smoothing from the settings', () => {
    uplot.__calls.length = 0;
    const { getByTestId } = render(<RunView {...props()} />);
    const chart = getByTestId('studio-metric-chart');
    expect(chart.getAttribute('data-metric')).toBe('loss');
    expect(chart.parentElement?.textContent).toContain('3 of 100,000 points');
    // x, the faint raw line and the smoothed one.
    expect(lastCall().data).toHaveLength(3);
    expect((getByTestId('studio-smoothing') as HTMLInputElement).value).toBe(
      '0.6'
    );

    fireEvent.click(getByTestId('studio-logscale-toggle'));
    expect(lastCall().plot.opts.scales!.y.distr).toBe(3);
    fireEvent.click(getByTestId('studio-xaxis-toggle'));
    expect(lastCall().plot.opts.scales!.x.time).toBe(true);
    expect(getByTestId('studio-xaxis-toggle').getAttribute('data-value')).toBe(
      'time'
    );
    fireEvent.change(getByTestId('studio-smoothing'), {
      target: { value: '0' }
    });
    expect(lastCall().data).toHaveLength(2);
  });

  it('shows last, min and max without hovering, and a metric logged once as a number', () => {
    uplot.__calls.length = 0;
    document.body.style.setProperty('--jp-Studio-run-color-0', 'rgb(1, 2, 3)');
    const summaries = {
      loss: {
        key: 'loss',
        count: 100_000,
        last: 0.123456,
        last_step: 99_999,
        last_timestamp: 30,
        min: 0.0001,
        max: 'Infinity'
      },
      test_accuracy: {
        key: 'test_accuracy',
        count: 1,
        last: 0.96667,
        last_step: 0,
        last_timestamp: 40,
        min: 0.96667,
        max: 0.96667
      }
    } as Run['metrics'];
    const single = {
      key: 'test_accuracy',
      steps: [0],
      timestamps: [40],
      values: [0.96667],
      total: 1,
      downsampled: false,
      error: null,
      pending: false
    };
    const p = props();
    const { getByTestId, getAllByTestId } = render(
      <RunView
        {...p}
        run={{ ...run, metrics: summaries }}
        metrics={[...p.metrics, single]}
      />
    );
    const stats = getByTestId('studio-metric-stats');
    const stat = (name: string) =>
      stats.querySelector(`[data-stat="${name}"]`)?.textContent;
    // The runs table's way of writing numbers.
    expect(stat('last')).toBe('last 0.12346');
    expect(stat('min')).toBe('min 1e-4');
    expect(stat('max')).toBe('max Inf');
    // One chart (loss); test_accuracy is a number, not a chart of one dot.
    expect(
      getAllByTestId('studio-metric-chart').map(c => c.dataset.metric)
    ).toEqual(['loss']);
    const value = getByTestId('studio-metric-value');
    expect(value.dataset.metric).toBe('test_accuracy');
    expect(value.textContent).toContain('0.96667');
    // Axis titles, the theme's first run colour, and a PNG download.
    const { opts } = lastCall().plot;
    expect(opts.axes!.map(axis => axis.label)).toEqual(['step', 'loss']);
    expect(opts.series[opts.series.length - 1].stroke).toBe('rgb(1, 2, 3)');
    expect(getByTestId('studio-chart-download').title).toBe('Download as PNG');
    fireEvent.click(getByTestId('studio-xaxis-toggle'));
    expect(lastCall().plot.opts.axes![0].label).toBe('time');
  });

  it('lists artifacts with download links, open buttons for text, and folders', () => {
    const p = props();
    const { getAllByTestId } = render(<RunView {...p} />);
    const items = getAllByTestId('studio-artifact');
    expect(items.map(i => i.getAttribute('data-path'))).toEqual([
      'model',
      'model/MLmodel',
      'notes.txt',
      'weights.bin'
    ]);
    const notes = items[2];
    const link = notes.querySelector('a') as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe(
      '/studio/api/runs/r1/artifacts/content?path=notes.txt'
    );
    expect(link.hasAttribute('download')).toBe(true);
    fireEvent.click(
      notes.querySelector('[data-testid="studio-artifact-open"]') as Element
    );
    expect(p.onOpenArtifact).toHaveBeenCalledWith('notes.txt');
    expect(
      items[3].querySelector('[data-testid="studio-artifact-open"]')
    ).toBeNull();
    fireEvent.click(items[0].querySelector('button') as Element);
    expect(p.onToggleFolder).toHaveBeenCalledWith('model');
  });

  it('holds a place for a chart whose history is on its way, and shows a failed one', () => {
    const empty = {
      steps: [],
      timestamps: [],
      values: [],
      total: 0,
      downsampled: false
    };
    const { queryAllByTestId, getByText } = render(
      <RunView
        {...props({
          metrics: [
            { key: 'acc', ...empty, error: null, pending: true },
            {
              key: 'loss',
              ...empty,
              error: 'database is locked',
              pending: false
            }
          ]
        })}
      />
    );
    expect(
      queryAllByTestId('studio-metric-chart').map(c =>
        c.getAttribute('data-metric')
      )
    ).toEqual(['loss']);
    expect(getByText('acc')).toBeTruthy();
    expect(getByText('database is locked')).toBeTruthy();
  });

  it('shows the server message and empty states', () => {
    const { getByRole, rerender, getByText } = render(
      <RunView {...props({ run: null, error: "No run 'r1'." })} />
    );
    expect(getByRole('alert').textContent).toBe("No run 'r1'.");
    rerender(
      <RunView
        {...props({
          metrics: [],
          folders: new Map([['', []]]),
          sourcePath: null
        })}
      />
    );
    expect(getByText(/No metrics logged/)).toBeTruthy();
    expect(getByText(/No artifacts in this run/)).toBeTruthy();
  });
});

describe('helpers', () => {
  it('opens text files and notebooks only', () => {
    expect(
      isOpenable({ path: 'a/report.ipynb', is_dir: false, size: 10 })
    ).toBe(true);
    expect(isOpenable({ path: 'model/MLmodel', is_dir: false, size: 10 })).toBe(
      true
    );
    expect(isOpenable({ path: 'model.pkl', is_dir: false, size: 10 })).toBe(
      false
    );
    expect(isOpenable({ path: 'big.csv', is_dir: false, size: 1e9 })).toBe(
      false
    );
    expect(isOpenable({ path: 'dir.txt', is_dir: true, size: null })).toBe(
      false
    );
  });
});
