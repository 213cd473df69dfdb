/**
 * The Studio sidebar: experiments (searchable, with run counts and last activity) and the runs
 * running now. Pure: everything comes in through props, every action goes out as a callback.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, searchIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatDuration } from '../format';

import type { Alert } from '../api/debugger';
import type { JobsSummary } from '../api/jobs';
import type { Experiment, Run } from '../api/types';
import { AlertsSection } from './debugger/AlertsSection';
import { JobsSection } from './jobs/JobsSection';
import {
  IRegistrySectionProps,
  RegistrySection
} from './registry/RegistrySection';

/** What the empty state suggests: three lines that log a first run. */
export const FIRST_RUN_SNIPPET = [
  'import studio',
  'with studio.start_run(experiment="demo") as run:',
  '    run.log_metric("loss", 0.25)'
].join('\n');

export interface ISidebarProps {
  /** The experiments to list (already searched), most recent first. */
  experiments: readonly Experiment[];
  /** How many experiments exist in all: 0 shows the empty state. */
  experimentCount: number;
  runningRuns: readonly Run[];
  /** How many runs are running in all (more than listed, possibly). */
  runningTotal: number;
  /** An experiment's name; null when it is not listed. */
  experimentName: (experimentId: number) => string | null;
  query: string;
  /** The server's message when loading failed. */
  error: string | null;
  /** False until the first answer (or failure). */
  loaded: boolean;
  /** The time to measure "ago" and elapsed times from, epoch ms. */
  now: number;
  trans: TranslationBundle;
  onQueryChange: (query: string) => void;
  onOpenExperiment: (experimentId: number) => void;
  onOpenRun: (runId: string) => void;
  /** Ask for a run id and open that run. */
  onOpenRunById: () => void;
  onRefresh: () => void;
  /** The debugger's recent findings across runs; the section shows only when given. */
  alerts?: readonly Alert[];
  alertsError?: string | null;
  alertsLoaded?: boolean;
  onOpenAlert?: (alert: Alert) => void;
  /** What jobs run now and next; the section shows only with `onOpenJobs`. */
  jobsSummary?: JobsSummary | null;
  jobsError?: string | null;
  onOpenJobs?: (target: { jobRunId?: number; definitionId?: number }) => void;
  /** The model registry; the section shows only when given. */
  registry?: Omit<IRegistrySectionProps, 'trans'>;
}

export function Sidebar(props: ISidebarProps): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-Studio-sidebar-content">
      <div className="jp-Studio-sidebar-header">
        <h2 className="jp-Studio-sidebar-title">{trans.__('Studio')}</h2>
        <button
          className="jp-Studio-sidebar-textButton"
          title={trans.__('Open a run by its id')}
          onClick={props.onOpenRunById}
        >
          {trans.__('Open run…')}
        </button>
        <button
          className="jp-Studio-sidebar-iconButton"
          title={trans.__('Refresh')}
          aria-label={trans.__('Refresh')}
          data-testid="studio-refresh"
          onClick={props.onRefresh}
        >
          <refreshIcon.react tag="span" elementSize="normal" />
        </button>
      </div>
      <label className="jp-Studio-sidebar-search">
        <searchIcon.react tag="span" className="jp-Studio-sidebar-searchIcon" />
        <input
          type="search"
          data-testid="studio-experiment-search"
          placeholder={trans.__('Search experiments')}
          aria-label={trans.__('Search experiments')}
          value={props.query}
          onChange={event => props.onQueryChange(event.target.value)}
        />
      </label>
      {props.error !== null && (
        <div
          className="jp-Studio-sidebar-error"
          role="alert"
          data-testid="studio-error"
        >
          <span>
            {trans.__('Studio could not load experiments: %1', props.error)}
          </span>
          <button
            className="jp-Studio-sidebar-textButton"
            onClick={props.onRefresh}
          >
            {trans.__('Retry')}
          </button>
        </div>
      )}
      <section className="jp-Studio-sidebar-section jp-Studio-sidebar-experiments">
        <h3 className="jp-Studio-sidebar-sectionTitle">
          {trans.__('Experiments')}
          <span className="jp-Studio-sidebar-badge">
            {props.experimentCount}
          </span>
        </h3>
        <ExperimentList {...props} />
      </section>
      <RunningRuns {...props} />
      {props.onOpenJobs && (
        <JobsSection
          summary={props.jobsSummary ?? null}
          error={props.jobsError ?? null}
          now={props.now}
          trans={trans}
          onOpenJobs={props.onOpenJobs}
        />
      )}
      {props.registry && <RegistrySection {...props.registry} trans={trans} />}
      {props.alerts && (
        <AlertsSection
          alerts={props.alerts}
          error={props.alertsError ?? null}
          loaded={props.alertsLoaded ?? true}
          trans={trans}
          onOpenAlert={alert => props.onOpenAlert?.(alert)}
        />
      )}
    </div>
  );
}

function ExperimentList(props: ISidebarProps): JSX.Element | null {
  const { trans } = props;
  if (!props.loaded) {
    return <p className="jp-Studio-sidebar-muted">{trans.__('Loading…')}</p>;
  }
  if (props.experimentCount === 0) {
    // Nothing to list: an error says why above; otherwise the store is simply empty.
    return props.error === null ? <EmptyState trans={trans} /> : null;
  }
  if (props.experiments.length === 0) {
    return (
      <p className="jp-Studio-sidebar-muted">
        {trans.__('No experiment matches “%1”.', props.query.trim())}
      </p>
    );
  }
  return (
    <ul className="jp-Studio-sidebar-list" aria-label={trans.__('Experiments')}>
      {props.experiments.map(experiment => (
        <li key={experiment.id}>
          <button
            className="jp-Studio-sidebar-listItem"
            data-testid="studio-experiment-item"
            data-experiment-id={experiment.id}
            title={
              experiment.description || trans.__('Open %1', experiment.name)
            }
            onClick={() => props.onOpenExperiment(experiment.id)}
          >
            <span className="jp-Studio-sidebar-itemMain">
              <span className="jp-Studio-sidebar-itemName">
                {experiment.name}
              </span>
              <span className="jp-Studio-sidebar-itemMeta">
                {experiment.last_run_at === null
                  ? trans.__('no runs yet')
                  : trans.__(
                      'last run %1',
                      formatAgo(experiment.last_run_at, props.now, trans)
                    )}
              </span>
            </span>
            <span
              className="jp-Studio-sidebar-badge"
              data-testid="studio-experiment-run-count"
              title={trans._n('%1 run', '%1 runs', experiment.run_count)}
            >
              {experiment.run_count}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function RunningRuns(props: ISidebarProps): JSX.Element {
  const { trans } = props;
  const hidden = props.runningTotal - props.runningRuns.length;
  return (
    <section
      className="jp-Studio-sidebar-section jp-Studio-sidebar-running"
      data-testid="studio-running-runs"
    >
      <h3 className="jp-Studio-sidebar-sectionTitle">
        {trans.__('Running')}
        <span className="jp-Studio-sidebar-badge">{props.runningTotal}</span>
      </h3>
      {props.loaded && props.runningRuns.length === 0 && (
        <p className="jp-Studio-sidebar-muted">
          {trans.__('No run is running.')}
        </p>
      )}
      {props.runningRuns.length > 0 && (
        <ul
          className="jp-Studio-sidebar-list"
          aria-label={trans.__('Running runs')}
        >
          {props.runningRuns.map(run => (
            <li key={run.id}>
              <button
                className="jp-Studio-sidebar-listItem"
                data-testid="studio-running-run"
                data-run-id={run.id}
                title={trans.__('Open run %1', run.id)}
                onClick={() => props.onOpenRun(run.id)}
              >
                <span
                  className="jp-Studio-sidebar-runningDot"
                  aria-hidden="true"
                />
                <span className="jp-Studio-sidebar-itemMain">
                  <span className="jp-Studio-sidebar-itemName">
                    {run.name || run.id}
                  </span>
                  <span className="jp-Studio-sidebar-itemMeta">
                    {props.experimentName(run.experiment_id) ??
                      trans.__('Experiment %1', run.experiment_id)}
                  </span>
                </span>
                <span
                  className="jp-Studio-sidebar-elapsed"
                  data-testid="studio-running-elapsed"
                >
                  {formatElapsed(props.now - run.start_time)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {hidden > 0 && (
        <p className="jp-Studio-sidebar-muted">
          {trans._n('and %1 more', 'and %1 more', hidden)}
        </p>
      )}
    </section>
  );
}

function EmptyState(props: { trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-Studio-sidebar-empty" data-testid="studio-empty">
      <p className="jp-Studio-sidebar-emptyTitle">
        {trans.__('No experiments yet')}
      </p>
      <p>{trans.__('Log a run from a notebook and it shows up here:')}</p>
      <pre className="jp-Studio-sidebar-snippet">
        <code>{FIRST_RUN_SNIPPET}</code>
      </pre>
    </div>
  );
}

/** A running run's elapsed time, to the second, formatted like every other duration. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return seconds === 0 ? '0 s' : formatDuration(seconds * 1000);
}

/** How long ago a time was, in words: "just now", "5 min ago", "3 h ago", "2 days ago". */
export function formatAgo(
  time: number,
  now: number,
  trans: TranslationBundle
): string {
  const minutes = Math.floor(Math.max(0, now - time) / 60000);
  if (minutes < 1) {
    return trans.__('just now');
  }
  if (minutes < 60) {
    return trans.__('%1 min ago', minutes);
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return trans.__('%1 h ago', hours);
  }
  const days = Math.floor(hours / 24);
  if (days < 30) {
    return trans._n('%1 day ago', '%1 days ago', days);
  }
  return new Date(time).toLocaleDateString();
}
