/**
 * How a runs table reads its rows from the server: pages of top-level runs by their offset as
 * they come into view (held in a RunsWindow, so that memory stays bounded however far the user
 * scrolls), the children of a run when it expands, and one request that counts the runs per
 * change (a filter, a sort, a refresh); never one per page or per tick. Work per page is the
 * page's own runs. No DOM.
 */
import type { ISearchRunsOptions } from '../api/tracking';
import type { Run, RunList } from '../api/types';
import { StudioRequestError } from '../handler';
import { IRunsSort, nextSort, orderClause } from './runsSort';
import { IRunRow, IRunsPage, range, RunsWindow } from './runsWindow';

/** The one call the table makes (TrackingAPI has it). */
export interface IRunsSource {
  searchRuns(options: ISearchRunsOptions): Promise<RunList>;
}

export interface IRunsPagerOptions {
  api: IRunsSource;
  experimentId: number;
  /** Top-level runs per page: small, so that the first rows come fast. */
  pageSize?: number;
  /** Pages held in memory at most; the least recently shown go first. */
  maxPages?: number;
  /** Called after every change of state. */
  changed: () => void;
  /** Called with every run read (for the columns their keys offer). */
  received: (runs: Run[]) => void;
}

/** Children shown under one expanded run (a grid search's candidates), read in one request. */
const MAX_CHILDREN = 1000;

/** The rows of one experiment's runs table, read from the server as the view needs them. */
export class RunsPager {
  constructor(options: IRunsPagerOptions) {
    this.experimentId = options.experimentId;
    this._api = options.api;
    this._changed = options.changed;
    this._received = options.received;
    this._window = new RunsWindow(
      options.pageSize ?? 100,
      options.maxPages ?? 10
    );
  }

  readonly experimentId: number;

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

  /** Stop: answers still in flight are dropped. */
  dispose(): void {
    this._disposed = true;
    this._generation++;
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
    const pages = this._window.pagesIn(first, last);
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
      this._changed();
    } else if (expanded && !found) {
      this._collapsed.delete(runId);
      for (const page of this._window.pageIndexes) {
        const held = this._window.page(page)!;
        const offset = held.runs.findIndex(run => run.id === runId);
        if (offset >= 0) {
          this._expand(runId, page * this._window.pageSize + offset, held);
          this._changed();
          return;
        }
      }
    }
  }

  /**
   * One tick of live refresh: the top-level runs in view are read again. When other runs stand at
   * their places (runs added, deleted or moved), the runs are counted and read again (one
   * change, one count); otherwise the rows are updated in place, as are the children of the
   * expanded runs in view. The selection stays. Errors wait for the next tick.
   */
  async refreshLive(): Promise<void> {
    if (!this._loaded || this._loading) {
      return;
    }
    const generation = this._generation;
    const [first, last] = this._window.topRange(
      this._view.first,
      this._view.last
    );
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
        this._changed();
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
    this._changed();
    const [first] = keep
      ? this._window.topRange(this._view.first, this._view.first)
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
        this._changed();
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
    this._changed();
    try {
      const answer = await this._api.searchRuns({
        ...this._searchOptions(this._filter, this._sort),
        offset: page * this._window.pageSize,
        maxResults: this._window.pageSize
      });
      if (generation === this._generation && this._pending.has(page)) {
        this._takePage(page, answer);
        this._window.touch(
          this._window.pagesIn(this._view.first, this._view.last)
        );
        this._error = null;
      }
    } catch (error) {
      if (generation === this._generation) {
        this._error = messageOf(error);
      }
    } finally {
      if (generation === this._generation) {
        this._pending.delete(page);
      }
      this._reading--;
      this._changed();
    }
  }

  /** Hold a page; runs shown only for a matching child expand, unless the user closed them. */
  private _takePage(page: number, answer: RunList): void {
    const held: IRunsPage = { runs: answer.runs, tree: answer.tree ?? {} };
    this._window.setPage(page, held);
    this._received(answer.runs);
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
        this._received(answer.runs);
      }
    } catch (error) {
      if (generation === this._generation) {
        this._error = messageOf(error);
      }
    } finally {
      this._reading--;
      this._changed();
    }
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
  private _api: IRunsSource;
  private _changed: () => void;
  private _received: (runs: Run[]) => void;
  private _window: RunsWindow;
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
  private _generation = 0;
  private _disposed = false;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
