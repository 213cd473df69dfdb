/**
 * State of one run's panel: the run, its parent and child runs, its metric histories and its
 * artifacts, refreshed live while the run is running.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { TrackingAPI } from '../api/tracking';
import { Artifact, MetricSummary, Run, toNumber } from '../api/types';
import { HISTORY_CONCURRENCY, runLimited } from './limited';
import type { ISettingsHolder } from '../tokens';
import { LiveRefresh } from './liveRefresh';
import { ChartZooms } from './zoom';

/** About how many points of each history the server sends (it keeps the extremes). */
export const RUN_MAX_POINTS = 1000;

/** How many child runs the overview lists. */
export const CHILD_RUNS_SHOWN = 100;

/** The part of the tracking API a run panel uses. */
export type IRunAPI = Pick<
  TrackingAPI,
  'getRun' | 'searchRuns' | 'getMetricHistory' | 'listArtifacts'
>;

/** One metric's history as drawn: values are numbers (NaN and infinities kept). */
export interface IMetricSeries {
  key: string;
  steps: number[];
  timestamps: number[];
  values: number[];
  /** How many points the run has stored (more than drawn when downsampled). */
  total: number;
  downsampled: boolean;
  /** The server's message when this history could not be loaded. */
  error: string | null;
  /** True until the history has first been loaded. */
  pending: boolean;
}

export interface IRunModelOptions {
  api: IRunAPI;
  runId: string;
  settings: ISettingsHolder;
  maxPoints?: number;
}

function pendingSeries(key: string): IMetricSeries {
  const empty = {
    steps: [],
    timestamps: [],
    values: [],
    total: 0,
    downsampled: false
  };
  return { key, ...empty, error: null, pending: true };
}

function singlePoint(key: string, summary: MetricSummary): IMetricSeries {
  return {
    key,
    steps: [summary.last_step],
    timestamps: [summary.last_timestamp],
    values: [toNumber(summary.last)],
    total: summary.count,
    downsampled: false,
    error: null,
    pending: false
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A history is reloaded when its summary moved since it was loaded. */
function summaryStamp(summary: MetricSummary): string {
  return `${summary.count}:${summary.last_step}:${summary.last_timestamp}`;
}

/** Loads and keeps what a run panel shows; `stateChanged` says when any of it changed. */
export class RunModel implements IDisposable {
  constructor(options: IRunModelOptions) {
    this._api = options.api;
    this.runId = options.runId;
    this._maxPoints = options.maxPoints ?? RUN_MAX_POINTS;
    this._live = new LiveRefresh({
      name: `studio:run:${this.runId}`,
      settings: options.settings,
      load: () => this._load()
    });
    this.zooms = new ChartZooms(this._api);
    this.zooms.changed.connect(() => this._emit(), this);
  }

  /** The charts' zooms (by metric key); a change of one is a change of the model. */
  readonly zooms: ChartZooms;

  /**
   * Poll only while the panel is seen: while inactive the live refresh stands by, and a tick
   * it skipped meanwhile is made up once when the panel becomes active again.
   */
  setActive(active: boolean): void {
    this._live.setActive(active);
  }

  readonly runId: string;

  get stateChanged(): ISignal<RunModel, void> {
    return this._changed;
  }
  get run(): Run | null {
    return this._run;
  }
  get parent(): Run | null {
    return this._parent;
  }
  get children(): Run[] {
    return this._children;
  }
  /** Every child run, when there are more than `children` holds. */
  get childrenTotal(): number {
    return this._childrenTotal;
  }
  /** One series per metric key, in key order. */
  get metrics(): IMetricSeries[] {
    return this._metrics;
  }
  /** The top folder of the artifacts. */
  get artifacts(): Artifact[] {
    return this._folders.get('') ?? [];
  }
  /** Listings of the folders loaded so far, by path ('' is the top). */
  get folders(): ReadonlyMap<string, Artifact[]> {
    return this._folders;
  }
  get expanded(): ReadonlySet<string> {
    return this._expanded;
  }
  /** The server's message when the run itself could not be loaded. */
  get error(): string | null {
    return this._error;
  }
  get artifactsError(): string | null {
    return this._artifactsError;
  }
  /** True until the first load has answered. */
  get loading(): boolean {
    return this._loading;
  }
  /** Whether the live refresh is on (the run is running). */
  get isLive(): boolean {
    return this._live.isLive;
  }
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Load everything again (one load at a time; callers during a load share it). */
  refresh(): Promise<void> {
    return this._live.refresh();
  }

  /** Show or hide a folder's content, listing it the first time. */
  async toggleFolder(path: string): Promise<void> {
    if (this._expanded.has(path)) {
      this._expanded.delete(path);
      this._emit();
      return;
    }
    this._expanded.add(path);
    this._emit();
    if (!this._folders.has(path)) {
      await this._listFolder(path);
      this._emit();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._live.dispose();
    this.zooms.dispose();
    Signal.clearData(this);
  }

  private async _load(): Promise<void> {
    let run: Run;
    try {
      run = await this._api.getRun(this.runId);
    } catch (error) {
      this._error = message(error);
      this._loading = false;
      this._emit();
      // Rejecting makes the poll back off while the server is away.
      throw error;
    }
    if (this._isDisposed) {
      return;
    }
    this._error = null;
    this._run = run;
    this._loading = false;
    // The overview shows at once; each chart as soon as its history arrives.
    this._emit();
    await Promise.all([
      this._loadParent(run),
      this._loadChildren(),
      this._loadMetrics(run),
      this._loadArtifacts()
    ]);
    if (this._isDisposed) {
      return;
    }
    this._live.setLive(run.status === 'RUNNING');
    this._emit();
  }

  private async _loadParent(run: Run): Promise<void> {
    if (!run.parent_run_id) {
      this._parent = null;
      return;
    }
    if (this._parent?.id === run.parent_run_id) {
      return;
    }
    try {
      this._parent = await this._api.getRun(run.parent_run_id);
    } catch {
      // A parent deleted since: the overview names it by id only.
      this._parent = null;
    }
  }

  private async _loadChildren(): Promise<void> {
    try {
      const answer = await this._api.searchRuns({
        parentRunId: this.runId,
        orderBy: ['start_time'],
        maxResults: CHILD_RUNS_SHOWN,
        includeTotal: true
      });
      this._children = answer.runs;
      this._childrenTotal = answer.total ?? answer.runs.length;
    } catch {
      this._children = [];
      this._childrenTotal = 0;
    }
  }

  private async _loadMetrics(run: Run): Promise<void> {
    const keys = Object.keys(run.metrics).sort();
    const previous = new Map(this._metrics.map(series => [series.key, series]));
    this._metrics = keys.map(key => previous.get(key) ?? pendingSeries(key));
    this._emit();
    const changed = keys.filter(key => {
      const known = previous.get(key);
      return !(
        known &&
        !known.error &&
        this._stamps.get(key) === summaryStamp(run.metrics[key])
      );
    });
    const jobs = changed.map(key => async () => {
      const summary = run.metrics[key];
      this._stamps.set(key, summaryStamp(summary));
      // One point: the summary already is the whole history (the panel shows it as a number).
      const series =
        summary.count <= 1
          ? singlePoint(key, summary)
          : await this._loadHistory(key);
      const index = this._metrics.findIndex(item => item.key === key);
      if (index >= 0 && !this._isDisposed) {
        // A new array, so that views see the change; the other series keep their identity.
        this._metrics = this._metrics.map((item, i) =>
          i === index ? series : item
        );
        this._emit();
        const before = previous.get(key);
        if (before && before.steps.length > 0) {
          void this.zooms.grew(key, this.runId, before.steps.at(-1)!);
        }
      }
    });
    await runLimited(jobs, HISTORY_CONCURRENCY, () => this._isDisposed);
  }

  private async _loadHistory(key: string): Promise<IMetricSeries> {
    try {
      const history = await this._api.getMetricHistory(
        this.runId,
        key,
        this._maxPoints
      );
      return {
        key,
        steps: history.steps,
        timestamps: history.timestamps,
        values: history.values.map(toNumber),
        total: history.total,
        downsampled: history.downsampled,
        error: null,
        pending: false
      };
    } catch (error) {
      return { ...pendingSeries(key), error: message(error), pending: false };
    }
  }

  private async _loadArtifacts(): Promise<void> {
    const open = ['', ...[...this._expanded].sort()];
    await Promise.all(open.map(path => this._listFolder(path)));
  }

  private async _listFolder(path: string): Promise<void> {
    try {
      const answer = await this._api.listArtifacts(this.runId, path);
      this._folders.set(path, answer.artifacts);
      if (path === '') {
        this._artifactsError = null;
      }
    } catch (error) {
      if (path === '') {
        this._artifactsError = message(error);
      } else {
        // The folder is gone (replaced by a file, say): fold it.
        this._folders.delete(path);
        this._expanded.delete(path);
      }
    }
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private readonly _api: IRunAPI;
  private readonly _maxPoints: number;
  private readonly _live: LiveRefresh;
  private readonly _changed = new Signal<RunModel, void>(this);
  private readonly _stamps = new Map<string, string>();
  private readonly _folders = new Map<string, Artifact[]>();
  private readonly _expanded = new Set<string>();
  private _run: Run | null = null;
  private _parent: Run | null = null;
  private _children: Run[] = [];
  private _childrenTotal = 0;
  private _metrics: IMetricSeries[] = [];
  private _error: string | null = null;
  private _artifactsError: string | null = null;
  private _loading = true;
  private _isDisposed = false;
}
