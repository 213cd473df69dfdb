/**
 * Typed client of the experiment-tracking REST API.
 *
 * Paths, query parameters and bodies are checked against the generated `paths`, so a wire
 * model that renames a field breaks the build here rather than a panel at run time.
 */
import { ServerConnection } from '@jupyterlab/services';

import { apiUrl, createStudioClient, StudioClient, unwrap } from '../handler';
import type {
  ArtifactList,
  Experiment,
  ExperimentChange,
  MetricHistory,
  Run,
  RunChange,
  RunList
} from './types';

export interface ISearchRunsOptions {
  experimentIds?: number[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string | null;
  /** Start after this many runs (a table jumping to any row); not with pageToken. */
  offset?: number;
  parentRunId?: string;
  includeTotal?: boolean;
  /** One level of the run tree, with each run's `tree` entry (see RunSearchIn.tree). */
  tree?: boolean;
}

/** A range of steps, both ends included; an end left out is open. */
export interface IStepRange {
  min?: number;
  max?: number;
}

const ARTIFACT_CONTENT = '/studio/api/runs/{run_id}/artifacts/content';

/** Every call the panels make, one method per route. */
export class TrackingAPI {
  constructor(
    private readonly _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._client = createStudioClient(_settings);
  }

  /** Every experiment: the server answers in pages, followed here. */
  async listExperiments(
    options: { includeArchived?: boolean; name?: string } = {}
  ): Promise<Experiment[]> {
    const experiments: Experiment[] = [];
    let pageToken: string | undefined;
    do {
      const answer = await unwrap(
        this._client.GET('/studio/api/experiments', {
          params: {
            query: {
              include_archived: options.includeArchived || undefined,
              name: options.name || undefined,
              page_token: pageToken
            }
          }
        })
      );
      experiments.push(...answer.experiments);
      pageToken = answer.next_page_token ?? undefined;
    } while (pageToken);
    return experiments;
  }

  getExperiment(id: number): Promise<Experiment> {
    return unwrap(
      this._client.GET('/studio/api/experiments/{experiment_id}', {
        params: { path: { experiment_id: id } }
      })
    );
  }

  /** Fields left out are kept (the server reads null as "unchanged"). */
  updateExperiment(id: number, change: ExperimentChange): Promise<Experiment> {
    return unwrap(
      this._client.PATCH('/studio/api/experiments/{experiment_id}', {
        params: { path: { experiment_id: id } },
        body: {
          name: null,
          description: null,
          tags: null,
          archived: null,
          ...change
        }
      })
    );
  }

  /** Deletes the experiment with its runs and their artifacts. */
  async deleteExperiment(experimentId: number): Promise<void> {
    await unwrap(
      this._client.DELETE('/studio/api/experiments/{experiment_id}', {
        params: { path: { experiment_id: experimentId } }
      })
    );
  }

  searchRuns(options: ISearchRunsOptions = {}): Promise<RunList> {
    return unwrap(
      this._client.POST('/studio/api/runs/search', {
        body: {
          experiment_ids: options.experimentIds ?? null,
          filter: options.filter || null,
          order_by: options.orderBy ?? [],
          max_results: options.maxResults ?? 100,
          page_token: options.pageToken ?? null,
          offset: options.offset ?? null,
          parent_run_id: options.parentRunId ?? null,
          include_total: options.includeTotal ?? false,
          tree: options.tree ?? false
        }
      })
    );
  }

  getRun(runId: string): Promise<Run> {
    return unwrap(
      this._client.GET('/studio/api/runs/{run_id}', {
        params: { path: { run_id: runId } }
      })
    );
  }

  /** Fields left out are kept (the server reads null as "unchanged"). */
  updateRun(runId: string, change: RunChange): Promise<Run> {
    return unwrap(
      this._client.PATCH('/studio/api/runs/{run_id}', {
        params: { path: { run_id: runId } },
        body: { name: null, status: null, end_time: null, ...change }
      })
    );
  }

  /** Deletes the run, its child runs and their artifacts. */
  async deleteRun(runId: string): Promise<void> {
    await unwrap(
      this._client.DELETE('/studio/api/runs/{run_id}', {
        params: { path: { run_id: runId } }
      })
    );
  }

  /** At most `maxPoints` points that keep the extremes, or (left out) every point: the
   * server answers a full history in pages, joined here. `steps` keeps the points whose steps
   * lie in that range (both ends included; an end left out is open). */
  async getMetricHistory(
    runId: string,
    key: string,
    maxPoints?: number,
    steps: IStepRange = {}
  ): Promise<MetricHistory> {
    const range = { min_step: steps.min, max_step: steps.max };
    const page = (query: { max_points?: number; page_token?: string }) =>
      unwrap(
        this._client.GET('/studio/api/runs/{run_id}/metrics/history', {
          params: {
            path: { run_id: runId },
            query: { key, ...range, ...query }
          }
        })
      );
    const first = await page({ max_points: maxPoints });
    let last = first;
    while (last.next_page_token) {
      last = await page({ page_token: last.next_page_token });
      first.steps.push(...last.steps);
      first.timestamps.push(...last.timestamps);
      first.values.push(...last.values);
    }
    return { ...first, total: last.total, next_page_token: null };
  }

  listArtifacts(runId: string, path = ''): Promise<ArtifactList> {
    return unwrap(
      this._client.GET('/studio/api/runs/{run_id}/artifacts', {
        params: { path: { run_id: runId }, query: { path } }
      })
    );
  }

  /** The URL that downloads an artifact file (the browser sends the session's cookie). */
  artifactUrl(runId: string, path: string): string {
    return apiUrl(
      ARTIFACT_CONTENT,
      { path: { run_id: runId }, query: { path } },
      this._settings
    );
  }

  /** An artifact's content as text (for opening text files and notebooks in JupyterLab). */
  async artifactText(runId: string, path: string): Promise<string> {
    const text = await unwrap(
      this._client.GET(ARTIFACT_CONTENT, {
        params: { path: { run_id: runId }, query: { path } },
        parseAs: 'text'
      })
    );
    return text ?? '';
  }

  private readonly _client: StudioClient;
}
