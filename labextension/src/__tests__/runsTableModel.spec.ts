import { IColumnStore, LocalStorageColumnStore } from '../models/columnStore';
import { nextSort, orderClause } from '../models/runsSort';
import { RunsTableModel } from '../models/runsTableModel';
import { StudioRequestError } from '../handler';
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
  options: { defaultColumns?: string[]; store?: IColumnStore } = {}
) {
  const api = new FakeRunsAPI(makeRuns(count));
  const model = new RunsTableModel({
    api,
    experimentId: 1,
    columnStore: options.store ?? new MapStore(),
    defaultColumns: options.defaultColumns
  });
  return { api, model };
}

describe('RunsTableModel loading', () => {
  it('loads a small first page with the count of every run, newest first', async () => {
    const { api, model } = setUp(1000);
    await model.reload();
    expect(api.calls[0]).toMatchObject({
      experimentIds: [1],
      maxResults: 100,
      includeTotal: true,
      orderBy: []
    });
    expect(model.runs).toHaveLength(100);
    expect(model.total).toBe(1000);
    expect(model.hasMore).toBe(true);
    expect(model.runs[0].id).toBe('run00999');
    expect(model.loaded).toBe(true);
  });

  it('loads pages of 200 after the first, until the last', async () => {
    const { api, model } = setUp(450);
    await model.reload();
    await model.loadMore();
    expect(api.calls[1]).toMatchObject({ maxResults: 200, pageToken: '100' });
    expect(model.runs).toHaveLength(300);
    await model.loadMore();
    expect(model.runs).toHaveLength(450);
    expect(model.hasMore).toBe(false);
    await model.loadMore();
    expect(api.calls).toHaveLength(3);
    expect(new Set(model.runs.map(run => run.id)).size).toBe(450);
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
    const values = model.runs.map(run => Number(run.metrics.accuracy.last));
    expect(values).toEqual([...values].sort((a, b) => b - a));
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
    const values = model.runs.map(run => Number(run.metrics.accuracy.last));
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
    expect(model.runs.every(run => run.params.max_depth === '3')).toBe(true);
  });

  it("shows the server's message for a bad filter and keeps the runs shown", async () => {
    const { model } = setUp(1000);
    await model.applyFilter("params.max_depth = '3'");
    const shown = model.runs;
    expect(await model.applyFilter('metrics.accuracy >')).toBe(false);
    expect(model.filterError).toBe(
      'Invalid filter: unexpected "metrics.accuracy >".'
    );
    expect(model.error).toBeNull();
    expect(model.filter).toBe("params.max_depth = '3'");
    expect(model.runs).toBe(shown);
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

  it('selects and unselects every loaded run at once', async () => {
    const { model } = setUp(500);
    await model.reload();
    model.selectAllLoaded(true);
    expect(model.selection.size).toBe(100);
    model.selectAllLoaded(false);
    expect(model.selection.size).toBe(0);
  });
});

describe('RunsTableModel live refresh', () => {
  it('updates running runs in place without touching order or selection', async () => {
    const runs = makeRuns(300);
    runs[299] = makeRun(299, {
      status: 'RUNNING',
      duration_ms: null,
      end_time: null
    });
    const api = new FakeRunsAPI(runs);
    const model = new RunsTableModel({
      api,
      experimentId: 1,
      columnStore: new MapStore()
    });
    await model.reload();
    model.setSelected('run00299', true);
    const order = model.runs.map(run => run.id);
    api.runs = runs.map(run =>
      run.id === 'run00299'
        ? { ...run, status: 'FINISHED', duration_ms: 5000 }
        : run
    );
    const changed = jest.fn();
    model.stateChanged.connect(changed);
    await model.refreshLive();
    expect(api.calls.map(call => call.filter)).toContain("id IN ('run00299')");
    expect(model.runs[0]).toMatchObject({ id: 'run00299', status: 'FINISHED' });
    expect(model.runs.map(run => run.id)).toEqual(order);
    expect(model.selectedRunIds).toEqual(['run00299']);
    expect(changed).toHaveBeenCalledTimes(1);
    await model.refreshLive();
    expect(changed).toHaveBeenCalledTimes(1); // Nothing running, nothing new: no change.
  });

  it('loads the shown runs again when runs were added, keeping every row', async () => {
    const { api, model } = setUp(500);
    await model.reload();
    await model.loadMore();
    model.setSelected('run00400', true);
    const before = model.runs.map(run => run.id);
    api.runs = [...api.runs, makeRun(500, { status: 'RUNNING' })];
    await model.refreshLive();
    expect(model.total).toBe(501);
    expect(api.calls).toContainEqual(
      expect.objectContaining({ maxResults: 300, includeTotal: true })
    );
    // The new run on top, then every row shown before, in the same order.
    expect(model.runs.map(run => run.id)).toEqual(['run00500', ...before]);
    expect(model.selectedRunIds).toEqual(['run00400']);
    while (model.hasMore) {
      await model.loadMore();
    }
    expect(model.runs).toHaveLength(501);
    expect(new Set(model.runs.map(run => run.id)).size).toBe(501);
  });

  it('reads only a head of many shown runs again, and keeps the rows below', async () => {
    const { api, model } = setUp(2000);
    await model.reload();
    for (let page = 0; page < 5; page++) {
      await model.loadMore();
    }
    expect(model.runs).toHaveLength(1100);
    const before = model.runs.map(run => run.id);
    api.runs = [...api.runs, makeRun(2000), makeRun(2001)];
    api.calls = [];
    await model.refresh();
    expect(api.calls[0]).toMatchObject({ maxResults: 500, includeTotal: true });
    expect(model.runs.map(run => run.id)).toEqual([
      'run02001',
      'run02000',
      ...before
    ]);
    while (model.hasMore) {
      await model.loadMore();
    }
    expect(model.runs).toHaveLength(2002);
    expect(new Set(model.runs.map(run => run.id)).size).toBe(2002);
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
