/**
 * The compare panel: a CompareModel of 2 to 20 runs drawn by the pure CompareView.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
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

export class ComparePanel extends ReactWidget {
  /** `runIds`: the runs to compare, 2 to 20 (repeated ids count once). */
  constructor(context: IPanelContext, runIds: string[]) {
    super();
    this.runIds = [...new Set(runIds)];
    this._context = context;
    this._trans = context.translator.load('jupyter-studio');
    this.id = `studio-compare-${this.runIds.join('_')}`;
    this.addClass('jp-Studio-comparePanel');
    this.title.label = this._trans.__('Compare %1 runs', this.runIds.length);
    this.title.caption = this.runIds.join('\n');
    this.title.icon = compareIcon;
    this.title.closable = true;
    // Focusable, so that JupyterLab's focus tracker makes the panel current when activated.
    this.node.tabIndex = -1;
    const count = this.runIds.length;
    if (count >= MIN_COMPARE_RUNS && count <= MAX_COMPARE_RUNS) {
      this._model = new CompareModel({
        api: context.api,
        runIds: this.runIds,
        refreshInterval: context.settings.current.refreshInterval,
        isHidden: () => !this.isVisible
      });
      context.settings.changed.connect(this._onSettingsChanged, this);
      void this._model.refresh();
    }
  }

  readonly runIds: string[];

  /** Reload every run and history. */
  refresh(): Promise<void> {
    return this._model?.refresh() ?? Promise.resolve();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._context.settings.changed.disconnect(this._onSettingsChanged, this);
    this._model?.dispose();
    super.dispose();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this.node.focus();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // The live refresh stood by while hidden: catch up at once.
    if (this._model?.anyRunning) {
      void this._model.refreshRunning();
    }
  }

  protected render(): JSX.Element {
    const model = this._model;
    if (!model) {
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
      <UseSignal signal={model.changed}>
        {() => (
          <CompareView
            runs={model.runs}
            paramKeys={model.paramKeys}
            differingParams={model.differingParams}
            metricKeys={model.metricKeys}
            histories={model.histories}
            loading={model.loading}
            error={model.error}
            defaultSmoothing={this._context.settings.current.defaultSmoothing}
            onOpenRun={this._openRun}
            trans={this._trans}
          />
        )}
      </UseSignal>
    );
  }

  private _onSettingsChanged(
    _: ISettingsHolder,
    settings: IStudioSettings
  ): void {
    if (this._model) {
      this._model.refreshInterval = settings.refreshInterval;
    }
  }

  private _openRun = (runId: string): void => {
    const commands = this._context.commands;
    if (commands.hasCommand(CommandIDs.openRun)) {
      void commands.execute(CommandIDs.openRun, { runId });
    }
  };

  private _context: IPanelContext;
  private _trans: TranslationBundle;
  private _model: CompareModel | null = null;
}
