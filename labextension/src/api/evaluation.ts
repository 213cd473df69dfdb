/**
 * A run's evaluations (`studio.evaluate`'s and autolog's records under `evaluation/<label>/`)
 * and the datasets a run says it used (its `studio.datasets` tag): the only place that calls
 * the evaluation routes or reads that tag's format.
 */
import { ServerConnection } from '@jupyterlab/services';

import { createStudioClient, StudioClient, unwrap } from '../handler';
import type { components } from './schema';

type Schemas = components['schemas'];

/** One evaluation of a run: metrics beside the baseline's, folds, thresholds and figures. */
export type Evaluation = Schemas['EvaluationOut'];
/** A run's evaluations, the newest first. */
export type EvaluationList = Schemas['EvaluationsOut'];
/** A metric's threshold (the registry's gate syntax) and whether the model met it. */
export type Threshold = Schemas['ThresholdOut'];
/** One CV fold's metrics. */
export type Fold = Schemas['FoldOut'];
/** A plotly figure as stored: data and layout, without a template (the UI themes it). */
export type EvaluationFigure = Evaluation['figures'][string];

/** The evaluation routes the run panel calls. */
export interface IEvaluationAPI {
  getEvaluations(runId: string): Promise<EvaluationList>;
}

/** The typed client of the evaluation routes (openapi-fetch over the generated `paths`). */
export class EvaluationAPI implements IEvaluationAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._client = createStudioClient(settings);
  }

  getEvaluations(runId: string): Promise<EvaluationList> {
    return unwrap(
      this._client.GET('/studio/api/evaluations/{run_id}', {
        params: { path: { run_id: runId } }
      })
    );
  }

  private readonly _client: StudioClient;
}

/** The run tag that lists the datasets a run trained or was evaluated on. */
export const DATASETS_TAG = 'studio.datasets';

/** One entry of the `studio.datasets` tag (studio/tracking/datasets.py writes it). */
export interface IDatasetInput {
  name: string;
  /** 16 hex digits over a bounded sample, the shape and the dtypes. */
  digest: string;
  /** What the run did with it: "train" or "eval". */
  context: string;
  rows: number | null;
  columns: number | null;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * The datasets a run's tags list; none when the tag is absent. A tag that is not the JSON list
 * the format says (a user may set any tag) lists nothing rather than breaking the run's page.
 */
export function runDatasets(tags: Record<string, string>): IDatasetInput[] {
  const raw = tags[DATASETS_TAG];
  if (!raw) {
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) {
    return [];
  }
  return parsed
    .filter(
      (entry): entry is Record<string, unknown> =>
        typeof entry === 'object' && entry !== null
    )
    .map(entry => ({
      name: text(entry.name),
      digest: text(entry.digest),
      context: text(entry.context),
      rows: count(entry.rows),
      columns: count(entry.columns)
    }));
}
