/**
 * State of a run's Evaluation tab: the run's evaluations and the one shown. Loaded when the tab
 * is first shown and on the panel's refresh; refreshed live while the run is running and the
 * tab is seen (a job's `studio.evaluate` lands while the run runs).
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { Evaluation, IEvaluationAPI } from '../api/evaluation';
import type { ISettingsHolder } from '../tokens';
import { LiveRefresh } from './liveRefresh';

export interface IEvaluationModelOptions {
  api: IEvaluationAPI;
  runId: string;
  settings: ISettingsHolder;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The same evaluation: a label is rewritten as a whole, with a new creation time. */
function same(a: Evaluation, b: Evaluation): boolean {
  return a.label === b.label && a.created_at === b.created_at;
}

export class EvaluationModel implements IDisposable {
  constructor(options: IEvaluationModelOptions) {
    this._api = options.api;
    this.runId = options.runId;
    this._live = new LiveRefresh({
      name: `studio:evaluation:${this.runId}`,
      settings: options.settings,
      load: () => this._load()
    });
  }

  readonly runId: string;

  get stateChanged(): ISignal<EvaluationModel, void> {
    return this._changed;
  }
  /** The run's evaluations, the newest first. */
  get evaluations(): readonly Evaluation[] {
    return this._evaluations;
  }
  /** The evaluation shown: the one chosen, else the newest; null when the run has none. */
  get selected(): Evaluation | null {
    return (
      this._evaluations.find(e => e.label === this._label) ??
      this._evaluations[0] ??
      null
    );
  }
  get error(): string | null {
    return this._error;
  }
  /** True until the first load ends. */
  get loading(): boolean {
    return this._loading;
  }
  get isLive(): boolean {
    return this._live.isLive;
  }
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Show the evaluation labelled `label` (holdout, cv, test, training...). */
  select(label: string): void {
    if (label === this.selected?.label) {
      return;
    }
    this._label = label;
    this._changed.emit();
  }

  /** Poll only while the tab is seen; catch up once when it is seen again. */
  setActive(active: boolean): void {
    this._live.setActive(active);
  }

  /** Refresh every interval while the run is running; once more when it ends. */
  setLive(live: boolean): void {
    if (this._live.setLive(live) && !live) {
      this.refresh().catch(() => undefined);
    }
  }

  /** Load again (one load at a time; callers during a load share it). */
  refresh(): Promise<void> {
    return this._live.refresh();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._live.dispose();
    Signal.clearData(this);
  }

  private async _load(): Promise<void> {
    try {
      const answer = await this._api.getEvaluations(this.runId);
      if (this._isDisposed) {
        return;
      }
      // Unchanged evaluations keep their objects, so that their figures are not drawn again.
      this._evaluations = answer.evaluations.map(
        fresh => this._evaluations.find(old => same(old, fresh)) ?? fresh
      );
      this._error = null;
    } catch (error) {
      this._error = message(error);
      throw error;
    } finally {
      this._loading = false;
      if (!this._isDisposed) {
        this._changed.emit();
      }
    }
  }

  private readonly _api: IEvaluationAPI;
  private readonly _live: LiveRefresh;
  private readonly _changed = new Signal<EvaluationModel, void>(this);
  private _evaluations: readonly Evaluation[] = [];
  private _label: string | null = null;
  private _error: string | null = null;
  private _loading = true;
  private _isDisposed = false;
}
