/**
 * Built-in algorithms' wire models and every call the "Train a model" dialog makes: the
 * catalogue, a data file's columns, and training as a notebook job. The only place that calls
 * the training routes.
 */
import { ServerConnection } from '@jupyterlab/services';

import { createStudioClient, StudioClient, unwrap } from '../handler';
import type { JobRun } from './jobs';
import type { components } from './schema';

type Schemas = components['schemas'];

/** A catalogue entry: the algorithm, the tasks it serves, its hyperparameters. */
export type Algorithm = Schemas['AlgorithmOut'];
export type Hyperparameter = Schemas['HyperparameterOut'];
export type HyperparameterValue = Hyperparameter['default'];
/** A CSV or Parquet file's columns, a preview, and the task its target implies. */
export type Dataset = Schemas['DatasetOut'];
export type DatasetColumn = Schemas['ColumnOut'];
export type Task = NonNullable<Dataset['task']>;
export type TrainRequest = Schemas['TrainIn'];
export type Validation = Schemas['ValidationIn'];

/** The data files training and AutoML read. */
export const DATA_FILE = /\.(csv|parquet)$/i;

/**
 * A notebook the server writes beside a data file (studio/evaluation): `<stem><suffix>` in the
 * file's folder, e.g. `data/fish.train-ridge.ipynb` for `data/fish.csv`.
 */
export function besideData(path: string, suffix: string): string {
  const slash = path.lastIndexOf('/');
  const file = path.slice(slash + 1).replace(DATA_FILE, '');
  return `${path.slice(0, slash + 1)}${file}${suffix}`;
}

/** The template notebook a training job runs a copy of, which the user may open and edit. */
export function trainTemplatePath(path: string, algorithm: string): string {
  return besideData(path, `.train-${algorithm}.ipynb`);
}

/** Every call of the training UI, one method per route. */
export interface ITrainingAPI {
  /** The installed algorithms (for one task, when given). */
  listAlgorithms(task?: Task): Promise<Algorithm[]>;
  /** A data file's columns and preview; with a target, the task and classes it implies. */
  inspectDataset(path: string, target?: string | null): Promise<Dataset>;
  /** Write the template notebook beside the data and run it as a job. */
  train(body: TrainRequest): Promise<JobRun>;
}

/** The typed client of the training routes (openapi-fetch over the generated `paths`). */
export class TrainingAPI implements ITrainingAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._client = createStudioClient(settings);
  }

  async listAlgorithms(task?: Task): Promise<Algorithm[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/algorithms', {
        params: { query: { task } }
      })
    );
    return answer.algorithms;
  }

  inspectDataset(path: string, target: string | null = null): Promise<Dataset> {
    return unwrap(
      this._client.POST('/studio/api/datasets/inspect', {
        body: { path, target: target || null }
      })
    );
  }

  train(body: TrainRequest): Promise<JobRun> {
    return unwrap(this._client.POST('/studio/api/training', { body }));
  }

  private readonly _client: StudioClient;
}
