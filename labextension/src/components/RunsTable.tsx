/**
 * The runs table: a virtualized grid (fixed row height, only the visible rows in the DOM),
 * with sortable headers, a checkbox per row and more pages asked for near the end.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Run } from '../api/types';
import type { IRunsSort } from '../models/runsSort';
import { RunCell } from './runCells';
import {
  columnLayout,
  defaultValueWidth,
  RunsTableHeader
} from './RunsTableHeader';

export interface IRunsTableProps {
  runs: readonly Run[];
  /** Every column after the checkbox, e.g. status, name, start, duration, metrics.acc. */
  columns: string[];
  sort: IRunsSort | null;
  selection: ReadonlySet<string>;
  /** More runs can be loaded from the server. */
  hasMore: boolean;
  loadingMore: boolean;
  trans: TranslationBundle;
  onSort: (column: string) => void;
  onSelect: (runId: string, selected: boolean) => void;
  onSelectAll: (selected: boolean) => void;
  onOpenRun: (runId: string) => void;
  onLoadMore: () => void;
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
/** Load the next page when the last rendered row is this close to the end. */
const LOAD_AHEAD_ROWS = 60;

/** The runs of an experiment as a grid; renders only what the viewport shows. */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  const { runs, columns, sort, selection, trans } = props;
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

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(
    runs.length,
    Math.ceil((scrollTop + height) / rowHeight) + overscan
  );
  const { hasMore, loadingMore, onLoadMore } = props;
  React.useEffect(() => {
    if (hasMore && !loadingMore && last >= runs.length - LOAD_AHEAD_ROWS) {
      onLoadMore();
    }
  }, [hasMore, loadingMore, last, runs.length, onLoadMore]);

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
    const width = defaultValueWidth(column, runs);
    if (runs.length) {
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
  const selectedLoaded = runs.reduce(
    (count, run) => count + (selection.has(run.id) ? 1 : 0),
    0
  );

  const onScroll = (event: React.UIEvent<HTMLDivElement>) => {
    const top = event.currentTarget.scrollTop;
    setScrollTop(top);
    props.onScroll?.(top);
  };

  const rows: JSX.Element[] = [];
  for (let index = first; index < last; index++) {
    const run = runs[index];
    const selected = selection.has(run.id);
    rows.push(
      <div
        key={run.id}
        role="row"
        aria-rowindex={index + 2}
        aria-selected={selected}
        className={`jp-Studio-runsRow${selected ? ' jp-mod-selected' : ''}`}
        data-testid="studio-run-row"
        data-run-id={run.id}
        style={{
          top: index * rowHeight,
          height: rowHeight,
          gridTemplateColumns: template
        }}
        onDoubleClick={() => props.onOpenRun(run.id)}
      >
        <div
          role="gridcell"
          className="jp-Studio-runsCell jp-Studio-runsCell-select"
        >
          <input
            type="checkbox"
            data-testid="studio-run-select"
            aria-label={trans.__('Select run %1', run.name || run.id)}
            checked={selected}
            onChange={event =>
              props.onSelect(run.id, event.currentTarget.checked)
            }
            onDoubleClick={event => event.stopPropagation()}
          />
        </div>
        {columns.map(column => (
          <RunCell
            key={column}
            run={run}
            column={column}
            now={now}
            trans={trans}
            onOpenRun={props.onOpenRun}
          />
        ))}
      </div>
    );
  }

  return (
    <div
      ref={scroller}
      className="jp-Studio-runsTable"
      role="grid"
      aria-rowcount={runs.length + 1}
      aria-multiselectable
      onScroll={onScroll}
    >
      <RunsTableHeader
        columns={columns}
        template={template}
        minWidth={minWidth}
        height={Math.round(rowHeight * HEADER_ROWS)}
        sort={sort}
        allSelected={runs.length > 0 && selectedLoaded === runs.length}
        someSelected={selectedLoaded > 0}
        widthOf={widthOf}
        trans={trans}
        onSort={props.onSort}
        onSelectAll={props.onSelectAll}
        onResize={onResize}
      />
      <div
        role="rowgroup"
        className="jp-Studio-runsBody"
        style={{ height: runs.length * rowHeight, minWidth }}
      >
        {rows}
      </div>
      {loadingMore && (
        <div className="jp-Studio-runsLoadingMore">
          {trans.__('Loading more runs…')}
        </div>
      )}
    </div>
  );
}
