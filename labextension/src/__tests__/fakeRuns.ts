/**
 * Test doubles for the runs table: runs as the server sends them, and a searchRuns that pages,
 * sorts and filters them in memory the way the server does.
 */
import type { ISearchRunsOptions } from '../api/tracking';
import type { Run, RunList, RunTree, WireNumber } from '../api/types';
import { StudioRequestError } from '../handler';

export function makeRun(
  index: number,
  change: Partial<Run> = {},
  metrics: Record<string, WireNumber> = {},
  params: Record<string, string> = {}
): Run {
  const start = Date.UTC(2024, 0, 1) + index * 60_000;
  return {
    artifact_uri: `file:///tmp/artifacts/${index}`,
    duration_ms: 30_000,
    end_time: start + 30_000,
    experiment_id: 1,
    id: `run${String(index).padStart(5, '0')}`,
    name: `run-${index}`,
    parent_run_id: null,
    source: null,
    start_time: start,
    status: 'FINISHED',
    tags: {},
    ...change,
    metrics: Object.fromEntries(
      Object.entries(metrics).map(([key, value]) => [
        key,
        {
          count: 1,
          key,
          last: value,
          last_step: 0,
          last_timestamp: start,
          max: value,
          min: value
        }
      ])
    ),
    params
  };
}

/** `count` runs with metrics accuracy/loss and params max_depth/criterion. */
export function makeRuns(count: number): Run[] {
  return Array.from({ length: count }, (_, index) =>
    makeRun(
      index,
      {},
      { accuracy: ((index * 7919) % 1000) / 1000, loss: 1 / (index + 1) },
      {
        max_depth: String(index % 10),
        criterion: index % 2 ? 'gini' : 'entropy'
      }
    )
  );
}

/** What the table asks of the server, answered from memory; records every call. */
export class FakeRunsAPI {
  constructor(public runs: Run[]) {}

  calls: ISearchRunsOptions[] = [];
  /** When set, the next call waits for `release()`. */
  hold = false;
  failWith: Error | null = null;

  release(): void {
    const waiting = this._waiting;
    this._waiting = [];
    waiting.forEach(resolve => resolve());
  }

  async searchRuns(options: ISearchRunsOptions): Promise<RunList> {
    this.calls.push(options);
    if (this.hold) {
      await new Promise<void>(resolve => this._waiting.push(resolve));
    }
    if (this.failWith) {
      throw this.failWith;
    }
    const matching = this.runs.filter(run => matches(run, options.filter));
    const shown = options.tree ? this._shown(matching) : new Set<string>();
    let runs = options.tree ? this._level(options, shown) : matching;
    if (options.parentRunId && !options.tree) {
      runs = runs.filter(run => run.parent_run_id === options.parentRunId);
    }
    const [clause] = options.orderBy ?? [];
    if (clause) {
      const [name, direction] = clause.split(' ');
      const value = (run: Run): number | string => {
        if (name.startsWith('metrics.')) {
          const metric = run.metrics[name.slice(8)];
          return metric ? Number(metric.last) : NaN;
        }
        if (name.startsWith('params.')) {
          return run.params[name.slice(7)] ?? '';
        }
        return run[name as 'name' | 'start_time'];
      };
      runs = [...runs].sort((a, b) => {
        const [x, y] = [value(a), value(b)];
        const order = x < y ? -1 : x > y ? 1 : 0;
        return direction === 'desc' ? -order : order;
      });
    } else {
      runs = [...runs].sort((a, b) => b.start_time - a.start_time);
    }
    const offset =
      options.offset ?? (options.pageToken ? Number(options.pageToken) : 0);
    const size = options.maxResults ?? 100;
    const page = runs.slice(offset, offset + size);
    return {
      runs: page,
      next_page_token:
        offset + size < runs.length ? String(offset + size) : null,
      total: options.includeTotal ? runs.length : null,
      tree: options.tree ? this._tree(page, matching, shown) : null
    };
  }

  /** Runs that match or lead to a run that does. */
  private _shown(matching: Run[]): Set<string> {
    if (matching.length === this.runs.length) {
      return new Set(this.runs.map(run => run.id));
    }
    const shown = new Set<string>();
    const byId = new Map(this.runs.map(run => [run.id, run]));
    for (const run of matching) {
      for (let at: Run | undefined = run; at;) {
        shown.add(at.id);
        at = at.parent_run_id ? byId.get(at.parent_run_id) : undefined;
      }
    }
    return shown;
  }

  /** One level of the run tree: the top-level runs, or the children of one run. */
  private _level(options: ISearchRunsOptions, shown: Set<string>): Run[] {
    const parent = options.parentRunId ?? null;
    return this.runs.filter(
      run => run.parent_run_id === parent && shown.has(run.id)
    );
  }

  private _tree(
    page: Run[],
    matching: Run[],
    shown: Set<string>
  ): Record<string, RunTree> {
    const matched = new Set(matching.map(run => run.id));
    const counts = new Map<string, number>();
    for (const run of this.runs) {
      if (run.parent_run_id && shown.has(run.id)) {
        counts.set(run.parent_run_id, (counts.get(run.parent_run_id) ?? 0) + 1);
      }
    }
    return Object.fromEntries(
      page.map(run => [
        run.id,
        { child_count: counts.get(run.id) ?? 0, matched: matched.has(run.id) }
      ])
    );
  }

  private _waiting: (() => void)[] = [];
}

function matches(run: Run, filter: string | undefined): boolean {
  if (!filter) {
    return true;
  }
  const ids = /^id IN \((.*)\)$/.exec(filter);
  if (ids) {
    return ids[1].split(', ').includes(`'${run.id}'`);
  }
  const status = /^status = '(\w+)'$/.exec(filter);
  if (status) {
    return run.status === status[1];
  }
  const depth = /^params\.max_depth = '(\d+)'$/.exec(filter);
  if (depth) {
    return run.params.max_depth === depth[1];
  }
  throw new StudioRequestError(
    400,
    `Invalid filter: unexpected ${JSON.stringify(filter)}.`
  );
}
