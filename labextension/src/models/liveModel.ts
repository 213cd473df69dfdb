/**
 * A panel model that reads everything it shows in one load, refreshed live (`LiveRefresh`):
 * the load's error (cleared by the next load that succeeds), whether a load has ended, and the
 * view told after each load. Subclasses say what a load reads and when the data is live.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { ISettingsHolder } from '../tokens';
import { LiveRefresh } from './liveRefresh';

export abstract class LiveModel implements IDisposable {
  /** `name` names the poll (Lumino's, for debugging). */
  constructor(name: string, settings: ISettingsHolder) {
    this.live = new LiveRefresh({
      name,
      settings,
      load: () => this._loadAndTell()
    });
  }

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }
  /** Why the last load failed; null once one succeeds. */
  get error(): string | null {
    return this._error;
  }
  /** A load has ended, failed or not. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Read everything now (one load at a time). */
  refresh(): Promise<void> {
    return this.live.refresh();
  }

  /** Poll only while `active` (the panel is seen). */
  setActive(active: boolean): void {
    this.live.setActive(active);
  }

  get isDisposed(): boolean {
    return this.live.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.live.dispose();
    Signal.clearData(this);
  }

  /** Read everything the model shows; a rejection is the load's error. */
  protected abstract load(): Promise<void>;

  /** After each load, failed or not, before the view is told (e.g. whether still live). */
  protected afterLoad(): void {
    // Nothing by default.
  }

  protected setError(error: unknown): void {
    this._error = error instanceof Error ? error.message : String(error);
  }

  private async _loadAndTell(): Promise<void> {
    try {
      await this.load();
      this._error = null;
    } catch (error) {
      this.setError(error);
      throw error;
    } finally {
      this._loaded = true;
      if (!this.isDisposed) {
        this.afterLoad();
        this._stateChanged.emit();
      }
    }
  }

  protected readonly live: LiveRefresh;
  protected readonly _stateChanged = new Signal<this, void>(this);
  private _error: string | null = null;
  private _loaded = false;
}
