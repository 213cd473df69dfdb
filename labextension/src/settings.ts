/**
 * Studio's user settings, read from JupyterLab's setting registry.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { DEFAULT_SETTINGS, ISettingsHolder, IStudioSettings } from './tokens';

/** The plugin whose schema (schema/plugin.json) holds Studio's settings. */
export const SETTINGS_PLUGIN_ID = 'jupyter-studio:plugin';

/**
 * The current settings: the defaults until `load` resolves, then the user's, kept up to date
 * as they are edited in the settings editor.
 */
export class StudioSettings implements ISettingsHolder {
  get current(): IStudioSettings {
    return this._current;
  }

  get changed(): ISignal<ISettingsHolder, IStudioSettings> {
    return this._changed;
  }

  /** Read the settings and follow their changes; without a registry, the defaults stay. */
  async load(
    registry: ISettingRegistry | null,
    pluginId: string = SETTINGS_PLUGIN_ID
  ): Promise<void> {
    if (!registry) {
      return;
    }
    const settings = await registry.load(pluginId);
    this.update(settings.composite);
    settings.changed.connect(() => this.update(settings.composite));
  }

  /** Take new values (bad or missing ones fall back on the defaults); emits `changed`. */
  update(values: ReadonlyPartialJSONObject): void {
    const next = parseSettings(values);
    if (JSON.stringify(next) === JSON.stringify(this._current)) {
      return;
    }
    this._current = next;
    this._changed.emit(next);
  }

  private _current: IStudioSettings = { ...DEFAULT_SETTINGS };
  private _changed = new Signal<ISettingsHolder, IStudioSettings>(this);
}

/** Settings from raw values, each checked and kept within the schema's bounds. */
export function parseSettings(
  values: ReadonlyPartialJSONObject
): IStudioSettings {
  const interval = values.refreshInterval;
  const smoothing = values.defaultSmoothing;
  const columns = values.defaultColumns;
  const alertsInterval = values.alertsInterval;
  const notifications = values.debuggerNotifications;
  const jobsNotifications = values.jobsNotifications;
  return {
    refreshInterval: seconds(interval, DEFAULT_SETTINGS.refreshInterval),
    defaultSmoothing:
      typeof smoothing === 'number' && Number.isFinite(smoothing)
        ? Math.min(Math.max(smoothing, 0), 0.99)
        : DEFAULT_SETTINGS.defaultSmoothing,
    defaultColumns: Array.isArray(columns)
      ? columns.filter((column): column is string => typeof column === 'string')
      : [...DEFAULT_SETTINGS.defaultColumns],
    debuggerNotifications:
      typeof notifications === 'boolean'
        ? notifications
        : DEFAULT_SETTINGS.debuggerNotifications,
    alertsInterval: seconds(alertsInterval, DEFAULT_SETTINGS.alertsInterval),
    jobsInterval: seconds(values.jobsInterval, DEFAULT_SETTINGS.jobsInterval),
    jobsNotifications:
      typeof jobsNotifications === 'boolean'
        ? jobsNotifications
        : DEFAULT_SETTINGS.jobsNotifications,
    endpointInterval: seconds(
      values.endpointInterval,
      DEFAULT_SETTINGS.endpointInterval
    )
  };
}

/** An interval in seconds, kept within 1 s and an hour. */
function seconds(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.min(Math.max(value, 1), 3600)
    : fallback;
}
