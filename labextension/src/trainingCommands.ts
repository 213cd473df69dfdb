/**
 * The commands of built-in training and AutoML: "Train a Model…" and "Run AutoML…" on a CSV
 * or Parquet file (the file browser's context menu, the palette, the launcher), and the AutoML
 * panel. Both dialogs end in a notebook job, announced with buttons to the Jobs panel and to
 * the job's tracked run; the job's end is announced like any job's.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  InputDialog,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { Contents } from '@jupyterlab/services';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

import { automlTemplatePath } from './api/automl';
import type { IAutoMLAPI } from './api/automl';
import type { JobRun } from './api/jobs';
import { DATA_FILE, trainTemplatePath } from './api/training';
import type { ITrainingAPI } from './api/training';
import { stringOf } from './commands';
import { automlIcon } from './icons';
import type { JobsSummaryModel } from './models/jobsSummary';
import { CommandIDs, IPanelContext } from './tokens';
import { askAutoML } from './widgets/automlDialog';
import { AutoMLPanel } from './widgets/automlPanel';
import { askTrain } from './widgets/trainDialog';

export interface ITrainingCommandsOptions {
  training: ITrainingAPI;
  automl: IAutoMLAPI;
  /** Announces the job's end (the jobs' own notifications). */
  summary?: JobsSummaryModel;
  tracker: WidgetTracker<AutoMLPanel>;
  docManager?: IDocumentManager | null;
  /** Every open Studio panel (IStudioTracker): the AutoML panel joins it. */
  panels?: WidgetTracker<MainAreaWidget>;
}

export function createAutoMLTracker(): WidgetTracker<AutoMLPanel> {
  return new WidgetTracker<AutoMLPanel>({ namespace: 'studio-automl' });
}

/** The file browser as its left-area widget is (its package is not one Studio depends on). */
interface IFileBrowserLike {
  selectedItems?: () => IterableIterator<Contents.IModel>;
}

/** The CSV or Parquet file selected in the file browser (the context menu selects it). */
export function selectedDataFile(app: JupyterFrontEnd): string | null {
  for (const widget of app.shell.widgets('left')) {
    const browser = widget as unknown as IFileBrowserLike;
    if (widget.id === 'filebrowser' && browser.selectedItems) {
      for (const item of browser.selectedItems()) {
        if (item.type !== 'directory' && DATA_FILE.test(item.path)) {
          return item.path;
        }
      }
    }
  }
  return null;
}

/** The data file open in the main area's current tab (a CSV viewer). */
function currentDataFile(app: JupyterFrontEnd): string | null {
  const widget = app.shell.currentWidget as
    (Widget & { context?: { path?: string } }) | null;
  const path = widget?.context?.path;
  return typeof path === 'string' && DATA_FILE.test(path) ? path : null;
}

export function registerTrainingCommands(
  app: JupyterFrontEnd,
  context: IPanelContext,
  options: ITrainingCommandsOptions
): void {
  const { commands, shell } = app;
  const { training, automl, tracker } = options;
  const trans = context.translator.load('jupyter-studio');

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

  /** The file the command is for: its args, the selection, the open file, else asked. */
  async function dataFileOf(
    args: ReadonlyPartialJSONObject,
    title: string
  ): Promise<string | null> {
    const given = stringOf(args.path);
    if (given !== null) {
      return given;
    }
    const selected = selectedDataFile(app);
    if (args.underContextMenu) {
      return selected;
    }
    return (
      currentDataFile(app) ?? selected ?? (await askDataFile(title, trans))
    );
  }

  function openNotebook(path: string): void {
    void (options.docManager
      ? options.docManager.openOrReveal(path)
      : commands.execute('docmanager:open', { path }));
    void commands
      .execute('filebrowser:go-to-path', { path, dontShowBrowser: true })
      .catch(() => undefined);
  }

  /** The one AutoML panel, created on first use (the tracker learns of it asynchronously). */
  let current: AutoMLPanel | null = null;

  function openPanel(): AutoMLPanel {
    if (!current || current.isDisposed) {
      current =
        tracker.currentWidget ??
        new AutoMLPanel(context, automl, { openNotebook });
    }
    const panel = current;
    if (!tracker.has(panel)) {
      void tracker.add(panel);
      void options.panels?.add(panel);
    }
    if (!panel.isAttached) {
      shell.add(panel, 'main');
    }
    shell.activateById(panel.id);
    return panel;
  }

  /** Say the job was queued, with buttons to the Jobs panel and its run; announce its end. */
  function queued(
    run: JobRun,
    text: string,
    template: string,
    extra: Notification.IAction[] = []
  ): void {
    options.summary?.watch(run.id);
    Notification.info(text, {
      autoClose: 15000,
      actions: [
        ...extra,
        {
          label: trans.__('Notebook'),
          caption: trans.__(
            'Open the template notebook beside the data, to edit'
          ),
          callback: () => openNotebook(template)
        },
        {
          label: trans.__('Jobs'),
          caption: trans.__('Show the job run in the Jobs panel'),
          callback: () =>
            void commands.execute(CommandIDs.openJobs, { jobRunId: run.id })
        },
        {
          label: trans.__('Open run'),
          caption: trans.__('Open the run the job logs to'),
          callback: () =>
            void commands.execute(CommandIDs.openJobTrackedRun, {
              jobRunId: run.id
            })
        }
      ]
    });
  }

  const fileArgs = {
    type: 'object',
    properties: {
      path: {
        type: 'string',
        description: trans.__(
          'A CSV or Parquet file, relative to the server root'
        )
      },
      underContextMenu: { type: 'boolean' },
      isLauncher: { type: 'boolean' }
    }
  };

  commands.addCommand(CommandIDs.trainModel, {
    describedBy: { args: fileArgs },
    label: trans.__('Train a Model…'),
    caption: trans.__(
      'Train a built-in algorithm on a CSV or Parquet file, as a notebook job'
    ),
    isVisible: args => !args.underContextMenu || selectedDataFile(app) !== null,
    execute: async args => {
      const path = await dataFileOf(args, trans.__('Train a Model'));
      if (path === null) {
        return;
      }
      const body = await askTrain(training, path, trans);
      if (!body) {
        return;
      }
      const run = await attempt(trans.__('Starting the training'), () =>
        training.train(body)
      );
      if (run) {
        queued(
          run,
          trans.__('Training queued: job run %1', run.name),
          trainTemplatePath(path, body.algorithm)
        );
      }
      return run;
    }
  });

  commands.addCommand(CommandIDs.runAutoML, {
    describedBy: { args: fileArgs },
    label: args =>
      args.isLauncher ? trans.__('AutoML') : trans.__('Run AutoML…'),
    caption: trans.__(
      'Search pipelines and algorithms on a CSV or Parquet file within a time budget'
    ),
    icon: args => (args.isLauncher ? automlIcon : undefined),
    isVisible: args => !args.underContextMenu || selectedDataFile(app) !== null,
    execute: async args => {
      const path = await dataFileOf(args, trans.__('Run AutoML'));
      if (path === null) {
        return;
      }
      const body = await askAutoML(training, path, trans);
      if (!body) {
        return;
      }
      const run = await attempt(trans.__('Starting AutoML'), () =>
        automl.start(body)
      );
      if (run) {
        // The panel shows the search as soon as the job starts it.
        void openPanel()
          .model.awaitJob(run.id)
          .catch(() => undefined);
        queued(
          run,
          trans.__('AutoML queued: job run %1', run.name),
          automlTemplatePath(path),
          [
            {
              label: trans.__('AutoML'),
              caption: trans.__('Open the AutoML panel'),
              callback: () =>
                void commands.execute(CommandIDs.openAutoML, {
                  jobRunId: run.id
                })
            }
          ]
        );
      }
      return run;
    }
  });

  commands.addCommand(CommandIDs.openAutoML, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          runId: { type: 'string', description: trans.__('A search to show') },
          jobRunId: {
            type: 'integer',
            description: trans.__(
              'The job run whose search to show once it starts'
            )
          }
        }
      }
    },
    label: trans.__('Open AutoML'),
    caption: trans.__('Open the AutoML searches and their leaderboards'),
    execute: args => {
      const panel = openPanel();
      const runId = stringOf(args.runId);
      const jobRunId = args.jobRunId;
      const loaded = runId
        ? panel.model.select(runId)
        : typeof jobRunId === 'number'
          ? panel.model.awaitJob(jobRunId)
          : panel.refresh();
      void loaded.catch(() => undefined);
      return panel;
    }
  });
}

/** Ask for a data file's path; null when cancelled or not a CSV or Parquet file. */
async function askDataFile(
  title: string,
  trans: TranslationBundle
): Promise<string | null> {
  const answer = await InputDialog.getText({
    title,
    label: trans.__('A CSV or Parquet file, relative to the server root'),
    placeholder: trans.__('data/train.csv'),
    okLabel: trans.__('Next')
  });
  const path = answer.button.accept ? stringOf(answer.value) : null;
  if (path !== null && !DATA_FILE.test(path)) {
    Notification.warning(trans.__('“%1” is not a CSV or Parquet file.', path), {
      autoClose: 5000
    });
    return null;
  }
  return path;
}
