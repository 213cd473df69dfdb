/**
 * The runs table of one experiment: its rows over every matching run (top-level runs, with the
 * children of expanded ones under them), the pages of them near the view, their server-side sort
 * and filter, the columns shown and the selected runs. State and signals only, no DOM.
 *
 * The rows come from the server through a RunsPager: pages near the view only, one count per
 * change. The selection is kept apart from them, so that it stays across pages, sorts and filters.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { Run } from '../api/types';
import {
  IColumnStore,
  IColumnWidthStore,
  LocalStorageColumnStore,
  LocalStorageColumnWidths
} from './columnStore';
import {
  commonColumns,
  defaultColumns,
  filterColumns,
  withFilterColumns
} from './columns';
import { IRunsSource, RunsPager } from './runsPager';
import type { IRunsSort } from './runsSort';
import type { IRunRow } from './runsWindow';
import { pollFrequency } from './pollFrequency';
import { DEFAULT_SETTINGS } from '../tokens';

export type { IRunsSource } from './runsPager';
export type { IRunRow } from './runsWindow';

export interface IRunsTableModelOptions {
  api: IRunsSource;
  experimentId: number;
  /** Columns shown until the user chooses (settings.defaultColumns); empty: the first keys. */
  defaultColumns?: string[];
  columnStore?: IColumnStore;
  columnWidthStore?: IColumnWidthStore;
  /** Top-level runs per page: small, so that the first rows come fast. */
  pageSize?: number;
  /** Pages held in memory at most; the least recently shown go first. */
  maxPages?: number;
  /** Seconds between live refreshes (settings.refreshInterval). */
  refreshInterval?: number;
}

/** The columns every table shows, before the chosen param and metric columns. */
export const BASE_COLUMNS = ['status', 'name', 'start', 'duration'];

/** The runs table's state; `stateChanged` fires after every change. */
export class RunsTableModel {
  constructor(options: IRunsTableModelOptions) {
    this.experimentId = options.experimentId;
    this._store = options.columnStore ?? new LocalStorageColumnStore();
    this._defaultColumns = [...(options.defaultColumns ?? [])];
    this._pager = new RunsPager({
      ...options,
      changed: () => this._emit(),
      received: runs => this._noteKeys(runs)
    });
    this._chosen = this._store.load(this.experimentId);
    this._widthStore =
      options.columnWidthStore ?? new LocalStorageColumnWidths();
    this._widths = this._widthStore.loadWidths(this.experimentId);
    this._poll = new Poll({
      auto: false,
      factory: () => this.refreshLive(),
      frequency: pollFrequency(
        options.refreshInterval ?? DEFAULT_SETTINGS.refreshInterval
      ),
      name: `studio:experiment-${this.experimentId}:runs`,
      standby: () => !this._active || 'when-hidden'
    });
  }

  /**
   * Poll only while the table is seen: the first activation starts the live refresh; while
   * inactive it stands by, and a tick it skipped is made up once on becoming active again.
   */
  setActive(active: boolean): void {
    if (active === this._active) {
      return;
    }
    this._active = active;
    const phase = this._poll.state.phase;
    if (active && phase === 'constructed') {
      // The first page was just read: the first tick waits one interval.
      void this._poll.schedule({
        interval: this._poll.frequency.interval,
        phase: 'started'
      });
    } else if (active && phase === 'standby') {
      void this._poll.refresh();
    }
  }

  /** Seconds between live refreshes. */
  set refreshInterval(seconds: number) {
    this._poll.frequency = pollFrequency(seconds);
  }

  readonly experimentId: number;

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  get selectionChanged(): ISignal<this, string[]> {
    return this._selectionChanged;
  }

  /** Every matching top-level run (the server's count at the last change). */
  get total(): number {
    return this._pager.total;
  }

  /** Rows of the table: every matching top-level run and the children of expanded ones. */
  get rowCount(): number {
    return this._pager.rowCount;
  }

  /** The row at an index of the table; its run is null until its page loads. */
  row(index: number): IRunRow {
    return this._pager.row(index);
  }

  /** The runs held in memory: the pages near the view and the expanded runs' children. */
  get loadedRuns(): Run[] {
    return this._pager.loadedRuns;
  }

  /** The pages held, least recently shown first. */
  get pageIndexes(): number[] {
    return this._pager.pageIndexes;
  }

  /** Goes up with each new filter or sort: the view scrolls back to the top. */
  get queryVersion(): number {
    return this._pager.queryVersion;
  }

  /** True once a first load succeeded. */
  get loaded(): boolean {
    return this._pager.loaded;
  }

  /** A reload (filter, sort, refresh) is in flight. */
  get loading(): boolean {
    return this._pager.loading;
  }

  /** Pages or children are being read. */
  get loadingMore(): boolean {
    return this._pager.loadingMore;
  }

  /** The last load's error (not a filter error), as the server said it. */
  get error(): string | null {
    return this._pager.error;
  }

  /** The filter applied to the runs shown. */
  get filter(): string {
    return this._pager.filter;
  }

  /** Why the last filter tried was refused (the server's message), or null. */
  get filterError(): string | null {
    return this._pager.filterError;
  }

  /** The sort of the runs shown; null: the server's default (newest first). */
  get sort(): IRunsSort | null {
    return this._pager.sort;
  }

  /**
   * The param and metric columns shown, e.g. "metrics.accuracy", "params.max_depth": those
   * the filter names, then those chosen (else the defaults the runs have).
   */
  get columns(): string[] {
    return withFilterColumns(this._baseColumns(), this._pager.filter);
  }

  /** The param and metric columns the filter names: shown while it applies. */
  get columnsOfFilter(): string[] {
    return filterColumns(this._pager.filter);
  }

  /** The widths (pixels) the user gave columns, remembered for this experiment. */
  get columnWidths(): Readonly<Record<string, number>> {
    return this._widths;
  }

  setColumnWidth(column: string, width: number): void {
    this._widths = { ...this._widths, [column]: Math.round(width) };
    this._widthStore.saveWidths(this.experimentId, this._widths);
    this._emit();
  }

  /** Param and metric columns seen in the loaded runs (and those chosen): metrics first. */
  get availableColumns(): string[] {
    const all = new Set([...this._seenKeys, ...this.columns]);
    const rank = (column: string) => (column.startsWith('metrics.') ? 0 : 1);
    return [...all].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }

  get selection(): ReadonlySet<string> {
    return this._selection;
  }

  get selectedRunIds(): string[] {
    return [...this._selection];
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._pager.dispose();
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Load the first page again with the current filter and sort. */
  reload(): Promise<void> {
    return this._pager.reload();
  }

  /** Read the runs again where the view is; expanded runs and the selection stay. */
  refresh(): Promise<void> {
    return this._pager.refresh();
  }

  /** Apply a filter; resolves false, with `filterError` set, when the server refuses it. */
  applyFilter(text: string): Promise<boolean> {
    return this._pager.applyFilter(text);
  }

  setSort(sort: IRunsSort | null): Promise<void> {
    return this._pager.setSort(sort);
  }

  /** Sort on a column as a click on its header asks. */
  toggleSort(column: string): Promise<void> {
    return this._pager.toggleSort(column);
  }

  /** The view shows rows `first` to `last`: their pages are read if missing. */
  showRows(first: number, last: number): void {
    this._pager.showRows(first, last);
  }

  /** Show or hide the children of a top-level run (they are read when it expands). */
  setExpanded(runId: string, expanded: boolean): void {
    this._pager.setExpanded(runId, expanded);
  }

  /** One tick of live refresh (see RunsPager.refreshLive). */
  refreshLive(): Promise<void> {
    return this._pager.refreshLive();
  }

  /** A loaded run by id (in the pages held or among expanded children). */
  findLoaded(runId: string): Run | undefined {
    return this._pager.findLoaded(runId);
  }

  /** Show these param/metric columns, remembered for this experiment. */
  setColumns(columns: string[]): void {
    this._chosen = [...new Set(columns)];
    this._store.save(this.experimentId, this._chosen);
    this._emit();
  }

  /** Show or hide one param/metric column (those the filter names are not kept). */
  toggleColumn(column: string, shown: boolean): void {
    const current = this._baseColumns().filter(item => item !== column);
    this.setColumns(shown ? [...current, column] : current);
  }

  /** Forget the choice: the default columns again. */
  resetColumns(): void {
    this._chosen = null;
    this._store.save(this.experimentId, null);
    this._emit();
  }

  /** New defaults (settings.defaultColumns); they show unless the user chose columns. */
  setDefaultColumns(columns: string[]): void {
    this._defaultColumns = [...columns];
    this._emit();
  }

  isSelected(runId: string): boolean {
    return this._selection.has(runId);
  }

  setSelected(runId: string, selected: boolean): void {
    if (this._selection.has(runId) === selected) {
      return;
    }
    const next = new Set(this._selection);
    if (selected) {
      next.add(runId);
    } else {
      next.delete(runId);
    }
    this._setSelection(next);
  }

  /** Select, or unselect, every loaded run (runs selected elsewhere stay as they are). */
  selectAllLoaded(selected: boolean): void {
    const next = new Set(this._selection);
    this._pager.loadedRuns.forEach(run =>
      selected ? next.add(run.id) : next.delete(run.id)
    );
    this._setSelection(next);
  }

  /** Whether every, some or none of the loaded runs are selected (for a select-all box). */
  get loadedSelection(): 'all' | 'some' | 'none' {
    const runs = this._pager.loadedRuns;
    const count = runs.filter(run => this._selection.has(run.id)).length;
    return count === 0 ? 'none' : count === runs.length ? 'all' : 'some';
  }

  clearSelection(): void {
    this._setSelection(new Set());
  }

  private _setSelection(next: Set<string>): void {
    if (
      next.size === this._selection.size &&
      [...next].every(id => this._selection.has(id))
    ) {
      return;
    }
    this._selection = next;
    this._selectionChanged.emit(this.selectedRunIds);
    this._emit();
  }

  /** Note the param and metric keys of new runs (for the column chooser and defaults). */
  private _noteKeys(runs: Run[]): void {
    for (const run of runs) {
      Object.keys(run.metrics).forEach(key =>
        this._seenKeys.add(`metrics.${key}`)
      );
      Object.keys(run.params).forEach(key =>
        this._seenKeys.add(`params.${key}`)
      );
    }
    if (!this._auto.length && runs.length) {
      this._auto = commonColumns(runs);
    }
  }

  /** The columns chosen, else the defaults the runs have. */
  private _baseColumns(): string[] {
    return (
      this._chosen ??
      defaultColumns(this._defaultColumns, this._seenKeys, this._auto)
    );
  }

  private _emit(): void {
    if (!this._disposed) {
      this._stateChanged.emit();
    }
  }

  private _pager: RunsPager;
  private _store: IColumnStore;
  private _widthStore: IColumnWidthStore;
  private _widths: Record<string, number>;
  private _defaultColumns: string[];
  private _chosen: string[] | null;
  private _auto: string[] = [];
  private _seenKeys = new Set<string>();
  private _selection: ReadonlySet<string> = new Set<string>();
  private _disposed = false;
  private _poll: Poll;
  private _active = false;
  private _stateChanged = new Signal<this, void>(this);
  private _selectionChanged = new Signal<this, string[]>(this);
}
