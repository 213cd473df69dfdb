/**
 * Which param and metric columns a runs table shows when the user has not chosen: those its
 * runs actually have, and those its filter names. Pure functions, shared by the model and tests.
 */
import type { Run } from '../api/types';

/** How many metric and param columns an experiment shows by default. */
export const DEFAULT_METRIC_COLUMNS = 3;
export const DEFAULT_PARAM_COLUMNS = 2;

/**
 * The default columns for these runs: the metrics, then the params, that most of them have
 * (ties by name). A key only a few runs have (one candidate's extra score) would show a column
 * that is empty on most rows, so keys the runs share come first.
 */
export function commonColumns(
  runs: readonly Run[],
  metrics = DEFAULT_METRIC_COLUMNS,
  params = DEFAULT_PARAM_COLUMNS
): string[] {
  const counts = new Map<string, number>();
  const count = (column: string) =>
    counts.set(column, (counts.get(column) ?? 0) + 1);
  for (const run of runs) {
    Object.keys(run.metrics).forEach(key => count(`metrics.${key}`));
    Object.keys(run.params).forEach(key => count(`params.${key}`));
  }
  const ranked = [...counts.keys()].sort(
    (a, b) => counts.get(b)! - counts.get(a)! || a.localeCompare(b)
  );
  const top = (prefix: string, n: number) =>
    ranked.filter(column => column.startsWith(prefix)).slice(0, n);
  return [...top('metrics.', metrics), ...top('params.', params)];
}

/**
 * The preferred columns (settings.defaultColumns) that the runs have, in the user's order
 * (all of them while no run is known); none of them: `common`, the columns the runs share.
 */
export function defaultColumns(
  preferred: readonly string[],
  seen: ReadonlySet<string>,
  common: readonly string[]
): string[] {
  const present = seen.size
    ? preferred.filter(column => seen.has(column))
    : [...preferred];
  return present.length ? present : [...common];
}

const ENTITIES: Record<string, 'metrics' | 'params'> = {
  metric: 'metrics',
  metrics: 'metrics',
  param: 'params',
  params: 'params'
};

// The filter language's tokens (studio/tracking/search.py): quoted strings are skipped, so that
// a value that reads like a key is not taken for one.
const TOKEN =
  /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|[A-Za-z_][\w\-./:]*|\S/g;

/**
 * The param and metric columns a filter expression names, in order, e.g.
 * `metrics.accuracy > 0.9 and params.max_depth = '3'` names both; `metrics.\`a b\`` names
 * "metrics.a b". Tags and attributes are not columns.
 */
export function filterColumns(filter: string): string[] {
  const tokens = filter.match(TOKEN) ?? [];
  const found: string[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    const dot = token.indexOf('.');
    const entity = dot > 0 ? ENTITIES[token.slice(0, dot).toLowerCase()] : '';
    if (!entity) {
      continue;
    }
    let key = token.slice(dot + 1);
    if (!key && /^[`'"]/.test(tokens[index + 1] ?? '')) {
      index++;
      key = tokens[index].slice(1, -1);
    }
    if (key && !found.includes(`${entity}.${key}`)) {
      found.push(`${entity}.${key}`);
    }
  }
  return found;
}

/**
 * The columns to show: those the filter names that are not shown yet, first (so that they are
 * in view, not past the right edge), then those chosen or defaulted.
 */
export function withFilterColumns(
  columns: readonly string[],
  filter: string
): string[] {
  const extra = filterColumns(filter).filter(
    column => !columns.includes(column)
  );
  return [...extra, ...columns];
}
