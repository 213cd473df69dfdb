/**
 * The runs table: a virtualized grid over every matching run (fixed row height, only the
 * visible rows in the DOM, a scroll height for all of them), with sortable headers, a checkbox
 * per row and the children of a run under it when it expands. Rows whose page is not loaded
 * yet show as placeholders; the rows shown are reported so that their pages load.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IRunRow } from '../models/runsWindow';
import type { IRunsSort } from '../models/runsSort';
import { RunCell } from './runCells';
import {
  columnLayout,
  defaultValueWidth,
  RunsTableHeader
} from './RunsTableHeader';

export interface IRunsTableProps {
  /** Every row of the table, loaded or not. */
  rowCount: number;
  /** The row at an index (its run is null until loaded). */
  rowAt: (index: number) => IRunRow;
  /** When it changes (a new filter or sort), the table scrolls back to the top. */
  scrollKey?: number | string;
  /** Every column after the checkbox, e.g. status, name, start, duration, metrics.acc. */
  columns: string[];
  sort: IRunsSort | null;
  selection: ReadonlySet<string>;
  /** Whether every, some or none of the loaded runs are selected. */
  loadedSelection: 'all' | 'some' | 'none';
  trans: TranslationBundle;
  onSort: (column: string) => void;
  onSelect: (runId: string, selected: boolean) => void;
  onSelectAll: (selected: boolean) => void;
  /** Show or hide a run's children. */
  onExpand: (runId: string, expanded: boolean) => void;
  onOpenRun: (runId: string) => void;
  /** The rows in the DOM changed: rows `first` to `last`, both included. */
  onShowRows: (first: number, last: number) => void;
  /** Widths (pixels) the user gave value columns; the others fit their label. */
  widths?: Readonly<Record<string, number>>;
  /** A value column was resized by dragging its header's edge. */
  onResizeColumn?: (column: string, width: number) => void;
  onScroll?: (scrollTop: number) => void;
  /** Pixels per row (fixed, so that rows can be placed without measuring). */
  rowHeight?: number;
  /** Rows rendered beyond each edge of the visible ones. */
  overscan?: number;
  /** The viewport height to assume before it is measured. */
  initialHeight?: number;
  /** "Now", for relative start times and running durations (defaults to the render time). */
  now?: number;
}

/** The header is this many rows tall: a metric's name has "last" under it. */
const HEADER_ROWS = 1.5;

/** The runs of an experiment as a grid; renders only what the viewport shows. */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  const { rowCount, columns, sort, trans } = props;
  const rowHeight = props.rowHeight ?? 28;
  const overscan = props.overscan ?? 10;
  const scroller = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [height, setHeight] = React.useState(props.initialHeight ?? 600);

  React.useLayoutEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const measure = () => {
      if (node.clientHeight > 0) {
        setHeight(node.clientHeight);
      }
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  const scrollKey = React.useRef(props.scrollKey);
  React.useLayoutEffect(() => {
    if (scrollKey.current !== props.scrollKey && scroller.current) {
      scroller.current.scrollTop = 0;
      setScrollTop(0);
    }
    scrollKey.current = props.scrollKey;
  }, [props.scrollKey]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(
    rowCount,
    Math.ceil((scrollTop + height) / rowHeight) + overscan
  );
  const { onShowRows } = props;
  React.useEffect(() => {
    onShowRows(first, last - 1);
  }, [first, last, onShowRows]);

  // The loaded runs in view: value columns fit their values.
  const shownRuns: NonNullable<IRunRow['run']>[] = [];
  for (let index = first; index < last; index++) {
    const run = props.rowAt(index).run;
    if (run) {
      shownRuns.push(run);
    }
  }
  // The width being dragged shows at once; it is handed on when the drag ends.
  const [dragged, setDragged] = React.useState<{
    column: string;
    width: number;
  } | null>(null);
  const widths = React.useMemo(
    () =>
      dragged
        ? { ...props.widths, [dragged.column]: dragged.width }
        : (props.widths ?? {}),
    [props.widths, dragged]
  );
  // A column's default width is fitted once, to the first rows it is shown with, so that it
  // does not jump as rows load, sort or refresh.
  const fitted = React.useRef(new Map<string, number>());
  const widthOf = (column: string): number => {
    const given = widths[column] ?? fitted.current.get(column);
    if (given !== undefined) {
      return given;
    }
    const width = defaultValueWidth(column, shownRuns);
    if (shownRuns.length) {
      fitted.current.set(column, width);
    }
    return width;
  };
  const { template, minWidth } = columnLayout(columns, widthOf);
  const { onResizeColumn } = props;
  const onResize = React.useCallback(
    (column: string, width: number, done: boolean) => {
      setDragged(done ? null : { column, width });
      if (done) {
        onResizeColumn?.(column, width);
      }
    },
    [onResizeColumn]
  );
  const now = props.now ?? Date.now();

  const onScroll = (event: React.UIEvent<HTMLDivElement>) => {
    const top = event.currentTarget.scrollTop;
    setScrollTop(top);
    props.onScroll?.(top);
  };

  const rows: JSX.Element[] = [];
  for (let index = first; index < last; index++) {
    const row = props.rowAt(index);
    const style = {
      top: index * rowHeight,
      height: rowHeight,
      gridTemplateColumns: template
    };
    rows.push(
      row.run ? (
        <RunRow
          key={row.run.id}
          index={index}
          row={row}
          run={row.run}
          style={style}
          now={now}
          {...props}
        />
      ) : (
        <div
          key={`placeholder-${index}`}
          role="row"
          aria-rowindex={index + 2}
          className="jp-Studio-runsRow jp-Studio-runsPlaceholder"
          data-testid="studio-run-placeholder"
          style={style}
        >
          <div role="gridcell" className="jp-Studio-runsCell">
            {trans.__('Loading…')}
          </div>
        </div>
      )
    );
  }

  return (
    <div
      ref={scroller}
      className="jp-Studio-runsTable"
      role="treegrid"
      aria-rowcount={rowCount + 1}
      aria-multiselectable
      onScroll={onScroll}
    >
      <RunsTableHeader
        columns={columns}
        template={template}
        minWidth={minWidth}
        height={Math.round(rowHeight * HEADER_ROWS)}
        sort={sort}
        allSelected={props.loadedSelection === 'all'}
        someSelected={props.loadedSelection !== 'none'}
        widthOf={widthOf}
        trans={trans}
        onSort={props.onSort}
        onSelectAll={props.onSelectAll}
        onResize={onResize}
      />
      <div
        role="rowgroup"
        className="jp-Studio-runsBody"
        style={{ height: rowCount * rowHeight, minWidth }}
      >
        {rows}
      </div>
    </div>
  );
}

/** One run's row: its checkbox, its expand toggle when it has children, and its cells. */
function RunRow(
  props: IRunsTableProps & {
    index: number;
    row: IRunRow;
    run: NonNullable<IRunRow['run']>;
    style: React.CSSProperties;
    now: number;
  }
): JSX.Element {
  const { row, run, trans } = props;
  const selected = props.selection.has(run.id);
  const classes = ['jp-Studio-runsRow', 'jp-Studio-runRow'];
  if (selected) {
    classes.push('jp-mod-selected');
  }
  if (row.depth > 0) {
    classes.push('jp-mod-child');
  }
  if (!row.matched) {
    classes.push('jp-mod-unmatched');
  }
  const label = run.name || run.id;
  return (
    <div
      role="row"
      aria-rowindex={props.index + 2}
      aria-level={row.depth + 1}
      aria-expanded={
        row.childCount > 0 && row.depth === 0 ? row.expanded : undefined
      }
      aria-selected={selected}
      className={classes.join(' ')}
      data-testid="studio-run-row"
      data-run-id={run.id}
      data-depth={row.depth}
      data-matched={row.matched}
      title={
        row.matched
          ? undefined
          : trans.__('%1 does not match the filter: a child run does', label)
      }
      style={props.style}
      onDoubleClick={() => props.onOpenRun(run.id)}
    >
      <div
        role="gridcell"
        className="jp-Studio-runsCell jp-Studio-runsCell-select"
      >
        <input
          type="checkbox"
          data-testid="studio-run-select"
          aria-label={trans.__('Select run %1', label)}
          checked={selected}
          onChange={event =>
            props.onSelect(run.id, event.currentTarget.checked)
          }
          onDoubleClick={event => event.stopPropagation()}
        />
        {row.depth === 0 && row.childCount > 0 ? (
          <button
            className="jp-Studio-treeToggle"
            data-testid="studio-run-expand"
            aria-expanded={row.expanded}
            title={
              row.expanded
                ? trans.__('Hide the child runs of %1', label)
                : trans.__(
                    'Show the %1 child runs of %2',
                    row.childCount,
                    label
                  )
            }
            onClick={() => props.onExpand(run.id, !row.expanded)}
            onDoubleClick={event => event.stopPropagation()}
          >
            <span aria-hidden>{row.expanded ? '▾' : '▸'}</span>
            <span className="jp-Studio-childCount">{row.childCount}</span>
          </button>
        ) : (
          <span className="jp-Studio-treeSpacer" aria-hidden />
        )}
      </div>
      {props.columns.map(column => (
        <RunCell
          key={column}
          run={run}
          column={column}
          now={props.now}
          trans={trans}
          onOpenRun={props.onOpenRun}
        />
      ))}
    </div>
  );
}
