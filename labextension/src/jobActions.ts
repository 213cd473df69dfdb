/**
 * What a user does to a job run (open its executed notebook, view its log, cancel, re-run
 * with other parameters, open its tracked run, download its outputs) or to a definition (run
 * now, edit, pause, resume, delete). Each command takes its target from its arguments, else
 * from the row under the context menu (data-job-run-id / data-job-definition-id).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { JOB_OUTPUTS, isFinal } from './api/jobs';
import type { JobOutputName, JobRun } from './api/jobs';
import type { IJobsCommandsOptions } from './jobCommands';
import {
  emptyForm,
  definitionPatch,
  formOfDefinition,
  parameterText,
  parameterValues
} from './models/jobForm';
import { CommandIDs, IPanelContext } from './tokens';
import { askJobForm } from './widgets/jobDialog';
import { JobLogPanel } from './widgets/jobLogPanel';
import type { JobsPanel } from './widgets/jobsPanel';

/** What the actions share with the jobs commands. */
export interface IJobActionsOptions extends IJobsCommandsOptions {
  /** Run `action`; a failure is told with the server's message (and answers undefined). */
  attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined>;
  openJobsPanel(): JobsPanel;
  /** Show a new run in the Jobs panel and announce its end. */
  started(run: JobRun, what: string): void;
  refreshPanels(): Promise<void>;
}

export function registerJobActions(
  app: JupyterFrontEnd,
  context: IPanelContext,
  options: IJobActionsOptions
): void {
  const { commands, shell } = app;
  const { api, trackers, attempt, started, refreshPanels } = options;
  const trans = context.translator.load('jupyter-studio');
  const runIdOf = (args: ReadonlyPartialJSONObject) =>
    idOf(args.jobRunId) ?? underMenu(app, 'jobRunId');
  const definitionIdOf = (args: ReadonlyPartialJSONObject) =>
    idOf(args.definitionId) ?? underMenu(app, 'jobDefinitionId');
  const runArgs = describe('jobRunId', trans.__('The job run'));
  const definitionArgs = describe('definitionId', trans.__('The definition'));

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
      const names = run.outputs.filter((name): name is JobOutputName =>
        (JOB_OUTPUTS as readonly string[]).includes(name)
      );
      for (const name of names) {
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
