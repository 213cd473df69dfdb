/**
 * A panel model's live refresh: one load at a time (callers during a load share it), repeated
 * every refresh interval (Studio's setting, backing off while the server fails) while the data
 * is live (a running run) and the panel is seen; a tick skipped while hidden is made up once
 * when the panel is seen again.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';

import type { ISettingsHolder, IStudioSettings } from '../tokens';
import { pollFrequency } from './pollFrequency';

export interface ILiveRefreshOptions {
  /** Names the poll (Lumino's, for debugging). */
  name: string;
  settings: ISettingsHolder;
  /** Load everything again; a rejection makes the poll back off. */
  load: () => Promise<void>;
}

export class LiveRefresh implements IDisposable {
  constructor(options: ILiveRefreshOptions) {
    this._load = options.load;
    this._settings = options.settings;
    this._poll = new Poll({
      auto: false,
      factory: () => this.refresh(),
      frequency: pollFrequency(this._settings.current.refreshInterval),
      name: options.name,
      standby: () => !this._active || 'when-hidden'
    });
    this._settings.changed.connect(this._onSettings, this);
  }

  /** Whether the data is live (refreshed every interval). */
  get isLive(): boolean {
    return this._live;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Load now (one load at a time; callers during a load share it). */
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
    if (active && this._poll.state.phase === 'standby') {
      void this._poll.refresh();
    }
  }

  /** Refresh every interval while live; false when nothing changed. */
  setLive(live: boolean): boolean {
    if (live === this._live) {
      return false;
    }
    this._live = live;
    if (live) {
      // The first tick waits one interval: the load that found the data live just ran.
      void this._poll.schedule({
        interval: this._poll.frequency.interval,
        phase: 'started'
      });
    } else {
      void this._poll.stop();
    }
    return true;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this._settings.changed.disconnect(this._onSettings, this);
  }

  private _onSettings(_: ISettingsHolder, settings: IStudioSettings): void {
    this._poll.frequency = pollFrequency(settings.refreshInterval);
  }

  private readonly _load: () => Promise<void>;
  private readonly _settings: ISettingsHolder;
  private readonly _poll: Poll;
  private _pending: Promise<void> | null = null;
  private _live = false;
  private _active = true;
}
