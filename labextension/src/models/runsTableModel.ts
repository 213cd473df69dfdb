/**
 * The runs table of one experiment: its rows over every matching run (top-level runs, with the
 * children of expanded ones under them), the pages of them near the view, their server-side sort
 * and filter, the columns shown and the selected runs. State and signals only, no DOM.
 *
 * The table spans every matching run, but holds only the pages of runs near the view (see
 * RunsWindow): a page is read by its offset when it comes into view, and one request per change
 * (filter, sort, refresh) counts the runs. Work per page is the page's own runs.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { ISearchRunsOptions } from '../api/tracking';
import type { Run, RunList } from '../api/types';
import { StudioRequestError } from '../handler';
import { IColumnStore, LocalStorageColumnStore } from './columnStore';
import { IRunsSort, nextSort, orderClause } from './runsSort';
import { IRunRow, IRunsPage, RunsWindow } from './runsWindow';

export type { IRunRow } from './runsWindow';

/** The one call the table makes (TrackingAPI has it). */
export interface IRunsSource {
  searchRuns(options: ISearchRunsOptions): Promise<RunList>;
}

export interface IRunsTableModelOptions {
  api: IRunsSource;
  experimentId: number;
  /** Columns shown until the user chooses (settings.defaultColumns); empty: the first keys. */
  defaultColumns?: string[];
  columnStore?: IColumnStore;
  /** Top-level runs per page: small, so that the first rows come fast. */
  pageSize?: number;
  /** Pages held in memory at most; the least recently shown go first. */
  maxPages?: number;
}

/** Children shown under one expanded run (a grid search's candidates), read in one request. */
const MAX_CHILDREN = 1000;

/** The columns every table shows, before the chosen param and metric columns. */
export const BASE_COLUMNS = ['status', 'name', 'start', 'duration'];

/** The runs table's state; `stateChanged` fires after every change. */
export class RunsTableModel {
  constructor(options: IRunsTableModelOptions) {
    this.experimentId = options.experimentId;
    this._api = options.api;
    this._store = options.columnStore ?? new LocalStorageColumnStore();
    this._defaultColumns = [...(options.defaultColumns ?? [])];
    this._window = new RunsWindow(
      options.pageSize ?? 100,
      options.maxPages ?? 10
    );
    this._chosen = this._store.load(this.experimentId);
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
    return this._window.total;
  }

  /** Rows of the table: every matching top-level run and the children of expanded ones. */
  get rowCount(): number {
    return this._window.rowCount;
  }

  /** The row at an index of the table; its run is null until its page loads. */
  row(index: number): IRunRow {
    return this._window.row(index);
  }

  /** The runs held in memory: the pages near the view and the expanded runs' children. */
  get loadedRuns(): Run[] {
    return this._window.loadedRuns;
  }

  /** The pages held, least recently shown first. */
  get pageIndexes(): number[] {
    return this._window.pageIndexes;
  }

  /** Goes up with each new filter or sort: the view scrolls back to the top. */
  get queryVersion(): number {
    return this._queryVersion;
  }

  /** True once a first load succeeded. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** A reload (filter, sort, refresh) is in flight. */
  get loading(): boolean {
    return this._loading;
  }

  /** Pages or children are being read. */
  get loadingMore(): boolean {
    return this._reading > 0;
  }

  /** The last load's error (not a filter error), as the server said it. */
  get error(): string | null {
    return this._error;
  }

  /** The filter applied to the runs shown. */
  get filter(): string {
    return this._filter;
  }

  /** Why the last filter tried was refused (the server's message), or null. */
  get filterError(): string | null {
    return this._filterError;
  }

  /** The sort of the runs shown; null: the server's default (newest first). */
  get sort(): IRunsSort | null {
    return this._sort;
  }

  /** The param and metric columns shown, e.g. "metrics.accuracy", "params.max_depth". */
  get columns(): string[] {
    return (
      this._chosen ??
      (this._defaultColumns.length ? this._defaultColumns : this._auto)
    );
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
    this._generation++;
    Signal.clearData(this);
  }

  /** Load the first page again with the current filter and sort. */
  reload(): Promise<void> {
    return this._query(this._filter, this._sort, false);
  }

  /**
   * Read the runs again where the view is, counting them once; expanded runs stay expanded
   * and the selection stays.
   */
  refresh(): Promise<void> {
    return this._loaded
      ? this._query(this._filter, this._sort, true)
      : this.reload();
  }

  /** Apply a filter; resolves false, with `filterError` set, when the server refuses it. */
  async applyFilter(text: string): Promise<boolean> {
    await this._query(text.trim(), this._sort, false);
    return this._filterError === null;
  }

  setSort(sort: IRunsSort | null): Promise<void> {
    return this._query(this._filter, sort, false);
  }

  /** Sort on a column as a click on its header asks. */
  toggleSort(column: string): Promise<void> {
    return this.setSort(nextSort(this._sort, column));
  }

  /**
   * The view shows rows `first` to `last`: their pages are read if missing, kept as the most
   * recent, and pages far from them are dropped past the bound.
   */
  showRows(first: number, last: number): void {
    this._view = { first, last };
    if (!this._loaded || this._loading) {
      return;
    }
    const pages = this._pagesIn(first, last);
    this._window.touch(pages);
    pages
      .filter(page => !this._window.hasPage(page) && !this._pending.has(page))
      .forEach(page => void this._readPage(page));
  }

  /** Show or hide the children of a top-level run (they are read when it expands). */
  setExpanded(runId: string, expanded: boolean): void {
    const found = this._window.expansion(runId);
    if (!expanded && found) {
      this._window.collapse(runId);
      this._collapsed.add(runId);
      this._emit();
    } else if (expanded && !found) {
      this._collapsed.delete(runId);
      for (const page of this._window.pageIndexes) {
        const held = this._window.page(page)!;
        const offset = held.runs.findIndex(run => run.id === runId);
        if (offset >= 0) {
          this._expand(runId, page * this._window.pageSize + offset, held);
          this._emit();
          return;
        }
      }
    }
  }

  /**
   * One tick of live refresh: the top-level runs in view are read again. When others stand at
   * their places (runs added, deleted or moved), the runs are counted and read again (one
   * change, one count); otherwise the rows are updated in place, as are the children of the
   * expanded runs in view. The selection stays. Errors wait for the next tick.
   */
  async refreshLive(): Promise<void> {
    if (!this._loaded || this._loading) {
      return;
    }
    const generation = this._generation;
    const [first, last] = this._topRange(this._view.first, this._view.last);
    try {
      const answer = await this._api.searchRuns({
        ...this._searchOptions(this._filter, this._sort),
        offset: first,
        maxResults: Math.max(1, last - first + 1)
      });
      if (generation !== this._generation || this._loading) {
        return;
      }
      const held = range(first, last).map(index => this._window.topRun(index));
      const moved =
        answer.runs.length !== held.length ||
        answer.runs.some((run, i) => held[i] && held[i]!.id !== run.id);
      if (moved) {
        await this.refresh();
        return;
      }
      let changed = false;
      answer.runs.forEach((run, i) => {
        const page = this._window.page(
          Math.floor((first + i) / this._window.pageSize)
        );
        const offset = (first + i) % this._window.pageSize;
        if (page && JSON.stringify(page.runs[offset]) !== JSON.stringify(run)) {
          page.runs[offset] = run;
          page.tree[run.id] = answer.tree?.[run.id] ?? page.tree[run.id];
          changed = true;
        }
      });
      if (changed) {
        this._emit();
      }
      const shown = this._window.expansions.filter(
        e => e.children && e.topIndex >= first && e.topIndex <= last
      );
      await Promise.all(shown.map(e => this._readChildren(e.parentId)));
    } catch {
      // The next tick tries again; loads the user asks for show their errors.
    }
  }

  /** A loaded run by id (in the pages held or among expanded children). */
  findLoaded(runId: string): Run | undefined {
    return this._window.loadedRuns.find(run => run.id === runId);
  }

  /** Show these param/metric columns, remembered for this experiment. */
  setColumns(columns: string[]): void {
    this._chosen = [...new Set(columns)];
    this._store.save(this.experimentId, this._chosen);
    this._emit();
  }

  /** Show or hide one param/metric column. */
  toggleColumn(column: string, shown: boolean): void {
    const current = this.columns.filter(item => item !== column);
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
    this._window.loadedRuns.forEach(run =>
      selected ? next.add(run.id) : next.delete(run.id)
    );
    this._setSelection(next);
  }

  /** Whether every, some or none of the loaded runs are selected (for a select-all box). */
  get loadedSelection(): 'all' | 'some' | 'none' {
    const runs = this._window.loadedRuns;
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

  /**
   * Count the runs and read the page where the view starts: page 0 for a new filter or sort
   * (`keep` false: expansions go), the view's page for a refresh (`keep`: expanded runs are
   * read again). The one request per change that counts.
   */
  private async _query(
    filter: string,
    sort: IRunsSort | null,
    keep: boolean
  ): Promise<void> {
    if (this._disposed) {
      return;
    }
    const generation = ++this._generation;
    this._pending.clear();
    this._loading = true;
    this._emit();
    const [first] = keep
      ? this._topRange(this._view.first, this._view.first)
      : [0];
    const page = Math.floor(Math.max(0, first) / this._window.pageSize);
    try {
      const answer = await this._api.searchRuns({
        ...this._searchOptions(filter, sort),
        offset: page * this._window.pageSize,
        maxResults: this._window.pageSize,
        includeTotal: true
      });
      if (generation !== this._generation) {
        return;
      }
      if (keep) {
        this._window.clearPages();
      } else {
        this._window.clear();
        this._collapsed.clear();
        this._queryVersion++;
        this._view = { first: 0, last: 0 };
      }
      this._filter = filter;
      this._sort = sort;
      this._filterError = null;
      this._error = null;
      this._window.total = answer.total ?? answer.runs.length;
      this._takePage(page, answer);
      this._loaded = true;
    } catch (error) {
      if (generation !== this._generation) {
        return;
      }
      if (
        error instanceof StudioRequestError &&
        error.status === 400 &&
        filter !== this._filter
      ) {
        this._filterError = error.message;
      } else {
        this._error = messageOf(error);
      }
    } finally {
      if (generation === this._generation) {
        this._loading = false;
        this._emit();
      }
    }
    if (generation === this._generation && keep) {
      const expanded = this._window.expansions.map(e => e.parentId);
      await Promise.all(expanded.map(id => this._readChildren(id)));
    }
    if (generation === this._generation && this._loaded) {
      this.showRows(this._view.first, this._view.last);
    }
  }

  /** Read one page of top-level runs by its offset. */
  private async _readPage(page: number): Promise<void> {
    const generation = this._generation;
    this._pending.add(page);
    this._reading++;
    this._emit();
    try {
      const answer = await this._api.searchRuns({
        ...this._searchOptions(this._filter, this._sort),
        offset: page * this._window.pageSize,
        maxResults: this._window.pageSize
      });
      if (generation === this._generation && this._pending.has(page)) {
        this._takePage(page, answer);
        this._window.touch(this._pagesIn(this._view.first, this._view.last));
        this._error = null;
      }
    } catch (error) {
      if (generation === this._generation) {
        this._error = messageOf(error);
      }
    } finally {
      this._pending.delete(page);
      this._reading--;
      this._emit();
    }
  }

  /** Hold a page; runs shown only for a matching child expand, unless the user closed them. */
  private _takePage(page: number, answer: RunList): void {
    const held: IRunsPage = { runs: answer.runs, tree: answer.tree ?? {} };
    this._window.setPage(page, held);
    this._noteKeys(answer.runs);
    held.runs.forEach((run, offset) => {
      const tree = held.tree[run.id];
      if (
        tree &&
        !tree.matched &&
        tree.child_count > 0 &&
        !this._collapsed.has(run.id) &&
        !this._window.expansion(run.id)
      ) {
        this._expand(run.id, page * this._window.pageSize + offset, held);
      }
    });
  }

  private _expand(runId: string, topIndex: number, page: IRunsPage): void {
    const count = Math.min(page.tree[runId]?.child_count ?? 0, MAX_CHILDREN);
    if (count > 0) {
      this._window.expand(runId, topIndex, count);
      void this._readChildren(runId);
    }
  }

  /** Read the children of an expanded run, in the table's sort and filter. */
  private async _readChildren(parentId: string): Promise<void> {
    const generation = this._generation;
    this._reading++;
    try {
      const answer = await this._api.searchRuns({
        ...this._searchOptions(this._filter, this._sort),
        parentRunId: parentId,
        maxResults: MAX_CHILDREN
      });
      const expansion = this._window.expansion(parentId);
      if (generation === this._generation && expansion) {
        expansion.children = { runs: answer.runs, tree: answer.tree ?? {} };
        expansion.rows = answer.runs.length;
        this._noteKeys(answer.runs);
      }
    } catch (error) {
      if (generation === this._generation) {
        this._error = messageOf(error);
      }
    } finally {
      this._reading--;
      this._emit();
    }
  }

  /** The pages of top-level runs that rows `first` to `last` show. */
  private _pagesIn(first: number, last: number): number[] {
    const [top, bottom] = this._topRange(first, last);
    const size = this._window.pageSize;
    return range(Math.floor(top / size), Math.floor(bottom / size));
  }

  /** The top-level runs that rows `first` to `last` show (a child counts as its parent). */
  private _topRange(first: number, last: number): [number, number] {
    const rows = this._window.rowCount;
    if (rows === 0) {
      return [0, -1];
    }
    const clamp = (row: number) => Math.min(Math.max(row, 0), rows - 1);
    return [
      this._window.locate(clamp(first)).topIndex,
      this._window.locate(clamp(last)).topIndex
    ];
  }

  private _searchOptions(
    filter: string,
    sort: IRunsSort | null
  ): ISearchRunsOptions {
    return {
      experimentIds: [this.experimentId],
      filter: filter || undefined,
      orderBy: sort ? [orderClause(sort)] : [],
      tree: true
    };
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
      const keys = [...this._seenKeys].sort();
      const metrics = keys
        .filter(key => key.startsWith('metrics.'))
        .slice(0, 3);
      const params = keys.filter(key => key.startsWith('params.')).slice(0, 2);
      this._auto = [...metrics, ...params];
    }
  }

  private _emit(): void {
    if (!this._disposed) {
      this._stateChanged.emit();
    }
  }

  private _api: IRunsSource;
  private _store: IColumnStore;
  private _window: RunsWindow;
  private _defaultColumns: string[];
  private _chosen: string[] | null;
  private _auto: string[] = [];
  private _seenKeys = new Set<string>();
  /** Pages being read (a new filter, sort or refresh drops them). */
  private _pending = new Set<number>();
  /** Requests for pages or children in flight. */
  private _reading = 0;
  /** Runs the user closed: they stay closed when their page is read again. */
  private _collapsed = new Set<string>();
  /** The rows the view last showed. */
  private _view = { first: 0, last: 0 };
  private _queryVersion = 0;
  private _filter = '';
  private _filterError: string | null = null;
  private _sort: IRunsSort | null = null;
  private _error: string | null = null;
  private _loaded = false;
  private _loading = false;
  private _selection: ReadonlySet<string> = new Set<string>();
  private _generation = 0;
  private _disposed = false;
  private _stateChanged = new Signal<this, void>(this);
  private _selectionChanged = new Signal<this, string[]>(this);
}

/** The integers from `first` to `last`, both included. */
function range(first: number, last: number): number[] {
  return Array.from(
    { length: Math.max(0, last - first + 1) },
    (_, i) => first + i
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
