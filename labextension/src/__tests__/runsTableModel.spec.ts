import { IColumnStore, LocalStorageColumnStore } from '../models/columnStore';
import { nextSort, orderClause } from '../models/runsSort';
import { RunsTableModel } from '../models/runsTableModel';
import { StudioRequestError } from '../handler';
import type { Run } from '../api/types';
import { FakeRunsAPI, makeRun, makeRuns } from './fakeRuns';

class MapStore implements IColumnStore {
  saved = new Map<number, string[]>();
  load(id: number): string[] | null {
    return this.saved.get(id) ?? null;
  }
  save(id: number, columns: string[] | null): void {
    if (columns) {
      this.saved.set(id, columns);
    } else {
      this.saved.delete(id);
    }
  }
}

function setUp(
  count = 1000,
  options: {
    defaultColumns?: string[];
    store?: IColumnStore;
    maxPages?: number;
    runs?: Run[];
  } = {}
) {
  const api = new FakeRunsAPI(options.runs ?? makeRuns(count));
  const model = new RunsTableModel({
    api,
    experimentId: 1,
    columnStore: options.store ?? new MapStore(),
    defaultColumns: options.defaultColumns,
    maxPages: options.maxPages
  });
  return { api, model };
}

/** Wait until the model reads nothing more. */
async function settle(model: RunsTableModel): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
    if (!model.loading && !model.loadingMore) {
      return;
    }
  }
}

/** The ids of rows `first` to `last` (null for a row not loaded). */
function idsOf(model: RunsTableModel, first: number, last: number) {
  const ids: (string | null)[] = [];
  for (let index = first; index <= last; index++) {
    ids.push(model.row(index).run?.id ?? null);
  }
  return ids;
}

/** The runs of the first `count` rows (loaded). */
function topRuns(model: RunsTableModel, count = 100): Run[] {
  return Array.from({ length: count }, (_, i) => model.row(i).run!);
}

const counts = (api: FakeRunsAPI) =>
  api.calls.filter(call => call.includeTotal);

describe('RunsTableModel loading', () => {
  it('counts every run and reads the first page by offset, newest first', async () => {
    const { api, model } = setUp(1000);
    await model.reload();
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]).toMatchObject({
      experimentIds: [1],
      offset: 0,
      maxResults: 100,
      includeTotal: true,
      orderBy: [],
      tree: true
    });
    expect(model.total).toBe(1000);
    expect(model.rowCount).toBe(1000);
    expect(model.row(0).run?.id).toBe('run00999');
    expect(model.row(100).run).toBeNull();
    expect(model.loaded).toBe(true);
  });

  it('reads the pages the view shows by their offset, once', async () => {
    const { api, model } = setUp(1000);
    await model.reload();
    model.showRows(450, 520);
    await settle(model);
    expect(api.calls.slice(1)).toEqual([
      expect.objectContaining({ offset: 400, maxResults: 100 }),
      expect.objectContaining({ offset: 500, maxResults: 100 })
    ]);
    expect(api.calls[1].includeTotal).toBeUndefined();
    expect(idsOf(model, 450, 451)).toEqual(['run00549', 'run00548']);
    model.showRows(460, 510);
    await settle(model);
    expect(api.calls).toHaveLength(3);
    expect(model.row(999).run).toBeNull();
  });

  it("does linear work: reading a page touches no other page's runs", async () => {
    const reads = { count: 0, counting: false };
    const runs = makeRuns(3000).map(
      run =>
        new Proxy(run, {
          get(target, key, receiver) {
            if (reads.counting) {
              reads.count++;
            }
            return Reflect.get(target, key, receiver);
          }
        })
    );
    const { api, model } = setUp(0, { runs, maxPages: 40 });
    // The fake server reads every run to sort them; count only the model's reads.
    const search = api.searchRuns.bind(api);
    api.searchRuns = options => {
      reads.counting = false;
      const answer = search(options);
      reads.counting = true;
      return answer;
    };
    await model.reload();
    const perPage: number[] = [];
    for (let page = 1; page < 30; page++) {
      reads.count = 0;
      model.showRows(page * 100, page * 100 + 30);
      await settle(model);
      perPage.push(reads.count);
    }
    expect(api.calls).toHaveLength(30);
    expect(counts(api)).toHaveLength(1);
    // The same work for the 29th page as for the 1st: the page's own runs, nothing more.
    expect(perPage[28]).toBe(perPage[0]);
    expect(perPage[0]).toBeLessThan(100 * 20);
  });

  it('holds only the pages near the view, the least recently shown dropped', async () => {
    const { api, model } = setUp(2000, { maxPages: 3 });
    await model.reload();
    for (let page = 1; page < 10; page++) {
      model.showRows(page * 100 + 90, page * 100 + 110);
      await settle(model);
    }
    expect(model.pageIndexes).toEqual([8, 9, 10]);
    expect(model.loadedRuns).toHaveLength(300);
    expect(model.row(50).run).toBeNull();
    expect(model.rowCount).toBe(2000);
    const calls = api.calls.length;
    model.showRows(40, 60);
    await settle(model);
    expect(api.calls[calls]).toMatchObject({ offset: 0 });
    expect(model.row(50).run?.id).toBe('run01949');
    expect(model.pageIndexes).toEqual([9, 10, 0]);
  });

  it('shows the server error of a failed load and keeps no stale flag', async () => {
    const { api, model } = setUp(10);
    api.failWith = new StudioRequestError(500, 'The database is locked.');
    await model.reload();
    expect(model.error).toBe('The database is locked.');
    expect(model.loaded).toBe(false);
    expect(model.loading).toBe(false);
  });

  it('drops the answer of a load overtaken by a newer one', async () => {
    const { api, model } = setUp(300);
    api.hold = true;
    const first = model.setSort({
      column: 'metrics.accuracy',
      direction: 'asc'
    });
    const second = model.setSort({
      column: 'metrics.accuracy',
      direction: 'desc'
    });
    api.release();
    await Promise.all([first, second]);
    expect(model.sort).toEqual({
      column: 'metrics.accuracy',
      direction: 'desc'
    });
    const values = topRuns(model).map(run => Number(run.metrics.accuracy.last));
    expect(values).toEqual([...values].sort((a, b) => b - a));
  });
});

describe('RunsTableModel counting', () => {
  it('counts once per change: not per page, nor per tick', async () => {
    const { api, model } = setUp(1000);
    await model.reload();
    for (let page = 1; page < 6; page++) {
      model.showRows(page * 100, page * 100 + 20);
      await settle(model);
    }
    await model.refreshLive();
    await model.refreshLive();
    expect(counts(api)).toHaveLength(1);
    const version = model.queryVersion;
    await model.toggleSort('name');
    expect(model.queryVersion).toBe(version + 1);
    await model.applyFilter("status = 'FINISHED'");
    await model.refreshLive();
    expect(counts(api)).toHaveLength(3);
  });
});

describe('RunsTableModel sorting', () => {
  it('sorts on the server, cycling ascending, descending, none', async () => {
    const { api, model } = setUp(500);
    const changed = jest.fn();
    model.stateChanged.connect(changed);
    await model.toggleSort('metrics.accuracy');
    expect(api.calls[0].orderBy).toEqual(['metrics.accuracy asc']);
    expect(model.sort).toEqual({
      column: 'metrics.accuracy',
      direction: 'asc'
    });
    const values = topRuns(model).map(run => Number(run.metrics.accuracy.last));
    expect(values).toEqual([...values].sort((a, b) => a - b));
    await model.toggleSort('metrics.accuracy');
    expect(api.calls[1].orderBy).toEqual(['metrics.accuracy desc']);
    await model.toggleSort('metrics.accuracy');
    expect(api.calls[2].orderBy).toEqual([]);
    expect(model.sort).toBeNull();
    expect(changed).toHaveBeenCalled();
  });

  it('names attributes and quotes keys the way the server reads them', () => {
    expect(orderClause({ column: 'start', direction: 'desc' })).toBe(
      'start_time desc'
    );
    expect(orderClause({ column: 'duration', direction: 'asc' })).toBe(
      'duration asc'
    );
    expect(orderClause({ column: 'params.max_depth', direction: 'asc' })).toBe(
      'params.max_depth asc'
    );
    expect(
      orderClause({ column: 'metrics.train/loss', direction: 'asc' })
    ).toBe('metrics.train/loss asc');
    expect(orderClause({ column: 'metrics.val loss', direction: 'desc' })).toBe(
      'metrics.`val loss` desc'
    );
    expect(nextSort({ column: 'name', direction: 'desc' }, 'status')).toEqual({
      column: 'status',
      direction: 'asc'
    });
  });
});

describe('RunsTableModel filtering', () => {
  it('applies a filter and counts its matches', async () => {
    const { api, model } = setUp(1000);
    await model.reload();
    expect(await model.applyFilter(" params.max_depth = '3' ")).toBe(true);
    expect(api.calls[1].filter).toBe("params.max_depth = '3'");
    expect(model.filter).toBe("params.max_depth = '3'");
    expect(model.total).toBe(100);
    expect(topRuns(model).every(run => run.params.max_depth === '3')).toBe(
      true
    );
  });

  it("shows the server's message for a bad filter and keeps the runs shown", async () => {
    const { model } = setUp(1000);
    await model.applyFilter("params.max_depth = '3'");
    const shown = idsOf(model, 0, 99);
    expect(await model.applyFilter('metrics.accuracy >')).toBe(false);
    expect(model.filterError).toBe(
      'Invalid filter: unexpected "metrics.accuracy >".'
    );
    expect(model.error).toBeNull();
    expect(model.filter).toBe("params.max_depth = '3'");
    expect(idsOf(model, 0, 99)).toEqual(shown);
    await model.applyFilter('');
    expect(model.filterError).toBeNull();
    expect(model.total).toBe(1000);
  });
});

describe('RunsTableModel selection', () => {
  it('keeps the selection across refreshes, sorts and filters', async () => {
    const { model } = setUp(1000);
    const changes: string[][] = [];
    model.selectionChanged.connect((_, ids) => changes.push(ids));
    await model.reload();
    model.setSelected('run00999', true);
    model.setSelected('run00998', true);
    model.setSelected('run00998', true);
    expect(changes).toHaveLength(2);
    await model.refresh();
    await model.toggleSort('name');
    await model.applyFilter("status = 'FINISHED'");
    expect(model.selectedRunIds).toEqual(['run00999', 'run00998']);
    expect(model.isSelected('run00998')).toBe(true);
    model.setSelected('run00999', false);
    expect(model.selectedRunIds).toEqual(['run00998']);
  });

  it('keeps selected runs whose page was dropped, and selects every loaded run', async () => {
    const { model } = setUp(1000, { maxPages: 2 });
    await model.reload();
    model.setSelected('run00999', true);
    for (let page = 1; page < 5; page++) {
      model.showRows(page * 100, page * 100 + 20);
      await settle(model);
    }
    expect(model.findLoaded('run00999')).toBeUndefined();
    expect(model.isSelected('run00999')).toBe(true);
    expect(model.loadedSelection).toBe('none');
    model.selectAllLoaded(true);
    expect(model.selection.size).toBe(201);
    expect(model.loadedSelection).toBe('all');
    model.selectAllLoaded(false);
    expect(model.selectedRunIds).toEqual(['run00999']);
  });
});

describe('RunsTableModel live refresh', () => {
  it('updates the runs in view in place without counting, keeping the selection', async () => {
    const runs = makeRuns(300);
    runs[299] = makeRun(299, {
      status: 'RUNNING',
      duration_ms: null,
      end_time: null
    });
    const { api, model } = setUp(0, { runs });
    await model.reload();
    model.showRows(0, 30);
    model.setSelected('run00299', true);
    api.runs = runs.map(run =>
      run.id === 'run00299'
        ? { ...run, status: 'FINISHED', duration_ms: 5000 }
        : run
    );
    const changed = jest.fn();
    model.stateChanged.connect(changed);
    await model.refreshLive();
    expect(api.calls[1]).toMatchObject({ offset: 0, maxResults: 31 });
    expect(model.row(0).run).toMatchObject({
      id: 'run00299',
      status: 'FINISHED'
    });
    expect(model.selectedRunIds).toEqual(['run00299']);
    expect(changed).toHaveBeenCalledTimes(1);
    await model.refreshLive();
    expect(changed).toHaveBeenCalledTimes(1); // Nothing changed: no change.
    expect(counts(api)).toHaveLength(1);
  });

  it('counts and reads again where the view is when runs were added', async () => {
    const { api, model } = setUp(500);
    await model.reload();
    model.showRows(250, 270);
    await settle(model);
    model.setSelected('run00240', true);
    const before = idsOf(model, 250, 270);
    api.runs = [...api.runs, makeRun(500, { status: 'RUNNING' })];
    await model.refreshLive();
    await settle(model);
    expect(model.total).toBe(501);
    expect(counts(api)).toHaveLength(2);
    expect(counts(api)[1]).toMatchObject({ offset: 200 });
    // Every row one place down: the new run is on top.
    expect(idsOf(model, 251, 271)).toEqual(before);
    model.showRows(0, 20);
    await settle(model);
    expect(model.row(0).run?.id).toBe('run00500');
    expect(model.selectedRunIds).toEqual(['run00240']);
  });
});

/** A grid search with `children` candidates (one with max_depth 77) among plain runs. */
function gridSearch(plain = 10, children = 5): Run[] {
  const runs = makeRuns(plain);
  const parent = makeRun(plain, { name: 'grid' });
  const candidates = Array.from({ length: children }, (_, i) =>
    makeRun(
      plain + 1 + i,
      { parent_run_id: parent.id, name: `candidate-${i}` },
      { accuracy: i / 10 },
      { max_depth: i === 2 ? '77' : String(i) }
    )
  );
  return [...runs, parent, ...candidates];
}

describe('RunsTableModel nested runs', () => {
  it('shows top-level runs with their child counts, collapsed', async () => {
    const { api, model } = setUp(0, { runs: gridSearch() });
    await model.reload();
    expect(model.total).toBe(11);
    expect(model.rowCount).toBe(11);
    expect(model.row(0)).toMatchObject({
      run: expect.objectContaining({ name: 'grid' }),
      depth: 0,
      childCount: 5,
      expanded: false,
      matched: true
    });
    expect(model.row(1).childCount).toBe(0);
    expect(api.calls.filter(call => call.parentRunId)).toHaveLength(0);
  });

  it('reads the children when a run expands, and hides them when it collapses', async () => {
    const { api, model } = setUp(0, { runs: gridSearch() });
    await model.reload();
    const grid = model.row(0).run!.id;
    model.setExpanded(grid, true);
    expect(model.rowCount).toBe(16);
    expect(model.row(1).run).toBeNull(); // Placeholders until the children come.
    await settle(model);
    expect(api.calls[1]).toMatchObject({ parentRunId: grid, tree: true });
    expect(model.row(0).expanded).toBe(true);
    const children = [1, 2, 3, 4, 5].map(index => model.row(index));
    expect(children.every(row => row.depth === 1)).toBe(true);
    expect(children.map(row => row.run?.parent_run_id)).toEqual(
      Array(5).fill(grid)
    );
    expect(model.row(6)).toMatchObject({
      depth: 0,
      run: expect.objectContaining({ id: 'run00009' })
    });
    model.setExpanded(grid, false);
    expect(model.rowCount).toBe(11);
    expect(model.row(1).run?.id).toBe('run00009');
    expect(api.calls).toHaveLength(2);
  });

  it('keeps expanded children in place while far pages come and go', async () => {
    const parent = makeRun(1000, { name: 'grid' });
    const children = Array.from({ length: 50 }, (_, i) =>
      makeRun(1001 + i, { parent_run_id: parent.id })
    );
    const runs = [...makeRuns(1000), parent, ...children];
    const { model } = setUp(0, { runs, maxPages: 2 });
    await model.reload();
    const grid = model.row(0).run!;
    expect(grid.name).toBe('grid');
    model.setExpanded(grid.id, true);
    await settle(model);
    expect(model.rowCount).toBe(1051);
    for (let page = 1; page < 8; page++) {
      model.showRows(page * 100 + 50, page * 100 + 60);
      await settle(model);
    }
    expect(model.pageIndexes).not.toContain(0);
    expect(model.rowCount).toBe(1051);
    model.showRows(1040, 1050);
    await settle(model);
    expect(model.row(1050).run?.id).toBe('run00000');
  });

  it('shows a child that matches the filter under its parent, marked as not matching', async () => {
    const { model } = setUp(0, { runs: gridSearch() });
    await model.reload();
    await model.applyFilter("params.max_depth = '77'");
    await settle(model);
    expect(model.total).toBe(1);
    expect(model.rowCount).toBe(2);
    expect(model.row(0)).toMatchObject({
      run: expect.objectContaining({ name: 'grid' }),
      matched: false,
      expanded: true,
      childCount: 1
    });
    expect(model.row(1)).toMatchObject({
      run: expect.objectContaining({ name: 'candidate-2' }),
      depth: 1,
      matched: true
    });
    // Closed by the user, it stays closed when the runs are read again.
    model.setExpanded(model.row(0).run!.id, false);
    await model.refresh();
    await settle(model);
    expect(model.rowCount).toBe(1);
  });
});

describe('RunsTableModel columns', () => {
  it("defaults to the experiment's first 3 metrics and 2 params", async () => {
    const api = new FakeRunsAPI([
      makeRun(0, {}, { b: 1, a: 2, d: 3, c: 4 }, { z: '1', y: '2', x: '3' })
    ]);
    const model = new RunsTableModel({
      api,
      experimentId: 1,
      columnStore: new MapStore()
    });
    await model.reload();
    expect(model.columns).toEqual([
      'metrics.a',
      'metrics.b',
      'metrics.c',
      'params.x',
      'params.y'
    ]);
    expect(model.availableColumns).toEqual([
      'metrics.a',
      'metrics.b',
      'metrics.c',
      'metrics.d',
      'params.x',
      'params.y',
      'params.z'
    ]);
  });

  it('prefers the default columns of the settings, then the user choice, remembered', async () => {
    const store = new MapStore();
    const { model } = setUp(10, { store, defaultColumns: ['metrics.loss'] });
    await model.reload();
    expect(model.columns).toEqual(['metrics.loss']);
    model.toggleColumn('params.criterion', true);
    expect(model.columns).toEqual(['metrics.loss', 'params.criterion']);
    expect(store.saved.get(1)).toEqual(['metrics.loss', 'params.criterion']);

    const again = new RunsTableModel({
      api: new FakeRunsAPI([]),
      experimentId: 1,
      columnStore: store,
      defaultColumns: ['metrics.loss']
    });
    expect(again.columns).toEqual(['metrics.loss', 'params.criterion']);
    again.resetColumns();
    expect(again.columns).toEqual(['metrics.loss']);
    expect(store.saved.has(1)).toBe(false);
  });

  it('keeps choices in localStorage, one entry per experiment', () => {
    window.localStorage.clear();
    const store = new LocalStorageColumnStore();
    store.save(1, ['metrics.accuracy']);
    store.save(2, ['params.max_depth']);
    expect(new LocalStorageColumnStore().load(1)).toEqual(['metrics.accuracy']);
    expect(store.load(2)).toEqual(['params.max_depth']);
    expect(store.load(3)).toBeNull();
    window.localStorage.setItem(
      'jupyter-studio:runs-table-columns:4',
      '{not json'
    );
    expect(store.load(4)).toBeNull();
    store.save(1, null);
    expect(store.load(1)).toBeNull();
  });
});
