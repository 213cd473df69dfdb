import {
  IColumnStore,
  IColumnWidthStore,
  LocalStorageColumnWidths
} from '../models/columnStore';
import { RunsTableModel } from '../models/runsTableModel';
import { FakeRunsAPI, makeRun, makeRuns } from './fakeRuns';

/** Column choices and widths kept in memory, as localStorage would keep them. */
class MemoryStore implements IColumnStore, IColumnWidthStore {
  columns = new Map<number, string[]>();
  widths = new Map<number, Record<string, number>>();
  load(id: number): string[] | null {
    return this.columns.get(id) ?? null;
  }
  save(id: number, columns: string[] | null): void {
    if (columns) {
      this.columns.set(id, columns);
    } else {
      this.columns.delete(id);
    }
  }
  loadWidths(id: number): Record<string, number> {
    return { ...this.widths.get(id) };
  }
  saveWidths(id: number, widths: Record<string, number>): void {
    this.widths.set(id, { ...widths });
  }
}

function model(
  api: FakeRunsAPI,
  store = new MemoryStore(),
  options: { experimentId?: number; defaultColumns?: string[] } = {}
): RunsTableModel {
  return new RunsTableModel({
    api,
    experimentId: options.experimentId ?? 1,
    columnStore: store,
    columnWidthStore: store,
    defaultColumns: options.defaultColumns
  });
}

describe('RunsTableModel: a filter shows its columns', () => {
  it('shows the param a filter names as soon as it applies, until it is cleared', async () => {
    const runs = makeRuns(20);
    const table = model(new FakeRunsAPI(runs), new MemoryStore(), {
      defaultColumns: ['metrics.loss']
    });
    await table.reload();
    expect(table.columns).toEqual(['metrics.loss']);

    await table.applyFilter("params.max_depth = '3'");

    expect(table.filterError).toBeNull();
    expect(table.columns).toEqual(['params.max_depth', 'metrics.loss']);
    await table.applyFilter('');
    expect(table.columns).toEqual(['metrics.loss']);
  });

  it('does not keep the columns of a filter when the user chooses others meanwhile', async () => {
    const store = new MemoryStore();
    const table = model(new FakeRunsAPI(makeRuns(20)), store, {
      defaultColumns: ['metrics.loss']
    });
    await table.reload();
    await table.applyFilter("params.max_depth = '3'");
    expect(table.columnsOfFilter).toEqual(['params.max_depth']);

    table.toggleColumn('metrics.accuracy', true);

    expect(table.columns).toEqual([
      'params.max_depth',
      'metrics.loss',
      'metrics.accuracy'
    ]);
    expect(store.columns.get(1)).toEqual(['metrics.loss', 'metrics.accuracy']);
    await table.applyFilter('');
    expect(table.columnsOfFilter).toEqual([]);
    expect(table.columns).toEqual(['metrics.loss', 'metrics.accuracy']);
  });
});

describe('RunsTableModel: default columns', () => {
  it("are the keys the experiment's runs share, not a key one run has", async () => {
    const runs = [
      makeRun(0, {}, { accuracy: 0.9, zz_extra: 1 }, { C: '1' }),
      makeRun(1, {}, { accuracy: 0.8, loss: 0.3 }, { C: '2' }),
      makeRun(2, {}, { accuracy: 0.7, loss: 0.2 }, { C: '3', a_rare: 'x' })
    ];
    const table = model(new FakeRunsAPI(runs));
    await table.reload();
    expect(table.columns.slice(0, 2)).toEqual([
      'metrics.accuracy',
      'metrics.loss'
    ]);
    expect(table.columns).toContain('params.C');
    expect(table.columns.indexOf('params.C')).toBeLessThan(
      table.columns.indexOf('params.a_rare')
    );
  });

  it("drop the settings' default columns that no run has", async () => {
    const runs = makeRuns(5);
    const table = model(new FakeRunsAPI(runs), new MemoryStore(), {
      defaultColumns: ['metrics.r2', 'params.max_depth']
    });
    await table.reload();
    expect(table.columns).toEqual(['params.max_depth']);
  });
});

describe('RunsTableModel: column widths', () => {
  it('are remembered per experiment', () => {
    const store = new MemoryStore();
    const first = model(new FakeRunsAPI([]), store);
    const changed = jest.fn();
    first.stateChanged.connect(changed);

    first.setColumnWidth('metrics.accuracy', 181.6);

    expect(first.columnWidths).toEqual({ 'metrics.accuracy': 182 });
    expect(changed).toHaveBeenCalled();
    expect(model(new FakeRunsAPI([]), store).columnWidths).toEqual({
      'metrics.accuracy': 182
    });
    expect(
      model(new FakeRunsAPI([]), store, { experimentId: 2 }).columnWidths
    ).toEqual({});
  });

  it('are kept in localStorage, and a damaged entry is ignored', () => {
    window.localStorage.clear();
    new LocalStorageColumnWidths().saveWidths(1, { 'params.C': 90 });
    expect(new LocalStorageColumnWidths().loadWidths(1)).toEqual({
      'params.C': 90
    });
    expect(new LocalStorageColumnWidths().loadWidths(2)).toEqual({});
    window.localStorage.setItem('jupyter-studio:runs-table-widths:3', '[1]');
    window.localStorage.setItem(
      'jupyter-studio:runs-table-widths:4',
      '{"params.C": "wide", "metrics.a": 70}'
    );
    expect(new LocalStorageColumnWidths().loadWidths(3)).toEqual({});
    expect(new LocalStorageColumnWidths().loadWidths(4)).toEqual({
      'metrics.a': 70
    });
  });
});
