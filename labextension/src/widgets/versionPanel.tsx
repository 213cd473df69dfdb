/**
 * A version's page in the main area, with JupyterLab's toolbar: Approve…, Reject…, Deploy…,
 * Batch transform… (each one of the registry commands) and Refresh. Links on the page open
 * the run panel, the Jobs panel, the notebook and the endpoints.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Toolbar, ToolbarButton } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IRegistryAPI } from '../api/registry';
import { VersionView } from '../components/registry/VersionView';
import { registryIcon } from '../icons';
import { IVersionRef, VersionModel } from '../models/versionModel';
import { CommandIDs, IPanelContext } from '../tokens';
import { ModelView } from './modelView';
import { refreshButton } from './toolbar';

/** What the page's links and alias edits do (the registry commands provide them). */
export interface IVersionPanelActions {
  openNotebook: (path: string) => void;
  /** Run an alias change; a failure is told with the server's message. */
  attempt: (what: string, action: () => Promise<void>) => Promise<void>;
}

export class VersionPanel extends MainAreaWidget<VersionPanelView> {
  constructor(
    context: IPanelContext,
    api: IRegistryAPI,
    ref: IVersionRef,
    actions: IVersionPanelActions
  ) {
    const trans = context.translator.load('jupyter-studio');
    const content = new VersionPanelView(context, api, ref, actions, trans);
    super({ content, toolbar: new Toolbar() });
    this.id = versionPanelId(ref);
    const args = { model: ref.model, version: ref.version };
    const button = (
      name: string,
      label: string,
      tooltip: string,
      command: string
    ) =>
      this.toolbar.addItem(
        name,
        withTestId(
          new ToolbarButton({
            label,
            tooltip,
            onClick: () => void context.commands.execute(command, args)
          }),
          `studio-version-${name}`
        )
      );
    button(
      'approve',
      trans.__('Approve…'),
      trans.__('Approve this version: endpoints may then serve it'),
      CommandIDs.approveModelVersion
    );
    button(
      'reject',
      trans.__('Reject…'),
      trans.__('Reject this version, with a comment'),
      CommandIDs.rejectModelVersion
    );
    button(
      'deploy',
      trans.__('Deploy…'),
      trans.__('Put this version behind an endpoint'),
      CommandIDs.deployModelVersion
    );
    button(
      'batch',
      trans.__('Batch transform…'),
      trans.__('Score a CSV or Parquet file with this version, as a job'),
      CommandIDs.batchTransform
    );
    this.toolbar.addItem(
      'refresh',
      refreshButton(trans, () => void this.refresh())
    );
  }

  get ref(): IVersionRef {
    return this.content.model.ref;
  }

  get model(): VersionModel {
    return this.content.model;
  }

  refresh(): Promise<void> {
    return this.content.model.refresh();
  }
}

/** One page per version. */
export function versionPanelId(ref: IVersionRef): string {
  return `studio-version-${encodeURIComponent(ref.model)}-${ref.version}`;
}

function withTestId<T extends ToolbarButton>(item: T, testId: string): T {
  item.node.dataset.testid = testId;
  return item;
}

export class VersionPanelView extends ModelView<VersionModel> {
  constructor(
    context: IPanelContext,
    api: IRegistryAPI,
    ref: IVersionRef,
    private readonly _actions: IVersionPanelActions,
    private readonly _trans: TranslationBundle
  ) {
    super(new VersionModel(ref, api));
    this._context = context;
    this.addClass('jp-Studio-versionPanel');
    this.title.label = `${ref.model} v${ref.version}`;
    this.title.caption = `models:/${ref.model}/${ref.version}`;
    this.title.closable = true;
    this.title.icon = registryIcon;
    void this.model.refresh().catch(() => undefined);
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    const commands = this._context.commands;
    const trans = this._trans;
    return (
      <VersionView
        version={model.version}
        model={model.model}
        lineage={model.lineage}
        error={model.error}
        busy={model.busy}
        trans={trans}
        onOpenRun={runId =>
          void commands.execute(CommandIDs.openRun, { runId })
        }
        onOpenJobRun={jobRunId =>
          void commands.execute(CommandIDs.openJobs, { jobRunId })
        }
        onOpenNotebook={path => this._actions.openNotebook(path)}
        onOpenEndpoint={name =>
          void commands.execute(CommandIDs.openEndpoint, { name })
        }
        onSetAlias={alias =>
          void this._actions.attempt(trans.__('Setting the alias'), () =>
            model.setAlias(alias)
          )
        }
        onDeleteAlias={alias =>
          void this._actions.attempt(trans.__('Removing the alias'), () =>
            model.deleteAlias(alias)
          )
        }
      />
    );
  }

  private readonly _context: IPanelContext;
}
