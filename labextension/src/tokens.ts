/**
 * Studio's extension seams: the options every panel is built from, and the command ids.
 */
import type { CommandRegistry } from '@lumino/commands';
import type { Contents } from '@jupyterlab/services';
import type { ITranslator } from '@jupyterlab/translation';
import type { ISignal } from '@lumino/signaling';

import type { TrackingAPI } from './api/tracking';

/** Studio's user settings (schema/plugin.json). */
export interface IStudioSettings {
  /** Seconds between refreshes of live views (running runs, tables, charts). */
  refreshInterval: number;
  /** Default smoothing of metric charts, 0 (none) to 0.99. */
  defaultSmoothing: number;
  /** Columns the runs table shows by default, e.g. "metrics.accuracy", "params.max_depth". */
  defaultColumns: string[];
}

export const DEFAULT_SETTINGS: IStudioSettings = {
  refreshInterval: 5,
  defaultSmoothing: 0,
  defaultColumns: []
};

/** Holds the current settings and says when they change. */
export interface ISettingsHolder {
  readonly current: IStudioSettings;
  readonly changed: ISignal<ISettingsHolder, IStudioSettings>;
}

/** What every Studio panel and the sidebar are built with. */
export interface IPanelContext {
  api: TrackingAPI;
  commands: CommandRegistry;
  settings: ISettingsHolder;
  translator: ITranslator;
  /**
   * The server's contents (app.serviceManager.contents): the run panel saves a copy of an
   * artifact there to open it in JupyterLab. Without it, artifacts can only be downloaded.
   */
  contents?: Contents.IManager;
}

export namespace CommandIDs {
  /** Show the Studio sidebar. */
  export const openSidebar = 'studio:open-sidebar';
  /** Open an experiment's runs table: args { experimentId: number }. */
  export const openExperiment = 'studio:open-experiment';
  /** Open "Studio: Open Experiments": the sidebar, or the most recent experiment. */
  export const openExperiments = 'studio:open-experiments';
  /** Open a run: args { runId: string }. */
  export const openRun = 'studio:open-run';
  /** Compare runs: args { runIds: string[] }; without args, the selected runs. */
  export const compareRuns = 'studio:compare-runs';
  /** Refresh every open Studio view. */
  export const refresh = 'studio:refresh';
}
