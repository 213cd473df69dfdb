/**
 * The runs table of one experiment: the pages of runs loaded from the server, their server-side
 * sort and filter, the columns shown and the selected runs. State and signals only, no DOM.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { ISearchRunsOptions } from '../api/tracking';
import type { Run, RunList } from '../api/types';
import { StudioRequestError } from '../handler';
import { IColumnStore, LocalStorageColumnStore } from './columnStore';
import { IRunsSort, nextSort, orderClause } from './runsSort';
import { pollFrequency } from './pollFrequency';
import { DEFAULT_SETTINGS } from '../tokens';

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
  /** Runs in the first page: small, so that the first rows come fast. */
  firstPageSize?: number;
  /** Runs in each further page. */
  pageSize?: number;
  /** Seconds between live refreshes (settings.refreshInterval). */
  refreshInterval?: number;
}

/** Runs read again from the top on refresh (reading 500 runs takes the server about 0.6 s). */
const MAX_HEAD_SIZE = 500;
const ID_BATCH = 200;

/** The columns every table shows, before the chosen param and metric columns. */
export const BASE_COLUMNS = ['status', 'name', 'start', 'duration'];

/** The runs table's state; `stateChanged` fires after every change. */
export class RunsTableModel {
  constructor(options: IRunsTableModelOptions) {
    this.experimentId = options.experimentId;
    this._api = options.api;
    this._store = options.columnStore ?? new LocalStorageColumnStore();
    this._defaultColumns = [...(options.defaultColumns ?? [])];
    this._firstPageSize = options.firstPageSize ?? 100;
    this._pageSize = options.pageSize ?? 200;
    this._chosen = this._store.load(this.experimentId);
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

  /** The runs loaded so far, in the server's order. */
  get runs(): readonly Run[] {
    return this._runs;
  }

  /** Every run matching the filter (known after the first load), else the runs loaded. */
  get total(): number {
    return this._total ?? this._runs.length;
  }

  get hasMore(): boolean {
    return this._nextPageToken !== null;
  }

  /** True once a first load succeeded. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** A reload (filter, sort, refresh) is in flight. */
  get loading(): boolean {
    return this._loading;
  }

  get loadingMore(): boolean {
    return this._loadingMore;
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
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Load the first page again with the current filter and sort. */
  reload(): Promise<void> {
    return this._query(this._filter, this._sort, this._firstPageSize);
  }

  /**
   * Read the shown runs again, keeping the selection and the rows' places: the first rows (up
   * to a bound) come from the server, the rows after them stay as loaded, minus those now in
   * the head; running runs are read again wherever they are.
   */
  async refresh(): Promise<void> {
    if (!this._loaded) {
      return this.reload();
    }
    const old = this._runs;
    const oldToken = this._nextPageToken;
    const size = Math.min(
      Math.max(old.length, this._firstPageSize),
      MAX_HEAD_SIZE
    );
    const generation = this._generation + 1; // The one _query takes.
    await this._query(this._filter, this._sort, size);
    if (generation !== this._generation) {
      return; // A newer sort, filter or refresh took over.
    }
    const head = this._runs;
    if (this._error !== null || head === old || this._nextPageToken === null) {
      await this._refreshRunning();
      return;
    }
    const inHead = new Set(head.map(run => run.id));
    const oldIds = new Set(old.map(run => run.id));
    const added = head.filter(run => !oldIds.has(run.id)).length;
    // Runs new to the head pushed as many of its old last rows out: they start the tail.
    const tail = old
      .slice(Math.max(0, head.length - added))
      .filter(run => !inHead.has(run.id));
    if (tail.length) {
      this._setRuns([...head, ...tail]);
      this._nextPageToken = oldToken ?? this._nextPageToken;
      this._emit();
    }
    await this._refreshRunning();
  }

  /** Apply a filter; resolves false, with `filterError` set, when the server refuses it. */
  async applyFilter(text: string): Promise<boolean> {
    await this._query(text.trim(), this._sort, this._firstPageSize);
    return this._filterError === null;
  }

  setSort(sort: IRunsSort | null): Promise<void> {
    return this._query(this._filter, sort, this._firstPageSize);
  }

  /** Sort on a column as a click on its header asks. */
  toggleSort(column: string): Promise<void> {
    return this.setSort(nextSort(this._sort, column));
  }

  /** Load the next page, unless every run is loaded or a load is in flight. */
  async loadMore(): Promise<void> {
    if (this._nextPageToken === null || this._loading || this._loadingMore) {
      return;
    }
    const generation = this._generation;
    this._loadingMore = true;
    this._emit();
    try {
      const page = await this._api.searchRuns({
        ...this._searchOptions(this._filter, this._sort),
        maxResults: this._pageSize,
        pageToken: this._nextPageToken
      });
      if (generation !== this._generation) {
        return;
      }
      const known = new Set(this._runs.map(run => run.id));
      this._setRuns([
        ...this._runs,
        ...page.runs.filter(run => !known.has(run.id))
      ]);
      this._nextPageToken = page.next_page_token;
      this._error = null;
    } catch (error) {
      if (generation === this._generation) {
        this._error = messageOf(error);
      }
    } finally {
      if (generation === this._generation) {
        this._loadingMore = false;
        this._emit();
      }
    }
  }

  /**
   * One tick of live refresh: the loaded RUNNING runs are read again and updated in place, and
   * when the number of matching runs changed (new or deleted runs), the shown runs are read
   * again (`refresh`). The selection stays; rows keep their places. Errors wait for the next tick.
   */
  async refreshLive(): Promise<void> {
    if (!this._loaded || this._loading || this._loadingMore) {
      return;
    }
    const generation = this._generation;
    try {
      const count = await this._api.searchRuns({
        ...this._searchOptions(this._filter, this._sort),
        maxResults: 1,
        includeTotal: true
      });
      if (
        generation !== this._generation ||
        this._loading ||
        this._loadingMore
      ) {
        return;
      }
      if (count.total !== null && count.total !== this._total) {
        await this.refresh();
      } else {
        await this._refreshRunning();
      }
    } catch {
      // The next tick tries again; loads the user asks for show their errors.
    }
  }

  /** Read the loaded RUNNING runs again and put them in place. */
  private async _refreshRunning(): Promise<void> {
    const generation = this._generation;
    const running = this._runs
      .filter(run => run.status === 'RUNNING')
      .map(run => run.id);
    const updates = new Map<string, Run>();
    for (let start = 0; start < running.length; start += ID_BATCH) {
      const ids = running.slice(start, start + ID_BATCH);
      const page = await this._api.searchRuns({
        experimentIds: [this.experimentId],
        filter: `id IN (${ids.map(id => `'${id.replace(/[\\']/g, '\\$&')}'`).join(', ')})`,
        maxResults: ids.length
      });
      page.runs.forEach(run => updates.set(run.id, run));
    }
    if (generation !== this._generation) {
      return;
    }
    const changed = this._runs.some(
      run =>
        updates.has(run.id) &&
        JSON.stringify(updates.get(run.id)) !== JSON.stringify(run)
    );
    if (changed) {
      this._setRuns(this._runs.map(run => updates.get(run.id) ?? run));
      this._emit();
    }
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
    this._runs.forEach(run =>
      selected ? next.add(run.id) : next.delete(run.id)
    );
    this._setSelection(next);
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

  private async _query(
    filter: string,
    sort: IRunsSort | null,
    size: number
  ): Promise<void> {
    if (this._disposed) {
      return;
    }
    const generation = ++this._generation;
    this._loading = true;
    this._loadingMore = false;
    this._emit();
    try {
      const page = await this._api.searchRuns({
        ...this._searchOptions(filter, sort),
        maxResults: size,
        includeTotal: true
      });
      if (generation !== this._generation) {
        return;
      }
      this._filter = filter;
      this._sort = sort;
      this._filterError = null;
      this._error = null;
      this._total = page.total;
      this._nextPageToken = page.next_page_token;
      this._setRuns(page.runs);
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
  }

  private _searchOptions(
    filter: string,
    sort: IRunsSort | null
  ): ISearchRunsOptions {
    return {
      experimentIds: [this.experimentId],
      filter: filter || undefined,
      orderBy: sort ? [orderClause(sort)] : []
    };
  }

  private _setRuns(runs: Run[]): void {
    this._runs = runs;
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
  private _firstPageSize: number;
  private _pageSize: number;
  private _defaultColumns: string[];
  private _chosen: string[] | null;
  private _auto: string[] = [];
  private _seenKeys = new Set<string>();
  private _runs: Run[] = [];
  private _total: number | null = null;
  private _nextPageToken: string | null = null;
  private _filter = '';
  private _filterError: string | null = null;
  private _sort: IRunsSort | null = null;
  private _error: string | null = null;
  private _loaded = false;
  private _loading = false;
  private _loadingMore = false;
  private _selection: ReadonlySet<string> = new Set<string>();
  private _generation = 0;
  private _disposed = false;
  private _poll: Poll;
  private _active = false;
  private _stateChanged = new Signal<this, void>(this);
  private _selectionChanged = new Signal<this, string[]>(this);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
