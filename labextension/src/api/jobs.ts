/**
 * Notebook jobs' wire models and every call the jobs UI makes (the create dialog, the Jobs
 * panel, its log view, the sidebar's Jobs section, the end-of-run notifications): the only
 * place that calls the jobs routes.
 */
import { ServerConnection } from '@jupyterlab/services';

import { apiUrl, createStudioClient, StudioClient, unwrap } from '../handler';
import type { components } from './schema';

type Schemas = components['schemas'];

/** A job run: one papermill execution of a notebook, with its own tracking run. */
export type JobRun = Schemas['JobRunOut'];
export type JobRunList = Schemas['JobRunsOut'];
export type JobStatus = JobRun['status'];
export type JobTrigger = JobRun['trigger'];
/** Cells done of cells total, and when the current cell started (ms since the epoch). */
export type JobProgress = NonNullable<JobRun['progress']>;
export type JobRunIn = Schemas['JobRunIn'];
/** A job definition: a notebook with its parameters, run now or on a schedule. */
export type JobDefinition = Schemas['JobDefinitionOut'];
export type JobDefinitionList = Schemas['JobDefinitionsOut'];
export type JobDefinitionIn = Schemas['JobDefinitionIn'];
export type JobDefinitionPatch = Schemas['JobDefinitionPatch'];
/** A slice of a job run's log; `offset` is where the next slice starts. */
export type JobLog = Schemas['JobLogOut'];
/** A notebook's parameters (papermill's `inspect_notebook`) and the kernels to choose from. */
export type NotebookInfo = Schemas['JobNotebookInfoOut'];
export type NotebookParameter = NotebookInfo['parameters'][number];
export type KernelChoice = NotebookInfo['kernels'][number];
/** A cron expression in words, with its next times (ms since the epoch). */
export type SchedulePreview = Schemas['JobScheduleOut'];
/** What runs now and what runs next, for the sidebar. */
export type JobsSummary = Schemas['JobSummaryOut'];
export type NextJob = JobsSummary['next'][number];
/** The files of a job run the outputs route serves. */
export const JOB_OUTPUTS = ['output.ipynb', 'output.html', 'job.log'] as const;
export type JobOutputName = (typeof JOB_OUTPUTS)[number];

/** The tag that marks a tracking run as a job run's (its value: the job run's id). */
export const JOB_RUN_TAG = 'studio.job.run';

/** The statuses a job run never leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = [
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
  'STOPPED_BY_RULE'
];

export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

export interface IJobRunQuery {
  definitionId?: number;
  status?: JobStatus[];
  maxResults?: number;
  pageToken?: string;
}

export interface IDefinitionQuery {
  active?: boolean;
  q?: string;
  maxResults?: number;
  pageToken?: string;
}

/** Every call of the jobs UI, one method per route. */
export interface IJobsAPI {
  listRuns(query?: IJobRunQuery): Promise<JobRunList>;
  getRun(id: number): Promise<JobRun>;
  createRun(body: JobRunIn): Promise<JobRun>;
  cancelRun(id: number): Promise<JobRun>;
  rerun(id: number, parameters: Record<string, unknown>): Promise<JobRun>;
  deleteRun(id: number): Promise<void>;
  getLog(id: number, offset: number): Promise<JobLog>;
  /** Copy the executed notebook into the server's root; its path there. */
  openOutput(id: number): Promise<string>;
  /** The address that downloads one of a run's outputs. */
  outputUrl(id: number, name: JobOutputName): string;
  listDefinitions(query?: IDefinitionQuery): Promise<JobDefinitionList>;
  getDefinition(id: number): Promise<JobDefinition>;
  createDefinition(body: JobDefinitionIn): Promise<JobDefinition>;
  updateDefinition(
    id: number,
    patch: JobDefinitionPatch
  ): Promise<JobDefinition>;
  deleteDefinition(id: number): Promise<void>;
  pauseDefinition(id: number): Promise<JobDefinition>;
  resumeDefinition(id: number): Promise<JobDefinition>;
  runDefinition(
    id: number,
    parameters: Record<string, unknown>
  ): Promise<JobRun>;
  inspectNotebook(path: string): Promise<NotebookInfo>;
  previewSchedule(
    cron: string,
    timezone: string,
    count?: number
  ): Promise<SchedulePreview>;
  getSummary(): Promise<JobsSummary>;
}

/** The typed client of the jobs routes (openapi-fetch over the generated `paths`). */
export class JobsAPI implements IJobsAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._settings = settings;
    this._client = createStudioClient(settings);
  }

  listRuns(query: IJobRunQuery = {}): Promise<JobRunList> {
    return unwrap(
      this._client.GET('/studio/api/jobs/runs', {
        params: {
          query: {
            definition_id: query.definitionId,
            status: query.status,
            max_results: query.maxResults,
            page_token: query.pageToken
          }
        }
      })
    );
  }

  getRun(id: number): Promise<JobRun> {
    return unwrap(
      this._client.GET('/studio/api/jobs/runs/{job_run_id}', {
        params: { path: { job_run_id: id } }
      })
    );
  }

  createRun(body: JobRunIn): Promise<JobRun> {
    return unwrap(this._client.POST('/studio/api/jobs/runs', { body }));
  }

  cancelRun(id: number): Promise<JobRun> {
    return unwrap(
      this._client.POST('/studio/api/jobs/runs/{job_run_id}/cancel', {
        params: { path: { job_run_id: id } }
      })
    );
  }

  rerun(id: number, parameters: Record<string, unknown>): Promise<JobRun> {
    return unwrap(
      this._client.POST('/studio/api/jobs/runs/{job_run_id}/rerun', {
        params: { path: { job_run_id: id } },
        body: { parameters }
      })
    );
  }

  async deleteRun(id: number): Promise<void> {
    await unwrap(
      this._client.DELETE('/studio/api/jobs/runs/{job_run_id}', {
        params: { path: { job_run_id: id } }
      })
    );
  }

  getLog(id: number, offset: number): Promise<JobLog> {
    return unwrap(
      this._client.GET('/studio/api/jobs/runs/{job_run_id}/log', {
        params: { path: { job_run_id: id }, query: { offset } }
      })
    );
  }

  async openOutput(id: number): Promise<string> {
    const answer = await unwrap(
      this._client.POST('/studio/api/jobs/runs/{job_run_id}/outputs/open', {
        params: { path: { job_run_id: id } }
      })
    );
    return answer.path;
  }

  outputUrl(id: number, name: JobOutputName): string {
    return apiUrl(
      '/studio/api/jobs/runs/{job_run_id}/outputs/{name}',
      { path: { job_run_id: id, name } },
      this._settings
    );
  }

  listDefinitions(query: IDefinitionQuery = {}): Promise<JobDefinitionList> {
    return unwrap(
      this._client.GET('/studio/api/jobs/definitions', {
        params: {
          query: {
            active: query.active,
            q: query.q,
            max_results: query.maxResults,
            page_token: query.pageToken
          }
        }
      })
    );
  }

  getDefinition(id: number): Promise<JobDefinition> {
    return unwrap(
      this._client.GET('/studio/api/jobs/definitions/{definition_id}', {
        params: { path: { definition_id: id } }
      })
    );
  }

  createDefinition(body: JobDefinitionIn): Promise<JobDefinition> {
    return unwrap(this._client.POST('/studio/api/jobs/definitions', { body }));
  }

  updateDefinition(
    id: number,
    patch: JobDefinitionPatch
  ): Promise<JobDefinition> {
    return unwrap(
      this._client.PATCH('/studio/api/jobs/definitions/{definition_id}', {
        params: { path: { definition_id: id } },
        body: patch
      })
    );
  }

  async deleteDefinition(id: number): Promise<void> {
    await unwrap(
      this._client.DELETE('/studio/api/jobs/definitions/{definition_id}', {
        params: { path: { definition_id: id } }
      })
    );
  }

  pauseDefinition(id: number): Promise<JobDefinition> {
    return unwrap(
      this._client.POST('/studio/api/jobs/definitions/{definition_id}/pause', {
        params: { path: { definition_id: id } }
      })
    );
  }

  resumeDefinition(id: number): Promise<JobDefinition> {
    return unwrap(
      this._client.POST('/studio/api/jobs/definitions/{definition_id}/resume', {
        params: { path: { definition_id: id } }
      })
    );
  }

  runDefinition(
    id: number,
    parameters: Record<string, unknown>
  ): Promise<JobRun> {
    return unwrap(
      this._client.POST('/studio/api/jobs/definitions/{definition_id}/runs', {
        params: { path: { definition_id: id } },
        body: { parameters }
      })
    );
  }

  inspectNotebook(path: string): Promise<NotebookInfo> {
    return unwrap(
      this._client.GET('/studio/api/jobs/notebook', {
        params: { query: { path } }
      })
    );
  }

  previewSchedule(
    cron: string,
    timezone: string,
    count = 5
  ): Promise<SchedulePreview> {
    return unwrap(
      this._client.GET('/studio/api/jobs/schedule', {
        params: { query: { cron, timezone, count } }
      })
    );
  }

  getSummary(): Promise<JobsSummary> {
    return unwrap(this._client.GET('/studio/api/jobs/summary', {}));
  }

  private readonly _settings: ServerConnection.ISettings;
  private readonly _client: StudioClient;
}
