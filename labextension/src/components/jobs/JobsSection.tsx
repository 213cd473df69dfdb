/**
 * The sidebar's Jobs: the job runs running now (with their progress) and the definitions that
 * run next; a click opens the Jobs panel on the run or definition.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { JobsSummary } from '../../api/jobs';
import { ProgressBar, formatTime } from './JobStatus';

export interface IJobsSectionProps {
  summary: JobsSummary | null;
  error: string | null;
  now: number;
  trans: TranslationBundle;
  onOpenJobs: (target: { jobRunId?: number; definitionId?: number }) => void;
}

export function JobsSection(props: IJobsSectionProps): JSX.Element {
  const { trans, summary } = props;
  const running = summary?.running ?? [];
  const next = summary?.next ?? [];
  return (
    <section
      className="jp-Studio-sidebar-section jp-Studio-sidebar-jobs"
      data-testid="studio-jobs-section"
      data-loaded={String(summary !== null)}
    >
      <h3 className="jp-Studio-sidebar-sectionTitle">
        <button
          className="jp-Studio-sidebar-textButton jp-Studio-sidebar-sectionLink"
          title={trans.__('Open the Jobs panel')}
          onClick={() => props.onOpenJobs({})}
        >
          {trans.__('Jobs')}
        </button>
        <span className="jp-Studio-sidebar-badge">{running.length}</span>
      </h3>
      {props.error !== null && (
        <p className="jp-Studio-sidebar-muted" role="alert">
          {trans.__('Jobs could not be loaded: %1', props.error)}
        </p>
      )}
      {summary !== null && running.length === 0 && (
        <p className="jp-Studio-sidebar-muted">
          {summary.queued > 0
            ? trans._n(
                '%1 job run queued.',
                '%1 job runs queued.',
                summary.queued
              )
            : trans.__('No job is running.')}
        </p>
      )}
      {running.length > 0 && (
        <ul
          className="jp-Studio-sidebar-list"
          aria-label={trans.__('Running jobs')}
        >
          {running.map(run => (
            <li key={run.id}>
              <button
                className="jp-Studio-sidebar-listItem"
                data-testid="studio-running-job"
                data-job-run-id={run.id}
                title={run.notebook_path}
                onClick={() => props.onOpenJobs({ jobRunId: run.id })}
              >
                <span
                  className="jp-Studio-sidebar-runningDot"
                  aria-hidden="true"
                />
                <span className="jp-Studio-sidebar-itemMain">
                  <span className="jp-Studio-sidebar-itemName">{run.name}</span>
                  <ProgressBar run={run} now={props.now} trans={trans} />
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {next.length > 0 && (
        <>
          <h4 className="jp-Studio-sidebar-subTitle">{trans.__('Next')}</h4>
          <ul
            className="jp-Studio-sidebar-list"
            aria-label={trans.__('Next jobs')}
          >
            {next.map(job => (
              <li key={job.definition_id}>
                <button
                  className="jp-Studio-sidebar-listItem"
                  data-testid="studio-next-job"
                  data-job-definition-id={job.definition_id}
                  title={job.schedule_description ?? ''}
                  onClick={() =>
                    props.onOpenJobs({ definitionId: job.definition_id })
                  }
                >
                  <span className="jp-Studio-sidebar-itemMain">
                    <span className="jp-Studio-sidebar-itemName">
                      {job.name}
                    </span>
                    <span className="jp-Studio-sidebar-itemMeta">
                      {formatTime(job.next_run_at, job.timezone)}
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
