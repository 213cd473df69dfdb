import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';

import { ColumnChooser } from '../components/ColumnChooser';
import { IRunsTableProps, RunsTable } from '../components/RunsTable';
import { columnLayout, defaultValueWidth } from '../components/RunsTableHeader';
import type { Run } from '../api/types';
import type { IRunRow } from '../models/runsWindow';
import { makeRuns } from './fakeRuns';

const trans = nullTranslator.load('jupyter-studio');
const COLUMNS = ['status', 'name', 'metrics.accuracy', 'params.max_depth'];

/** Rows of top-level runs. */
function rowsOf(runs: Run[]): Pick<IRunsTableProps, 'rowCount' | 'rowAt'> {
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

function renderTable(change: Partial<IRunsTableProps> & { runs?: Run[] } = {}) {
  const { runs, ...rest } = change;
  const props: IRunsTableProps = {
    ...rowsOf(runs ?? makeRuns(20)),
    columns: COLUMNS,
    sort: null,
    selection: new Set<string>(),
    loadedSelection: 'none',
    trans,
    now: Date.UTC(2024, 0, 10),
    onSort: jest.fn(),
    onSelect: jest.fn(),
    onSelectAll: jest.fn(),
    onOpenRun: jest.fn(),
    onExpand: jest.fn(),
    onShowRows: jest.fn(),
    onResizeColumn: jest.fn(),
    ...rest
  };
  render(<RunsTable {...props} />);
  return props;
}

function header(column: string): HTMLElement {
  return screen
    .getAllByTestId('studio-column-header')
    .find(item => item.dataset.column === column)!;
}

const headerRow = () =>
  document.querySelector('.jp-Studio-runsHeader') as HTMLElement;
const firstRow = () => screen.getAllByTestId('studio-run-row')[0];

describe('RunsTable header', () => {
  it("puts each param and metric chip in its own column's header, beside the label", () => {
    renderTable();
    const metric = within(header('metrics.accuracy'));
    expect(metric.getByTestId('studio-column-kind').textContent).toBe('m');
    expect(
      metric.getByTestId('studio-column-kind').nextElementSibling?.textContent
    ).toContain('accuracy');
    const param = within(header('params.max_depth'));
    expect(param.getByTestId('studio-column-kind').textContent).toBe('p');
    expect(
      within(header('name')).queryByTestId('studio-column-kind')
    ).toBeNull();
  });

  it('says under a metric that its values are the last ones logged', () => {
    renderTable();
    const metric = header('metrics.accuracy');
    expect(within(metric).getByTestId('studio-column-note').textContent).toBe(
      'last'
    );
    expect(metric.title).toContain('last value');
    expect(
      within(header('params.max_depth')).queryByTestId('studio-column-note')
    ).toBeNull();
  });

  it('sizes value columns to fit their label, and to the widths given', () => {
    renderTable({ widths: { 'params.max_depth': 250 } });
    const template = headerRow().style.gridTemplateColumns;
    expect(template).toContain(`${defaultValueWidth('metrics.accuracy')}px`);
    expect(template).toContain('250px');
    expect(firstRow().style.gridTemplateColumns).toBe(template);
    expect(
      defaultValueWidth('metrics.a_rather_long_metric_name')
    ).toBeGreaterThan(defaultValueWidth('metrics.loss'));
  });

  it('fits a value column to the values of the first rows, up to a bound', () => {
    const runs = makeRuns(20).map((run, index) => ({
      ...run,
      params: {
        ...run.params,
        model: index === 3 ? 'DecisionTreeClassifier' : 'SVC',
        notes: 'x'.repeat(500)
      }
    }));
    renderTable({ runs, columns: ['name', 'params.model', 'params.notes'] });
    const model = defaultValueWidth('params.model', runs);
    expect(model).toBeGreaterThan(defaultValueWidth('params.model'));
    expect(model).toBeGreaterThanOrEqual('DecisionTreeClassifier'.length * 7);
    expect(defaultValueWidth('params.notes', runs)).toBe(240);
    expect(headerRow().style.gridTemplateColumns).toBe(
      `72px minmax(180px, 2fr) ${model}px 240px`
    );
  });

  it('resizes a value column by dragging the edge of its header', () => {
    const props = renderTable();
    const start = defaultValueWidth('metrics.accuracy');
    const edge = within(header('metrics.accuracy')).getByTestId(
      'studio-column-resizer'
    );

    fireEvent.mouseDown(edge, { clientX: 300 });
    fireEvent.mouseMove(window, { clientX: 360 });
    // The width follows the pointer during the drag, header and rows alike.
    expect(headerRow().style.gridTemplateColumns).toContain(`${start + 60}px`);
    expect(firstRow().style.gridTemplateColumns).toContain(`${start + 60}px`);
    expect(props.onResizeColumn).not.toHaveBeenCalled();

    fireEvent.mouseUp(window, { clientX: 380 });
    fireEvent.click(edge);

    expect(props.onResizeColumn).toHaveBeenCalledWith(
      'metrics.accuracy',
      start + 80
    );
    expect(props.onSort).not.toHaveBeenCalled();
  });

  it('never makes a column narrower than its least width, and moves with arrow keys', () => {
    const props = renderTable({ widths: { 'params.max_depth': 100 } });
    const edge = within(header('params.max_depth')).getByTestId(
      'studio-column-resizer'
    );
    fireEvent.mouseDown(edge, { clientX: 300 });
    fireEvent.mouseUp(window, { clientX: 0 });
    expect(props.onResizeColumn).toHaveBeenLastCalledWith(
      'params.max_depth',
      60
    );

    fireEvent.keyDown(edge, { key: 'ArrowRight' });
    expect(props.onResizeColumn).toHaveBeenLastCalledWith(
      'params.max_depth',
      116
    );
  });

  it('is as wide as every column, so that the table scrolls rather than cutting them', () => {
    const columns = [
      'status',
      'name',
      ...Array.from({ length: 12 }, (_, i) => `metrics.m${i}`)
    ];
    const { minWidth } = columnLayout(columns, column =>
      column === 'metrics.m0' ? 300 : defaultValueWidth(column)
    );
    expect(minWidth).toBe(
      72 + 96 + 180 + 300 + 11 * defaultValueWidth('metrics.m1')
    );
    renderTable({ columns, widths: { 'metrics.m0': 300 } });
    expect(headerRow().style.minWidth).toBe(`${minWidth}px`);
    const body = document.querySelector('.jp-Studio-runsBody') as HTMLElement;
    expect(body.style.minWidth).toBe(`${minWidth}px`);
  });
});

describe('ColumnChooser and the filter', () => {
  it('shows the columns a filter names as checked and fixed while it applies', () => {
    const onToggle = jest.fn();
    render(
      <ColumnChooser
        available={['metrics.accuracy', 'params.max_depth']}
        chosen={['params.max_depth', 'metrics.accuracy']}
        shownByFilter={['params.max_depth']}
        trans={trans}
        onToggle={onToggle}
        onReset={jest.fn()}
      />
    );
    fireEvent.click(screen.getByTestId('studio-columns-button'));
    const option = (column: string) =>
      screen
        .getAllByTestId('studio-column-option')
        .find(item => item.dataset.column === column) as HTMLInputElement;
    expect(option('params.max_depth').checked).toBe(true);
    expect(option('params.max_depth').disabled).toBe(true);
    expect(option('params.max_depth').closest('label')?.title).toContain(
      'filter'
    );
    expect(option('metrics.accuracy').disabled).toBe(false);
  });
});
