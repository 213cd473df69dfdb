/**
 * The runs table: a virtualized grid (fixed row height, only the visible rows in the DOM),
 * with sortable headers, a checkbox per row and more pages asked for near the end.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Run } from '../api/types';
import type { IRunsSort } from '../models/runsSort';
import { columnLabel, RunCell } from './runCells';

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

const WIDTHS: Record<string, string> = {
  select: '32px',
  status: '96px',
  name: 'minmax(180px, 2fr)',
  start: '130px',
  duration: '100px'
};
const MIN_WIDTHS: Record<string, number> = {
  select: 32,
  status: 96,
  name: 180,
  start: 130,
  duration: 100
};
const VALUE_WIDTH = 120;
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

  const template = ['select', ...columns]
    .map(column => WIDTHS[column] ?? `${VALUE_WIDTH}px`)
    .join(' ');
  const minWidth = ['select', ...columns].reduce(
    (sum, column) => sum + (MIN_WIDTHS[column] ?? VALUE_WIDTH),
    0
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
      <div
        role="row"
        className="jp-Studio-runsHeader"
        style={{ gridTemplateColumns: template, minWidth, height: rowHeight }}
      >
        <div
          role="columnheader"
          className="jp-Studio-runsCell jp-Studio-runsCell-select"
        >
          <SelectAll
            all={runs.length > 0 && selectedLoaded === runs.length}
            some={selectedLoaded > 0}
            label={trans.__('Select every loaded run')}
            onChange={props.onSelectAll}
          />
        </div>
        {columns.map(column => (
          <ColumnHeader
            key={column}
            column={column}
            label={columnLabel(column, trans)}
            direction={sort && sort.column === column ? sort.direction : ''}
            onSort={props.onSort}
          />
        ))}
      </div>
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

function ColumnHeader(props: {
  column: string;
  label: string;
  direction: 'asc' | 'desc' | '';
  onSort: (column: string) => void;
}): JSX.Element {
  const { column, direction } = props;
  const kind = column.startsWith('metrics.')
    ? 'metric'
    : column.startsWith('params.')
      ? 'param'
      : '';
  return (
    <div
      role="columnheader"
      tabIndex={0}
      className={`jp-Studio-runsCell jp-Studio-columnHeader${direction ? ' jp-mod-sorted' : ''}`}
      data-testid="studio-column-header"
      data-column={column}
      data-sort={direction}
      aria-sort={
        direction === 'asc'
          ? 'ascending'
          : direction === 'desc'
            ? 'descending'
            : 'none'
      }
      title={column}
      onClick={() => props.onSort(column)}
      onKeyDown={event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          props.onSort(column);
        }
      }}
    >
      {kind && (
        <span className={`jp-Studio-columnKind jp-Studio-columnKind-${kind}`}>
          {kind[0]}
        </span>
      )}
      <span className="jp-Studio-columnLabel">{props.label}</span>
      {direction && (
        <span className="jp-Studio-sortMark" aria-hidden>
          {direction === 'asc' ? '▲' : '▼'}
        </span>
      )}
    </div>
  );
}

function SelectAll(props: {
  all: boolean;
  some: boolean;
  label: string;
  onChange: (selected: boolean) => void;
}): JSX.Element {
  const box = React.useRef<HTMLInputElement>(null);
  React.useEffect(() => {
    if (box.current) {
      box.current.indeterminate = props.some && !props.all;
    }
  });
  return (
    <input
      ref={box}
      type="checkbox"
      data-testid="studio-run-select-all"
      aria-label={props.label}
      checked={props.all}
      onChange={event => props.onChange(event.currentTarget.checked)}
    />
  );
}
