/**
 * Studio's activation: the API client, the application's watcher (with its notifications), and
 * the sidebar, commands, menus, palette and launcher entries, and the trackers that reopen
 * panels when JupyterLab reloads. Nothing here waits on the server.
 */
import type { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { ILauncher } from '@jupyterlab/launcher';
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { ITranslator } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';

import { registerActions } from './actions';
import { AutoMLAPI } from './api/automl';
import { DebuggerAPI, Alert } from './api/debugger';
import { EvaluationAPI } from './api/evaluation';
import { JOB_RUN_TAG, JobsAPI, JobRun } from './api/jobs';
import { RegistryAPI } from './api/registry';
import { EndpointsAPI } from './api/serving';
import type { TrackingAPI } from './api/tracking';
import { TrainingAPI } from './api/training';
import type { Run } from './api/types';
import {
  PALETTE_CATEGORY,
  addToPalette,
  createTrackers,
  registerCommands,
  restoreOptions
} from './commands';
import { createJobsTrackers, registerJobCommands } from './jobCommands';
import { AlertsModel } from './models/alertsModel';
import { JobsSummaryModel } from './models/jobsSummary';
import { RegistryModel } from './models/registryModel';
import {
  createRegistryTrackers,
  registerRegistryCommands,
  registryRestoreOptions
} from './registryCommands';
import { StudioSettings } from './settings';
import {
  CommandIDs,
  IPanelContext,
  ISettingsHolder,
  IStudioTracker,
  IStudioWatcher
} from './tokens';
import {
  createAutoMLTracker,
  registerTrainingCommands
} from './trainingCommands';
import { RunningRuns, StudioWatcher } from './watcher';
import { StudioSidebar } from './widgets/sidebar';

/** Where the sidebar sits among the left-hand panels (JupyterLab's own use 100 to 500). */
export const SIDEBAR_RANK = 600;

/** Services Studio uses when the application has them. */
export interface IOptionalServices {
  palette?: ICommandPalette | null;
  launcher?: ILauncher | null;
  /** Opens a job's executed notebook (else the `docmanager:open` command does). */
  docManager?: IDocumentManager | null;
}

/** Studio's settings, the defaults until the registry answers. */
function loadSettings(registry: ISettingRegistry | null): StudioSettings {
  const settings = new StudioSettings();
  settings.load(registry).catch(reason => {
    console.warn(
      'Studio: settings could not be loaded; the defaults apply.',
      reason
    );
  });
  return settings;
}

/** The application's watcher, with the running runs as its first source. */
export function activateWatcher(
  app: JupyterFrontEnd,
  api: TrackingAPI,
  settingRegistry: ISettingRegistry | null,
  translator: ITranslator
): IStudioWatcher {
  const watcher = new StudioWatcher({
    settings: loadSettings(settingRegistry)
  });
  const running = new RunningRuns(api);
  watcher.register(running);
  const trans = translator.load('jupyter-studio');
  running.ended.connect((_, run) => {
    // A job's tracking run: the job's own notification says how it ended.
    if (!(JOB_RUN_TAG in run.tags)) {
      announceEnd(app, run, trans);
    }
  });
  return { watcher, running };
}

/** A notification that a watched run ended, with an action that opens it. */
function announceEnd(
  app: JupyterFrontEnd,
  run: Run,
  trans: ReturnType<ITranslator['load']>
): void {
  const name = run.name || run.id.slice(0, 8);
  const options = {
    autoClose: 10000,
    actions: [
      {
        label: trans.__('Open'),
        caption: trans.__('Open the run'),
        callback: () =>
          void app.commands.execute(CommandIDs.openRun, { runId: run.id })
      }
    ]
  };
  if (run.status === 'FAILED') {
    Notification.error(trans.__('Run %1 failed', name), options);
  } else if (run.status === 'KILLED') {
    Notification.warning(trans.__('Run %1 was stopped', name), options);
  } else {
    Notification.success(trans.__('Run %1 finished', name), options);
  }
}

/** A notification that a job run ended, with buttons to its executed notebook and the panel. */
export function announceJobEnd(
  commands: CommandRegistry,
  settings: ISettingsHolder,
  run: JobRun,
  trans: ReturnType<ITranslator['load']>
): void {
  if (!settings.current.jobsNotifications) {
    return;
  }
  const actions = [
    ...(run.outputs.includes('output.ipynb')
      ? [
          {
            label: trans.__('Open notebook'),
            caption: trans.__('Open the executed notebook'),
            callback: () =>
              void commands.execute(CommandIDs.openJobOutput, {
                jobRunId: run.id
              })
          }
        ]
      : []),
    {
      label: trans.__('Jobs'),
      caption: trans.__('Show the run in the Jobs panel'),
      callback: () =>
        void commands.execute(CommandIDs.openJobs, { jobRunId: run.id })
    }
  ];
  const options = { autoClose: 15000, actions };
  if (run.status === 'SUCCEEDED') {
    Notification.success(trans.__('Job %1 succeeded', run.name), options);
  } else if (run.status === 'CANCELLED') {
    Notification.warning(trans.__('Job %1 was cancelled', run.name), options);
  } else {
    const why = run.error ? `: ${run.error}` : '';
    const text =
      run.status === 'TIMED_OUT'
        ? trans.__('Job %1 timed out%2', run.name, why)
        : run.status === 'STOPPED_BY_RULE'
          ? trans.__('Job %1 was stopped by a rule%2', run.name, why)
          : trans.__('Job %1 failed%2', run.name, why);
    Notification.error(text, options);
  }
}

/** A finding about NaN or infinite values (an error: training cannot recover from it). */
const NON_FINITE = /\b(nan|inf|infinity|infinite|non-finite)\b|exploding/i;

/** At most this many findings of one check raise a notification each; the rest, one in all. */
const NOTIFIED_FINDINGS = 3;

/** A notification per finding that arrived (a rule fired), with "Open" at its step. */
export function announceFindings(
  commands: CommandRegistry,
  settings: ISettingsHolder,
  arrived: Alert[],
  trans: ReturnType<ITranslator['load']>
): void {
  if (!settings.current.debuggerNotifications) {
    return;
  }
  for (const alert of arrived.slice(0, NOTIFIED_FINDINGS)) {
    const run = alert.run_name || alert.run_id.slice(0, 8);
    const args = {
      runId: alert.run_id,
      step: alert.step,
      ...(alert.tensors.length ? { tensor: alert.tensors[0] } : {})
    };
    const text = trans.__(
      '%1 fired on run %2 at step %3: %4',
      alert.rule,
      run,
      alert.step,
      alert.message
    );
    // Non-finite values stop being recoverable; the others are warnings to look at.
    const notify = NON_FINITE.test(`${alert.rule} ${alert.message}`)
      ? Notification.error
      : Notification.warning;
    notify(text, {
      autoClose: 20000,
      actions: [
        {
          label: trans.__('Open'),
          caption: trans.__('Open the run’s debugger at step %1', alert.step),
          callback: () => void commands.execute(CommandIDs.openDebugger, args)
        }
      ]
    });
  }
  const more = arrived.length - NOTIFIED_FINDINGS;
  if (more > 0) {
    Notification.warning(
      trans._n(
        '%1 more debugger finding: see Alerts in the Studio sidebar',
        '%1 more debugger findings: see Alerts in the Studio sidebar',
        more
      ),
      { autoClose: 20000 }
    );
  }
}

export function activateStudio(
  app: JupyterFrontEnd,
  api: TrackingAPI,
  watched: IStudioWatcher,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null,
  translator: ITranslator,
  services: IOptionalServices = {}
): IStudioTracker {
  const debuggerApi = new DebuggerAPI();
  const jobsApi = new JobsAPI();
  const registryApi = new RegistryAPI();
  const endpointsApi = new EndpointsAPI();
  const context: IPanelContext = {
    api,
    commands: app.commands,
    settings: loadSettings(settingRegistry),
    translator,
    contents: app.serviceManager.contents,
    debugger: debuggerApi,
    jobs: jobsApi,
    registry: registryApi,
    endpoints: endpointsApi,
    evaluation: new EvaluationAPI()
  };
  const alerts = new AlertsModel({
    api: debuggerApi,
    settings: context.settings
  });
  const trans = translator.load('jupyter-studio');
  alerts.arrived.connect((_, arrived) =>
    announceFindings(app.commands, context.settings, arrived, trans)
  );

  const jobs = new JobsSummaryModel(jobsApi);
  watched.watcher.register(jobs);
  jobs.ended.connect((_, run) =>
    announceJobEnd(app.commands, context.settings, run, trans)
  );

  const sidebar = new StudioSidebar(
    context,
    watched.watcher,
    watched.running,
    alerts,
    jobs,
    new RegistryModel({
      api: registryApi,
      endpoints: endpointsApi,
      settings: context.settings
    })
  );
  app.shell.add(sidebar, 'left', { rank: SIDEBAR_RANK });

  const trackers = createTrackers();
  registerCommands(app, context, sidebar, trackers);
  registerActions(app, context, trackers);
  const jobsTrackers = createJobsTrackers();
  registerJobCommands(app, context, {
    api: jobsApi,
    summary: jobs,
    trackers: jobsTrackers,
    docManager: services.docManager,
    panels: trackers.panels
  });
  const registryTrackers = createRegistryTrackers();
  registerRegistryCommands(app, context, {
    registry: registryApi,
    endpoints: endpointsApi,
    trackers: registryTrackers,
    sidebar,
    docManager: services.docManager,
    panels: trackers.panels
  });
  const automlTracker = createAutoMLTracker();
  registerTrainingCommands(app, context, {
    training: new TrainingAPI(),
    automl: new AutoMLAPI(),
    summary: jobs,
    tracker: automlTracker,
    docManager: services.docManager,
    panels: trackers.panels
  });
  if (services.palette) {
    addToPalette(services.palette);
    for (const command of [
      CommandIDs.trainModel,
      CommandIDs.runAutoML,
      CommandIDs.openAutoML
    ]) {
      services.palette.addItem({ command, category: PALETTE_CATEGORY });
    }
  }
  services.launcher?.add({
    command: CommandIDs.openExperiments,
    args: { isLauncher: true },
    category: PALETTE_CATEGORY,
    rank: 1
  });
  services.launcher?.add({
    command: CommandIDs.openJobs,
    args: { isLauncher: true },
    category: PALETTE_CATEGORY,
    rank: 2
  });
  services.launcher?.add({
    command: CommandIDs.openRegistry,
    args: { isLauncher: true },
    category: PALETTE_CATEGORY,
    rank: 3
  });
  services.launcher?.add({
    command: CommandIDs.runAutoML,
    args: { isLauncher: true },
    category: PALETTE_CATEGORY,
    rank: 4
  });

  if (restorer) {
    restorer.add(sidebar, 'jp-studio-sidebar');
    void restorer.restore(trackers.experiments, restoreOptions.experiments);
    void restorer.restore(trackers.runs, restoreOptions.runs);
    void restorer.restore(trackers.compares, restoreOptions.compares);
    void restorer.restore(jobsTrackers.jobs, {
      command: CommandIDs.openJobs,
      name: () => 'jobs'
    });
    void restorer.restore(
      registryTrackers.versions,
      registryRestoreOptions.versions
    );
    void restorer.restore(
      registryTrackers.endpoints,
      registryRestoreOptions.endpoints
    );
    void restorer.restore(automlTracker, {
      command: CommandIDs.openAutoML,
      name: () => 'automl'
    });
  }
  return trackers.panels;
}
