/**
 * The experiment panel: one experiment's runs table in the main area, with JupyterLab's
 * toolbar (refresh, compare) over the table's own (filter, count, columns); the table polls
 * only while the panel is seen.
 */
import { MainAreaWidget, showErrorMessage } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Toolbar } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { ColumnChooser } from '../components/ColumnChooser';
import { FilterBox } from '../components/FilterBox';
import { RunsTable } from '../components/RunsTable';
import { BASE_COLUMNS, RunsTableModel } from '../models/runsTableModel';
import { compareIcon, studioIcon } from '../icons';
import { CommandIDs, IPanelContext, IStudioSettings } from '../tokens';
import { ModelView } from './modelView';
import { commandButton, refreshButton } from './toolbar';

/** One experiment's runs, as a closable main-area panel with its toolbar. */
export class ExperimentPanel extends MainAreaWidget<ExperimentPanelView> {
  constructor(context: IPanelContext, experimentId: number) {
    const trans = context.translator.load('jupyter-studio');
    const content = new ExperimentPanelView(context, experimentId, trans);
    super({ content, toolbar: new Toolbar() });
    this.experimentId = experimentId;
    this.id = `studio-experiment-${experimentId}`;
    // The compare button's label and state follow the selection.
    content.selectionChanged.connect(() =>
      context.commands.notifyCommandChanged(CommandIDs.compareRuns)
    );
    this.toolbar.addItem(
      'refresh',
      refreshButton(trans, () => void this.refresh())
    );
    this.toolbar.addItem(
      'compare',
      commandButton(
        context.commands,
        CommandIDs.compareRuns,
        { experimentId },
        {
          icon: compareIcon,
          label: () =>
            trans.__('Compare (%1)', content.model.selectedRunIds.length),
          testId: 'studio-compare-button'
        }
      )
    );
  }

  readonly experimentId: number;

  /** The runs table's state. */
  get model(): RunsTableModel {
    return this.content.model;
  }

  /** The ids of the selected runs (kept across refreshes, sorts and filters). */
  get selectedRunIds(): string[] {
    return this.content.model.selectedRunIds;
  }

  get selectionChanged(): ISignal<ExperimentPanelView, string[]> {
    return this.content.selectionChanged;
  }

  /** Read the experiment and the shown runs again; the selection stays. */
  refresh(): Promise<void> {
    return this.content.refresh();
  }
}

/** The panel's content: the table's toolbar and the runs table. */
export class ExperimentPanelView extends ModelView<RunsTableModel> {
  constructor(
    context: IPanelContext,
    experimentId: number,
    trans: TranslationBundle
  ) {
    super(
      new RunsTableModel({
        api: context.api,
        experimentId,
        defaultColumns: context.settings.current.defaultColumns,
        refreshInterval: context.settings.current.refreshInterval
      })
    );
    this.experimentId = experimentId;
    this._context = context;
    this._trans = trans;
    this.addClass('jp-Studio-experimentPanel');
    this.title.label = trans.__('Experiment %1', experimentId);
    this.title.closable = true;
    this.title.icon = studioIcon;
    this.model.selectionChanged.connect(
      (_, ids) => this._selectionChanged.emit(ids),
      this
    );
    context.settings.changed.connect(this._onSettingsChanged, this);
    void this.model.reload();
    void this._loadExperiment();
  }

  readonly experimentId: number;

  get selectionChanged(): ISignal<this, string[]> {
    return this._selectionChanged;
  }

  /** Read the experiment and the shown runs again; the selection stays. */
  async refresh(): Promise<void> {
    await Promise.all([this.model.refresh(), this._loadExperiment()]);
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
    return (
      <ExperimentView
        model={this.model}
        experimentName={this._experimentName}
        trans={this._trans}
        onOpenRun={runId => this._execute(CommandIDs.openRun, { runId })}
        onScroll={top => (this._scrollTop = top)}
      />
    );
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // A hidden panel loses its scroll offset (display: none); put it back.
    const table = this.node.querySelector<HTMLElement>('.jp-Studio-runsTable');
    if (table && table.scrollTop !== this._scrollTop) {
      table.scrollTop = this._scrollTop;
    }
  }

  private async _loadExperiment(): Promise<void> {
    try {
      const experiment = await this._context.api.getExperiment(
        this.experimentId
      );
      this._experimentName = experiment.name;
      this.title.label = experiment.name;
      this.title.caption = this._trans.__(
        'Experiment %1: %2',
        experiment.id,
        experiment.name
      );
      this.update();
    } catch {
      // The runs table shows the server's error; the title keeps the id.
    }
  }

  private _execute(command: string, args: { runId: string }): void {
    this._context.commands.execute(command, args).catch((error: unknown) => {
      const message = error instanceof Error ? error : String(error);
      void showErrorMessage(this._trans.__('Studio'), message);
    });
  }

  private _onSettingsChanged(_: unknown, settings: IStudioSettings): void {
    this.model.setDefaultColumns(settings.defaultColumns);
    this.model.refreshInterval = settings.refreshInterval;
  }

  private readonly _context: IPanelContext;
  private readonly _trans: TranslationBundle;
  private _experimentName: string | null = null;
  private _scrollTop = 0;
  private _selectionChanged = new Signal<this, string[]>(this);
}

interface IExperimentViewProps {
  model: RunsTableModel;
  experimentName: string | null;
  trans: TranslationBundle;
  onOpenRun: (runId: string) => void;
  onScroll: (scrollTop: number) => void;
}

/** The panel's content as the model is now. */
function ExperimentView(props: IExperimentViewProps): JSX.Element {
  const { model, trans } = props;
  const showRows = React.useCallback(
    (first: number, last: number) => model.showRows(first, last),
    [model]
  );

  const selected = model.selectedRunIds;

  let body: JSX.Element;
  if (!model.loaded) {
    body = model.error ? (
      <div className="jp-Studio-runsError" role="alert">
        <p>{trans.__('The runs could not be loaded: %1', model.error)}</p>
        <button
          className="jp-mod-styled jp-mod-accept"
          onClick={() => void model.reload()}
        >
          {trans.__('Try again')}
        </button>
      </div>
    ) : (
      <div className="jp-Studio-runsMessage">{trans.__('Loading runs…')}</div>
    );
  } else if (model.total === 0 && !model.filter) {
    body = (
      <EmptyState
        experiment={props.experimentName ?? model.experimentId}
        trans={trans}
      />
    );
  } else if (model.total === 0) {
    body = (
      <div className="jp-Studio-runsMessage">
        {trans.__('No runs match the filter.')}
      </div>
    );
  } else {
    body = (
      <RunsTable
        rowCount={model.rowCount}
        rowAt={index => model.row(index)}
        scrollKey={model.queryVersion}
        columns={[...BASE_COLUMNS, ...model.columns]}
        sort={model.sort}
        selection={model.selection}
        loadedSelection={model.loadedSelection}
        trans={trans}
        onSort={column => void model.toggleSort(column)}
        onSelect={(runId, on) => model.setSelected(runId, on)}
        onSelectAll={on => model.selectAllLoaded(on)}
        onExpand={(runId, on) => model.setExpanded(runId, on)}
        onOpenRun={props.onOpenRun}
        onShowRows={showRows}
        widths={model.columnWidths}
        onResizeColumn={(column, width) => model.setColumnWidth(column, width)}
        onScroll={props.onScroll}
      />
    );
  }

  return (
    <div
      className="jp-Studio-experimentView"
      data-loading={model.loading || model.loadingMore}
    >
      <div className="jp-Studio-runsToolbar">
        <FilterBox
          value={model.filter}
          error={model.filterError}
          trans={trans}
          onApply={text => void model.applyFilter(text)}
        />
        {model.loaded && (
          <span
            className="jp-Studio-runsCount"
            data-testid="studio-runs-count"
            data-count={model.total}
          >
            {trans._n(
              '%2 run',
              '%2 runs',
              model.total,
              model.total.toLocaleString()
            )}
          </span>
        )}
        {selected.length > 0 && (
          <span className="jp-Studio-selectedCount">
            {trans.__('%1 selected', selected.length)}
          </span>
        )}
        <ColumnChooser
          available={model.availableColumns}
          chosen={model.columns}
          shownByFilter={model.columnsOfFilter}
          trans={trans}
          onToggle={(column, shown) => model.toggleColumn(column, shown)}
          onReset={() => model.resetColumns()}
        />
      </div>
      {model.loaded && model.error && (
        <div className="jp-Studio-runsBanner" role="alert">
          {model.error}
        </div>
      )}
      {body}
    </div>
  );
}

function EmptyState(props: {
  experiment: string | number;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const experiment =
    typeof props.experiment === 'number'
      ? props.experiment
      : JSON.stringify(props.experiment);
  const snippet = [
    'import studio',
    '',
    `with studio.start_run(experiment=${experiment}) as run:`,
    '    run.log_params({"max_depth": 3})',
    '    run.log_metric("accuracy", 0.93)'
  ].join('\n');
  return (
    <div className="jp-Studio-emptyRuns" data-testid="studio-empty">
      <p>{trans.__('No runs yet: here is how to log one')}</p>
      <pre className="jp-Studio-snippet">
        <code>{snippet}</code>
      </pre>
      <p className="jp-Studio-hint">
        {trans.__('Run it in a notebook; the run shows here while it runs.')}
      </p>
    </div>
  );
}
