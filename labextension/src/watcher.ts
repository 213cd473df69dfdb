/**
 * The application's one watcher: a single poll that keeps going while Studio's panels are
 * hidden or the sidebar is collapsed, and checks each registered source once per interval.
 *
 * Panels poll only while they are seen; what must be noticed even then (a run that finishes,
 * later the debugger's alerts and finished jobs) registers here as a source, so that the cost
 * is one request per source and interval, however many panels are open.
 */
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { TrackingAPI } from './api/tracking';
import type { Run } from './api/types';
import { pollFrequency } from './models/pollFrequency';
import type { ISettingsHolder, IStudioSettings } from './tokens';

/** How many running runs are watched and listed (the total is counted on the server). */
export const MAX_RUNNING_RUNS = 50;

/** Something the watcher checks once per interval. */
export interface IWatchedSource {
  /** Names the source (one registration per id). */
  readonly id: string;
  /** Ask the server what changed; a rejection makes the watcher back off. */
  check(): Promise<void>;
}

export class StudioWatcher implements IDisposable {
  constructor(options: { settings: ISettingsHolder }) {
    this._settings = options.settings;
    this._settings.changed.connect(this._onSettings, this);
    this._poll = new Poll({
      factory: () => this._checkAll(),
      frequency: pollFrequency(this._settings.current.refreshInterval),
      name: 'studio:watcher',
      standby: 'when-hidden'
    });
  }

  /** Check `source` from now on; disposing the result stops it. */
  register(source: IWatchedSource): IDisposable {
    if (this._sources.has(source.id)) {
      throw new Error(`A watched source "${source.id}" is already registered.`);
    }
    this._sources.set(source.id, source);
    return new DisposableDelegate(() => {
      if (this._sources.get(source.id) === source) {
        this._sources.delete(source.id);
      }
    });
  }

  /** The ids of the registered sources. */
  get sourceIds(): string[] {
    return [...this._sources.keys()];
  }

  /** Check every source now (the interval starts again from here). */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this._settings.changed.disconnect(this._onSettings, this);
    this._sources.clear();
  }

  private async _checkAll(): Promise<void> {
    const answers = await Promise.allSettled(
      [...this._sources.values()].map(source => source.check())
    );
    const failed = answers.find(answer => answer.status === 'rejected');
    if (failed) {
      throw (failed as PromiseRejectedResult).reason;
    }
  }

  private _onSettings(_: ISettingsHolder, settings: IStudioSettings): void {
    this._poll.frequency = pollFrequency(settings.refreshInterval);
  }

  private readonly _settings: ISettingsHolder;
  private readonly _poll: Poll;
  private readonly _sources = new Map<string, IWatchedSource>();
}

/**
 * The runs running now (the sidebar lists them), and the end of each: a run that leaves the
 * list is read once to learn how it ended, and `ended` announces it.
 */
export class RunningRuns implements IWatchedSource {
  readonly id = 'running-runs';

  constructor(api: Pick<TrackingAPI, 'searchRuns' | 'getRun'>) {
    this._api = api;
  }

  /** Emitted when the list, its total or its error changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** A watched run that is no longer running: finished, failed or killed. */
  get ended(): ISignal<this, Run> {
    return this._ended;
  }

  /** Running runs, most recently started first (at most MAX_RUNNING_RUNS). */
  get runs(): readonly Run[] {
    return this._runs;
  }

  /** How many runs are running in all. */
  get total(): number {
    return this._total;
  }

  /** The server's message when the last check failed, else null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether a check has answered (successfully or not). */
  get loaded(): boolean {
    return this._loaded;
  }

  async check(): Promise<void> {
    // Kept through failed checks, so that a run that ended meanwhile is still announced.
    const previous = this._runs;
    try {
      const answer = await this._api.searchRuns({
        filter: "status = 'RUNNING'",
        orderBy: ['start_time desc'],
        maxResults: MAX_RUNNING_RUNS,
        includeTotal: true
      });
      this._runs = answer.runs;
      this._total = answer.total ?? answer.runs.length;
      this._error = null;
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this._loaded = true;
      this._stateChanged.emit();
    }
    const running = new Set(this._runs.map(run => run.id));
    const left = previous.filter(run => !running.has(run.id));
    await Promise.all(left.map(run => this._announceEnd(run.id)));
  }

  private async _announceEnd(runId: string): Promise<void> {
    let run: Run;
    try {
      run = await this._api.getRun(runId);
    } catch {
      return; // Deleted meanwhile: nothing to announce.
    }
    // Still running, only pushed out of the first MAX_RUNNING_RUNS by newer ones.
    if (run.status !== 'RUNNING') {
      this._ended.emit(run);
    }
  }

  private readonly _api: Pick<TrackingAPI, 'searchRuns' | 'getRun'>;
  private readonly _stateChanged = new Signal<this, void>(this);
  private readonly _ended = new Signal<this, Run>(this);
  private _runs: Run[] = [];
  private _total = 0;
  private _error: string | null = null;
  private _loaded = false;
}
