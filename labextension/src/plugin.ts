/**
 * Studio's activation: the sidebar, the commands, the palette and launcher entries, and the
 * trackers that reopen panels when JupyterLab reloads. Nothing here waits on the server.
 */
import type { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { ILauncher } from '@jupyterlab/launcher';
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { ITranslator } from '@jupyterlab/translation';

import { TrackingAPI } from './api/tracking';
import {
  PALETTE_CATEGORY,
  addToPalette,
  createTrackers,
  registerCommands,
  restoreOptions
} from './commands';
import { StudioSettings } from './settings';
import { CommandIDs, IPanelContext } from './tokens';
import { StudioSidebar } from './widgets/sidebar';

/** Where the sidebar sits among the left-hand panels (JupyterLab's own use 100 to 500). */
export const SIDEBAR_RANK = 600;

/** Services Studio uses when the application has them. */
export interface IOptionalServices {
  palette?: ICommandPalette | null;
  launcher?: ILauncher | null;
}

export function activateStudio(
  app: JupyterFrontEnd,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null,
  translator: ITranslator,
  services: IOptionalServices = {}
): void {
  const settings = new StudioSettings();
  settings.load(settingRegistry).catch(reason => {
    console.warn(
      'Studio: settings could not be loaded; the defaults apply.',
      reason
    );
  });
  const context: IPanelContext = {
    api: new TrackingAPI(),
    commands: app.commands,
    settings,
    translator,
    contents: app.serviceManager.contents
  };

  const sidebar = new StudioSidebar(context);
  app.shell.add(sidebar, 'left', { rank: SIDEBAR_RANK });

  const trackers = createTrackers();
  registerCommands(app, context, sidebar, trackers);
  if (services.palette) {
    addToPalette(services.palette);
  }
  services.launcher?.add({
    command: CommandIDs.openExperiments,
    args: { isLauncher: true },
    category: PALETTE_CATEGORY,
    rank: 1
  });

  if (restorer) {
    restorer.add(sidebar, 'jp-studio-sidebar');
    void restorer.restore(trackers.experiments, restoreOptions.experiments);
    void restorer.restore(trackers.runs, restoreOptions.runs);
    void restorer.restore(trackers.compares, restoreOptions.compares);
  }
}
