/**
 * A job run's status as a coloured badge, and its progress while it runs: cells done of the
 * total, and how long the current cell has run. Shared by the Jobs panel and the sidebar.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { JobProgress, JobRun, JobStatus } from '../../api/jobs';
import { formatDuration } from '../../format';

/** A status in words (the server's names are upper case). */
export function statusLabel(
  status: JobStatus,
  trans: TranslationBundle
): string {
  const labels: Record<JobStatus, string> = {
    QUEUED: trans.__('Queued'),
    RUNNING: trans.__('Running'),
    SUCCEEDED: trans.__('Succeeded'),
    FAILED: trans.__('Failed'),
    CANCELLED: trans.__('Cancelled'),
    TIMED_OUT: trans.__('Timed out'),
    STOPPED_BY_RULE: trans.__('Stopped by rule')
  };
  return labels[status] ?? status;
}

export function StatusBadge(props: {
  status: JobStatus;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <span
      className={`jp-Studio-jobStatus jp-Studio-jobStatus-${props.status}`}
      data-testid="studio-job-status"
      data-status={props.status}
    >
      {statusLabel(props.status, props.trans)}
    </span>
  );
}

/** The fraction of cells done, 0 to 1 (0 before the total is known). */
export function progressFraction(progress: JobProgress | null): number {
  if (!progress || progress.cells_total <= 0) {
    return 0;
  }
  return Math.min(1, Math.max(0, progress.cells_done / progress.cells_total));
}

export function ProgressBar(props: {
  run: JobRun;
  now: number;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { run, trans } = props;
  const progress = run.progress;
  if (run.status !== 'RUNNING' || !progress) {
    return null;
  }
  const cell =
    progress.cell_started_at === null || progress.current_cell === null
      ? null
      : trans.__(
          'cell %1 · %2',
          progress.current_cell + 1,
          formatDuration(Math.max(0, props.now - progress.cell_started_at))
        );
  return (
    <span className="jp-Studio-jobProgress" data-testid="studio-job-progress">
      <span
        className="jp-Studio-jobProgress-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={progress.cells_total}
        aria-valuenow={progress.cells_done}
      >
        <span
          className="jp-Studio-jobProgress-fill"
          style={{ width: `${progressFraction(progress) * 100}%` }}
        />
      </span>
      <span
        className="jp-Studio-jobProgress-text"
        data-testid="studio-job-progress-text"
      >
        {progress.cells_total > 0
          ? trans.__('%1/%2 cells', progress.cells_done, progress.cells_total)
          : trans.__('starting the kernel…')}
        {cell !== null && ` · ${cell}`}
      </span>
    </span>
  );
}

/**
 * A time as the user's locale writes it, or a dash; in `timeZone` when given (a schedule's
 * times read as the schedule says them), with its name.
 */
export function formatTime(
  ms: number | null | undefined,
  timeZone?: string
): string {
  if (ms === null || ms === undefined) {
    return '—';
  }
  const date = new Date(ms);
  if (timeZone) {
    try {
      return (
        date.toLocaleString(undefined, {
          timeZone,
          dateStyle: 'medium',
          timeStyle: 'short'
        }) + ` (${timeZone})`
      );
    } catch {
      // A time zone this browser does not know: the browser's own.
    }
  }
  return date.toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short'
  });
}

/** A run's duration: final, or so far while it runs. */
export function runDuration(run: JobRun, now: number): string {
  if (run.duration_ms !== null && run.duration_ms !== undefined) {
    return formatDuration(run.duration_ms);
  }
  if (run.started_at !== null && run.ended_at === null) {
    return formatDuration(Math.max(0, now - run.started_at));
  }
  return '—';
}

/** Parameters as "name=value" pairs, in one line. */
export function formatParameters(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(', ');
}

/** A row's action: a small button that leaves the row's own click (selection) alone. */
export function ActionButton(props: {
  testId: string;
  title: string;
  label: string;
  disabled?: boolean;
  onClick: () => void;
}): JSX.Element {
  return (
    <button
      className="jp-Studio-jobs-action"
      data-testid={props.testId}
      title={props.title}
      disabled={props.disabled}
      onClick={event => {
        event.stopPropagation();
        props.onClick();
      }}
    >
      {props.label}
    </button>
  );
}
