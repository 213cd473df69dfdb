/**
 * What a user does to a run or an experiment from a context menu or a panel's toolbar: copy a
 * run's id, rename, archive, delete. Each command takes its target from its arguments, else
 * from the row or item under the context menu (its data-run-id / data-experiment-id). After
 * an action every Studio view refreshes; a deleted run's or experiment's panels close.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type {
  ReadonlyJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';

import {
  IStudioTrackers,
  experimentIdOf,
  runIdUnderMenu,
  stringOf
} from './commands';
import { CommandIDs, IPanelContext } from './tokens';

/** Register the commands of CommandIDs that act on one run or one experiment. */
export function registerActions(
  app: JupyterFrontEnd,
  context: IPanelContext,
  trackers: IStudioTrackers
): void {
  const { commands } = app;
  const api = context.api;
  const trans = context.translator.load('jupyter-studio');

  const runOf = (args: ReadonlyPartialJSONObject) =>
    stringOf(args.runId) ?? runIdUnderMenu(app);
  const experimentOf = (args: ReadonlyPartialJSONObject) =>
    experimentIdOf(args) ?? experimentIdUnderMenu(app);
  const runArgs = describeArgs('runId', 'string', trans.__('The run'));
  const experimentArgs = describeArgs(
    'experimentId',
    'integer',
    trans.__('The experiment')
  );
  const refreshViews = () => commands.execute(CommandIDs.refresh);

  /** Run `action`; a failure is told with the server's message. */
  async function attempt(
    what: string,
    action: () => Promise<void>
  ): Promise<void> {
    try {
      await action();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      Notification.error(trans.__('%1 failed: %2', what, message), {
        autoClose: 8000
      });
    }
  }

  commands.addCommand(CommandIDs.copyRunId, {
    describedBy: runArgs,
    label: trans.__('Copy Run Id'),
    caption: trans.__('Copy the run’s id to the clipboard'),
    isEnabled: args => runOf(args) !== null,
    execute: args => {
      const runId = runOf(args);
      if (runId !== null) {
        Clipboard.copyToSystem(runId);
        Notification.info(trans.__('Copied the run id %1', runId), {
          autoClose: 3000
        });
      }
    }
  });

  commands.addCommand(CommandIDs.renameRun, {
    describedBy: runArgs,
    label: trans.__('Rename Run…'),
    caption: trans.__('Give the run another name'),
    isEnabled: args => runOf(args) !== null,
    execute: args => {
      const runId = runOf(args);
      if (runId === null) {
        return;
      }
      return attempt(trans.__('Renaming the run'), async () => {
        const run = await api.getRun(runId);
        const name = await askName(trans.__('Rename Run'), run.name, trans);
        if (name !== null && name !== run.name) {
          await api.updateRun(runId, { name });
          await refreshViews();
        }
      });
    }
  });

  commands.addCommand(CommandIDs.deleteRun, {
    describedBy: runArgs,
    label: trans.__('Delete Run…'),
    caption: trans.__('Delete the run, its child runs and their artifacts'),
    isEnabled: args => runOf(args) !== null,
    execute: args => {
      const runId = runOf(args);
      if (runId === null) {
        return;
      }
      return attempt(trans.__('Deleting the run'), async () => {
        const run = await api.getRun(runId);
        const sure = await confirm(
          trans.__('Delete Run'),
          trans.__(
            'Delete the run “%1” (%2), its child runs and their artifacts? This cannot be undone.',
            run.name,
            runId
          ),
          trans
        );
        if (!sure) {
          return;
        }
        await api.deleteRun(runId);
        trackers.runs
          .filter(panel => panel.runId === runId)
          .forEach(panel => panel.dispose());
        await refreshViews();
      });
    }
  });

  commands.addCommand(CommandIDs.renameExperiment, {
    describedBy: experimentArgs,
    label: trans.__('Rename Experiment…'),
    caption: trans.__('Give the experiment another name'),
    isEnabled: args => experimentOf(args) !== null,
    execute: args => {
      const experimentId = experimentOf(args);
      if (experimentId === null) {
        return;
      }
      return attempt(trans.__('Renaming the experiment'), async () => {
        const experiment = await api.getExperiment(experimentId);
        const name = await askName(
          trans.__('Rename Experiment'),
          experiment.name,
          trans
        );
        if (name !== null && name !== experiment.name) {
          await api.updateExperiment(experimentId, { name });
          await refreshViews();
        }
      });
    }
  });

  commands.addCommand(CommandIDs.archiveExperiment, {
    describedBy: experimentArgs,
    label: trans.__('Archive Experiment'),
    caption: trans.__('Hide the experiment from the list; its runs stay'),
    isEnabled: args => experimentOf(args) !== null,
    execute: args => {
      const experimentId = experimentOf(args);
      if (experimentId === null) {
        return;
      }
      return attempt(trans.__('Archiving the experiment'), async () => {
        await api.updateExperiment(experimentId, { archived: true });
        await refreshViews();
      });
    }
  });

  commands.addCommand(CommandIDs.deleteExperiment, {
    describedBy: experimentArgs,
    label: trans.__('Delete Experiment…'),
    caption: trans.__('Delete the experiment with all its runs'),
    isEnabled: args => experimentOf(args) !== null,
    execute: args => {
      const experimentId = experimentOf(args);
      if (experimentId === null) {
        return;
      }
      return attempt(trans.__('Deleting the experiment'), async () => {
        const experiment = await api.getExperiment(experimentId);
        const sure = await confirm(
          trans.__('Delete Experiment'),
          trans.__(
            'Delete the experiment “%1” with all its runs and their artifacts? This cannot be undone.',
            experiment.name
          ),
          trans
        );
        if (!sure) {
          return;
        }
        await api.deleteExperiment(experimentId);
        trackers.experiments
          .filter(panel => panel.experimentId === experimentId)
          .forEach(panel => panel.dispose());
        trackers.runs
          .filter(panel => panel.model.run?.experiment_id === experimentId)
          .forEach(panel => panel.dispose());
        await refreshViews();
      });
    }
  });
}

/** The id of the experiment under the context menu (a sidebar item), if any. */
function experimentIdUnderMenu(app: JupyterFrontEnd): number | null {
  const node = app.contextMenuHitTest(node => !!node.dataset.experimentId);
  return experimentIdOf({ experimentId: node?.dataset.experimentId ?? null });
}

function describeArgs(
  name: string,
  type: 'string' | 'integer',
  description: string
): { args: ReadonlyJSONObject } {
  return {
    args: {
      type: 'object',
      properties: { [name]: { type, description } }
    }
  };
}

/** A new name, or null when the user cancels or leaves it empty. */
async function askName(
  title: string,
  current: string,
  trans: TranslationBundle
): Promise<string | null> {
  const answer = await InputDialog.getText({
    title,
    label: trans.__('New name'),
    text: current,
    okLabel: trans.__('Rename')
  });
  const name = answer.button.accept ? (answer.value ?? '').trim() : '';
  return name === '' ? null : name;
}

async function confirm(
  title: string,
  body: string,
  trans: TranslationBundle
): Promise<boolean> {
  const answer = await showDialog({
    title,
    body,
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Delete') })
    ]
  });
  return answer.button.accept;
}
