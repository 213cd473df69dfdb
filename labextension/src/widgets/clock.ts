/**
 * A view's clock: redraws the view once a second while something it shows runs (elapsed
 * times, the current cell's time) and it is seen; stopped otherwise.
 */
import type { IDisposable } from '@lumino/disposable';

/** Elapsed times tick once a second. */
export const CLOCK_MS = 1000;

export class Clock implements IDisposable {
  constructor(private readonly _tick: () => void) {}

  /** Tick while `needed`, stop otherwise. */
  sync(needed: boolean): void {
    if (needed && this._timer === null) {
      this._timer = window.setInterval(this._tick, CLOCK_MS);
    } else if (!needed) {
      this.stop();
    }
  }

  stop(): void {
    if (this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    this.stop();
    this._disposed = true;
  }

  private _timer: number | null = null;
  private _disposed = false;
}
