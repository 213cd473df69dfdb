/**
 * The run panel: a main-area widget with JupyterLab's toolbar around RunView, fed by a RunModel
 * that polls only while the panel is seen.
 */
import {
  MainAreaWidget,
  showErrorMessage,
  UseSignal
} from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import {
  copyIcon,
  deleteIcon,
  editIcon,
  Toolbar
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { DebuggerView } from '../components/debugger/DebuggerView';
import { EvaluationView } from '../components/evaluation/EvaluationView';
import { RunHeader, RunTabBar } from '../components/RunTabs';
import { RunView } from '../components/RunView';
import { DebuggerModel } from '../models/debuggerModel';
import { EvaluationModel } from '../models/evaluationModel';
import { CHART_KEY } from '../models/debuggerTensors';
import { RunModel } from '../models/runModel';
import type { IStepSpan } from '../models/zoom';
import { studioIcon } from '../icons';
import { CommandIDs, IPanelContext } from '../tokens';
import { ModelView } from './modelView';
import { saveArtifactCopy, serverPath } from './openInLab';
import { commandButton, refreshButton } from './toolbar';

/** The run panel's tabs: the run's details, its training debugger, its evaluations. */
export type RunTab = 'overview' | 'debugger' | 'evaluation';

/** What the panel asks of a tab's model (the debugger's, the evaluations'). */
interface ITabModel {
  setLive(live: boolean): void;
  refresh(): Promise<void>;
}

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

  /** Show the Debugger tab, at `step` (marked and zoomed around) and `tensor` if given. */
  showDebugger(step?: number, tensor?: string): Promise<void> {
    return this.content.showDebugger(step, tensor);
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
      await Promise.all([
        this.model.refresh(),
        this._debugger?.refresh(),
        this._evaluation?.refresh()
      ]);
    } catch {
      // The models keep the message; the panel shows it.
    }
  }

  get tab(): RunTab {
    return this._tab;
  }

  /** The Debugger tab's state, made when the tab is first shown (null before). */
  get debuggerModel(): DebuggerModel | null {
    return this._debugger;
  }

  /** The Evaluation tab's state, made when the tab is first shown (null before). */
  get evaluationModel(): EvaluationModel | null {
    return this._evaluation;
  }

  setTab(tab: RunTab): void {
    if (tab === this._tab) {
      return;
    }
    this._tab = tab;
    const options = {
      runId: this.runId,
      settings: this._context.settings
    };
    if (tab === 'debugger' && !this._debugger) {
      this._debugger = this._tabModel(
        new DebuggerModel({ api: this._context.debugger!, ...options })
      );
    }
    if (tab === 'evaluation' && !this._evaluation) {
      this._evaluation = this._tabModel(
        new EvaluationModel({ api: this._context.evaluation!, ...options })
      );
    }
    this._syncTabs();
    this.update();
  }

  async showDebugger(step?: number, tensor?: string): Promise<void> {
    if (!this._context.debugger) {
      return;
    }
    this.setTab('debugger');
    if (step !== undefined) {
      await this._debugger!.focus(step, tensor);
    } else if (tensor !== undefined) {
      await this._debugger!.select(tensor);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._debugger?.dispose();
    this._evaluation?.dispose();
    this.model.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._syncTabs();
  }

  protected onBeforeDetach(msg: Message): void {
    this._debugger?.setActive(false);
    this._evaluation?.setActive(false);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._syncTabs();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._syncTabs();
  }

  protected renderModel(): JSX.Element {
    const trans = this._trans;
    const tabs: [RunTab, string][] = [['overview', trans.__('Overview')]];
    if (this._context.debugger) {
      tabs.push(['debugger', trans.__('Debugger')]);
    }
    if (this._context.evaluation) {
      tabs.push(['evaluation', trans.__('Evaluation')]);
    }
    if (tabs.length === 1) {
      return this._renderRun();
    }
    return (
      <div className="jp-Studio-runTabsPanel">
        <RunTabBar
          tabs={tabs}
          current={this._tab}
          onSelect={tab => this.setTab(tab)}
        />
        {this._tab === 'debugger' && this._debugger
          ? this._renderDebugger(this._debugger)
          : this._tab === 'evaluation' && this._evaluation
            ? this._renderEvaluation(this._evaluation)
            : this._renderRun()}
      </div>
    );
  }

  private _renderEvaluation(model: EvaluationModel): JSX.Element {
    return (
      <UseSignal signal={model.stateChanged}>
        {() => (
          <div className="jp-Studio-runView jp-Studio-evaluationTab">
            <RunHeader run={this.model.run} />
            <EvaluationView
              runId={this.runId}
              evaluations={model.evaluations}
              selected={model.selected}
              loading={model.loading}
              error={model.error}
              onSelect={label => model.select(label)}
              trans={this._trans}
            />
          </div>
        )}
      </UseSignal>
    );
  }

  private _renderDebugger(model: DebuggerModel): JSX.Element {
    return (
      <UseSignal signal={model.stateChanged}>
        {() => (
          <div className="jp-Studio-runView jp-Studio-debuggerTab">
            <RunHeader run={this.model.run} />
            <DebuggerView
              groups={model.groups}
              tensorCount={model.tensors.length}
              grouping={model.grouping}
              filter={model.filter}
              modes={model.modes}
              mode={model.mode}
              stats={model.stats}
              stat={model.stat}
              selected={model.selected}
              lines={model.lines}
              zoom={model.zooms.view(CHART_KEY)}
              histograms={model.histograms}
              rules={model.rules}
              findings={model.findings}
              focusStep={model.focusStep}
              focusFindingId={model.focusFindingId}
              loading={model.loading}
              error={model.error}
              live={model.isLive}
              trans={this._trans}
              onSelect={(tensor, add) => void model.select(tensor, add)}
              onFilter={filter => {
                model.filter = filter;
              }}
              onGrouping={grouping => {
                model.grouping = grouping;
              }}
              onMode={mode => void model.setMode(mode)}
              onStat={stat => void model.setStat(stat)}
              onFinding={finding => void model.focusFinding(finding)}
              onZoom={(spans, maxPoints) => model.zoom(spans, maxPoints)}
              onZoomOut={() => model.zoomOut()}
            />
          </div>
        )}
      </UseSignal>
    );
  }

  /**
   * A tab's model, made when the tab is first shown: live (refreshed every interval) while
   * the run runs, and loading now.
   */
  private _tabModel<M extends ITabModel>(model: M): M {
    model.setLive(this.model.isLive);
    this.model.stateChanged.connect(
      () => model.setLive(this.model.isLive),
      this
    );
    model.refresh().catch(() => {
      // The model keeps the message; the tab shows it.
    });
    return model;
  }

  /** A tab's model polls only while its tab is the one seen. */
  private _syncTabs(): void {
    const seen = this.isAttached && this.isVisible;
    this._debugger?.setActive(seen && this._tab === 'debugger');
    this._evaluation?.setActive(seen && this._tab === 'evaluation');
  }

  private _renderRun(): JSX.Element {
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
  private _tab: RunTab = 'overview';
  private _debugger: DebuggerModel | null = null;
  private _evaluation: EvaluationModel | null = null;
}
