/**
 * The compare panel: a main-area widget with JupyterLab's toolbar around CompareView, fed by a
 * CompareModel of 2 to 20 runs that polls only while the panel is seen.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Toolbar } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CompareView } from '../components/CompareView';
import { compareIcon } from '../icons';
import {
  CompareModel,
  MAX_COMPARE_RUNS,
  MIN_COMPARE_RUNS
} from '../models/compareModel';
import {
  CommandIDs,
  IPanelContext,
  ISettingsHolder,
  IStudioSettings
} from '../tokens';
import type { IStepSpan } from '../models/zoom';
import { ModelView } from './modelView';
import { refreshButton } from './toolbar';

/** A comparison of runs, as a closable main-area panel with its toolbar. */
export class ComparePanel extends MainAreaWidget<ComparePanelView> {
  /** `runIds`: the runs to compare, 2 to 20 (repeated ids count once). */
  constructor(context: IPanelContext, runIds: string[]) {
    const trans = context.translator.load('jupyter-studio');
    const content = new ComparePanelView(context, [...new Set(runIds)], trans);
    super({ content, toolbar: new Toolbar() });
    this.runIds = content.runIds;
    this.id = `studio-compare-${this.runIds.join('_')}`;
    this.toolbar.addItem(
      'refresh',
      refreshButton(trans, () => void this.refresh())
    );
  }

  readonly runIds: string[];

  /** Reload every run and history. */
  refresh(): Promise<void> {
    return this.content.refresh();
  }
}

/** The panel's content: CompareView drawn from the model (or why there is none). */
export class ComparePanelView extends ModelView<CompareModel> {
  constructor(
    context: IPanelContext,
    runIds: string[],
    trans: TranslationBundle
  ) {
    super(
      new CompareModel({
        api: context.api,
        runIds,
        refreshInterval: context.settings.current.refreshInterval
      })
    );
    this.runIds = runIds;
    this._context = context;
    this._trans = trans;
    this._valid =
      runIds.length >= MIN_COMPARE_RUNS && runIds.length <= MAX_COMPARE_RUNS;
    this.addClass('jp-Studio-comparePanel');
    this.title.label = trans.__('Compare %1 runs', runIds.length);
    this.title.caption = runIds.join('\n');
    this.title.icon = compareIcon;
    this.title.closable = true;
    if (this._valid) {
      context.settings.changed.connect(this._onSettingsChanged, this);
      void this.refresh();
    }
  }

  readonly runIds: string[];

  /** Reload every run and history. */
  refresh(): Promise<void> {
    return this._valid ? this.model.refresh() : Promise.resolve();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._context.settings.changed.disconnect(this._onSettingsChanged, this);
    this.model.dispose();
    super.dispose();
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    if (!this._valid) {
      return (
        <p className="jp-Studio-hint" data-testid="studio-compare-invalid">
          {this._trans.__(
            'Choose between %1 and %2 runs to compare (%3 chosen).',
            MIN_COMPARE_RUNS,
            MAX_COMPARE_RUNS,
            this.runIds.length
          )}
        </p>
      );
    }
    return (
      <CompareView
        runs={model.runs}
        paramKeys={model.paramKeys}
        differingParams={model.differingParams}
        metricKeys={model.metricKeys}
        histories={model.histories}
        zooms={model.zooms.views}
        onZoom={this._zoom}
        onZoomOut={this._zoomOut}
        loading={model.loading}
        error={model.error}
        defaultSmoothing={this._context.settings.current.defaultSmoothing}
        onOpenRun={this._openRun}
        trans={this._trans}
      />
    );
  }

  private _onSettingsChanged(
    _: ISettingsHolder,
    settings: IStudioSettings
  ): void {
    this.model.refreshInterval = settings.refreshInterval;
  }

  private readonly _zoom = (
    key: string,
    spans: Record<string, IStepSpan>,
    maxPoints: number
  ): void => void this.model.zooms.zoom(key, spans, maxPoints);

  private readonly _zoomOut = (key: string): void =>
    this.model.zooms.reset(key);

  private _openRun = (runId: string): void => {
    const commands = this._context.commands;
    if (commands.hasCommand(CommandIDs.openRun)) {
      void commands.execute(CommandIDs.openRun, { runId });
    }
  };

  private readonly _context: IPanelContext;
  private readonly _trans: TranslationBundle;
  private readonly _valid: boolean;
}
