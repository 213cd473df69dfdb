/**
 * The Jobs panel's state: the recent job runs and the definitions, the tab shown, the run
 * whose details are open. It polls every jobs interval while a run is queued or running, and
 * slowly when nothing is (a schedule may start one); never while the panel is hidden, and once
 * when it is seen again.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { isFinal } from '../api/jobs';
import type { IJobsAPI, JobDefinition, JobRun } from '../api/jobs';
import type { ISettingsHolder, IStudioSettings } from '../tokens';
import { pollFrequency } from './pollFrequency';

export type JobsTab = 'runs' | 'definitions';

/** How many recent runs and definitions the panel lists. */
export const JOBS_PAGE = 200;

/** Seconds between refreshes while no run is queued or running. */
export const IDLE_INTERVAL_S = 30;

export interface IJobsModelOptions {
  api: Pick<IJobsAPI, 'listRuns' | 'listDefinitions'>;
  settings: ISettingsHolder;
}

export class JobsModel implements IDisposable {
  constructor(options: IJobsModelOptions) {
    this._api = options.api;
    this._settings = options.settings;
    this._poll = new Poll({
      auto: false,
      factory: () => this.refresh(),
      frequency: this._frequency(),
      name: 'studio:jobs',
      standby: () => !this._active || 'when-hidden'
    });
    this._settings.changed.connect(this._onSettings, this);
  }

  get runs(): readonly JobRun[] {
    return this._runs;
  }
  get runsTotal(): number {
    return this._runsTotal;
  }
  get definitions(): readonly JobDefinition[] {
    return this._definitions;
  }
  get definitionsTotal(): number {
    return this._definitionsTotal;
  }
  get error(): string | null {
    return this._error;
  }
  get loaded(): boolean {
    return this._loaded;
  }
  get tab(): JobsTab {
    return this._tab;
  }
  set tab(tab: JobsTab) {
    if (tab !== this._tab) {
      this._tab = tab;
      this._stateChanged.emit();
    }
  }
  /** The run whose details (log, failing cell, traceback) are open, if any. */
  get selectedRunId(): number | null {
    return this._selectedRunId;
  }
  set selectedRunId(id: number | null) {
    if (id !== this._selectedRunId) {
      this._selectedRunId = id;
      this._stateChanged.emit();
    }
  }
  get selectedRun(): JobRun | null {
    return this._runs.find(run => run.id === this._selectedRunId) ?? null;
  }
  /** The definition just created or asked for, marked in its tab. */
  get selectedDefinitionId(): number | null {
    return this._selectedDefinitionId;
  }
  set selectedDefinitionId(id: number | null) {
    if (id !== this._selectedDefinitionId) {
      this._selectedDefinitionId = id;
      this._stateChanged.emit();
    }
  }
  /** Whether a run is queued or running (the panel then refreshes every jobs interval). */
  get isLive(): boolean {
    return this._runs.some(run => !isFinal(run.status));
  }
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Show a run: its tab, its row selected (a new run first appears at the next load). */
  showRun(id: number): void {
    this._tab = 'runs';
    this._selectedRunId = id;
    this._stateChanged.emit();
  }

  showDefinition(id: number): void {
    this._tab = 'definitions';
    this._selectedDefinitionId = id;
    this._stateChanged.emit();
  }

  /** Load both lists now (one load at a time; callers during a load share it). */
  refresh(): Promise<void> {
    if (!this._pending) {
      this._pending = this._load().finally(() => {
        this._pending = null;
      });
    }
    return this._pending;
  }

  /** Poll only while `active` (the panel is seen); catch up once when seen again. */
  setActive(active: boolean): void {
    if (active === this._active) {
      return;
    }
    this._active = active;
    if (active) {
      void this._poll.start().then(() => {
        if (this._poll.state.phase === 'standby') {
          return this._poll.refresh();
        }
      });
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
    this._settings.changed.disconnect(this._onSettings, this);
    Signal.clearData(this);
  }

  private async _load(): Promise<void> {
    try {
      const [runs, definitions] = await Promise.all([
        this._api.listRuns({ maxResults: JOBS_PAGE }),
        this._api.listDefinitions({ maxResults: JOBS_PAGE })
      ]);
      if (this.isDisposed) {
        return;
      }
      this._runs = runs.runs;
      this._runsTotal = runs.total;
      this._definitions = definitions.definitions;
      this._definitionsTotal = definitions.total;
      this._error = null;
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this._loaded = true;
      if (!this.isDisposed) {
        this._retime();
        this._stateChanged.emit();
      }
    }
  }

  private _frequency() {
    const seconds = this.isLive
      ? this._settings.current.jobsInterval
      : Math.max(IDLE_INTERVAL_S, this._settings.current.jobsInterval);
    return pollFrequency(seconds);
  }

  private _onSettings(_: ISettingsHolder, __: IStudioSettings): void {
    this._retime();
  }

  /** Poll at the interval that fits now: a run started or ended moves the next tick. */
  private _retime(): void {
    const frequency = this._frequency();
    const changed = frequency.interval !== this._poll.frequency.interval;
    this._poll.frequency = frequency;
    if (changed && this._poll.state.phase !== 'constructed') {
      void this._poll.schedule({
        interval: frequency.interval,
        phase: 'refreshed'
      });
    }
  }

  private readonly _api: Pick<IJobsAPI, 'listRuns' | 'listDefinitions'>;
  private readonly _settings: ISettingsHolder;
  private readonly _poll: Poll;
  private readonly _stateChanged = new Signal<this, void>(this);
  private _pending: Promise<void> | null = null;
  private _runs: JobRun[] = [];
  private _runsTotal = 0;
  private _definitions: JobDefinition[] = [];
  private _definitionsTotal = 0;
  private _error: string | null = null;
  private _loaded = false;
  private _tab: JobsTab = 'runs';
  private _selectedRunId: number | null = null;
  private _selectedDefinitionId: number | null = null;
  private _active = false;
}
