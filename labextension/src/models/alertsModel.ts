/**
 * The debugger's alerts across runs: the recent findings the sidebar lists, and the ones that
 * arrive while JupyterLab is open, which `arrived` announces (the notifications). Findings
 * stored before the page opened are listed, never announced.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { Alert, IDebuggerAPI } from '../api/debugger';
import type { ISettingsHolder, IStudioSettings } from '../tokens';
import { pollFrequency } from './pollFrequency';

/** How many recent alerts the sidebar lists. */
export const RECENT_ALERTS = 20;

export interface IAlertsModelOptions {
  api: Pick<IDebuggerAPI, 'getAlerts'>;
  settings: ISettingsHolder;
  /** Start polling at once (tests drive `check` themselves). */
  auto?: boolean;
}

export class AlertsModel implements IDisposable {
  constructor(options: IAlertsModelOptions) {
    this._api = options.api;
    this._settings = options.settings;
    this._poll = new Poll({
      auto: options.auto ?? true,
      factory: () => this.check(),
      frequency: pollFrequency(this._settings.current.alertsInterval),
      name: 'studio:debugger-alerts',
      standby: 'when-hidden'
    });
    this._settings.changed.connect(this._onSettings, this);
  }

  /** The recent alerts, the newest first. */
  get alerts(): readonly Alert[] {
    return this._alerts;
  }
  get error(): string | null {
    return this._error;
  }
  get loaded(): boolean {
    return this._lastId !== undefined;
  }
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }
  /** Findings stored since the page opened, oldest first, once each. */
  get arrived(): ISignal<this, Alert[]> {
    return this._arrived;
  }

  /** Ask for what is new: the first time, the recent alerts; then those after the last seen. */
  async check(): Promise<void> {
    const first = this._lastId === undefined;
    let answer;
    try {
      answer = await this._api.getAlerts(
        first ? null : this._lastId,
        RECENT_ALERTS
      );
      this._error = null;
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
      this._stateChanged.emit();
      throw error;
    }
    if (this._poll.isDisposed) {
      return;
    }
    const known = new Set(this._alerts.map(alert => alert.id));
    const fresh = answer.alerts
      .filter(alert => !known.has(alert.id))
      .sort((a, b) => a.id - b.id);
    this._lastId = answer.last_id ?? this._lastId ?? null;
    this._alerts = [...[...fresh].reverse(), ...this._alerts].slice(
      0,
      RECENT_ALERTS
    );
    this._stateChanged.emit();
    if (!first && fresh.length > 0) {
      this._arrived.emit(fresh);
    }
  }

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
    Signal.clearData(this);
  }

  private _onSettings(_: ISettingsHolder, settings: IStudioSettings): void {
    this._poll.frequency = pollFrequency(settings.alertsInterval);
  }

  private readonly _api: Pick<IDebuggerAPI, 'getAlerts'>;
  private readonly _settings: ISettingsHolder;
  private readonly _poll: Poll;
  private readonly _stateChanged = new Signal<this, void>(this);
  private readonly _arrived = new Signal<this, Alert[]>(this);
  private _alerts: Alert[] = [];
  /** undefined before the first answer; null when no finding exists yet. */
  private _lastId: number | null | undefined = undefined;
  private _error: string | null = null;
}
