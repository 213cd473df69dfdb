/**
 * The sidebar's state: every experiment (most recent first, searchable by name), refreshed
 * while the sidebar is seen, and the runs running now, which the application's watcher keeps
 * (it goes on while the sidebar is collapsed, one request per interval for every view).
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { TrackingAPI } from '../api/tracking';
import type { Experiment, Run } from '../api/types';
import type { ISettingsHolder, IStudioSettings } from '../tokens';
import type { RunningRuns } from '../watcher';
import { pollFrequency } from './pollFrequency';

export namespace ExperimentsModel {
  export interface IOptions {
    api: Pick<TrackingAPI, 'listExperiments'>;
    settings: ISettingsHolder;
    /** The running runs, kept by the application's watcher. */
    running: RunningRuns;
  }
}

export class ExperimentsModel implements IDisposable {
  constructor(options: ExperimentsModel.IOptions) {
    this._api = options.api;
    this._settings = options.settings;
    this._running = options.running;
    this._settings.changed.connect(this._onSettingsChanged, this);
    this._running.stateChanged.connect(this._onRunningChanged, this);
    this._poll = new Poll({
      name: 'studio:experiments',
      factory: () => this._load(),
      frequency: pollFrequency(this._settings.current.refreshInterval),
      standby: () => !this._active || 'when-hidden'
    });
  }

  /**
   * Poll only while the sidebar is seen: while inactive the experiments' refresh stands by,
   * and a tick it skipped is made up once on becoming active again.
   */
  setActive(active: boolean): void {
    if (active === this._active) {
      return;
    }
    this._active = active;
    if (active && this._poll.state.phase === 'standby') {
      void this._poll.refresh();
    }
  }

  /** Emitted whenever anything the sidebar shows changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Every experiment, most recent activity first. */
  get experiments(): readonly Experiment[] {
    return this._experiments;
  }

  /** The experiments whose name contains the search text (any case). */
  get filtered(): readonly Experiment[] {
    const needle = this._query.trim().toLowerCase();
    if (!needle) {
      return this._experiments;
    }
    return this._experiments.filter(experiment =>
      experiment.name.toLowerCase().includes(needle)
    );
  }

  /** The search text. */
  get query(): string {
    return this._query;
  }

  set query(value: string) {
    if (value === this._query) {
      return;
    }
    this._query = value;
    this._stateChanged.emit();
  }

  /** Running runs, most recently started first (at most MAX_RUNNING_RUNS). */
  get runningRuns(): readonly Run[] {
    return this._running.runs;
  }

  /** How many runs are running in all. */
  get runningTotal(): number {
    return this._running.total;
  }

  /** The server's message when the last refresh failed, else null. */
  get error(): string | null {
    return this._error ?? this._running.error;
  }

  /** Whether a refresh has completed (successfully or not). */
  get loaded(): boolean {
    return this._loaded;
  }

  /** An experiment's name, or null when it is not listed (archived, or created since). */
  experimentName(id: number): string | null {
    return this._names.get(id) ?? null;
  }

  /** The experiment with the most recent activity, if any. */
  get mostRecent(): Experiment | null {
    return this._experiments[0] ?? null;
  }

  /** Load everything now; never rejects (a failure shows in `error`). */
  async refresh(): Promise<void> {
    try {
      await this._load();
    } catch {
      // Already recorded in `error`.
    }
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this._settings.changed.disconnect(this._onSettingsChanged, this);
    this._running.stateChanged.disconnect(this._onRunningChanged, this);
    Signal.clearData(this);
  }

  private async _load(): Promise<void> {
    const request = ++this._requests;
    try {
      const experiments = await this._api.listExperiments();
      if (request !== this._requests || this.isDisposed) {
        return; // A newer refresh started meanwhile: its answer wins.
      }
      this._experiments = sortByRecency(experiments);
      this._names = new Map(
        experiments.map(experiment => [experiment.id, experiment.name])
      );
      this._error = null;
    } catch (error) {
      if (request !== this._requests || this.isDisposed) {
        return;
      }
      this._error = error instanceof Error ? error.message : String(error);
      throw error; // So that the poll backs off while the server fails.
    } finally {
      if (request === this._requests && !this.isDisposed) {
        this._loaded = true;
        this._stateChanged.emit();
      }
    }
  }

  private _onRunningChanged(): void {
    this._stateChanged.emit();
  }

  private _onSettingsChanged(
    _: ISettingsHolder,
    settings: IStudioSettings
  ): void {
    this._poll.frequency = pollFrequency(settings.refreshInterval);
  }

  private _api: Pick<TrackingAPI, 'listExperiments'>;
  private _settings: ISettingsHolder;
  private _running: RunningRuns;
  private _active = true;
  private _poll: Poll;
  private _stateChanged = new Signal<this, void>(this);
  private _experiments: Experiment[] = [];
  private _names = new Map<number, string>();
  private _query = '';
  private _error: string | null = null;
  private _loaded = false;
  private _requests = 0;
}

/** Most recent activity (last run, else creation) first; ties by name. */
export function sortByRecency(
  experiments: readonly Experiment[]
): Experiment[] {
  const activity = (experiment: Experiment) =>
    experiment.last_run_at ?? experiment.created_at;
  return [...experiments].sort(
    (a, b) => activity(b) - activity(a) || a.name.localeCompare(b.name)
  );
}
