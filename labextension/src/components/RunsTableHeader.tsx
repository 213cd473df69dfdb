/**
 * The runs table's header row: sortable column headers that say what a column holds (a param,
 * or a metric's last value), value columns the user resizes by dragging their right edge, and
 * the grid template the rows share so that every cell lines up under its header.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Run } from '../api/types';
import type { IRunsSort } from '../models/runsSort';
import { columnLabel, valueCell } from './runCells';

/** Fixed columns: a CSS grid track and the least width it takes. */
const FIXED: Record<string, { track: string; min: number }> = {
  // The checkbox, and a parent run's expand toggle with its child count.
  select: { track: '72px', min: 72 },
  status: { track: '96px', min: 96 },
  name: { track: 'minmax(180px, 2fr)', min: 180 },
  start: { track: '130px', min: 130 },
  duration: { track: '100px', min: 100 }
};
/**
 * Value columns: wide enough for their label (with its chip and sort mark) and the values of
 * the first rows, within these bounds; the user may drag them down to `min`.
 */
export const VALUE_WIDTH = { min: 60, fallbackMin: 100, fallbackMax: 240 };
const CHAR_PX = 7.5;
const LABEL_EXTRA_PX = 52;
const VALUE_EXTRA_PX = 20;
/** Rows whose values a column's default width fits. */
const FITTED_ROWS = 100;

/** The width of a param/metric column the user has not resized. */
export function defaultValueWidth(
  column: string,
  runs: readonly Run[] = []
): number {
  const label = column.slice(column.indexOf('.') + 1);
  let wanted = label.length * CHAR_PX + LABEL_EXTRA_PX;
  for (const run of runs.slice(0, FITTED_ROWS)) {
    const text = valueCell(run, column).text;
    wanted = Math.max(wanted, text.length * CHAR_PX + VALUE_EXTRA_PX);
  }
  return Math.min(
    VALUE_WIDTH.fallbackMax,
    Math.max(VALUE_WIDTH.fallbackMin, Math.ceil(wanted))
  );
}

/** The grid template of the header and of every row, and the width it needs. */
export function columnLayout(
  columns: readonly string[],
  widthOf: (column: string) => number
): { template: string; minWidth: number } {
  let minWidth = 0;
  const tracks = ['select', ...columns].map(column => {
    const fixed = FIXED[column];
    if (fixed) {
      minWidth += fixed.min;
      return fixed.track;
    }
    const width = widthOf(column);
    minWidth += width;
    return `${width}px`;
  });
  return { template: tracks.join(' '), minWidth };
}

export interface IRunsTableHeaderProps {
  columns: readonly string[];
  template: string;
  minWidth: number;
  height: number;
  sort: IRunsSort | null;
  /** Every loaded run is selected / some are. */
  allSelected: boolean;
  someSelected: boolean;
  /** The width each value column has now (its default when not resized). */
  widthOf: (column: string) => number;
  trans: TranslationBundle;
  onSort: (column: string) => void;
  onSelectAll: (selected: boolean) => void;
  /** While dragging (`done` false) and when the drag ends (`done` true). */
  onResize: (column: string, width: number, done: boolean) => void;
}

export function RunsTableHeader(props: IRunsTableHeaderProps): JSX.Element {
  const { columns, sort, trans } = props;
  return (
    <div
      role="row"
      className="jp-Studio-runsHeader"
      style={{
        gridTemplateColumns: props.template,
        minWidth: props.minWidth,
        height: props.height
      }}
    >
      <div
        role="columnheader"
        className="jp-Studio-runsCell jp-Studio-runsCell-select"
      >
        <SelectAll
          all={props.allSelected}
          some={props.someSelected}
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
          width={props.widthOf(column)}
          trans={trans}
          onSort={props.onSort}
          onResize={props.onResize}
        />
      ))}
    </div>
  );
}

function kindOf(column: string): 'metric' | 'param' | '' {
  return column.startsWith('metrics.')
    ? 'metric'
    : column.startsWith('params.')
      ? 'param'
      : '';
}

function ColumnHeader(props: {
  column: string;
  label: string;
  direction: 'asc' | 'desc' | '';
  width: number;
  trans: TranslationBundle;
  onSort: (column: string) => void;
  onResize: (column: string, width: number, done: boolean) => void;
}): JSX.Element {
  const { column, direction, trans } = props;
  const kind = kindOf(column);
  const title =
    kind === 'metric'
      ? trans.__('%1: the last value each run logged', column)
      : column;
  return (
    <div
      role="columnheader"
      tabIndex={0}
      className={`jp-Studio-runsCell jp-Studio-columnHeader${kind ? ` jp-Studio-columnHeader-${kind}` : ''}${direction ? ' jp-mod-sorted' : ''}`}
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
      title={title}
      onClick={() => props.onSort(column)}
      onKeyDown={event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          props.onSort(column);
        }
      }}
    >
      <span className="jp-Studio-columnTitle">
        {kind && (
          <span
            className={`jp-Studio-columnKind jp-Studio-columnKind-${kind}`}
            data-testid="studio-column-kind"
            aria-label={
              kind === 'metric' ? trans.__('metric') : trans.__('param')
            }
          >
            {kind === 'metric' ? trans.__('m') : trans.__('p')}
          </span>
        )}
        <span className="jp-Studio-columnText">
          <span className="jp-Studio-columnLabel">{props.label}</span>
          {kind === 'metric' && (
            <span
              className="jp-Studio-columnNote"
              data-testid="studio-column-note"
            >
              {trans.__('last')}
            </span>
          )}
        </span>
      </span>
      {direction && (
        <span className="jp-Studio-sortMark" aria-hidden>
          {direction === 'asc' ? '▲' : '▼'}
        </span>
      )}
      {kind && (
        <ColumnResizer
          column={column}
          width={props.width}
          label={trans.__('Resize the column %1', props.label)}
          onResize={props.onResize}
        />
      )}
    </div>
  );
}

/** Arrow keys move the edge by this much. */
const KEY_STEP_PX = 16;

/** The right edge of a value column's header: drag it (or use the arrow keys) to resize. */
function ColumnResizer(props: {
  column: string;
  width: number;
  label: string;
  onResize: (column: string, width: number, done: boolean) => void;
}): JSX.Element {
  const { column, width, onResize } = props;
  const clamp = (value: number) => Math.max(VALUE_WIDTH.min, value);
  const startDrag = (event: React.MouseEvent) => {
    event.preventDefault();
    event.stopPropagation();
    const startX = event.clientX;
    const startWidth = width;
    const move = (moved: MouseEvent) =>
      onResize(column, clamp(startWidth + moved.clientX - startX), false);
    const end = (ended: MouseEvent) => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', end);
      onResize(column, clamp(startWidth + ended.clientX - startX), true);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', end);
  };
  return (
    <div
      className="jp-Studio-columnResizer"
      role="separator"
      aria-orientation="vertical"
      aria-label={props.label}
      aria-valuenow={width}
      tabIndex={0}
      data-testid="studio-column-resizer"
      onMouseDown={startDrag}
      // Not a sort: the click that ends a drag lands on the header too.
      onClick={event => event.stopPropagation()}
      onKeyDown={event => {
        const step =
          event.key === 'ArrowRight'
            ? KEY_STEP_PX
            : event.key === 'ArrowLeft'
              ? -KEY_STEP_PX
              : 0;
        if (step) {
          event.preventDefault();
          event.stopPropagation();
          onResize(column, clamp(width + step), true);
        }
      }}
    />
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
