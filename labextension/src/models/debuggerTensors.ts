/**
 * The Debugger tab's pure parts: tensors grouped by module or collection, the series keys of
 * statistics, the zoom around a finding's step, and the statistics route read as the metric
 * history route the chart zoom (ChartZooms) fetches from.
 */
import type { Finding, IDebuggerAPI, TensorInfo } from '../api/debugger';
import type { IStepRange } from '../api/tracking';
import { MetricHistory, toNumber } from '../api/types';
import type { IMetricSeries } from './runModel';
import type { IStepSpan, IZoomAPI } from './zoom';

/** The zoom's key of the one statistic chart. */
export const CHART_KEY = 'stat';

/** The zoom around a finding's step: this share of the steps drawn on each side, at least… */
const FOCUS_SHARE = 0.1;
/** …this many steps. */
const FOCUS_MIN_HALF_WIDTH = 5;

export type TensorGrouping = 'module' | 'collection';

/** Tensors under one module or collection name. */
export interface ITensorGroup {
  name: string;
  tensors: TensorInfo[];
}

/** The line of one tensor's statistic: its id (the series key) names it in the zoom. */
export interface IStatLine extends IMetricSeries {
  tensor: string;
}

/** The series key of a statistic, as the server stores it ("train/gradients/fc1.weight/l2"). */
export function statKey(mode: string, tensor: string, stat: string): string {
  return `${mode}/${tensor}/${stat}`;
}

/** (mode, tensor, stat) of a series key: it splits at its first and last '/'. */
export function parseStatKey(key: string): [string, string, string] {
  const first = key.indexOf('/');
  const last = key.lastIndexOf('/');
  return [key.slice(0, first), key.slice(first + 1, last), key.slice(last + 1)];
}

/** The tensors whose name holds `filter` (case-insensitive), grouped and sorted by name. */
export function groupTensors(
  tensors: readonly TensorInfo[],
  grouping: TensorGrouping,
  filter = ''
): ITensorGroup[] {
  const needle = filter.trim().toLowerCase();
  const groups = new Map<string, TensorInfo[]>();
  for (const tensor of tensors) {
    if (needle && !tensor.name.toLowerCase().includes(needle)) {
      continue;
    }
    const name =
      (grouping === 'module' ? tensor.module : tensor.collection) || '—';
    groups.set(name, [...(groups.get(name) ?? []), tensor]);
  }
  return [...groups.keys()].sort().map(name => ({
    name,
    tensors: groups.get(name)!.sort((a, b) => a.name.localeCompare(b.name))
  }));
}

/** The step range a zoom around `step` covers, given the steps drawn. */
export function focusRange(step: number, steps: readonly number[]): IStepSpan {
  const first = steps.length ? Math.min(steps[0], step) : step;
  const last = steps.length ? Math.max(steps[steps.length - 1], step) : step;
  const half = Math.max(
    FOCUS_MIN_HALF_WIDTH,
    Math.round((last - first) * FOCUS_SHARE)
  );
  return { min: Math.max(0, step - half), max: step + half };
}

/** The line of a statistic as loaded, or the server's message when it could not be. */
export function statLine(
  key: string,
  tensor: string,
  history: MetricHistory | null,
  error: string | null = null
): IStatLine {
  return {
    key,
    tensor,
    steps: history?.steps ?? [],
    timestamps: history?.timestamps ?? [],
    values: history?.values.map(toNumber) ?? [],
    total: history?.total ?? 0,
    downsampled: history?.downsampled ?? false,
    error,
    pending: false
  };
}

/**
 * A run's statistics route as the zoom's history route: a line's id is its series key, so
 * that the chart's drag and a finding's step zoom the statistic lines as they zoom metrics.
 */
export function statsAsHistories(api: IDebuggerAPI, runId: string): IZoomAPI {
  return {
    getMetricHistory: async (
      key: string,
      _chart: string,
      maxPoints?: number,
      steps: IStepRange = {}
    ): Promise<MetricHistory> => {
      const [mode, tensor, stat] = parseStatKey(key);
      const answer = await api.getTensorStats(runId, {
        tensor,
        stat,
        mode,
        maxPoints,
        minStep: steps.min,
        maxStep: steps.max
      });
      const series = answer.find(
        item => item.tensor === tensor && item.stat === stat
      );
      return {
        key,
        steps: series?.steps ?? [],
        timestamps: series?.timestamps ?? [],
        values: series?.values ?? [],
        total: series?.total ?? 0,
        downsampled: series?.downsampled ?? false,
        next_page_token: null
      };
    }
  };
}

/** The statistic a finding's values name ({"nan": 3} shows the NaN count), if the tensor has it. */
export function statOfFinding(
  finding: Finding,
  tensor: TensorInfo | undefined
): string | undefined {
  const stats: readonly string[] = tensor?.stats ?? [];
  return Object.keys(finding.values).find(key => stats.includes(key));
}
