/**
 * The rows of a long runs table, held in a window: pages of top-level runs by their place in
 * the server's order, the least recently shown dropped past a bound, and the children shown
 * under expanded runs. It maps a row of the table to a top-level run or a child, so that the
 * table spans every matching run while only a few pages are in memory. No requests, no signals.
 */
import type { Run, RunTree } from '../api/types';

/** One row of the table, as the view draws it. */
export interface IRunRow {
  /** The run; null until its page loads (the view draws a placeholder). */
  run: Run | null;
  /** 0: a top-level run; 1: a child under its expanded parent. */
  depth: number;
  /** Child runs shown when it expands (0: nothing to expand). */
  childCount: number;
  expanded: boolean;
  /** False: the run shows only because a descendant matches the filter. */
  matched: boolean;
}

/** A page of top-level runs as the server answered it. */
export interface IRunsPage {
  runs: Run[];
  tree: Record<string, RunTree>;
}

/** The children shown under one expanded run. */
export interface IExpansion {
  parentId: string;
  /** The parent's place among the top-level runs. */
  topIndex: number;
  /** Rows shown under it: its children, or placeholders until they load. */
  rows: number;
  children: IRunsPage | null;
}

const NO_TREE: RunTree = { child_count: 0, matched: true };

/** Pages of top-level runs and expanded children; rows are numbered as the table shows them. */
export class RunsWindow {
  constructor(
    readonly pageSize: number,
    readonly maxPages: number
  ) {}

  /** Every top-level run the table spans (the server's count). */
  total = 0;

  /** Rows of the table: the top-level runs and the children shown under expanded ones. */
  get rowCount(): number {
    return this._expansions.reduce(
      (sum, expansion) => sum + expansion.rows,
      this.total
    );
  }

  /** Pages held, least recently shown first. */
  get pageIndexes(): number[] {
    return [...this._pages.keys()];
  }

  /** Every run held: the pages' and the expanded children's. */
  get loadedRuns(): Run[] {
    const runs: Run[] = [];
    this._pages.forEach(page => runs.push(...page.runs));
    this._expansions.forEach(e => e.children && runs.push(...e.children.runs));
    return runs;
  }

  get expansions(): readonly IExpansion[] {
    return this._expansions;
  }

  hasPage(index: number): boolean {
    return this._pages.has(index);
  }

  page(index: number): IRunsPage | undefined {
    return this._pages.get(index);
  }

  /** Hold a page (as the most recently shown); expanded runs on it take their places. */
  setPage(index: number, page: IRunsPage): void {
    this._pages.delete(index);
    this._pages.set(index, page);
    page.runs.forEach((run, offset) => {
      const expansion = this.expansion(run.id);
      if (expansion) {
        expansion.topIndex = index * this.pageSize + offset;
      }
    });
    this._sortExpansions();
  }

  /** Mark pages as just shown and drop the least recently shown past the bound. */
  touch(indexes: number[]): void {
    for (const index of indexes) {
      const page = this._pages.get(index);
      if (page) {
        this._pages.delete(index);
        this._pages.set(index, page);
      }
    }
    for (const index of this._pages.keys()) {
      if (this._pages.size <= this.maxPages) {
        break;
      }
      if (!indexes.includes(index)) {
        this._pages.delete(index);
      }
    }
  }

  /** Forget every page and expansion (a new filter or sort). */
  clear(): void {
    this._pages.clear();
    this._expansions = [];
  }

  /** Forget the pages but keep the expansions (the runs are read again). */
  clearPages(): void {
    this._pages.clear();
  }

  expansion(parentId: string): IExpansion | undefined {
    return this._expansions.find(e => e.parentId === parentId);
  }

  expand(parentId: string, topIndex: number, rows: number): IExpansion {
    const existing = this.expansion(parentId);
    if (existing) {
      return existing;
    }
    const expansion = { parentId, topIndex, rows, children: null };
    this._expansions.push(expansion);
    this._sortExpansions();
    return expansion;
  }

  collapse(parentId: string): void {
    this._expansions = this._expansions.filter(e => e.parentId !== parentId);
  }

  /** The top-level run at an index, if its page is held. */
  topRun(topIndex: number): Run | null {
    const page = this._pages.get(Math.floor(topIndex / this.pageSize));
    return page?.runs[topIndex % this.pageSize] ?? null;
  }

  /** The top-level runs that rows `first` to `last` show (a child counts as its parent). */
  topRange(first: number, last: number): [number, number] {
    const rows = this.rowCount;
    if (rows === 0) {
      return [0, -1];
    }
    const clamp = (row: number) => Math.min(Math.max(row, 0), rows - 1);
    return [
      this.locate(clamp(first)).topIndex,
      this.locate(clamp(last)).topIndex
    ];
  }

  /** The pages of top-level runs that rows `first` to `last` show. */
  pagesIn(first: number, last: number): number[] {
    const [top, bottom] = this.topRange(first, last);
    return range(
      Math.floor(top / this.pageSize),
      Math.floor(bottom / this.pageSize)
    );
  }

  /** Where a row of the table is: a top-level index, or a child of an expansion. */
  locate(row: number): {
    topIndex: number;
    child: number;
    expansion: IExpansion | null;
  } {
    let before = 0; // Child rows above the current expansion.
    for (const expansion of this._expansions) {
      const parentRow = expansion.topIndex + before;
      if (row <= parentRow) {
        break;
      }
      if (row <= parentRow + expansion.rows) {
        const child = row - parentRow - 1;
        return { topIndex: expansion.topIndex, child, expansion };
      }
      before += expansion.rows;
    }
    return { topIndex: row - before, child: -1, expansion: null };
  }

  /** The row of the table at an index. */
  row(index: number): IRunRow {
    const { topIndex, child, expansion } = this.locate(index);
    if (expansion) {
      const run = expansion.children?.runs[child] ?? null;
      const tree = (run && expansion.children?.tree[run.id]) || NO_TREE;
      return {
        run,
        depth: 1,
        childCount: tree.child_count,
        expanded: false,
        matched: tree.matched
      };
    }
    const page = this._pages.get(Math.floor(topIndex / this.pageSize));
    const run = page?.runs[topIndex % this.pageSize] ?? null;
    const tree = (run && page?.tree[run.id]) || NO_TREE;
    return {
      run,
      depth: 0,
      childCount: tree.child_count,
      expanded: run !== null && this.expansion(run.id) !== undefined,
      matched: tree.matched
    };
  }

  private _sortExpansions(): void {
    this._expansions.sort((a, b) => a.topIndex - b.topIndex);
  }

  private _pages = new Map<number, IRunsPage>();
  private _expansions: IExpansion[] = [];
}

/** The integers from `first` to `last`, both included. */
export function range(first: number, last: number): number[] {
  return Array.from(
    { length: Math.max(0, last - first + 1) },
    (_, i) => first + i
  );
}
