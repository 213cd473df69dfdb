import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The API plugin provides the client at activation, so it needs './api/tracking' now.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { TrackingAPI } from './api/tracking';
// Activation adds the sidebar and the commands at once, so it needs './plugin' now.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { activateStudio, activateWatcher } from './plugin';
// Activation adds the renderer at once, so it needs './mime/debuggerOutput' now.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { activateDebuggerOutput } from './mime/debuggerOutput';
import { IStudioAPI, IStudioTracker, IStudioWatcher } from './tokens';

export { IStudioAPI, IStudioTracker, IStudioWatcher } from './tokens';

/** The typed client of Studio's REST API, for Studio and for extensions built on it. */
const apiPlugin: JupyterFrontEndPlugin<TrackingAPI> = {
  id: 'jupyter-studio:api',
  description: 'The client of Studio’s REST API.',
  autoStart: true,
  provides: IStudioAPI,
  activate: () => new TrackingAPI()
};

/** The one watcher of running runs (and later alerts and jobs), with notifications. */
const watcherPlugin: JupyterFrontEndPlugin<IStudioWatcher> = {
  id: 'jupyter-studio:watcher',
  description: 'Watches the running runs and says when one ends.',
  autoStart: true,
  requires: [IStudioAPI],
  optional: [ISettingRegistry, ITranslator],
  provides: IStudioWatcher,
  activate: (
    app: JupyterFrontEnd,
    api: TrackingAPI,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => activateWatcher(app, api, settingRegistry, translator ?? nullTranslator)
};

/** Studio: the sidebar, the panels, their commands and menus. */
const plugin: JupyterFrontEndPlugin<IStudioTracker> = {
  id: 'jupyter-studio:plugin',
  description: 'Studio: experiment tracking panels in JupyterLab.',
  autoStart: true,
  requires: [IStudioAPI, IStudioWatcher],
  optional: [
    ILayoutRestorer,
    ISettingRegistry,
    ITranslator,
    ICommandPalette,
    ILauncher,
    IDocumentManager
  ],
  provides: IStudioTracker,
  activate: (
    app: JupyterFrontEnd,
    api: TrackingAPI,
    watched: IStudioWatcher,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    docManager: IDocumentManager | null
  ) =>
    activateStudio(
      app,
      api,
      watched,
      restorer,
      settingRegistry,
      translator ?? nullTranslator,
      { palette, launcher, docManager }
    )
};

/** The notebook debugger widget's button that opens the run's debugger panel. */
const debuggerOutputPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-studio:debugger-output',
  description:
    'Renders the debugger widget’s “Open in Studio debugger” button.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    translator: ITranslator | null
  ) =>
    activateDebuggerOutput(
      app.commands,
      rendermime,
      translator ?? nullTranslator
    )
};

export default [apiPlugin, watcherPlugin, plugin, debuggerOutputPlugin];
