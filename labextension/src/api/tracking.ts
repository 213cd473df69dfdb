/**
 * Typed client of the experiment-tracking REST API.
 */
import { apiUrl, requestAPI, requestText } from '../handler';
import type {
  ArtifactList,
  Experiment,
  ExperimentList,
  MetricHistory,
  Run,
  RunList,
  RunStatus
} from './types';

export interface ISearchRunsOptions {
  experimentIds?: number[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string | null;
  parentRunId?: string;
  includeTotal?: boolean;
}

/** Every call the panels make, one method per route. */
export class TrackingAPI {
  /** Every experiment: the server answers in pages, followed here. */
  async listExperiments(
    options: { includeArchived?: boolean; name?: string } = {}
  ): Promise<Experiment[]> {
    const experiments: Experiment[] = [];
    let pageToken: string | undefined;
    do {
      const answer = await requestAPI<ExperimentList>('experiments', {
        query: {
          include_archived: options.includeArchived ? 'true' : undefined,
          name: options.name,
          page_token: pageToken
        }
      });
      experiments.push(...answer.experiments);
      pageToken = answer.next_page_token ?? undefined;
    } while (pageToken);
    return experiments;
  }

  getExperiment(id: number): Promise<Experiment> {
    return requestAPI<Experiment>(`experiments/${id}`);
  }

  updateExperiment(
    id: number,
    change: { name?: string; description?: string; archived?: boolean }
  ): Promise<Experiment> {
    return requestAPI<Experiment>(`experiments/${id}`, {
      method: 'PATCH',
      body: JSON.stringify(change)
    });
  }

  /** Delete an experiment with its runs and their artifacts. */
  async deleteExperiment(experimentId: number): Promise<void> {
    await requestAPI<void>(`experiments/${experimentId}`, {
      method: 'DELETE'
    });
  }

  searchRuns(options: ISearchRunsOptions = {}): Promise<RunList> {
    return requestAPI<RunList>('runs/search', {
      method: 'POST',
      body: JSON.stringify({
        experiment_ids: options.experimentIds ?? null,
        filter: options.filter || null,
        order_by: options.orderBy ?? [],
        max_results: options.maxResults ?? 100,
        page_token: options.pageToken ?? null,
        parent_run_id: options.parentRunId ?? null,
        include_total: options.includeTotal ?? false
      })
    });
  }

  getRun(runId: string): Promise<Run> {
    return requestAPI<Run>(`runs/${encodeURIComponent(runId)}`);
  }

  updateRun(
    runId: string,
    change: { name?: string; status?: RunStatus }
  ): Promise<Run> {
    return requestAPI<Run>(`runs/${encodeURIComponent(runId)}`, {
      method: 'PATCH',
      body: JSON.stringify(change)
    });
  }

  /** Delete a run, its child runs and their artifacts. */
  async deleteRun(runId: string): Promise<void> {
    await requestAPI<void>(`runs/${encodeURIComponent(runId)}`, {
      method: 'DELETE'
    });
  }

  /** At most `maxPoints` points that keep the extremes, or (left out) every point: the
   * server answers a full history in pages, joined here. */
  async getMetricHistory(
    runId: string,
    key: string,
    maxPoints?: number
  ): Promise<MetricHistory> {
    const route = `runs/${encodeURIComponent(runId)}/metrics/history`;
    const first = await requestAPI<MetricHistory>(route, {
      query: { key, max_points: maxPoints }
    });
    let page = first;
    while (page.next_page_token) {
      page = await requestAPI<MetricHistory>(route, {
        query: { key, page_token: page.next_page_token }
      });
      first.steps.push(...page.steps);
      first.timestamps.push(...page.timestamps);
      first.values.push(...page.values);
    }
    return { ...first, total: page.total, next_page_token: null };
  }

  listArtifacts(runId: string, path = ''): Promise<ArtifactList> {
    return requestAPI<ArtifactList>(
      `runs/${encodeURIComponent(runId)}/artifacts`,
      {
        query: { path }
      }
    );
  }

  /** The URL that downloads an artifact file (the browser sends the session's cookie). */
  artifactUrl(runId: string, path: string): string {
    return apiUrl(`runs/${encodeURIComponent(runId)}/artifacts/content`, {
      path
    });
  }

  /** An artifact's content as text (for opening text files and notebooks in JupyterLab). */
  artifactText(runId: string, path: string): Promise<string> {
    return requestText(`runs/${encodeURIComponent(runId)}/artifacts/content`, {
      path
    });
  }
}
