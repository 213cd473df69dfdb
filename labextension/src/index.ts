import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// Activation adds the sidebar and the commands at once, so it needs './plugin' now.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { activateStudio } from './plugin';

/** Studio: the sidebar, the panels and their commands. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-studio:plugin',
  description: 'Studio: experiment tracking panels in JupyterLab.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ISettingRegistry,
    ITranslator,
    ICommandPalette,
    ILauncher
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null
  ) =>
    activateStudio(
      app,
      restorer,
      settingRegistry,
      translator ?? nullTranslator,
      {
        palette,
        launcher
      }
    )
};

export default plugin;
