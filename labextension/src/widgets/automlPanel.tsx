/**
 * The AutoML panel: the searches and one search's live leaderboard, in the main area with
 * JupyterLab's toolbar. Its model polls while a search runs and the panel is seen; the clock
 * moves the budget bar each second meanwhile. Links open notebooks, runs and the job; "Deploy
 * best" runs the registry's deploy command on the registered version.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Toolbar } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IAutoMLAPI } from '../api/automl';
import { AutoMLView } from '../components/automl/AutoMLView';
import { automlIcon } from '../icons';
import { AutoMLModel } from '../models/automlModel';
import { CommandIDs, IPanelContext } from '../tokens';
import { ClockedModelView } from './modelView';
import { refreshButton } from './toolbar';

export interface IAutoMLPanelOptions {
  /** Opens a notebook in JupyterLab (a path relative to the server root). */
  openNotebook: (path: string) => void;
}

export class AutoMLPanel extends MainAreaWidget<AutoMLPanelView> {
  constructor(
    context: IPanelContext,
    api: IAutoMLAPI,
    options: IAutoMLPanelOptions
  ) {
    const trans = context.translator.load('jupyter-studio');
    const content = new AutoMLPanelView(context, api, trans, options);
    super({ content, toolbar: new Toolbar() });
    this.id = 'studio-automl';
    this.toolbar.addItem(
      'refresh',
      refreshButton(trans, () => void this.refresh())
    );
  }

  get model(): AutoMLModel {
    return this.content.model;
  }

  refresh(): Promise<void> {
    return this.content.model.refresh();
  }
}

export class AutoMLPanelView extends ClockedModelView<AutoMLModel> {
  constructor(
    context: IPanelContext,
    api: IAutoMLAPI,
    trans: TranslationBundle,
    options: IAutoMLPanelOptions
  ) {
    super(new AutoMLModel({ api, settings: context.settings }));
    this._context = context;
    this._trans = trans;
    this._options = options;
    this.addClass('jp-Studio-automlPanel');
    this.title.label = trans.__('AutoML');
    this.title.caption = trans.__('AutoML searches and their leaderboards');
    this.title.closable = true;
    this.title.icon = automlIcon;
    void this.model.refresh().catch(() => undefined);
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    const commands = this._context.commands;
    return (
      <AutoMLView
        automls={model.automls}
        selectedRunId={model.selectedRunId}
        awaitedJobRunId={model.awaitedJobRunId}
        detail={model.detail}
        leaderboard={model.leaderboard}
        error={model.error}
        loaded={model.loaded}
        now={Date.now()}
        trans={this._trans}
        onSelect={runId => void model.select(runId).catch(() => undefined)}
        onOpenRun={runId =>
          void commands.execute(CommandIDs.openRun, { runId })
        }
        onOpenNotebook={this._options.openNotebook}
        onOpenJob={jobRunId =>
          void commands.execute(CommandIDs.openJobs, { jobRunId })
        }
        onDeploy={(model, version) =>
          void commands.execute(CommandIDs.deployModelVersion, {
            model,
            version
          })
        }
      />
    );
  }

  protected get ticking(): boolean {
    return this.model.isLive;
  }

  private readonly _context: IPanelContext;
  private readonly _trans: TranslationBundle;
  private readonly _options: IAutoMLPanelOptions;
}
