/**
 * The model registry's and endpoints' commands: show the sidebar's Registry, open a version's
 * page or an endpoint's panel, deploy, approve, reject, batch transform, copy a URI. A version
 * comes from the command's args, else the sidebar row under the context menu
 * (`data-model-version="name/3"`), else (deploy) a `models:/` URI the user types.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { attemptWith } from './attempt';
import {
  Clipboard,
  InputDialog,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import type { MainAreaWidget } from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { versionUri } from './api/registry';
import type { IRegistryAPI } from './api/registry';
import type { IEndpointsAPI } from './api/serving';
import { stringOf } from './commands';
import { endpointIcon, registryIcon } from './icons';
import { targetEndpoint } from './models/deployForm';
import {
  IVersionRef,
  parseVersionText,
  versionRefOf
} from './models/versionModel';
import { CommandIDs, IPanelContext } from './tokens';
import { EndpointPanel, endpointPanelId } from './widgets/endpointPanel';
import {
  askApproval,
  askBatchTransform,
  askDeploy,
  askReject
} from './widgets/registryDialogs';
import type { StudioSidebar } from './widgets/sidebar';
import { VersionPanel, versionPanelId } from './widgets/versionPanel';

export interface IRegistryTrackers {
  versions: WidgetTracker<VersionPanel>;
  endpoints: WidgetTracker<EndpointPanel>;
}

export function createRegistryTrackers(): IRegistryTrackers {
  return {
    versions: new WidgetTracker<VersionPanel>({ namespace: 'studio-version' }),
    endpoints: new WidgetTracker<EndpointPanel>({
      namespace: 'studio-endpoint'
    })
  };
}

export interface IRegistryCommandsOptions {
  registry: IRegistryAPI;
  endpoints: IEndpointsAPI;
  trackers: IRegistryTrackers;
  sidebar: StudioSidebar;
  docManager?: IDocumentManager | null;
  /** Every open Studio panel (IStudioTracker): these panels join it. */
  panels?: WidgetTracker<MainAreaWidget>;
}

export function registerRegistryCommands(
  app: JupyterFrontEnd,
  context: IPanelContext,
  options: IRegistryCommandsOptions
): void {
  const { commands, shell } = app;
  const { registry, endpoints, trackers } = options;
  const trans = context.translator.load('jupyter-studio');

  const attempt = attemptWith(trans);

  /** The version the command is for: its args, else the row under the context menu. */
  function versionOf(args: ReadonlyPartialJSONObject): IVersionRef | null {
    const fromArgs = versionRefOf(args);
    if (fromArgs) {
      return fromArgs;
    }
    const node = app.contextMenuHitTest(node => !!node.dataset.modelVersion);
    return node?.dataset.modelVersion
      ? parseVersionText(node.dataset.modelVersion)
      : null;
  }

  /** Refresh what shows a version: its pages and the sidebar. */
  async function refreshVersions(): Promise<void> {
    const pages: VersionPanel[] = [];
    trackers.versions.forEach(panel => pages.push(panel));
    await Promise.allSettled([
      options.sidebar.refresh(),
      ...pages.map(panel => panel.refresh())
    ]);
  }

  function openVersion(ref: IVersionRef): VersionPanel {
    const id = versionPanelId(ref);
    let panel = trackers.versions.find(widget => widget.id === id);
    if (!panel) {
      panel = new VersionPanel(context, registry, ref, {
        openNotebook: path => {
          void (options.docManager
            ? options.docManager.openOrReveal(path)
            : commands.execute('docmanager:open', { path }));
          void commands
            .execute('filebrowser:go-to-path', { path, dontShowBrowser: true })
            .catch(() => undefined);
        },
        attempt: async (what, action) => {
          await attempt(what, action);
          void options.sidebar.refresh();
        }
      });
      void trackers.versions.add(panel);
      void options.panels?.add(panel);
      shell.add(panel, 'main');
    }
    shell.activateById(panel.id);
    return panel;
  }

  function openEndpoint(name: string): EndpointPanel {
    const id = endpointPanelId(name);
    let panel = trackers.endpoints.find(widget => widget.id === id);
    if (!panel) {
      panel = new EndpointPanel(context, endpoints, registry, name);
      void trackers.endpoints.add(panel);
      void options.panels?.add(panel);
      shell.add(panel, 'main');
    }
    shell.activateById(panel.id);
    return panel;
  }

  const versionArgs = {
    type: 'object',
    properties: {
      model: { type: 'string', description: trans.__('The model’s name') },
      version: { type: 'integer', description: trans.__('The version') }
    }
  };

  commands.addCommand(CommandIDs.openRegistry, {
    describedBy: { args: { type: 'object', properties: {} } },
    label: args =>
      args.isLauncher
        ? trans.__('Model Registry')
        : trans.__('Open Model Registry'),
    caption: trans.__('Show the registered models, their versions and aliases'),
    icon: args => (args.isLauncher ? registryIcon : undefined),
    execute: () => {
      shell.activateById(options.sidebar.id);
      void options.sidebar.refresh().catch(() => undefined);
      options.sidebar.showRegistry();
    }
  });

  commands.addCommand(CommandIDs.openModelVersion, {
    describedBy: { args: versionArgs },
    label: trans.__('Open Version'),
    caption: trans.__('Open the version’s page'),
    execute: args => {
      const ref = versionOf(args);
      return ref ? openVersion(ref) : undefined;
    }
  });

  commands.addCommand(CommandIDs.copyModelUri, {
    describedBy: { args: versionArgs },
    label: trans.__('Copy Model URI'),
    caption: trans.__('Copy the version’s models:/ URI'),
    execute: args => {
      const ref = versionOf(args);
      if (ref) {
        Clipboard.copyToSystem(versionUri(ref.model, ref.version));
      }
    }
  });

  commands.addCommand(CommandIDs.approveModelVersion, {
    describedBy: { args: versionArgs },
    label: trans.__('Approve Version…'),
    caption: trans.__('Approve the version: endpoints may then serve it'),
    execute: async args => {
      const ref = versionOf(args);
      if (!ref) {
        return;
      }
      const lineage = await attempt(trans.__('Reading the version'), () =>
        registry.lineage(ref.model, ref.version)
      );
      if (!lineage) {
        return;
      }
      const label = versionUri(ref.model, ref.version);
      const answer = await askApproval(label, lineage, trans);
      if (!answer) {
        return;
      }
      const approved = await attempt(trans.__('Approving %1', label), () =>
        registry.approve(ref.model, ref.version, answer.types, answer.comment)
      );
      if (approved) {
        Notification.success(trans.__('%1 approved', label), {
          autoClose: 5000
        });
      }
      await refreshVersions();
    }
  });

  commands.addCommand(CommandIDs.rejectModelVersion, {
    describedBy: { args: versionArgs },
    label: trans.__('Reject Version…'),
    caption: trans.__('Reject the version, with a comment'),
    execute: async args => {
      const ref = versionOf(args);
      if (!ref) {
        return;
      }
      const label = versionUri(ref.model, ref.version);
      const comment = await askReject(label, trans);
      if (comment === null) {
        return;
      }
      const rejected = await attempt(trans.__('Rejecting %1', label), () =>
        registry.reject(ref.model, ref.version, comment)
      );
      if (rejected) {
        Notification.info(trans.__('%1 rejected', label), { autoClose: 5000 });
      }
      await refreshVersions();
    }
  });

  commands.addCommand(CommandIDs.deployModelVersion, {
    describedBy: { args: versionArgs },
    label: trans.__('Deploy Model Version…'),
    caption: trans.__(
      'Put an approved version behind a new endpoint, or add it to one as a variant or a shadow'
    ),
    icon: args => (args.isLauncher ? endpointIcon : undefined),
    execute: async args => {
      const ref = versionOf(args) ?? (await askVersionUri());
      if (!ref) {
        return;
      }
      const existing = await attempt(trans.__('Listing the endpoints'), () =>
        endpoints.list()
      );
      if (!existing) {
        return;
      }
      const answer = await askDeploy({
        modelName: ref.model,
        version: ref.version,
        endpoints: existing.map(endpoint => endpoint.name),
        trans
      });
      if (!answer) {
        return;
      }
      const { request, form } = answer;
      const label = versionUri(ref.model, ref.version);
      const done = await attempt(trans.__('Deploying %1', label), () =>
        request.kind === 'create'
          ? endpoints.create(request.body)
          : endpoints.update(request.name, request.patch)
      );
      if (!done) {
        return;
      }
      const name = targetEndpoint(form);
      Notification.success(trans.__('%1 deployed on %2', label, name), {
        autoClose: 5000
      });
      const panel = openEndpoint(name);
      void panel.refresh().catch(() => undefined);
      await refreshVersions();
    }
  });

  commands.addCommand(CommandIDs.batchTransform, {
    describedBy: { args: versionArgs },
    label: trans.__('Batch Transform…'),
    caption: trans.__('Score a CSV or Parquet file with the version, as a job'),
    execute: async args => {
      const ref = versionOf(args);
      if (!ref) {
        return;
      }
      const label = versionUri(ref.model, ref.version);
      const body = await askBatchTransform(label, trans);
      if (!body) {
        return;
      }
      const run = await attempt(trans.__('Starting the batch transform'), () =>
        registry.batchTransform(ref.model, ref.version, body)
      );
      if (run) {
        Notification.info(
          trans.__('Batch transform queued: job run %1', run.name),
          {
            autoClose: 8000,
            actions: [
              {
                label: trans.__('Jobs'),
                caption: trans.__('Show the run in the Jobs panel'),
                callback: () =>
                  void commands.execute(CommandIDs.openJobs, {
                    jobRunId: run.id
                  })
              }
            ]
          }
        );
      }
    }
  });

  commands.addCommand(CommandIDs.openEndpoint, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          name: { type: 'string', description: trans.__('The endpoint’s name') }
        }
      }
    },
    label: args =>
      args.isLauncher ? trans.__('Endpoints') : trans.__('Open Endpoint…'),
    caption: trans.__(
      'Open an endpoint: its variants, live traffic and evaluation'
    ),
    icon: args => (args.isLauncher ? endpointIcon : undefined),
    execute: async args => {
      const name = stringOf(args.name) ?? (await askEndpoint());
      return name ? openEndpoint(name) : undefined;
    }
  });

  async function askEndpoint(): Promise<string | null> {
    const list = await attempt(trans.__('Listing the endpoints'), () =>
      endpoints.list()
    );
    if (!list) {
      return null;
    }
    if (list.length === 0) {
      Notification.warning(
        trans.__('No endpoint yet: deploy an approved version first.'),
        { autoClose: 5000 }
      );
      return null;
    }
    const answer = await InputDialog.getItem({
      title: trans.__('Open Endpoint'),
      label: trans.__('Endpoint'),
      items: list.map(endpoint => endpoint.name),
      okLabel: trans.__('Open')
    });
    return answer.button.accept ? stringOf(answer.value) : null;
  }

  async function askVersionUri(): Promise<IVersionRef | null> {
    const answer = await InputDialog.getText({
      title: trans.__('Deploy Model Version'),
      label: trans.__('Version URI (models:/name/3)'),
      placeholder: trans.__('models:/name/1'),
      okLabel: trans.__('Next')
    });
    const text = answer.button.accept ? stringOf(answer.value) : null;
    if (text === null) {
      return null;
    }
    const ref = parseVersionText(text);
    if (!ref) {
      Notification.warning(
        trans.__('“%1” is not a version URI such as models:/name/3.', text),
        { autoClose: 5000 }
      );
    }
    return ref;
  }
}

/** The arguments a saved layout needs to open each page again. */
export const registryRestoreOptions = {
  versions: {
    command: CommandIDs.openModelVersion,
    args: (panel: VersionPanel) => ({
      model: panel.ref.model,
      version: panel.ref.version
    }),
    name: (panel: VersionPanel) => `${panel.ref.model}/${panel.ref.version}`
  },
  endpoints: {
    command: CommandIDs.openEndpoint,
    args: (panel: EndpointPanel) => ({ name: panel.endpointName }),
    name: (panel: EndpointPanel) => panel.endpointName
  }
};
