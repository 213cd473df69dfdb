/**
 * The run panel: a main-area widget with JupyterLab's toolbar around RunView, fed by a RunModel
 * that polls only while the panel is seen.
 */
import { MainAreaWidget, showErrorMessage } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  copyIcon,
  deleteIcon,
  editIcon,
  Toolbar
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { RunView } from '../components/RunView';
import { RunModel } from '../models/runModel';
import type { IStepSpan } from '../models/zoom';
import { studioIcon } from '../icons';
import { CommandIDs, IPanelContext } from '../tokens';
import { ModelView } from './modelView';
import { saveArtifactCopy, serverPath } from './openInLab';
import { commandButton, refreshButton } from './toolbar';

/** The document manager's command that opens a path under the server root. */
const DOCMANAGER_OPEN = 'docmanager:open';

/** One run, as a closable main-area panel with its toolbar. */
export class RunPanel extends MainAreaWidget<RunPanelView> {
  constructor(context: IPanelContext, runId: string) {
    const trans = context.translator.load('jupyter-studio');
    const content = new RunPanelView(context, runId, trans);
    super({ content, toolbar: new Toolbar() });
    this.runId = runId;
    this.id = `studio-run-${runId}`;
    const commands = context.commands;
    const args = { runId };
    this.toolbar.addItem(
      'refresh',
      refreshButton(trans, () => void this.refresh())
    );
    this.toolbar.addItem(
      'copy-id',
      commandButton(commands, CommandIDs.copyRunId, args, {
        icon: copyIcon,
        testId: 'studio-copy-run-id'
      })
    );
    this.toolbar.addItem(
      'rename',
      commandButton(commands, CommandIDs.renameRun, args, {
        icon: editIcon,
        testId: 'studio-rename-run'
      })
    );
    this.toolbar.addItem(
      'delete',
      commandButton(commands, CommandIDs.deleteRun, args, {
        icon: deleteIcon,
        testId: 'studio-delete-run'
      })
    );
  }

  readonly runId: string;

  /** The panel's state (the run, its charts' data, its artifacts). */
  get model(): RunModel {
    return this.content.model;
  }

  /** Load the run again; a failure shows the server's message in the panel. */
  refresh(): Promise<void> {
    return this.content.refresh();
  }
}

/** The panel's content: RunView drawn from the model. */
export class RunPanelView extends ModelView<RunModel> {
  constructor(context: IPanelContext, runId: string, trans: TranslationBundle) {
    super(
      new RunModel({ api: context.api, runId, settings: context.settings })
    );
    this.runId = runId;
    this._context = context;
    this._trans = trans;
    this.addClass('jp-Studio-runPanel');
    this.title.label = trans.__('Run %1', runId.slice(0, 8));
    this.title.caption = runId;
    this.title.closable = true;
    this.title.icon = studioIcon;
    this.model.stateChanged.connect(this._updateTitle, this);
    void this.refresh();
  }

  readonly runId: string;

  async refresh(): Promise<void> {
    try {
      await this.model.refresh();
    } catch {
      // The model keeps the message; the panel shows it.
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    const run = model.run;
    const contents = this._context.contents;
    return (
      <RunView
        run={run}
        parent={model.parent}
        children={model.children}
        childrenTotal={model.childrenTotal}
        metrics={model.metrics}
        zooms={model.zooms.views}
        onZoom={this._zoom}
        onZoomOut={this._zoomOut}
        folders={model.folders}
        expanded={model.expanded}
        loading={model.loading}
        error={model.error}
        artifactsError={model.artifactsError}
        sourcePath={
          run?.source
            ? serverPath(run.source, PageConfig.getOption('serverRoot'))
            : null
        }
        defaultSmoothing={this._context.settings.current.defaultSmoothing}
        now={Date.now()}
        downloadUrl={path => this._context.api.artifactUrl(this.runId, path)}
        onOpenRun={runId =>
          void this._context.commands.execute(CommandIDs.openRun, { runId })
        }
        onOpenSource={path => void this._open(path)}
        onToggleFolder={path => void model.toggleFolder(path)}
        onOpenArtifact={
          contents ? path => void this._openArtifact(path) : undefined
        }
        trans={this._trans}
      />
    );
  }

  private _updateTitle(): void {
    const run = this.model.run;
    if (run) {
      this.title.label = run.name || run.id.slice(0, 8);
      this.title.caption = this._trans.__('Run %1 (%2)', run.name, run.id);
    }
  }

  private async _open(path: string): Promise<void> {
    try {
      await this._context.commands.execute(DOCMANAGER_OPEN, { path });
    } catch (error) {
      await showErrorMessage(
        this._trans.__('Cannot open %1', path),
        error as Error
      );
    }
  }

  private async _openArtifact(path: string): Promise<void> {
    const contents = this._context.contents;
    if (!contents) {
      return;
    }
    try {
      const text = await this._context.api.artifactText(this.runId, path);
      const copy = await saveArtifactCopy(contents, this.runId, path, text);
      await this._context.commands.execute(DOCMANAGER_OPEN, { path: copy });
    } catch (error) {
      await showErrorMessage(
        this._trans.__('Cannot open the artifact %1', path),
        error as Error
      );
    }
  }

  private readonly _zoom = (
    key: string,
    spans: Record<string, IStepSpan>,
    maxPoints: number
  ): void => void this.model.zooms.zoom(key, spans, maxPoints);

  private readonly _zoomOut = (key: string): void =>
    this.model.zooms.reset(key);

  private readonly _context: IPanelContext;
  private readonly _trans: TranslationBundle;
}
