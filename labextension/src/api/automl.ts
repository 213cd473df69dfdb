/**
 * AutoML's wire models and every call its dialog and panel make: start a search as a notebook
 * job, list the searches, read one with its leaderboard. The only place that calls the AutoML
 * routes.
 */
import { ServerConnection } from '@jupyterlab/services';

import { createStudioClient, StudioClient, unwrap } from '../handler';
import type { JobRun } from './jobs';
import { besideData } from './training';
import type { components } from './schema';

type Schemas = components['schemas'];

/** One search: its parent run's phase, budget, best candidate and registered model. */
export type AutoML = Schemas['AutoMLOut'];
/** A search with its leaderboard (ranked candidates first, then pruned and failed ones). */
export type AutoMLDetail = Schemas['AutoMLDetailOut'];
export type Candidate = Schemas['CandidateOut'];
export type AutoMLPhase = AutoML['phase'];
export type AutoMLRequest = Schemas['AutoMLIn'];

/** The metrics a search can rank on (studio/evaluation/metrics.py), by kind of task. */
export const CLASSIFICATION_METRICS = [
  'accuracy',
  'balanced_accuracy',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'precision_weighted',
  'recall_weighted',
  'f1_weighted',
  'roc_auc',
  'log_loss'
] as const;
export const REGRESSION_METRICS = ['mae', 'rmse', 'r2', 'mape'] as const;

/** The notebook calling `studio.automl` that an AutoML job runs a copy of. */
export function automlTemplatePath(path: string): string {
  return besideData(path, '.automl.ipynb');
}

export interface IAutoMLQuery {
  experimentId?: number;
  maxResults?: number;
}

/** Every call of the AutoML UI, one method per route. */
export interface IAutoMLAPI {
  /** Write `<stem>.automl.ipynb` beside the data and run it as a job. */
  start(body: AutoMLRequest): Promise<JobRun>;
  /** The searches, newest first. */
  list(query?: IAutoMLQuery): Promise<AutoML[]>;
  get(runId: string): Promise<AutoMLDetail>;
}

/** The typed client of the AutoML routes (openapi-fetch over the generated `paths`). */
export class AutoMLAPI implements IAutoMLAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._client = createStudioClient(settings);
  }

  start(body: AutoMLRequest): Promise<JobRun> {
    return unwrap(this._client.POST('/studio/api/automl', { body }));
  }

  async list(query: IAutoMLQuery = {}): Promise<AutoML[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/automl', {
        params: {
          query: {
            experiment_id: query.experimentId,
            max_results: query.maxResults
          }
        }
      })
    );
    return answer.automls;
  }

  get(runId: string): Promise<AutoMLDetail> {
    return unwrap(
      this._client.GET('/studio/api/automl/{run_id}', {
        params: { path: { run_id: runId } }
      })
    );
  }

  private readonly _client: StudioClient;
}
