/**
 * State of a comparison of 2 to 20 runs: the runs, the union of their metrics and params, and
 * each (run, metric) history, refreshed live while any of the runs is running.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import type { IDisposable } from '@lumino/disposable';

import type { TrackingAPI } from '../api/tracking';
import { MetricSummary, Run, toNumber } from '../api/types';
import { HISTORY_CONCURRENCY, runLimited } from './limited';
import { pollFrequency } from './pollFrequency';
import { ChartZooms } from './zoom';

/** The fewest and the most runs a comparison takes. */
export const MIN_COMPARE_RUNS = 2;
export const MAX_COMPARE_RUNS = 20;

/**
 * About how many points of each history the server sends (it keeps the extremes). Fewer than
 * a run panel's: a comparison overlays up to 20 lines in a chart half the panel wide, and
 * plotly's cost of a redraw (a live tick, a smoothing step) grows with the points drawn.
 */
export const COMPARE_MAX_POINTS = 500;

/** The part of the tracking API a comparison uses. */
export type ICompareAPI = Pick<TrackingAPI, 'getRun' | 'getMetricHistory'>;

/** One metric history, values already numbers (NaN and infinities kept). */
export interface IHistory {
  steps: number[];
  timestamps: number[];
  values: number[];
  /** How many points the run has stored (more than drawn when downsampled). */
  total: number;
  downsampled: boolean;
}

/** Histories by metric key, then run id. */
export type Histories = Record<string, Record<string, IHistory>>;

/** What follows from the loaded runs. */
interface IDerived {
  runs: Run[];
  metricKeys: string[];
  paramKeys: string[];
  differingParams: Set<string>;
}

export interface ICompareModelOptions {
  api: ICompareAPI;
  runIds: string[];
  /** Seconds between refreshes while a run is running. */
  refreshInterval: number;
  maxPoints?: number;
}

/** Loads and keeps the runs being compared; says when anything changed. */
export class CompareModel implements IDisposable {
  constructor(options: ICompareModelOptions) {
    this.runIds = [...options.runIds];
    this._api = options.api;
    this._maxPoints = options.maxPoints ?? COMPARE_MAX_POINTS;
    this._poll = new Poll({
      auto: false,
      factory: () => this.refreshRunning(),
      frequency: pollFrequency(options.refreshInterval),
      standby: () => (this.anyRunning && this._active ? 'when-hidden' : true),
      name: 'jupyter-studio:compare'
    });
    this.zooms = new ChartZooms(this._api);
    this.zooms.changed.connect(() => this._emit(), this);
  }

  /** The charts' zooms (by metric key); a change of one is a change of the model. */
  readonly zooms: ChartZooms;

  /**
   * Poll only while the panel is seen: while inactive the live refresh stands by, and the
   * running runs are reloaded once when the panel becomes active again.
   */
  setActive(active: boolean): void {
    if (active === this._active) {
      return;
    }
    this._active = active;
    if (active && this.anyRunning && this._poll.state.phase === 'standby') {
      void this._poll.refresh();
    }
  }

  readonly runIds: string[];

  /** Emitted whenever runs, histories, loading or error change. */
  get stateChanged(): ISignal<this, void> {
    return this._changed;
  }

  /** The runs that loaded, in the order of `runIds` (the same array until a run changes). */
  get runs(): Run[] {
    return this._derived().runs;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** The server's messages for what could not be loaded, or null. */
  get error(): string | null {
    return this._errors.size ? [...this._errors.values()].join('\n') : null;
  }

  get anyRunning(): boolean {
    return this.runs.some(run => run.status === 'RUNNING');
  }

  /** Every metric key any run has, sorted. */
  get metricKeys(): string[] {
    return this._derived().metricKeys;
  }

  /** Every param key any run has, sorted. */
  get paramKeys(): string[] {
    return this._derived().paramKeys;
  }

  /** The params whose values are not the same in every run (a missing value differs). */
  get differingParams(): Set<string> {
    return this._derived().differingParams;
  }

  /** A run's history of a metric, once loaded. */
  history(runId: string, key: string): IHistory | undefined {
    return this._histories.get(key)?.get(runId);
  }

  /**
   * Every loaded history, by metric key then run id. The same object until something changes,
   * so views can memoize on it.
   */
  get histories(): Histories {
    if (!this._snapshot) {
      // A metric no history of which changed keeps its object, so its chart is not redrawn.
      const previous = this._previousSnapshot;
      const snapshot: Histories = {};
      for (const [key, byRun] of this._histories) {
        snapshot[key] =
          previous[key] && !this._changedKeys.has(key)
            ? previous[key]
            : Object.fromEntries(byRun);
      }
      this._changedKeys.clear();
      this._snapshot = snapshot;
      this._previousSnapshot = snapshot;
    }
    return this._snapshot;
  }

  /** Seconds between live refreshes. */
  set refreshInterval(seconds: number) {
    this._poll.frequency = pollFrequency(seconds);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    this.zooms.dispose();
    Signal.clearData(this);
  }

  /** Load every run, then every history; starts the live refresh. */
  async refresh(): Promise<void> {
    this._loading = true;
    this._emit();
    const answers = await Promise.allSettled(
      this.runIds.map(id => this._api.getRun(id))
    );
    if (this._isDisposed) {
      return;
    }
    this._errors.clear();
    answers.forEach((answer, i) => {
      this._setRun(
        this.runIds[i],
        answer.status === 'fulfilled' ? answer.value : null
      );
      this._report(this.runIds[i], answer);
    });
    this._emit();
    await this._loadHistories(this.runs, true);
    this._loading = false;
    this._emit();
    if (!this._isDisposed) {
      void this._poll.start();
    }
  }

  /**
   * Reload the running runs, and the histories that grew since the last load.
   * The live refresh calls this; finished runs are left as they are.
   */
  async refreshRunning(): Promise<void> {
    const running = this.runs.filter(run => run.status === 'RUNNING');
    if (!running.length) {
      return;
    }
    const before = new Map(running.map(run => [run.id, run]));
    const answers = await Promise.allSettled(
      running.map(run => this._api.getRun(run.id))
    );
    if (this._isDisposed) {
      return;
    }
    const reloaded: Run[] = [];
    answers.forEach((answer, i) => {
      if (answer.status === 'fulfilled') {
        this._setRun(answer.value.id, answer.value);
        reloaded.push(answer.value);
      }
      this._report(running[i].id, answer);
    });
    this._emit();
    await this._loadHistories(reloaded, false, before);
    this._emit();
  }

  /** Load the histories of `runs`: all of them, or (when not `all`) those that changed. */
  private async _loadHistories(
    runs: Run[],
    all: boolean,
    before: Map<string, Run> = new Map()
  ): Promise<void> {
    const jobs: (() => Promise<void>)[] = [];
    for (const run of runs) {
      for (const [key, summary] of Object.entries(run.metrics)) {
        const old = before.get(run.id)?.metrics[key];
        if (
          !all &&
          old &&
          old.count === summary.count &&
          old.last_step === summary.last_step
        ) {
          continue;
        }
        if (summary.count <= 1) {
          // One point: the summary already is the whole history.
          this._setHistory(run.id, key, singlePoint(summary));
          continue;
        }
        jobs.push(async () => {
          await this._loadHistory(run.id, key);
          if (old) {
            void this.zooms.grew(key, run.id, old.last_step);
          }
        });
      }
    }
    await runLimited(jobs, HISTORY_CONCURRENCY, () => this._isDisposed);
  }

  private async _loadHistory(runId: string, key: string): Promise<void> {
    const [answer] = await Promise.allSettled([
      this._api.getMetricHistory(runId, key, this._maxPoints)
    ]);
    if (answer.status === 'fulfilled') {
      this._setHistory(runId, key, {
        steps: answer.value.steps,
        timestamps: answer.value.timestamps,
        values: answer.value.values.map(toNumber),
        total: answer.value.total,
        downsampled: answer.value.downsampled
      });
    }
    this._report(`${runId} ${key}`, answer);
  }

  /**
   * Keep one message per source (a run, or a run's metric): a failure replaces that source's
   * previous message and a success clears it, so a failing live tick never piles up lines.
   */
  private _report(source: string, answer: PromiseSettledResult<unknown>): void {
    if (answer.status === 'fulfilled') {
      this._errors.delete(source);
    } else {
      this._errors.set(source, `${source}: ${messageOf(answer.reason)}`);
    }
  }

  /** What follows from the runs, computed once per change of a run so views can memoize. */
  private _derived(): IDerived {
    if (!this._derivedCache) {
      const runs = this.runIds
        .map(id => this._runs.get(id))
        .filter((run): run is Run => !!run);
      const paramKeys = unionKeys(runs.map(run => run.params));
      this._derivedCache = {
        runs,
        metricKeys: unionKeys(runs.map(run => run.metrics)),
        paramKeys,
        differingParams: new Set(
          paramKeys.filter(
            key => new Set(runs.map(run => run.params[key])).size > 1
          )
        )
      };
    }
    return this._derivedCache;
  }

  private _setRun(runId: string, run: Run | null): void {
    if (run) {
      this._runs.set(runId, run);
    } else {
      this._runs.delete(runId);
    }
    this._derivedCache = null;
  }

  private _setHistory(runId: string, key: string, history: IHistory): void {
    let byRun = this._histories.get(key);
    if (!byRun) {
      byRun = new Map();
      this._histories.set(key, byRun);
    }
    byRun.set(runId, history);
    this._changedKeys.add(key);
    this._snapshot = null;
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _api: ICompareAPI;
  private _maxPoints: number;
  private _poll: Poll;
  private _active = true;
  private _runs = new Map<string, Run>();
  private _histories = new Map<string, Map<string, IHistory>>();
  private _derivedCache: IDerived | null = null;
  private _snapshot: Histories | null = null;
  private _previousSnapshot: Histories = {};
  private _changedKeys = new Set<string>();
  private _errors = new Map<string, string>();
  private _loading = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

function singlePoint(summary: MetricSummary): IHistory {
  return {
    steps: [summary.last_step],
    timestamps: [summary.last_timestamp],
    values: [toNumber(summary.last)],
    total: summary.count,
    downsampled: false
  };
}

function unionKeys(records: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const record of records) {
    Object.keys(record).forEach(key => keys.add(key));
  }
  return [...keys].sort();
}

function messageOf(error: unknown): string {
  // StudioRequestError carries the server's message.
  return error instanceof Error ? error.message : String(error);
}
