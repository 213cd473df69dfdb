/**
 * The debugger's wire models and the calls the debugger panel, the alerts and the
 * notifications make (tensor statistics, histograms, rules, findings, alerts across runs).
 */
import { ServerConnection } from '@jupyterlab/services';

import { createStudioClient, StudioClient, unwrap } from '../handler';
import type { WireNumber } from './types';

/** One watched tensor of a run in one mode, with what is stored of it. */
export interface ITensorInfo {
  name: string;
  mode: string;
  collection: string;
  module: string;
  stats: string[];
  histogram: boolean;
  vectors: string[];
}

export interface ITensorList {
  tensors: ITensorInfo[];
  modes: string[];
}

/** One statistic of one tensor over steps (downsampled keeping extremes, like metrics). */
export interface IStatSeries {
  tensor: string;
  mode: string;
  stat: string;
  steps: number[];
  timestamps: number[];
  values: WireNumber[];
  total: number;
  downsampled: boolean;
}

/** A tensor's histograms over steps: `counts[i]` is the histogram at `steps[i]`. */
export interface IHistograms {
  tensor: string;
  mode: string;
  edges: number[];
  steps: number[];
  counts: number[][];
}

export interface IFinding {
  id: number;
  rule: string;
  step: number;
  mode: string;
  tensors: string[];
  message: string;
  values: Record<string, unknown>;
  created_at: number;
}

export type RuleStatusName = 'ok' | 'firing' | 'not_evaluated';

export interface IRuleState {
  rule: string;
  status: RuleStatusName;
  parameters: Record<string, unknown>;
  last_step: number | null;
  findings: number;
  updated_at: number | null;
}

/** A finding of any run, with its run's name. */
export interface IAlert extends IFinding {
  run_id: string;
  run_name: string;
  experiment_id: number;
}

export interface IAlertList {
  alerts: IAlert[];
  /** The newest finding's id: the next poll asks for those after it. */
  last_id: number | null;
}

export interface IStatQuery {
  tensor: string;
  stat: string;
  mode: string;
  maxPoints?: number;
  minStep?: number;
  maxStep?: number;
}

export interface IHistogramQuery {
  tensor: string;
  mode: string;
  maxSteps?: number;
  minStep?: number;
  maxStep?: number;
}

/** Every call of the debugger's panel, one method per route. */
export interface IDebuggerAPI {
  listTensors(runId: string, mode?: string): Promise<ITensorList>;
  getTensorStats(runId: string, query: IStatQuery): Promise<IStatSeries[]>;
  getHistograms(runId: string, query: IHistogramQuery): Promise<IHistograms>;
  getFindings(runId: string, afterId?: number): Promise<IFinding[]>;
  getRules(runId: string): Promise<IRuleState[]>;
  getAlerts(afterId?: number | null, maxResults?: number): Promise<IAlertList>;
}

/** The largest page of findings the server answers. */
const FINDINGS_PAGE = 10000;

/** The typed client of the debugger's routes (openapi-fetch over the generated `paths`). */
export class DebuggerAPI implements IDebuggerAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._client = createStudioClient(settings);
  }

  listTensors(runId: string, mode?: string): Promise<ITensorList> {
    return unwrap(
      this._client.GET('/studio/api/runs/{run_id}/debugger/tensors', {
        params: { path: { run_id: runId }, query: { mode: asMode(mode) } }
      })
    );
  }

  async getTensorStats(
    runId: string,
    query: IStatQuery
  ): Promise<IStatSeries[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/runs/{run_id}/debugger/stats', {
        params: {
          path: { run_id: runId },
          query: {
            tensor: [query.tensor],
            stat: [query.stat as Stat],
            mode: asMode(query.mode),
            max_points: query.maxPoints,
            min_step: query.minStep,
            max_step: query.maxStep
          }
        }
      })
    );
    return answer.series;
  }

  getHistograms(runId: string, query: IHistogramQuery): Promise<IHistograms> {
    return unwrap(
      this._client.GET('/studio/api/runs/{run_id}/debugger/histograms', {
        params: {
          path: { run_id: runId },
          query: {
            tensor: query.tensor,
            mode: asMode(query.mode),
            max_steps: query.maxSteps,
            min_step: query.minStep,
            max_step: query.maxStep
          }
        }
      })
    );
  }

  /** Every finding of the run after `afterId` (all of them without), in the order recorded. */
  async getFindings(runId: string, afterId?: number): Promise<IFinding[]> {
    const findings: IFinding[] = [];
    let after = afterId;
    for (;;) {
      const page = await unwrap(
        this._client.GET('/studio/api/runs/{run_id}/debugger/findings', {
          params: {
            path: { run_id: runId },
            query: { after_id: after, max_results: FINDINGS_PAGE }
          }
        })
      );
      findings.push(...page.findings);
      if (page.findings.length < FINDINGS_PAGE) {
        return findings;
      }
      after = page.findings[page.findings.length - 1].id;
    }
  }

  async getRules(runId: string): Promise<IRuleState[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/runs/{run_id}/debugger/rules', {
        params: { path: { run_id: runId } }
      })
    );
    return answer.rules;
  }

  getAlerts(afterId?: number | null, maxResults?: number): Promise<IAlertList> {
    return unwrap(
      this._client.GET('/studio/api/debugger/alerts', {
        params: {
          query: { after_id: afterId ?? undefined, max_results: maxResults }
        }
      })
    );
  }

  private readonly _client: StudioClient;
}
