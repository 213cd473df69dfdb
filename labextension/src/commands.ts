/**
 * Studio's commands: every way a panel opens (the sidebar, the palette, the launcher, other
 * panels, layout restoration) goes through them.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { findRun } from './findRun';
import { MAX_COMPARE_RUNS, MIN_COMPARE_RUNS } from './models/compareModel';
import { sortByRecency } from './models/experimentsModel';
import { studioIcon } from './icons';
import { CommandIDs, IPanelContext } from './tokens';
import { ComparePanel } from './widgets/comparePanel';
import { ExperimentPanel } from './widgets/experimentPanel';
import { RunPanel } from './widgets/runPanel';
import type { StudioSidebar } from './widgets/sidebar';

/** The palette category of Studio's commands. */
export const PALETTE_CATEGORY = 'Studio';

/**
 * The open panels of each kind (their namespaces name them in the saved layout), and every
 * panel of any kind (IStudioTracker, for other extensions).
 */
export interface IStudioTrackers {
  experiments: WidgetTracker<ExperimentPanel>;
  runs: WidgetTracker<RunPanel>;
  compares: WidgetTracker<ComparePanel>;
  panels: WidgetTracker<MainAreaWidget>;
}

export function createTrackers(): IStudioTrackers {
  return {
    panels: new WidgetTracker<MainAreaWidget>({ namespace: 'studio-panels' }),
    experiments: new WidgetTracker<ExperimentPanel>({
      namespace: 'studio-experiment'
    }),
    runs: new WidgetTracker<RunPanel>({ namespace: 'studio-run' }),
    compares: new WidgetTracker<ComparePanel>({ namespace: 'studio-compare' })
  };
}

/** Register every command of `CommandIDs`. */
export function registerCommands(
  app: JupyterFrontEnd,
  context: IPanelContext,
  sidebar: StudioSidebar,
  trackers: IStudioTrackers
): void {
  const { commands, shell } = app;
  const trans = context.translator.load('jupyter-studio');

  /** Show a panel: the open one if any, else a new one tracked (and so restored on reload). */
  function open<T extends MainAreaWidget>(
    tracker: WidgetTracker<T>,
    existing: T | undefined,
    create: () => T
  ): T {
    const panel = existing ?? create();
    if (!tracker.has(panel)) {
      void tracker.add(panel);
      void trackers.panels.add(panel);
    }
    if (!panel.isAttached) {
      shell.add(panel, 'main');
    }
    shell.activateById(panel.id);
    return panel;
  }

  function showSidebar(): void {
    shell.activateById(sidebar.id);
  }

  commands.addCommand(CommandIDs.openSidebar, {
    describedBy: { args: { type: 'object', properties: {} } },
    label: trans.__('Show Sidebar'),
    caption: trans.__('Show the experiments and running runs'),
    execute: showSidebar
  });

  commands.addCommand(CommandIDs.openExperiment, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          experimentId: {
            type: 'integer',
            description: trans.__('The id of the experiment to open')
          }
        }
      }
    },
    label: trans.__('Open Experiment'),
    caption: trans.__('Open an experiment’s runs table'),
    isEnabled: args => experimentIdOf(args) !== null,
    execute: args => {
      const experimentId = experimentIdOf(args);
      if (experimentId === null) {
        showSidebar();
        return;
      }
      return open(
        trackers.experiments,
        trackers.experiments.find(panel => panel.experimentId === experimentId),
        () => new ExperimentPanel(context, experimentId)
      );
    }
  });

  commands.addCommand(CommandIDs.openExperiments, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          isLauncher: {
            type: 'boolean',
            description: trans.__('Whether the launcher shows the command')
          }
        }
      }
    },
    label: args =>
      args.isLauncher ? trans.__('Experiments') : trans.__('Open Experiments'),
    caption: trans.__('Open the most recent experiment'),
    icon: args => (args.isLauncher ? studioIcon : undefined),
    execute: async () => {
      let experiments: Awaited<ReturnType<typeof context.api.listExperiments>> =
        [];
      try {
        experiments = await context.api.listExperiments();
      } catch {
        // The sidebar shows the server's message.
      }
      const recent = sortByRecency(experiments)[0];
      if (recent === undefined) {
        showSidebar();
        await sidebar.refresh();
        return;
      }
      return commands.execute(CommandIDs.openExperiment, {
        experimentId: recent.id
      });
    }
  });

  commands.addCommand(CommandIDs.openRun, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          runId: {
            type: 'string',
            description: trans.__(
              'The id of the run to open; asked for if absent'
            )
          },
          underContextMenu: {
            type: 'boolean',
            description: trans.__('Open the run under the context menu')
          }
        }
      }
    },
    label: args =>
      args.underContextMenu ? trans.__('Open') : trans.__('Open Run…'),
    caption: trans.__('Open a run by its id or its name'),
    execute: async args => {
      const runId =
        stringOf(args.runId) ??
        (args.underContextMenu
          ? runIdUnderMenu(app)
          : await askRun(context, trans));
      if (runId === null) {
        return;
      }
      return openRunPanel(runId);
    }
  });

  function openRunPanel(runId: string): RunPanel {
    return open(
      trackers.runs,
      trackers.runs.find(panel => panel.runId === runId),
      () => new RunPanel(context, runId)
    );
  }

  commands.addCommand(CommandIDs.openDebugger, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          runId: {
            type: 'string',
            description: trans.__(
              'The id of the run to debug; asked for if absent'
            )
          },
          step: {
            type: 'integer',
            description: trans.__('The step to mark and zoom the charts around')
          },
          tensor: {
            type: 'string',
            description: trans.__(
              'The tensor to chart, e.g. "gradients/fc1.weight"'
            )
          }
        }
      }
    },
    label: trans.__('Open Debugger…'),
    caption: trans.__('Open a run’s training debugger'),
    isEnabled: () => context.debugger !== undefined,
    execute: async args => {
      const runId = stringOf(args.runId) ?? (await askRun(context, trans));
      if (runId === null) {
        return;
      }
      const panel = openRunPanel(runId);
      const step = args.step;
      await panel.showDebugger(
        typeof step === 'number' && Number.isFinite(step) ? step : undefined,
        stringOf(args.tensor) ?? undefined
      );
      return panel;
    }
  });

  /**
   * The runs a comparison is asked for, else those selected in the experiment it names, else
   * those selected in the current experiment.
   */
  function runIdsOf(args: ReadonlyPartialJSONObject): string[] {
    const experimentId = experimentIdOf(args);
    const experiment =
      experimentId === null
        ? trackers.experiments.currentWidget
        : trackers.experiments.find(
            panel => panel.experimentId === experimentId
          );
    const given = Array.isArray(args.runIds)
      ? args.runIds.filter(
          (id): id is string => typeof id === 'string' && id !== ''
        )
      : (experiment?.selectedRunIds ?? []);
    return [...new Set(given)];
  }

  commands.addCommand(CommandIDs.compareRuns, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          runIds: {
            type: 'array',
            items: { type: 'string' },
            description: trans.__(
              'The runs to compare; the current experiment’s selection if absent'
            )
          },
          experimentId: {
            type: 'integer',
            description: trans.__(
              'The experiment whose selected runs to compare'
            )
          }
        }
      }
    },
    label: trans.__('Compare Selected Runs'),
    caption: trans.__(
      'Compare %1 to %2 runs selected in an experiment',
      MIN_COMPARE_RUNS,
      MAX_COMPARE_RUNS
    ),
    isEnabled: args => {
      const count = runIdsOf(args).length;
      return count >= MIN_COMPARE_RUNS && count <= MAX_COMPARE_RUNS;
    },
    execute: args => {
      const runIds = runIdsOf(args);
      if (
        runIds.length < MIN_COMPARE_RUNS ||
        runIds.length > MAX_COMPARE_RUNS
      ) {
        return;
      }
      const key = runIds.join(',');
      return open(
        trackers.compares,
        trackers.compares.find(panel => panel.runIds.join(',') === key),
        () => new ComparePanel(context, runIds)
      );
    }
  });
  trackers.experiments.currentChanged.connect(() =>
    commands.notifyCommandChanged(CommandIDs.compareRuns)
  );

  commands.addCommand(CommandIDs.refresh, {
    describedBy: { args: { type: 'object', properties: {} } },
    label: trans.__('Refresh Studio'),
    caption: trans.__('Reload the sidebar and every open Studio panel'),
    execute: async () => {
      const panels: { refresh(): Promise<void> }[] = [];
      trackers.experiments.forEach(panel => panels.push(panel));
      trackers.runs.forEach(panel => panels.push(panel));
      trackers.compares.forEach(panel => panels.push(panel));
      // One failing panel shows its own error; the others still refresh.
      await Promise.allSettled([
        sidebar.refresh(),
        ...panels.map(panel => panel.refresh())
      ]);
    }
  });
}

/** Put Studio's commands in the palette. */
export function addToPalette(palette: ICommandPalette): void {
  for (const command of [
    CommandIDs.openExperiments,
    CommandIDs.openSidebar,
    CommandIDs.openRun,
    CommandIDs.openDebugger,
    CommandIDs.compareRuns,
    CommandIDs.openJobs,
    CommandIDs.createJob,
    CommandIDs.openRegistry,
    CommandIDs.openEndpoint,
    CommandIDs.deployModelVersion,
    CommandIDs.refresh
  ]) {
    palette.addItem({ command, category: PALETTE_CATEGORY });
  }
}

/** The arguments a saved layout needs to open each kind of panel again. */
export const restoreOptions = {
  experiments: {
    command: CommandIDs.openExperiment,
    args: (panel: ExperimentPanel) => ({ experimentId: panel.experimentId }),
    name: (panel: ExperimentPanel) => String(panel.experimentId)
  },
  runs: {
    command: CommandIDs.openRun,
    args: (panel: RunPanel) => ({ runId: panel.runId }),
    name: (panel: RunPanel) => panel.runId
  },
  compares: {
    command: CommandIDs.compareRuns,
    args: (panel: ComparePanel) => ({ runIds: [...panel.runIds] }),
    name: (panel: ComparePanel) => panel.runIds.join(',')
  }
};

/** The id of the run under the context menu (a runs-table row), if any. */
export function runIdUnderMenu(app: JupyterFrontEnd): string | null {
  const node = app.contextMenuHitTest(node => !!node.dataset.runId);
  return node?.dataset.runId ?? null;
}

export function experimentIdOf(args: ReadonlyPartialJSONObject): number | null {
  const value = args.experimentId;
  if (typeof value === 'number' && Number.isInteger(value)) {
    return value;
  }
  return typeof value === 'string' && /^\d+$/.test(value)
    ? Number(value)
    : null;
}

export function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Ask for a run's id or name; the id of the run found, or null (told to the user). */
async function askRun(
  context: IPanelContext,
  trans: TranslationBundle
): Promise<string | null> {
  const answer = await InputDialog.getText({
    title: trans.__('Open Run'),
    label: trans.__('Run id or name'),
    okLabel: trans.__('Open')
  });
  const text = answer.button.accept ? stringOf(answer.value) : null;
  if (text === null) {
    return null;
  }
  try {
    const run = await findRun(context.api, text);
    if (run === null) {
      Notification.warning(trans.__('No run has the id or name "%1".', text), {
        autoClose: 5000
      });
    }
    return run?.id ?? null;
  } catch (error) {
    Notification.error(error instanceof Error ? error.message : String(error));
    return null;
  }
}
