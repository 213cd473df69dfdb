/**
 * Server-side sorts of the runs table: a column and a direction, as the server's order clause.
 */

export type SortDirection = 'asc' | 'desc';

/** A server-side sort on a column: status, name, start, duration, metrics.<key>, params.<key>. */
export interface IRunsSort {
  column: string;
  direction: SortDirection;
}

const COLUMN_ORDER_KEYS: Record<string, string> = {
  status: 'status',
  name: 'name',
  start: 'start_time',
  duration: 'duration'
};

/** The server's order clause for a sort, e.g. "metrics.accuracy desc" or "start_time asc". */
export function orderClause(sort: IRunsSort): string {
  let name = COLUMN_ORDER_KEYS[sort.column];
  if (name === undefined) {
    const [entity, ...rest] = sort.column.split('.');
    const key = rest.join('.');
    // Keys with spaces (or other characters the filter language's words lack) go in backticks.
    name = /^[A-Za-z0-9_\-./:]+$/.test(key)
      ? `${entity}.${key}`
      : `${entity}.\`${key}\``;
  }
  return `${name} ${sort.direction}`;
}

/** The sort after a click on a column's header: ascending, then descending, then none. */
export function nextSort(
  current: IRunsSort | null,
  column: string
): IRunsSort | null {
  if (!current || current.column !== column) {
    return { column, direction: 'asc' };
  }
  return current.direction === 'asc' ? { column, direction: 'desc' } : null;
}
