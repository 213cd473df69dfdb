/**
 * The experiment panel: one experiment's runs table in the main area, with its toolbar
 * (filter, count, columns, compare, refresh), refreshed live while runs are running.
 */
import { showErrorMessage, ReactWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { ColumnChooser } from '../components/ColumnChooser';
import { FilterBox } from '../components/FilterBox';
import { RunsTable } from '../components/RunsTable';
import { BASE_COLUMNS, RunsTableModel } from '../models/runsTableModel';
import { studioIcon } from '../icons';
import { CommandIDs, IPanelContext, IStudioSettings } from '../tokens';

/** Runs that can be compared at once. */
const COMPARE_MIN = 2;
const COMPARE_MAX = 20;

/** One experiment's runs, as a closable main-area panel. */
export class ExperimentPanel extends ReactWidget {
  constructor(context: IPanelContext, experimentId: number) {
    super();
    this.experimentId = experimentId;
    this._context = context;
    this._trans = context.translator.load('jupyter-studio');
    this.id = `studio-experiment-${experimentId}`;
    this.addClass('jp-Studio-experimentPanel');
    this.title.label = this._trans.__('Experiment %1', experimentId);
    this.title.closable = true;
    this.title.icon = studioIcon;
    // Focusable, so that activating the tab makes it JupyterLab's current widget.
    this.node.tabIndex = -1;
    this.model = new RunsTableModel({
      api: context.api,
      experimentId,
      defaultColumns: context.settings.current.defaultColumns
    });
    this.model.selectionChanged.connect(
      (_, ids) => this._selectionChanged.emit(ids),
      this
    );
    context.settings.changed.connect(this._onSettingsChanged, this);
    this._poll = new Poll({
      name: `studio:experiment-${experimentId}:runs`,
      factory: () =>
        this.isVisible ? this.model.refreshLive() : Promise.resolve(),
      frequency: frequencyOf(context.settings.current),
      standby: 'when-hidden'
    });
    void this.model.reload();
    void this._loadExperiment();
  }
  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this.node.focus();
  }

  readonly experimentId: number;
  /** The runs table's state. */
  readonly model: RunsTableModel;

  /** The ids of the selected runs (kept across refreshes, sorts and filters). */
  get selectedRunIds(): string[] {
    return this.model.selectedRunIds;
  }

  get selectionChanged(): ISignal<ExperimentPanel, string[]> {
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
    this._poll.dispose();
    this._context.settings.changed.disconnect(this._onSettingsChanged, this);
    this.model.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <ExperimentView
        model={this.model}
        experimentName={this._experimentName}
        trans={this._trans}
        onOpenRun={runId => this._execute(CommandIDs.openRun, { runId })}
        onCompare={runIds => this._execute(CommandIDs.compareRuns, { runIds })}
        onRefresh={() => void this.refresh()}
        onScroll={top => (this._scrollTop = top)}
      />
    );
  }

  protected onAfterShow(): void {
    // A hidden panel loses its scroll offset (display: none); put it back.
    const table = this.node.querySelector<HTMLElement>('.jp-Studio-runsTable');
    if (table && table.scrollTop !== this._scrollTop) {
      table.scrollTop = this._scrollTop;
    }
    void this._poll.refresh();
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

  private _execute(
    command: string,
    args: { runId: string } | { runIds: string[] }
  ): void {
    this._context.commands.execute(command, args).catch((error: unknown) => {
      const message = error instanceof Error ? error : String(error);
      void showErrorMessage(this._trans.__('Studio'), message);
    });
  }

  private _onSettingsChanged(_: unknown, settings: IStudioSettings): void {
    this.model.setDefaultColumns(settings.defaultColumns);
    this._poll.frequency = frequencyOf(settings);
  }

  private _context: IPanelContext;
  private _trans: TranslationBundle;
  private _poll: Poll;
  private _experimentName: string | null = null;
  private _scrollTop = 0;
  private _selectionChanged = new Signal<ExperimentPanel, string[]>(this);
}

function frequencyOf(settings: IStudioSettings): IPoll.Frequency {
  const interval = Math.max(1, settings.refreshInterval) * 1000;
  return { interval, backoff: true, max: Math.max(interval, 5 * 60 * 1000) };
}

interface IExperimentViewProps {
  model: RunsTableModel;
  experimentName: string | null;
  trans: TranslationBundle;
  onOpenRun: (runId: string) => void;
  onCompare: (runIds: string[]) => void;
  onRefresh: () => void;
  onScroll: (scrollTop: number) => void;
}

/** The panel's content, drawn again whenever the model changes. */
function ExperimentView(props: IExperimentViewProps): JSX.Element {
  const { model, trans } = props;
  const [, setVersion] = React.useState(0);
  React.useEffect(() => {
    const changed = () => setVersion(version => version + 1);
    model.stateChanged.connect(changed);
    return () => {
      model.stateChanged.disconnect(changed);
    };
  }, [model]);
  const showRows = React.useCallback(
    (first: number, last: number) => model.showRows(first, last),
    [model]
  );

  const selected = model.selectedRunIds;
  const canCompare =
    selected.length >= COMPARE_MIN && selected.length <= COMPARE_MAX;
  const compareTitle = canCompare
    ? trans.__('Compare the selected runs')
    : trans.__(
        'Select %1 to %2 runs to compare them',
        COMPARE_MIN,
        COMPARE_MAX
      );

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
        <button
          className="jp-Studio-toolbarButton jp-Studio-compareButton"
          data-testid="studio-compare-button"
          disabled={!canCompare}
          title={compareTitle}
          onClick={() => props.onCompare(selected)}
        >
          {trans.__('Compare (%1)', selected.length)}
        </button>
        <button
          className="jp-Studio-toolbarButton"
          data-testid="studio-refresh-button"
          title={trans.__('Load the runs again')}
          onClick={props.onRefresh}
        >
          {trans.__('Refresh')}
        </button>
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
