/**
 * Pure helpers of the compare panel: per-run statistics, the best run of a metric, and the
 * values of params and metrics as chart axes.
 */
import { Run, toNumber } from '../../api/types';
import { Direction, guessDirection } from '../../metricDirection';
import { formatNumber } from '../runCells';

/**
 * The metric to show first where one is chosen for the user: the first that is better high
 * (a score or an accuracy, rather than a time or a rank), else the first.
 */
export function preferredMetric(metricKeys: string[]): string | undefined {
  return metricKeys.find(key => guessDirection(key) === 'max') ?? metricKeys[0];
}

/** A run's statistics of one metric, as the server summarises it: last, min and max. */
export interface IMetricStats {
  last: number;
  min: number;
  max: number;
}

export function metricStats(run: Run, key: string): IMetricStats | null {
  const summary = run.metrics[key];
  if (!summary) {
    return null;
  }
  return {
    last: toNumber(summary.last),
    min: toNumber(summary.min),
    max: toNumber(summary.max)
  };
}

/**
 * The run whose value of `key` is best in `direction` (its min where lower is better, its max
 * where higher is), or null when no run has a comparable value.
 */
export function bestRunId(
  runs: Run[],
  key: string,
  direction: Direction
): string | null {
  let bestId: string | null = null;
  let bestValue = NaN;
  for (const run of runs) {
    const value = metricStats(run, key)?.[direction] ?? NaN;
    if (Number.isNaN(value)) {
      continue;
    }
    if (
      bestId === null ||
      (direction === 'max' ? value > bestValue : value < bestValue)
    ) {
      bestId = run.id;
      bestValue = value;
    }
  }
  return bestId;
}

/** A metric value as the runs table writes it, or a dash where a run has none. */
export function formatValue(value: number | undefined | null): string {
  return value === undefined || value === null ? '—' : formatNumber(value);
}

/** A param as a string is numeric when it reads as a finite number. */
function asNumber(text: string): number | null {
  if (text.trim() === '') {
    return null;
  }
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Values of one param or metric across runs, as a chart axis. */
export interface IAxis {
  /** "params.<key>" or "metrics.<key>". */
  id: string;
  label: string;
  /** One value per run; NaN where the run has none. */
  values: number[];
  /** Set for categorical axes: the category of each position. */
  categories?: string[];
}

/** The text shown where a run has no value for a categorical axis. */
export const MISSING = '(none)';

/** A param across runs: numeric when every run has a number, else categorical (sorted). */
export function paramAxis(runs: Run[], key: string): IAxis {
  const texts = runs.map(run => run.params[key]);
  const numbers = texts.map(text =>
    text === undefined ? null : asNumber(text)
  );
  const id = `params.${key}`;
  if (numbers.every(value => value !== null)) {
    return { id, label: key, values: numbers as number[] };
  }
  const shown = texts.map(text => text ?? MISSING);
  const categories = [...new Set(shown)].sort(compareMixed);
  return {
    id,
    label: key,
    values: shown.map(text => categories.indexOf(text)),
    categories
  };
}

/** A metric's last value across runs (NaN where a run has none). */
export function metricAxis(runs: Run[], key: string): IAxis {
  return {
    id: `metrics.${key}`,
    label: key,
    values: runs.map(run => toNumber(run.metrics[key]?.last))
  };
}

/** The axis an id ("params.x" / "metrics.y") names. */
export function axisById(runs: Run[], id: string): IAxis | null {
  if (id.startsWith('params.')) {
    return paramAxis(runs, id.slice('params.'.length));
  }
  if (id.startsWith('metrics.')) {
    return metricAxis(runs, id.slice('metrics.'.length));
  }
  return null;
}

/** Numbers in numeric order, then text in alphabetical order. */
function compareMixed(a: string, b: string): number {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== null && y !== null) {
    return x - y;
  }
  if (x !== null || y !== null) {
    return x !== null ? -1 : 1;
  }
  return a.localeCompare(b);
}
