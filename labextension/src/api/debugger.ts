/**
 * The debugger's wire models and the calls the debugger panel, the alerts and the
 * notifications make (tensor statistics, histograms, rules, findings, alerts across runs).
 */
import { ServerConnection } from '@jupyterlab/services';

import { createStudioClient, StudioClient, unwrap } from '../handler';
import type { components } from './schema';

type Schemas = components['schemas'];

/** One watched tensor of a run in one mode, with what is stored of it. */
export type TensorInfo = Schemas['DebuggerTensorOut'];
export type TensorList = Schemas['DebuggerTensorsOut'];
/** One statistic of one tensor over steps (downsampled keeping extremes, like metrics). */
export type StatSeries = Schemas['DebuggerTensorSeriesOut'];
/** A tensor's histograms over steps: `counts[i]` is the histogram at `steps[i]`. */
export type Histograms = Schemas['DebuggerHistogramsOut'];
export type Finding = Schemas['DebuggerFindingOut'];
export type RuleState = Schemas['DebuggerRuleStateOut'];
/** A finding of any run, with its run's name. */
export type Alert = Schemas['DebuggerAlertOut'];
/** `last_id` is the newest finding's id: the next poll asks for those after it. */
export type AlertList = Schemas['DebuggerAlertsOut'];
export type DebuggerMode = TensorInfo['mode'];
export type DebuggerStat = StatSeries['stat'];

const MODES: readonly string[] = ['train', 'eval', 'predict'];

/** A mode the server knows (the model keeps modes as the server named them). */
function asMode(mode: string): DebuggerMode;
function asMode(mode: string | undefined): DebuggerMode | undefined;
function asMode(mode: string | undefined): DebuggerMode | undefined {
  if (mode !== undefined && !MODES.includes(mode)) {
    throw new Error(`Unknown mode "${mode}".`);
  }
  return mode as DebuggerMode | undefined;
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
  listTensors(runId: string, mode?: string): Promise<TensorList>;
  getTensorStats(runId: string, query: IStatQuery): Promise<StatSeries[]>;
  getHistograms(runId: string, query: IHistogramQuery): Promise<Histograms>;
  getFindings(runId: string, afterId?: number): Promise<Finding[]>;
  getRules(runId: string): Promise<RuleState[]>;
  getAlerts(afterId?: number | null, maxResults?: number): Promise<AlertList>;
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

  async listTensors(runId: string, mode?: string): Promise<TensorList> {
    return unwrap(
      this._client.GET('/studio/api/runs/{run_id}/debugger/tensors', {
        params: { path: { run_id: runId }, query: { mode: asMode(mode) } }
      })
    );
  }

  async getTensorStats(
    runId: string,
    query: IStatQuery
  ): Promise<StatSeries[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/runs/{run_id}/debugger/stats', {
        params: {
          path: { run_id: runId },
          query: {
            tensor: [query.tensor],
            stat: [query.stat as DebuggerStat],
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

  async getHistograms(
    runId: string,
    query: IHistogramQuery
  ): Promise<Histograms> {
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
  async getFindings(runId: string, afterId?: number): Promise<Finding[]> {
    const findings: Finding[] = [];
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

  async getRules(runId: string): Promise<RuleState[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/runs/{run_id}/debugger/rules', {
        params: { path: { run_id: runId } }
      })
    );
    return answer.rules;
  }

  getAlerts(afterId?: number | null, maxResults?: number): Promise<AlertList> {
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
