import { nullTranslator } from '@jupyterlab/translation';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';

import { ColumnChooser } from '../components/ColumnChooser';
import { FilterBox } from '../components/FilterBox';
import { formatNumber } from '../components/runCells';
import { formatDuration } from '../format';
import { IRunsTableProps, RunsTable } from '../components/RunsTable';
import type { Run } from '../api/types';
import type { IRunRow } from '../models/runsWindow';
import { makeRun, makeRuns } from './fakeRuns';

const trans = nullTranslator.load('jupyter-studio');
const COLUMNS = [
  'status',
  'name',
  'start',
  'duration',
  'metrics.accuracy',
  'params.max_depth'
];

/** Rows of top-level runs, or placeholders where a run is null. */
function rowsOf(
  runs: (Run | null)[]
): Pick<IRunsTableProps, 'rowCount' | 'rowAt'> {
  return {
    rowCount: runs.length,
    rowAt: (index: number): IRunRow => ({
      run: runs[index],
      depth: 0,
      childCount: 0,
      expanded: false,
      matched: true
    })
  };
}

function renderTable(
  change: Partial<IRunsTableProps> & { runs?: (Run | null)[] } = {}
) {
  const { runs, ...rest } = change;
  const props: IRunsTableProps & { runs: (Run | null)[] } = {
    runs: runs ?? makeRuns(10_000),
    ...rowsOf(runs ?? makeRuns(10_000)),
    columns: COLUMNS,
    sort: null,
    selection: new Set<string>(),
    loadedSelection: 'none',
    trans,
    now: Date.UTC(2024, 0, 10),
    rowHeight: 28,
    initialHeight: 560,
    onSort: jest.fn(),
    onSelect: jest.fn(),
    onSelectAll: jest.fn(),
    onOpenRun: jest.fn(),
    onExpand: jest.fn(),
    onShowRows: jest.fn(),
    ...rest
  };
  const result = render(<RunsTable {...props} />);
  return { ...result, props };
}

const rows = () => screen.getAllByTestId('studio-run-row');

describe('RunsTable', () => {
  it('renders only the rows in view of 10,000', () => {
    renderTable();
    // 560 px / 28 px = 20 rows in view, and 10 more below.
    expect(rows()).toHaveLength(30);
    expect(rows()[0].dataset.runId).toBe('run00000');
    const body = document.querySelector('.jp-Studio-runsBody') as HTMLElement;
    expect(body.style.height).toBe(`${10_000 * 28}px`);
  });

  it('renders the rows scrolled to, placed at fixed offsets', () => {
    renderTable();
    const table = document.querySelector('.jp-Studio-runsTable') as HTMLElement;
    table.scrollTop = 28 * 5000;
    fireEvent.scroll(table);
    const ids = rows().map(row => row.dataset.runId);
    expect(ids).toContain('run05000');
    expect(ids).not.toContain('run00000');
    expect(rows()).toHaveLength(40);
    const row = rows().find(
      item => item.dataset.runId === 'run05000'
    ) as HTMLElement;
    expect(row.style.top).toBe(`${28 * 5000}px`);
  });

  it('reports the rows it shows and draws placeholders until they load', () => {
    const runs: (Run | null)[] = [...makeRuns(100), ...Array(9900).fill(null)];
    const { props } = renderTable({ runs });
    expect(props.onShowRows).toHaveBeenLastCalledWith(0, 29);
    const table = document.querySelector('.jp-Studio-runsTable') as HTMLElement;
    table.scrollTop = 28 * 9990;
    fireEvent.scroll(table);
    expect(props.onShowRows).toHaveBeenLastCalledWith(9980, 9999);
    // The scroll height spans every row, loaded or not.
    const body = document.querySelector('.jp-Studio-runsBody') as HTMLElement;
    expect(body.style.height).toBe(`${10_000 * 28}px`);
    expect(screen.queryAllByTestId('studio-run-row')).toHaveLength(0);
    const placeholders = screen.getAllByTestId('studio-run-placeholder');
    expect(placeholders).toHaveLength(20);
    expect(placeholders[19].style.top).toBe(`${28 * 9999}px`);
  });

  it('scrolls back to the top when its scroll key changes', () => {
    const { props, rerender } = renderTable({ scrollKey: 1 });
    const table = document.querySelector('.jp-Studio-runsTable') as HTMLElement;
    table.scrollTop = 28 * 3000;
    fireEvent.scroll(table);
    rerender(<RunsTable {...props} scrollKey={1} />);
    expect(table.scrollTop).toBe(28 * 3000);
    rerender(<RunsTable {...props} scrollKey={2} />);
    expect(table.scrollTop).toBe(0);
    expect(rows()[0].dataset.runId).toBe('run00000');
  });

  it('draws nested runs: a toggle with the child count, children indented, parents dimmed', () => {
    const [parent, child, plain] = makeRuns(3);
    const tree: IRunRow[] = [
      { run: parent, depth: 0, childCount: 4, expanded: true, matched: false },
      { run: child, depth: 1, childCount: 0, expanded: false, matched: true },
      { run: plain, depth: 0, childCount: 0, expanded: false, matched: true }
    ];
    const { props } = renderTable({
      rowCount: 3,
      rowAt: index => tree[index]
    });
    const [first, second, third] = rows();
    expect(first.classList.contains('jp-Studio-runRow')).toBe(true);
    expect(first.classList.contains('jp-mod-unmatched')).toBe(true);
    expect(first.title).toBe(
      'run-0 does not match the filter: a child run does'
    );
    expect(first.getAttribute('aria-expanded')).toBe('true');
    expect(second.dataset.depth).toBe('1');
    expect(second.classList.contains('jp-mod-child')).toBe(true);
    expect(third.title).toBe('');
    const toggles = screen.getAllByTestId('studio-run-expand');
    expect(toggles).toHaveLength(1);
    expect(toggles[0].textContent).toContain('4');
    fireEvent.click(toggles[0]);
    expect(props.onExpand).toHaveBeenCalledWith('run00000', false);
  });

  it('sorts from the headers and marks the sorted one', () => {
    const { props } = renderTable({
      sort: { column: 'metrics.accuracy', direction: 'desc' }
    });
    const headers = screen.getAllByTestId('studio-column-header');
    expect(headers.map(header => header.dataset.column)).toEqual(COLUMNS);
    const accuracy = headers[4];
    expect(accuracy.dataset.sort).toBe('desc');
    expect(accuracy.getAttribute('aria-sort')).toBe('descending');
    expect(headers[1].dataset.sort).toBe('');
    fireEvent.click(headers[1]);
    expect(props.onSort).toHaveBeenCalledWith('name');
    fireEvent.keyDown(accuracy, { key: 'Enter' });
    expect(props.onSort).toHaveBeenLastCalledWith('metrics.accuracy');
  });

  it('shows status, name, times and formatted values in each cell', () => {
    const runs = [
      makeRun(
        1,
        { status: 'RUNNING', duration_ms: null, end_time: null },
        { accuracy: 'NaN' },
        {
          max_depth: '3'
        }
      ),
      makeRun(2, { duration_ms: 125_000 }, { accuracy: 'Infinity' }),
      makeRun(3, {}, { accuracy: 0.123456789 })
    ];
    renderTable({ runs, now: runs[0].start_time + 90_000 });
    const cell = (row: number, column: string) =>
      within(rows()[row])
        .getAllByTestId('studio-cell')
        .find(item => item.dataset.column === column)?.textContent;
    expect(cell(0, 'status')).toBe('RUNNING');
    expect(cell(0, 'name')).toBe('run-1');
    expect(cell(0, 'metrics.accuracy')).toBe('NaN');
    expect(cell(0, 'params.max_depth')).toBe('3');
    expect(cell(0, 'duration')).toBe('1 min 30 s');
    expect(cell(1, 'metrics.accuracy')).toBe('Inf');
    expect(cell(1, 'duration')).toBe('2 min 5 s');
    expect(cell(1, 'params.max_depth')).toBe('');
    expect(cell(2, 'metrics.accuracy')).toBe('0.12346');
    const start = within(rows()[0])
      .getAllByTestId('studio-cell')
      .find(item => item.dataset.column === 'start') as HTMLElement;
    expect(start.textContent).toMatch(/ago/);
    expect(start.title).toMatch(/2024|24/);
  });

  it('opens a run from its name or a double click', () => {
    const { props } = renderTable({ runs: makeRuns(3) });
    fireEvent.click(screen.getByText('run-1'));
    expect(props.onOpenRun).toHaveBeenCalledWith('run00001');
    fireEvent.doubleClick(rows()[2]);
    expect(props.onOpenRun).toHaveBeenLastCalledWith('run00002');
  });

  it('selects rows and every loaded row from checkboxes', () => {
    const { props, rerender } = renderTable({ runs: makeRuns(3) });
    const boxes = screen.getAllByTestId(
      'studio-run-select'
    ) as HTMLInputElement[];
    fireEvent.click(boxes[1]);
    expect(props.onSelect).toHaveBeenCalledWith('run00001', true);
    const all = screen.getByTestId('studio-run-select-all') as HTMLInputElement;
    fireEvent.click(all);
    expect(props.onSelectAll).toHaveBeenCalledWith(true);

    rerender(
      <RunsTable
        {...props}
        selection={new Set(['run00001'])}
        loadedSelection="some"
      />
    );
    expect(
      (screen.getAllByTestId('studio-run-select')[1] as HTMLInputElement)
        .checked
    ).toBe(true);
    expect(rows()[1].getAttribute('aria-selected')).toBe('true');
    expect(all.indeterminate).toBe(true);
    rerender(
      <RunsTable
        {...props}
        selection={new Set(props.runs.map(run => run!.id))}
        loadedSelection="all"
      />
    );
    expect(all.checked).toBe(true);
  });

  it('keeps its scroll position when the runs are refreshed', () => {
    const { props, rerender } = renderTable();
    const table = document.querySelector('.jp-Studio-runsTable') as HTMLElement;
    table.scrollTop = 28 * 3000;
    fireEvent.scroll(table);
    const refreshed = props.runs.map(run => ({ ...run! }));
    rerender(<RunsTable {...props} {...rowsOf(refreshed)} />);
    expect(table.scrollTop).toBe(28 * 3000);
    expect(rows().map(row => row.dataset.runId)).toContain('run03000');
  });
});

describe('formatting', () => {
  it('writes numbers, infinities and NaN', () => {
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-Inf');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(0.93456789)).toBe('0.93457');
    expect(formatNumber(1.5e-7)).toBe('1.5e-7');
    expect(formatNumber(1.34321e-4)).toBe('1.343e-4');
    expect(formatNumber(12345678.9)).toBe('1.235e+7');
  });

  it('writes durations', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(3 * 3600_000 + 60_000)).toBe('3 h 1 min');
    expect(formatDuration(NaN)).toBe('');
  });
});

describe('FilterBox', () => {
  it('applies on Enter and shows the error inline', () => {
    const onApply = jest.fn();
    const { rerender } = render(
      <FilterBox value="" error={null} trans={trans} onApply={onApply} />
    );
    const input = screen.getByTestId('studio-runs-filter') as HTMLInputElement;
    expect(input.placeholder).toContain(
      "metrics.accuracy > 0.9 and params.max_depth = '3'"
    );
    fireEvent.change(input, { target: { value: 'metrics.accuracy >' } });
    expect(onApply).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onApply).toHaveBeenCalledWith('metrics.accuracy >');
    const error = 'Invalid filter: expected a value';
    rerender(
      <FilterBox value="" error={error} trans={trans} onApply={onApply} />
    );
    expect(screen.getByTestId('studio-filter-error').textContent).toBe(
      'Invalid filter: expected a value'
    );
    expect(input.value).toBe('metrics.accuracy >');
    expect(input.getAttribute('aria-invalid')).toBe('true');
  });
});

describe('ColumnChooser', () => {
  it('lists params and metrics with checkboxes', () => {
    const onToggle = jest.fn();
    const onReset = jest.fn();
    render(
      <ColumnChooser
        available={['metrics.accuracy', 'metrics.loss', 'params.max_depth']}
        chosen={['metrics.accuracy']}
        trans={trans}
        onToggle={onToggle}
        onReset={onReset}
      />
    );
    expect(screen.queryAllByTestId('studio-column-option')).toHaveLength(0);
    fireEvent.click(screen.getByTestId('studio-columns-button'));
    const options = screen.getAllByTestId(
      'studio-column-option'
    ) as HTMLInputElement[];
    expect(
      options.map(option => [option.dataset.column, option.checked])
    ).toEqual([
      ['metrics.accuracy', true],
      ['metrics.loss', false],
      ['params.max_depth', false]
    ]);
    fireEvent.click(options[2]);
    expect(onToggle).toHaveBeenCalledWith('params.max_depth', true);
    fireEvent.change(screen.getByPlaceholderText('Find a param or metric'), {
      target: { value: 'loss' }
    });
    expect(screen.getAllByTestId('studio-column-option')).toHaveLength(1);
    fireEvent.click(screen.getByText('Default columns'));
    expect(onReset).toHaveBeenCalled();
    act(() => {
      document.body.dispatchEvent(
        new MouseEvent('mousedown', { bubbles: true })
      );
    });
    expect(screen.queryAllByTestId('studio-column-option')).toHaveLength(0);
  });
});
