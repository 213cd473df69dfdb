/**
 * The notebook jobs' commands: create a job (from the file browser's context menu, the
 * notebook toolbar, the palette), open the Jobs panel, and each action on a job run or a
 * definition. An action takes its target from its arguments, else from the row under the
 * context menu (data-job-run-id / data-job-definition-id).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  Notification,
  WidgetTracker,
  showDialog
} from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { Contents } from '@jupyterlab/services';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

import { isFinal } from './api/jobs';
import type { IJobsAPI, JobOutputName, JobRun } from './api/jobs';
import { stringOf } from './commands';
import { jobsIcon } from './icons';
import {
  IJobForm,
  definitionBody,
  definitionPatch,
  emptyForm,
  formOfDefinition,
  parameterText,
  parameterValues,
  runBody
} from './models/jobForm';
import type { JobsSummaryModel } from './models/jobsSummary';
import { CommandIDs, IPanelContext } from './tokens';
import { askJobForm } from './widgets/jobDialog';
import { JobLogPanel } from './widgets/jobLogPanel';
import { JobsPanel } from './widgets/jobsPanel';

export interface IJobsTrackers {
  jobs: WidgetTracker<JobsPanel>;
  logs: WidgetTracker<JobLogPanel>;
}

export function createJobsTrackers(): IJobsTrackers {
  return {
    jobs: new WidgetTracker<JobsPanel>({ namespace: 'studio-jobs' }),
    logs: new WidgetTracker<JobLogPanel>({ namespace: 'studio-job-log' })
  };
}

/** What the jobs commands need beyond the panel context. */
export interface IJobsCommandsOptions {
  api: IJobsAPI;
  summary: JobsSummaryModel;
  trackers: IJobsTrackers;
  /** Opens executed notebooks; without it, `docmanager:open` does. */
  docManager?: IDocumentManager | null;
}

/** The file browser as its left-area widget is (its package is not one Studio depends on). */
interface IFileBrowserLike {
  selectedItems?: () => IterableIterator<Contents.IModel>;
}

/** The notebook selected in the file browser (the context menu selects what it is over). */
export function selectedNotebook(app: JupyterFrontEnd): string | null {
  for (const widget of app.shell.widgets('left')) {
    const browser = widget as unknown as IFileBrowserLike;
    if (widget.id === 'filebrowser' && browser.selectedItems) {
      for (const item of browser.selectedItems()) {
        if (item.type === 'notebook' || item.path.endsWith('.ipynb')) {
          return item.path;
        }
      }
    }
  }
  return null;
}

/** The path of the notebook open in the main area's current tab. */
export function currentNotebook(app: JupyterFrontEnd): string | null {
  const widget = app.shell.currentWidget as
    (Widget & { context?: { path?: string } }) | null;
  const path = widget?.context?.path;
  return typeof path === 'string' && path.endsWith('.ipynb') ? path : null;
}

export function registerJobCommands(
  app: JupyterFrontEnd,
  context: IPanelContext,
  options: IJobsCommandsOptions
): void {
  const { commands, shell } = app;
  const { api, summary, trackers } = options;
  const trans = context.translator.load('jupyter-studio');

  const runIdOf = (args: ReadonlyPartialJSONObject) =>
    idOf(args.jobRunId) ?? underMenu(app, 'jobRunId');
  const definitionIdOf = (args: ReadonlyPartialJSONObject) =>
    idOf(args.definitionId) ?? underMenu(app, 'jobDefinitionId');
  const runArgs = describe('jobRunId', trans.__('The job run'));
  const definitionArgs = describe('definitionId', trans.__('The definition'));

  /** Run `action`; a failure is told with the server's message. */
  async function attempt<T>(
    what: string,
    action: () => Promise<T>
  ): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      Notification.error(trans.__('%1 failed: %2', what, message), {
        autoClose: 8000
      });
      return undefined;
    }
  }

  function openJobsPanel(): JobsPanel {
    const panel = trackers.jobs.currentWidget ?? new JobsPanel(context, api);
    if (!trackers.jobs.has(panel)) {
      void trackers.jobs.add(panel);
    }
    if (!panel.isAttached) {
      shell.add(panel, 'main');
    }
    shell.activateById(panel.id);
    return panel;
  }

  /** Show the new run in the Jobs panel, announce its end, say it was queued. */
  function started(run: JobRun, what: string): void {
    summary.watch(run.id);
    const panel = openJobsPanel();
    panel.model.showRun(run.id);
    void panel.refresh().catch(() => undefined);
    Notification.info(trans.__('%1: job run %2 queued', what, run.name), {
      autoClose: 5000
    });
  }

  commands.addCommand(CommandIDs.openJobs, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          jobRunId: { type: 'integer', description: trans.__('A run to show') },
          definitionId: {
            type: 'integer',
            description: trans.__('A definition to show')
          },
          isLauncher: { type: 'boolean' }
        }
      }
    },
    label: args => (args.isLauncher ? trans.__('Jobs') : trans.__('Open Jobs')),
    caption: trans.__('Open the notebook jobs: runs and definitions'),
    icon: args => (args.isLauncher ? jobsIcon : undefined),
    execute: args => {
      const panel = openJobsPanel();
      const jobRunId = idOf(args.jobRunId);
      const definitionId = idOf(args.definitionId);
      if (jobRunId !== null) {
        panel.model.showRun(jobRunId);
      } else if (definitionId !== null) {
        panel.model.showDefinition(definitionId);
      }
      return panel;
    }
  });

  commands.addCommand(CommandIDs.createJob, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: trans.__('The notebook, relative to the server root')
          },
          underContextMenu: { type: 'boolean' },
          toolbar: { type: 'boolean' }
        }
      }
    },
    label: args => (args.toolbar ? '' : trans.__('Create Notebook Job…')),
    caption: trans.__('Run this notebook as a job, now or on a schedule'),
    icon: args =>
      args.toolbar || args.underContextMenu ? jobsIcon : undefined,
    execute: async args => {
      const path =
        stringOf(args.path) ??
        (args.underContextMenu
          ? selectedNotebook(app)
          : (currentNotebook(app) ?? selectedNotebook(app)));
      if (path === null) {
        Notification.warning(
          trans.__(
            'Open a notebook, or select one in the file browser, to create a job from it.'
          ),
          { autoClose: 5000 }
        );
        return;
      }
      const form = await askJobForm({
        api,
        trans,
        form: emptyForm(path),
        title: trans.__('Create Notebook Job'),
        okLabel: trans.__('Create')
      });
      if (form !== null) {
        await submit(form);
      }
    }
  });

  async function submit(form: IJobForm): Promise<void> {
    if (form.mode === 'now') {
      const run = await attempt(trans.__('Creating the job'), () =>
        api.createRun(runBody(form))
      );
      if (run) {
        started(run, trans.__('Job created'));
      }
      return;
    }
    const definition = await attempt(trans.__('Creating the job'), () =>
      api.createDefinition(definitionBody(form))
    );
    if (definition) {
      const panel = openJobsPanel();
      panel.model.showDefinition(definition.id);
      void panel.refresh().catch(() => undefined);
      Notification.success(
        trans.__(
          'Job %1 scheduled: %2',
          definition.name,
          scheduleText(definition)
        ),
        { autoClose: 5000 }
      );
    }
  }

  /** The run an action names, read from the server (its latest state). */
  async function runOf(
    args: ReadonlyPartialJSONObject
  ): Promise<JobRun | null> {
    const id = runIdOf(args);
    if (id === null) {
      return null;
    }
    return (
      (await attempt(trans.__('Reading the job run'), () => api.getRun(id))) ??
      null
    );
  }

  commands.addCommand(CommandIDs.openJobOutput, {
    describedBy: runArgs,
    label: trans.__('Open Executed Notebook'),
    caption: trans.__('Open the notebook as the job ran it, with its outputs'),
    isEnabled: args => runIdOf(args) !== null,
    execute: async args => {
      const id = runIdOf(args);
      if (id === null) {
        return;
      }
      const path = await attempt(
        trans.__('Opening the executed notebook'),
        () => api.openOutput(id)
      );
      if (path === undefined) {
        return;
      }
      return options.docManager
        ? options.docManager.openOrReveal(path)
        : commands.execute('docmanager:open', { path });
    }
  });

  commands.addCommand(CommandIDs.openJobLog, {
    describedBy: runArgs,
    label: trans.__('View Log'),
    caption: trans.__('Follow the job run’s log'),
    isEnabled: args => runIdOf(args) !== null,
    execute: async args => {
      const run = await runOf(args);
      if (run === null) {
        return;
      }
      const panel =
        trackers.logs.find(log => log.jobRunId === run.id) ??
        new JobLogPanel(context, api, run.id, run.name);
      if (!trackers.logs.has(panel)) {
        void trackers.logs.add(panel);
      }
      if (!panel.isAttached) {
        shell.add(panel, 'main', { mode: 'split-bottom' });
      }
      shell.activateById(panel.id);
      return panel;
    }
  });

  /** Whether the run an action names may be in this state (a row says its status). */
  const runMayBe = (args: ReadonlyPartialJSONObject, ended: boolean) => {
    if (idOf(args.jobRunId) !== null) {
      return true;
    }
    const node = app.contextMenuHitTest(node => !!node.dataset.jobRunId);
    const status = node?.dataset.status as JobRun['status'] | undefined;
    return status !== undefined && isFinal(status) === ended;
  };

  commands.addCommand(CommandIDs.cancelJobRun, {
    describedBy: runArgs,
    label: trans.__('Cancel Job Run'),
    caption: trans.__('Stop the run (its process tree is killed)'),
    isEnabled: args => runMayBe(args, false),
    execute: async args => {
      const id = runIdOf(args);
      if (id !== null) {
        await attempt(trans.__('Cancelling the job run'), () =>
          api.cancelRun(id)
        );
        await refreshPanels();
      }
    }
  });

  commands.addCommand(CommandIDs.rerunJob, {
    describedBy: runArgs,
    label: trans.__('Re-run with Parameters…'),
    caption: trans.__('Run the same notebook again, with other parameters'),
    isEnabled: args => runMayBe(args, true),
    execute: async args => {
      const run = await runOf(args);
      if (run === null) {
        return;
      }
      const form = await askJobForm({
        api,
        trans,
        form: {
          ...emptyForm(run.notebook_path),
          name: run.name,
          parameters: Object.entries(run.parameters).map(([name, value]) => ({
            name,
            defaultText: parameterText(value),
            text: parameterText(value),
            given: true
          }))
        },
        title: trans.__('Re-run %1', run.name),
        okLabel: trans.__('Run'),
        parametersOnly: true
      });
      if (form === null) {
        return;
      }
      const again = await attempt(trans.__('Re-running the job'), () =>
        api.rerun(run.id, parameterValues(form))
      );
      if (again) {
        started(again, trans.__('Re-run'));
      }
    }
  });

  commands.addCommand(CommandIDs.openJobTrackedRun, {
    describedBy: runArgs,
    label: trans.__('Open Tracked Run'),
    caption: trans.__(
      'Open the run the job logged to (params, metrics, artifacts)'
    ),
    isEnabled: args => runIdOf(args) !== null,
    execute: async args => {
      const run = await runOf(args);
      if (run?.run_id) {
        return commands.execute(CommandIDs.openRun, { runId: run.run_id });
      }
    }
  });

  commands.addCommand(CommandIDs.downloadJobOutputs, {
    describedBy: runArgs,
    label: trans.__('Download Outputs'),
    caption: trans.__('Download the executed notebook, its HTML and the log'),
    isEnabled: args => runIdOf(args) !== null,
    execute: async args => {
      const run = await runOf(args);
      if (run === null) {
        return;
      }
      for (const name of run.outputs as JobOutputName[]) {
        const link = document.createElement('a');
        link.href = api.outputUrl(run.id, name);
        link.download = `${run.name}-${name}`;
        document.body.appendChild(link);
        link.click();
        link.remove();
      }
    }
  });

  commands.addCommand(CommandIDs.runJobDefinition, {
    describedBy: definitionArgs,
    label: trans.__('Run Now'),
    caption: trans.__('Run the definition now, with its parameters'),
    isEnabled: args => definitionIdOf(args) !== null,
    execute: async args => {
      const id = definitionIdOf(args);
      if (id === null) {
        return;
      }
      const run = await attempt(trans.__('Running the job'), () =>
        api.runDefinition(id, {})
      );
      if (run) {
        started(run, trans.__('Run now'));
      }
    }
  });

  commands.addCommand(CommandIDs.editJobDefinition, {
    describedBy: definitionArgs,
    label: trans.__('Edit Definition…'),
    caption: trans.__('Change the job’s parameters, schedule and settings'),
    isEnabled: args => definitionIdOf(args) !== null,
    execute: async args => {
      const id = definitionIdOf(args);
      const definition =
        id === null
          ? undefined
          : await attempt(trans.__('Reading the definition'), () =>
              api.getDefinition(id)
            );
      if (!definition) {
        return;
      }
      const form = await askJobForm({
        api,
        trans,
        form: formOfDefinition(definition),
        title: trans.__('Edit %1', definition.name),
        okLabel: trans.__('Save'),
        editing: true
      });
      if (form === null) {
        return;
      }
      await attempt(trans.__('Saving the definition'), () =>
        api.updateDefinition(definition.id, definitionPatch(form))
      );
      await refreshPanels();
    }
  });

  for (const [command, label, caption, call] of [
    [
      CommandIDs.pauseJobDefinition,
      trans.__('Pause'),
      trans.__('Stop scheduling the job (a running run goes on)'),
      (id: number) => api.pauseDefinition(id)
    ],
    [
      CommandIDs.resumeJobDefinition,
      trans.__('Resume'),
      trans.__('Schedule the job again'),
      (id: number) => api.resumeDefinition(id)
    ]
  ] as const) {
    commands.addCommand(command, {
      describedBy: definitionArgs,
      label,
      caption,
      isEnabled: args => definitionIdOf(args) !== null,
      execute: async args => {
        const id = definitionIdOf(args);
        if (id !== null) {
          await attempt(label, () => call(id));
          await refreshPanels();
        }
      }
    });
  }

  commands.addCommand(CommandIDs.deleteJobDefinition, {
    describedBy: definitionArgs,
    label: trans.__('Delete Definition…'),
    caption: trans.__('Delete the definition (its runs stay)'),
    isEnabled: args => definitionIdOf(args) !== null,
    execute: async args => {
      const id = definitionIdOf(args);
      if (id === null) {
        return;
      }
      const answer = await showDialog({
        title: trans.__('Delete the job definition?'),
        body: trans.__(
          'It will no longer run. Its past runs and their outputs stay.'
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: trans.__('Delete') })
        ]
      });
      if (answer.button.accept) {
        await attempt(trans.__('Deleting the definition'), () =>
          api.deleteDefinition(id)
        );
        await refreshPanels();
      }
    }
  });

  async function refreshPanels(): Promise<void> {
    const panels: JobsPanel[] = [];
    trackers.jobs.forEach(panel => panels.push(panel));
    await Promise.allSettled(panels.map(panel => panel.refresh()));
  }
}

/** A definition's schedule in words, or that it runs on demand. */
function scheduleText(definition: {
  schedule: string | null;
  schedule_description: string | null;
}): string {
  return definition.schedule_description ?? definition.schedule ?? '';
}

/** The id in a data attribute of the element under the context menu. */
function underMenu(
  app: JupyterFrontEnd,
  key: 'jobRunId' | 'jobDefinitionId'
): number | null {
  const node = app.contextMenuHitTest(node => !!node.dataset[key]);
  return idOf(node?.dataset[key]);
}

/** A job run's or definition's id, from a number or its digits. */
export function idOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) {
    return value;
  }
  return typeof value === 'string' && /^\d+$/.test(value.trim())
    ? Number(value)
    : null;
}

function describe(name: string, description: string) {
  return {
    args: {
      type: 'object' as const,
      properties: { [name]: { type: 'integer', description } }
    }
  };
}
