/**
 * The run panel: a Lumino widget around RunView, fed by a RunModel.
 */
import { ReactWidget, showErrorMessage } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { RunView } from '../components/RunView';
import { RunModel } from '../models/runModel';
import { studioIcon } from '../icons';
import { CommandIDs, IPanelContext } from '../tokens';
import { saveArtifactCopy, serverPath } from './openInLab';

/** The document manager's command that opens a path under the server root. */
const DOCMANAGER_OPEN = 'docmanager:open';

export class RunPanel extends ReactWidget {
  constructor(context: IPanelContext, runId: string) {
    super();
    this.runId = runId;
    this._context = context;
    this._trans = context.translator.load('jupyter-studio');
    this.id = `studio-run-${runId}`;
    this.addClass('jp-Studio-runPanel');
    this.title.label = this._trans.__('Run %1', runId.slice(0, 8));
    this.title.caption = runId;
    this.title.closable = true;
    this.title.icon = studioIcon;
    // Focusable, so that activating the tab makes it JupyterLab's current widget.
    this.node.tabIndex = -1;
    this._model = new RunModel({
      api: context.api,
      runId,
      settings: context.settings
    });
    this._model.changed.connect(this._onModelChanged, this);
    void this.refresh();
  }
  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this.node.focus();
  }

  readonly runId: string;

  /** The panel's state (the run, its charts' data, its artifacts). */
  get model(): RunModel {
    return this._model;
  }

  /** Load the run again; a failure shows the server's message in the panel. */
  async refresh(): Promise<void> {
    try {
      await this._model.refresh();
    } catch {
      // The model keeps the message; the panel shows it.
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    const model = this._model;
    const run = model.run;
    const contents = this._context.contents;
    return (
      <RunView
        run={run}
        parent={model.parent}
        children={model.children}
        childrenTotal={model.childrenTotal}
        metrics={model.metrics}
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
        onRefresh={() => void this.refresh()}
        trans={this._trans}
      />
    );
  }

  private _onModelChanged(): void {
    const run = this._model.run;
    if (run) {
      this.title.label = run.name || run.id.slice(0, 8);
      this.title.caption = this._trans.__('Run %1 (%2)', run.name, run.id);
    }
    this.update();
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

  private readonly _context: IPanelContext;
  private readonly _trans: TranslationBundle;
  private readonly _model: RunModel;
}
