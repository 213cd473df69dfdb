/**
 * What one runs-table cell shows: formatted numbers, times and durations, status badges.
 */
import { Time } from '@jupyterlab/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatDuration } from '../format';

import { type Run, toNumber } from '../api/types';

/**
 * A metric value for a table: NaN and infinities by name, 5 significant digits, or 4 in
 * exponent form for very small or large values.
 */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? 'Inf' : '-Inf';
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e15) {
    return String(value);
  }
  const size = Math.abs(value);
  if (size >= 1e-3 && size < 1e6) {
    return String(Number(value.toPrecision(5)));
  }
  return Number(value.toPrecision(4)).toExponential();
}

/** The header label of a column: a param/metric key, or the attribute's name. */
export function columnLabel(column: string, trans: TranslationBundle): string {
  switch (column) {
    case 'status':
      return trans.__('Status');
    case 'name':
      return trans.__('Name');
    case 'start':
      return trans.__('Started');
    case 'duration':
      return trans.__('Duration');
    default:
      return column.slice(column.indexOf('.') + 1);
  }
}

/** The text (and tooltip) of a param or metric cell. */
export function valueCell(
  run: Run,
  column: string
): { text: string; title: string } {
  if (column.startsWith('metrics.')) {
    const metric = run.metrics[column.slice('metrics.'.length)];
    if (!metric) {
      return { text: '', title: '' };
    }
    const value = toNumber(metric.last);
    return {
      text: formatNumber(value),
      title: `${value} (step ${metric.last_step})`
    };
  }
  const value = run.params[column.slice('params.'.length)] ?? '';
  return { text: value, title: value };
}

export interface ICellProps {
  run: Run;
  column: string;
  now: number;
  trans: TranslationBundle;
  onOpenRun: (runId: string) => void;
}

/** One cell of a run's row. */
export function RunCell(props: ICellProps): JSX.Element {
  const { run, column, now, trans } = props;
  let content: React.ReactNode;
  let title = '';
  let kind = 'value';
  switch (column) {
    case 'status':
      kind = 'status';
      content = (
        <span
          className={`jp-Studio-statusBadge jp-Studio-status-${run.status.toLowerCase()}`}
        >
          {run.status}
        </span>
      );
      break;
    case 'name':
      kind = 'name';
      title = run.name;
      content = (
        <button
          className="jp-Studio-runName"
          onClick={() => props.onOpenRun(run.id)}
          title={trans.__('Open run %1', run.name)}
        >
          {run.name || run.id}
        </button>
      );
      break;
    case 'start':
      title = Time.format(new Date(run.start_time));
      content = Time.formatHuman(new Date(Math.min(run.start_time, now)));
      break;
    case 'duration': {
      const running = run.duration_ms === null && run.status === 'RUNNING';
      content = formatDuration(
        running ? now - run.start_time : (run.duration_ms ?? NaN)
      );
      title = running ? trans.__('Running') : '';
      break;
    }
    default: {
      const cell = valueCell(run, column);
      kind = column.startsWith('metrics.') ? 'metric' : 'param';
      content = cell.text;
      title = cell.title;
    }
  }
  return (
    <div
      role="gridcell"
      className={`jp-Studio-runsCell jp-Studio-runsCell-${kind}`}
      data-testid="studio-cell"
      data-column={column}
      title={title || undefined}
    >
      {content}
    </div>
  );
}
