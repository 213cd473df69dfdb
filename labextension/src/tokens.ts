/**
 * Studio's extension seams: the tokens other extensions require to build on Studio (its API
 * client, its watcher, its panels), the options every panel is built from, and the command ids.
 */
import type { IWidgetTracker, MainAreaWidget } from '@jupyterlab/apputils';
import type { CommandRegistry } from '@lumino/commands';
import { Token } from '@lumino/coreutils';
import type { Contents } from '@jupyterlab/services';
import type { ITranslator } from '@jupyterlab/translation';
import type { ISignal } from '@lumino/signaling';

import type { IDebuggerAPI } from './api/debugger';
import type { IEvaluationAPI } from './api/evaluation';
import type { IJobsAPI } from './api/jobs';
import type { IRegistryAPI } from './api/registry';
import type { IEndpointsAPI } from './api/serving';
import type { TrackingAPI } from './api/tracking';
import type { RunningRuns, StudioWatcher } from './watcher';

/** The typed client of Studio's REST API (tracking). */
export const IStudioAPI = new Token<TrackingAPI>(
  'jupyter-studio:IStudioAPI',
  'The typed client of Studio’s REST API.'
);

/** The application's watcher, and the running runs it keeps. */
export interface IStudioWatcher {
  /** Register further sources (the debugger's alerts, finished jobs) here. */
  readonly watcher: StudioWatcher;
  /** The runs running now; `ended` says when one finishes, fails or is killed. */
  readonly running: RunningRuns;
}

export const IStudioWatcher = new Token<IStudioWatcher>(
  'jupyter-studio:IStudioWatcher',
  'Studio’s one watcher of running runs (and later alerts and jobs), for notifications.'
);

/** A Studio main-area panel: an experiment's runs, a run, or a comparison. */
export type StudioPanel = MainAreaWidget;

/** Every open Studio panel (experiments, runs, comparisons). */
export type IStudioTracker = IWidgetTracker<StudioPanel>;

export const IStudioTracker = new Token<IStudioTracker>(
  'jupyter-studio:IStudioTracker',
  'Tracks every open Studio panel: experiments, runs and comparisons.'
);

/** Studio's user settings (schema/plugin.json). */
export interface IStudioSettings {
  /** Seconds between refreshes of live views (running runs, tables, charts). */
  refreshInterval: number;
  /** Default smoothing of metric charts, 0 (none) to 0.99. */
  defaultSmoothing: number;
  /** Columns the runs table shows by default, e.g. "metrics.accuracy", "params.max_depth". */
  defaultColumns: string[];
  /** Whether a debugger rule that fires raises a notification. */
  debuggerNotifications: boolean;
  /** Seconds between checks for new debugger findings (the alerts and notifications). */
  alertsInterval: number;
  /** Seconds between refreshes of the Jobs panel and its log while a job is queued or running. */
  jobsInterval: number;
  /** Whether a job run that ends raises a notification (with a button to its output). */
  jobsNotifications: boolean;
  /** Seconds between refreshes of an endpoint panel's charts and evaluation while it is seen. */
  endpointInterval: number;
}

export const DEFAULT_SETTINGS: IStudioSettings = {
  refreshInterval: 5,
  defaultSmoothing: 0,
  defaultColumns: [],
  debuggerNotifications: true,
  alertsInterval: 5,
  jobsInterval: 2,
  jobsNotifications: true,
  endpointInterval: 2
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
  /** The debugger's routes: without it, run panels have no Debugger tab. */
  debugger?: IDebuggerAPI;
  /** The jobs' routes: without it, no Jobs panel, dialog or sidebar section. */
  jobs?: IJobsAPI;
  /** The registry's routes: without it, no Registry section, version page or deploy dialog. */
  registry?: IRegistryAPI;
  /** The endpoints' routes: without it, no endpoint panel or deploy dialog. */
  endpoints?: IEndpointsAPI;
  /** The evaluation routes: without it, run panels have no Evaluation tab. */
  evaluation?: IEvaluationAPI;
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
  /** Open a run on its Debugger tab: args { runId: string, step?: number, tensor?: string }. */
  export const openDebugger = 'studio:open-debugger';
  /** Refresh every open Studio view. */
  export const refresh = 'studio:refresh';
  /** Copy a run's id: args { runId }, else the run under the context menu. */
  export const copyRunId = 'studio:copy-run-id';
  /** Rename a run: args { runId }, else the run under the context menu. */
  export const renameRun = 'studio:rename-run';
  /** Delete a run (asks first): args { runId }, else the run under the context menu. */
  export const deleteRun = 'studio:delete-run';
  /** Rename an experiment: args { experimentId }, else the one under the context menu. */
  export const renameExperiment = 'studio:rename-experiment';
  /** Archive an experiment: args { experimentId }, else the one under the context menu. */
  export const archiveExperiment = 'studio:archive-experiment';
  /** Delete an experiment with its runs (asks first): args { experimentId }, else the one
   * under the context menu. */
  export const deleteExperiment = 'studio:delete-experiment';
  /** Create a notebook job: args { path } (relative to the server root), else the notebook
   * selected in the file browser, else the current notebook. */
  export const createJob = 'studio:create-job';
  /** Open the Jobs panel: args { jobRunId?, definitionId? } to show one. */
  export const openJobs = 'studio:open-jobs';
  /** Job run actions: args { jobRunId }, else the row under the context menu. */
  export const openJobOutput = 'studio:open-job-output';
  export const openJobLog = 'studio:open-job-log';
  export const cancelJobRun = 'studio:cancel-job-run';
  export const rerunJob = 'studio:rerun-job';
  export const openJobTrackedRun = 'studio:open-job-tracked-run';
  export const downloadJobOutputs = 'studio:download-job-outputs';
  /** Definition actions: args { definitionId }, else the row under the context menu. */
  export const runJobDefinition = 'studio:run-job-definition';
  export const editJobDefinition = 'studio:edit-job-definition';
  export const pauseJobDefinition = 'studio:pause-job-definition';
  export const resumeJobDefinition = 'studio:resume-job-definition';
  export const deleteJobDefinition = 'studio:delete-job-definition';
  /** Show the sidebar's Registry section (the models, their versions and aliases). */
  export const openRegistry = 'studio:open-registry';
  /** Open a version's page: args { model, version }, else the version under the context menu. */
  export const openModelVersion = 'studio:open-model-version';
  /** Deploy a version (the deploy dialog): args { model, version }, else the one under the
   * context menu, else asks for a `models:/` URI. */
  export const deployModelVersion = 'studio:deploy-model-version';
  /** Approve a version (asks first): args { model, version }, else the one under the menu. */
  export const approveModelVersion = 'studio:approve-model-version';
  /** Reject a version with a comment: args { model, version }. */
  export const rejectModelVersion = 'studio:reject-model-version';
  /** Score a file with a version, as a job: args { model, version }. */
  export const batchTransform = 'studio:batch-transform';
  /** Copy a version's `models:/` URI: args { model, version }, else the one under the menu. */
  export const copyModelUri = 'studio:copy-model-uri';
  /** Open an endpoint's panel: args { name }, else asks which. */
  export const openEndpoint = 'studio:open-endpoint';
  /** Train a built-in algorithm on a data file (the dialog): args { path }, else the CSV or
   * Parquet file selected in the file browser, else asks. */
  export const trainModel = 'studio:train-model';
  /** Start an AutoML search on a data file (the dialog): args like trainModel's. */
  export const runAutoML = 'studio:run-automl';
  /** Open the AutoML panel: args { runId? } to show one search. */
  export const openAutoML = 'studio:open-automl';
}
