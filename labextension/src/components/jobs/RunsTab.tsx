/**
 * The Jobs panel's Runs tab: one row per job run (status with progress, name, trigger, start,
 * duration, parameters, actions), and under the table the selected run's details: where it
 * failed (the cell and the traceback, as the server sends them) and its tracking run.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { isFinal } from '../../api/jobs';
import type { JobRun } from '../../api/jobs';
import {
  ActionButton,
  ProgressBar,
  StatusBadge,
  formatParameters,
  formatTime,
  runDuration
} from './JobStatus';

/** What a user does to a job run (each is a command of the panel). */
export type RunAction =
  'output' | 'log' | 'cancel' | 'rerun' | 'trackedRun' | 'download';

export interface IRunsTabProps {
  runs: readonly JobRun[];
  total: number;
  selectedRunId: number | null;
  now: number;
  trans: TranslationBundle;
  onSelect: (jobRunId: number) => void;
  onAction: (action: RunAction, run: JobRun) => void;
}

export function triggerLabel(
  trigger: JobRun['trigger'],
  trans: TranslationBundle
): string {
  const labels: Record<JobRun['trigger'], string> = {
    manual: trans.__('manual'),
    schedule: trans.__('schedule'),
    retry: trans.__('retry'),
    api: trans.__('API')
  };
  return labels[trigger] ?? trigger;
}

export function RunsTab(props: IRunsTabProps): JSX.Element {
  const { trans, runs } = props;
  const selected = runs.find(run => run.id === props.selectedRunId) ?? null;
  if (runs.length === 0) {
    return (
      <p className="jp-Studio-jobs-empty" data-testid="studio-job-runs-empty">
        {trans.__(
          'No job run yet. Right-click a notebook in the file browser and choose “Create Notebook Job…”.'
        )}
      </p>
    );
  }
  return (
    <div className="jp-Studio-jobs-tab">
      <div className="jp-Studio-jobs-tableWrap">
        <table className="jp-Studio-jobs-table" data-testid="studio-job-runs">
          <thead>
            <tr>
              <th>{trans.__('Status')}</th>
              <th>{trans.__('Job')}</th>
              <th>{trans.__('Trigger')}</th>
              <th>{trans.__('Started')}</th>
              <th>{trans.__('Duration')}</th>
              <th>{trans.__('Parameters')}</th>
              <th>{trans.__('Actions')}</th>
            </tr>
          </thead>
          <tbody>
            {runs.map(run => (
              <RunRow key={run.id} {...props} run={run} />
            ))}
          </tbody>
        </table>
        {props.total > runs.length && (
          <p className="jp-Studio-jobs-muted">
            {trans.__(
              'The %1 most recent of %2 runs.',
              runs.length,
              props.total
            )}
          </p>
        )}
      </div>
      {selected && <RunDetails run={selected} trans={trans} />}
    </div>
  );
}

function RunRow(props: IRunsTabProps & { run: JobRun }): JSX.Element {
  const { run, trans } = props;
  const act = (action: RunAction) => () => props.onAction(action, run);
  const ended = isFinal(run.status);
  return (
    <tr
      className={
        run.id === props.selectedRunId
          ? 'jp-Studio-jobs-row jp-mod-selected'
          : 'jp-Studio-jobs-row'
      }
      data-testid="studio-job-run"
      data-job-run-id={run.id}
      data-status={run.status}
      onClick={() => props.onSelect(run.id)}
    >
      <td className="jp-Studio-jobs-status">
        <StatusBadge status={run.status} trans={trans} />
        <ProgressBar run={run} now={props.now} trans={trans} />
      </td>
      <td title={run.notebook_path}>
        <span className="jp-Studio-jobs-name">{run.name}</span>
        {run.attempt > 1 && (
          <span className="jp-Studio-jobs-muted">
            {' '}
            {trans.__('attempt %1', run.attempt)}
          </span>
        )}
      </td>
      <td>{triggerLabel(run.trigger, trans)}</td>
      <td>{formatTime(run.started_at ?? run.created_at)}</td>
      <td>{runDuration(run, props.now)}</td>
      <td className="jp-Studio-jobs-params" data-testid="studio-job-params">
        {formatParameters(run.parameters)}
      </td>
      <td className="jp-Studio-jobs-actions">
        <ActionButton
          testId="studio-job-open-output"
          title={trans.__('Open the executed notebook')}
          label={trans.__('Notebook')}
          disabled={!run.outputs.includes('output.ipynb')}
          onClick={act('output')}
        />
        <ActionButton
          testId="studio-job-open-log"
          title={trans.__('View the log')}
          label={trans.__('Log')}
          onClick={act('log')}
        />
        {ended ? (
          <ActionButton
            testId="studio-job-rerun"
            title={trans.__('Run again with other parameters')}
            label={trans.__('Re-run…')}
            onClick={act('rerun')}
          />
        ) : (
          <ActionButton
            testId="studio-job-cancel"
            title={trans.__('Cancel the run')}
            label={trans.__('Cancel')}
            disabled={run.cancel_requested}
            onClick={act('cancel')}
          />
        )}
        <ActionButton
          testId="studio-job-tracked-run"
          title={trans.__('Open the tracked run (params, metrics, artifacts)')}
          label={trans.__('Tracked run')}
          disabled={!run.run_id}
          onClick={act('trackedRun')}
        />
      </td>
    </tr>
  );
}

/** The selected run: its error where it failed, its ids. */
export function RunDetails(props: {
  run: JobRun;
  trans: TranslationBundle;
}): JSX.Element {
  const { run, trans } = props;
  return (
    <section
      className="jp-Studio-jobs-details"
      data-testid="studio-job-details"
      aria-label={trans.__('Job run details')}
    >
      <h3 className="jp-Studio-jobs-detailsTitle">
        {run.name}
        <span className="jp-Studio-jobs-muted"> · {run.notebook_path}</span>
      </h3>
      <dl className="jp-Studio-jobs-facts">
        <dt>{trans.__('Job run')}</dt>
        <dd>{run.id}</dd>
        {run.run_id && (
          <>
            <dt>{trans.__('Tracked run')}</dt>
            <dd>{run.run_id}</dd>
          </>
        )}
        {run.kernel_name && (
          <>
            <dt>{trans.__('Kernel')}</dt>
            <dd>{run.kernel_name}</dd>
          </>
        )}
        {run.host && (
          <>
            <dt>{trans.__('Host')}</dt>
            <dd>{run.host}</dd>
          </>
        )}
      </dl>
      {run.error && (
        <div className="jp-Studio-jobs-error" data-testid="studio-job-error">
          <p>
            {run.error_cell !== null
              ? trans.__('Cell %1 failed: %2', run.error_cell + 1, run.error)
              : run.error}
          </p>
          {run.traceback && (
            <pre
              className="jp-Studio-jobs-traceback"
              data-testid="studio-job-traceback"
            >
              {run.traceback}
            </pre>
          )}
        </div>
      )}
    </section>
  );
}
