/**
 * The notebook jobs' commands: create a job (from the file browser's context menu, the
 * notebook toolbar, the palette) and open the Jobs panel; the actions on a job run or a
 * definition are in jobActions.ts.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { attemptWith } from './attempt';
import {
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { Contents } from '@jupyterlab/services';
import type { Widget } from '@lumino/widgets';

import type { IJobsAPI, JobRun } from './api/jobs';
import { stringOf } from './commands';
import { jobsIcon } from './icons';
import { idOf, registerJobActions } from './jobActions';
import { IJobForm, definitionBody, emptyForm, runBody } from './models/jobForm';
import type { JobsSummaryModel } from './models/jobsSummary';
import { CommandIDs, IPanelContext } from './tokens';
import { askJobForm } from './widgets/jobDialog';
import type { JobLogPanel } from './widgets/jobLogPanel';
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
  /** Every open Studio panel (IStudioTracker): the Jobs panel joins it. */
  panels?: WidgetTracker<MainAreaWidget>;
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

  const attempt = attemptWith(trans);

  function openJobsPanel(): JobsPanel {
    const panel = trackers.jobs.currentWidget ?? new JobsPanel(context, api);
    if (!trackers.jobs.has(panel)) {
      void trackers.jobs.add(panel);
      void options.panels?.add(panel);
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

  registerJobActions(app, context, {
    ...options,
    attempt,
    openJobsPanel,
    started,
    refreshPanels
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
