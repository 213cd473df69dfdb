/** Runs and a fake tracking API for the compare panel's tests. */
import type { ISearchRunsOptions, IStepRange } from '../api/tracking';
import type {
  Artifact,
  MetricHistory,
  MetricSummary,
  Run,
  RunList,
  RunStatus
} from '../api/types';
import { StudioRequestError } from '../handler';
import type { ICompareAPI } from '../models/compareModel';

export function summary(key: string, values: number[]): MetricSummary {
  return {
    key,
    count: values.length,
    last: values[values.length - 1],
    last_step: values.length - 1,
    last_timestamp: 1_700_000_000_000 + values.length,
    min: Math.min(...values),
    max: Math.max(...values)
  };
}

export function makeRun(
  id: string,
  params: Record<string, string>,
  metrics: Record<string, number[]>,
  status: RunStatus = 'FINISHED'
): Run {
  return {
    id,
    name: `run-${id}`,
    experiment_id: 1,
    status,
    start_time: 1_700_000_000_000,
    end_time: status === 'RUNNING' ? null : 1_700_000_100_000,
    duration_ms: status === 'RUNNING' ? null : 100_000,
    artifact_uri: '',
    parent_run_id: null,
    source: null,
    tags: {},
    params,
    metrics: Object.fromEntries(
      Object.entries(metrics).map(([k, v]) => [k, summary(k, v)])
    )
  };
}

/** Three runs: lr and max_depth differ, seed is the same, "solver" only in two of them. */
export function threeRuns(): Run[] {
  return [
    makeRun(
      'a',
      { lr: '0.1', max_depth: '3', seed: '42', solver: 'adam' },
      { accuracy: [0.5, 0.7, 0.8], loss: [1.0, 0.6, 0.4], test_score: [0.75] }
    ),
    makeRun(
      'b',
      { lr: '0.01', max_depth: '5', seed: '42', solver: 'sgd' },
      { accuracy: [0.6, 0.9, 0.85], loss: [0.9, 0.3, 0.35], test_score: [0.8] }
    ),
    makeRun(
      'c',
      { lr: '0.001', max_depth: 'None', seed: '42' },
      { accuracy: [0.4, 0.5, 0.6], loss: [1.2, 1.0, 0.9] }
    )
  ];
}

/** A fake of the tracking API that serves `runs` and records the calls. */
export class FakeAPI implements ICompareAPI {
  constructor(runs: Run[]) {
    runs.forEach(run => this.runs.set(run.id, run));
  }

  runs = new Map<string, Run>();
  /** Full histories by `${runId}/${key}`; default: the summary's count of points 0, 1, 2... */
  values = new Map<string, (number | 'NaN')[]>();
  getRunCalls: string[] = [];
  historyCalls: {
    runId: string;
    key: string;
    maxPoints?: number;
    steps?: IStepRange;
  }[] = [];

  async getRun(runId: string): Promise<Run> {
    this.getRunCalls.push(runId);
    const run = this.runs.get(runId);
    if (!run) {
      throw new StudioRequestError(404, `Run '${runId}' does not exist.`);
    }
    return JSON.parse(JSON.stringify(run)) as Run;
  }

  async getMetricHistory(
    runId: string,
    key: string,
    maxPoints?: number,
    steps?: IStepRange
  ): Promise<MetricHistory> {
    this.historyCalls.push(
      steps ? { runId, key, maxPoints, steps } : { runId, key, maxPoints }
    );
    const count = this.runs.get(runId)!.metrics[key].count;
    const values =
      this.values.get(`${runId}/${key}`) ??
      Array.from({ length: count }, (_, i) => i);
    return {
      key,
      downsampled: false,
      next_page_token: null,
      total: values.length,
      steps: values.map((_, i) => i),
      timestamps: values.map((_, i) => 1_700_000_000_000 + i * 1000),
      values
    };
  }
}

/** The compare panel's fake, plus what a run panel also asks for (no children, no artifacts). */
export class RunPanelAPI extends FakeAPI {
  async searchRuns(_options: ISearchRunsOptions): Promise<RunList> {
    return { runs: [], total: 0, next_page_token: null, tree: null };
  }
  async listArtifacts(
    _runId: string,
    path = ''
  ): Promise<{ path: string; artifacts: Artifact[] }> {
    return { path, artifacts: [] };
  }
}
