/**
 * The run a person means when they type into "Open Run…": its id, or its name.
 */
import type { ISearchRunsOptions } from './api/tracking';
import type { Run, RunList } from './api/types';

/** The server's run id rule (studio/tracking/validation.py, RUN_ID_PATTERN). */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** What finding a run needs of the tracking API. */
export interface IRunFinder {
  searchRuns(options: ISearchRunsOptions): Promise<RunList>;
}

/** `text` as a quoted string of the filter language. */
export function filterString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The run whose id is `text`, else the most recently started run named `text` in any
 * experiment, else null: one search, so that a name is never first tried as an id (a 404).
 */
export async function findRun(
  api: IRunFinder,
  text: string
): Promise<Run | null> {
  const wanted = text.trim();
  if (!wanted) {
    return null;
  }
  const quoted = filterString(wanted);
  const page = await api.searchRuns({
    filter: RUN_ID.test(wanted)
      ? `id = ${quoted} or name = ${quoted}`
      : `name = ${quoted}`,
    orderBy: ['start_time DESC'],
    maxResults: 2
  });
  return page.runs.find(run => run.id === wanted) ?? page.runs[0] ?? null;
}
