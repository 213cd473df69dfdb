/**
 * A debugger API in memory, answering in the routes' JSON shapes, that records its calls; and
 * a run's debugger data as the server keeps it: tensors of two modules, a fired rule.
 */
import { Signal } from '@lumino/signaling';

import type {
  Alert,
  DebuggerMode,
  DebuggerStat,
  AlertList,
  IDebuggerAPI,
  Finding,
  IHistogramQuery,
  Histograms,
  RuleState,
  IStatQuery,
  StatSeries,
  TensorInfo,
  TensorList
} from '../api/debugger';
import { DEFAULT_SETTINGS, ISettingsHolder, IStudioSettings } from '../tokens';

const STATS: DebuggerStat[] = [
  'count',
  'mean',
  'std',
  'min',
  'max',
  'l1',
  'l2',
  'zeros',
  'nan',
  'inf'
];

export function tensor(
  name: string,
  change: Partial<TensorInfo> = {}
): TensorInfo {
  const [collection, rest] = name.split('/');
  return {
    name,
    mode: 'train',
    collection,
    module: rest.replace(/\.(weight|bias)$/, ''),
    stats: STATS,
    histogram: collection === 'gradients',
    vectors: [],
    ...change
  };
}

export const TENSORS: TensorInfo[] = [
  tensor('weights/fc1.weight'),
  tensor('gradients/fc1.weight'),
  tensor('weights/fc2.weight'),
  tensor('gradients/fc2.weight'),
  tensor('losses/loss', { module: '' }),
  tensor('weights/fc1.weight', { mode: 'eval' })
];

export function finding(id: number, change: Partial<Finding> = {}): Finding {
  return {
    id,
    rule: 'ExplodingTensor',
    step: 40,
    mode: 'train',
    tensors: ['gradients/fc2.weight'],
    message: 'gradients/fc2.weight has NaN values',
    values: { nan: 3 },
    created_at: 1_700_000_000_000 + id,
    ...change
  };
}

export const RULES: RuleState[] = [
  {
    rule: 'ExplodingTensor',
    status: 'firing',
    parameters: { only_nan: false },
    last_step: 90,
    findings: 1,
    updated_at: 1
  },
  {
    rule: 'VanishingGradient',
    status: 'ok',
    parameters: { threshold: 1e-7 },
    last_step: 90,
    findings: 0,
    updated_at: 1
  },
  {
    rule: 'StalledTraining',
    status: 'not_evaluated',
    parameters: {},
    last_step: null,
    findings: 0,
    updated_at: null
  }
];

/** A statistic over steps 0, 10, …, 90 (or those in the range asked). */
function series(query: IStatQuery, lastStep: number): StatSeries {
  const steps: number[] = [];
  for (let step = 0; step <= lastStep; step += 10) {
    if (
      (query.minStep === undefined || step >= query.minStep) &&
      (query.maxStep === undefined || step <= query.maxStep)
    ) {
      steps.push(step);
    }
  }
  return {
    tensor: query.tensor,
    mode: query.mode as DebuggerMode,
    stat: query.stat as DebuggerStat,
    steps,
    timestamps: steps.map(step => 1000 + step),
    values: steps.map(step => (step === 40 ? 'NaN' : step / 10)),
    total: steps.length,
    downsampled: false
  };
}

/** Two bins from -1 to 1, at three steps. */
export function histograms(
  tensor: string,
  mode: DebuggerMode = 'train'
): Histograms {
  return {
    tensor,
    mode,
    edges: [-1, 0, 1],
    steps: [0, 10, 20],
    counts: [
      [1, 2],
      [3, 4],
      [5, 6]
    ],
    total_steps: 3
  };
}

export class FakeDebuggerAPI implements IDebuggerAPI {
  tensors: TensorInfo[] = [...TENSORS];
  rules: RuleState[] = RULES;
  findings: Finding[] = [finding(7)];
  alerts: Alert[] = [];
  lastStep = 90;
  calls: string[] = [];
  statQueries: IStatQuery[] = [];
  histogramQueries: IHistogramQuery[] = [];

  async listTensors(runId: string): Promise<TensorList> {
    this.calls.push(`tensors ${runId}`);
    return {
      tensors: this.tensors,
      modes: [...new Set(this.tensors.map(t => t.mode))],
      scalars: []
    };
  }
  async getTensorStats(
    runId: string,
    query: IStatQuery
  ): Promise<StatSeries[]> {
    this.calls.push(`stats ${query.mode}/${query.tensor}/${query.stat}`);
    this.statQueries.push(query);
    return [series(query, this.lastStep)];
  }
  async getHistograms(
    runId: string,
    query: IHistogramQuery
  ): Promise<Histograms> {
    this.calls.push(`histograms ${query.tensor}`);
    this.histogramQueries.push(query);
    return histograms(query.tensor, query.mode as DebuggerMode);
  }
  async getFindings(runId: string): Promise<Finding[]> {
    this.calls.push(`findings ${runId}`);
    return this.findings;
  }
  async getRules(runId: string): Promise<RuleState[]> {
    this.calls.push(`rules ${runId}`);
    return this.rules;
  }
  async getAlerts(
    afterId?: number | null,
    maxResults?: number
  ): Promise<AlertList> {
    this.calls.push(`alerts ${afterId ?? 'none'} ${maxResults}`);
    const found = this.alerts
      .filter(
        alert => afterId === null || afterId === undefined || alert.id > afterId
      )
      .sort((a, b) => b.id - a.id)
      .slice(0, maxResults);
    const newest = Math.max(...this.alerts.map(alert => alert.id));
    return {
      alerts: found,
      last_id: this.alerts.length ? newest : (afterId ?? null)
    };
  }
}

export function alert(id: number, change: Partial<Alert> = {}): Alert {
  return {
    ...finding(id),
    run_id: `run-${id}`,
    run_name: `training-${id}`,
    experiment_id: 1,
    ...change
  };
}

export class FakeSettings implements ISettingsHolder {
  constructor(public current: IStudioSettings) {}
  readonly changed: Signal<ISettingsHolder, IStudioSettings> = new Signal(this);
}

export function settingsHolder(
  change: Partial<IStudioSettings> = {}
): FakeSettings {
  return new FakeSettings({ ...DEFAULT_SETTINGS, ...change });
}
