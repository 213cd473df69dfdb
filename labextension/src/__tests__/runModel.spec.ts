import { HISTORY_CONCURRENCY } from '../models/limited';
import { Signal } from '@lumino/signaling';

import type { ISearchRunsOptions, IStepRange } from '../api/tracking';
import type { Artifact, MetricHistory, Run, RunList } from '../api/types';
import { StudioRequestError } from '../handler';
import { IRunAPI, RunModel, RUN_MAX_POINTS } from '../models/runModel';
import { DEFAULT_SETTINGS, ISettingsHolder, IStudioSettings } from '../tokens';

function makeRun(id: string, change: Partial<Run> = {}): Run {
  return {
    id,
    name: `run-${id}`,
    experiment_id: 1,
    status: 'FINISHED',
    start_time: 1_700_000_000_000,
    end_time: 1_700_000_060_000,
    duration_ms: 60_000,
    artifact_uri: `/tmp/${id}`,
    parent_run_id: null,
    source: '/home/me/work/train.ipynb',
    params: { lr: '0.1' },
    tags: { team: 'a' },
    metrics: {},
    ...change
  };
}

function summary(key: string, count: number) {
  return {
    key,
    count,
    last: 1,
    last_step: count - 1,
    last_timestamp: count,
    min: 0,
    max: 1
  } as Run['metrics'][string];
}

/** A tracking API in memory that records its calls. */
class FakeAPI implements IRunAPI {
  runs = new Map<string, Run>();
  children: Run[] = [];
  artifacts: Record<string, Artifact[]> = {};
  histories: Record<string, MetricHistory | Error> = {};
  calls: string[] = [];
  searches: ISearchRunsOptions[] = [];
  maxPoints: (number | undefined)[] = [];
  ranges: IStepRange[] = [];

  async getRun(runId: string): Promise<Run> {
    this.calls.push(`getRun ${runId}`);
    const run = this.runs.get(runId);
    if (!run) {
      throw new StudioRequestError(404, `No run '${runId}'.`);
    }
    return run;
  }
  async searchRuns(options: ISearchRunsOptions = {}): Promise<RunList> {
    this.searches.push(options);
    return {
      runs: this.children,
      total: this.children.length + 5,
      next_page_token: null,
      tree: null
    };
  }
  async getMetricHistory(
    runId: string,
    key: string,
    maxPoints?: number,
    steps: IStepRange = {}
  ): Promise<MetricHistory> {
    this.calls.push(`history ${key}`);
    this.maxPoints.push(maxPoints);
    this.ranges.push(steps);
    const history = this.histories[key];
    if (history instanceof Error) {
      throw history;
    }
    return history;
  }
  async listArtifacts(
    runId: string,
    path = ''
  ): Promise<{ path: string; artifacts: Artifact[] }> {
    this.calls.push(`list ${path}`);
    const found = this.artifacts[path];
    if (!found) {
      throw new StudioRequestError(404, `No artifact '${path}' in this run.`);
    }
    return { path, artifacts: found };
  }
}

class FakeSettings implements ISettingsHolder {
  constructor(public current: IStudioSettings) {}
  readonly changed: Signal<ISettingsHolder, IStudioSettings> = new Signal(this);
}

function holder(change: Partial<IStudioSettings> = {}): FakeSettings {
  return new FakeSettings({ ...DEFAULT_SETTINGS, ...change });
}

function setup(run: Run): { api: FakeAPI; model: RunModel } {
  const api = new FakeAPI();
  api.runs.set(run.id, run);
  api.artifacts[''] = [
    { path: 'model', is_dir: true, size: null },
    { path: 'notes.txt', is_dir: false, size: 12 }
  ];
  api.artifacts['model'] = [{ path: 'model/MLmodel', is_dir: false, size: 40 }];
  return {
    api,
    model: new RunModel({
      api,
      runId: run.id,
      settings: holder({ refreshInterval: 1 })
    })
  };
}

const lossHistory: MetricHistory = {
  key: 'loss',
  steps: [0, 50, 99],
  timestamps: [10, 20, 30],
  values: [1, 'NaN', 'Infinity'],
  total: 100_000,
  downsampled: true,
  next_page_token: null
};

describe('RunModel', () => {
  it('loads the run, its parent, child runs, histories and top artifacts', async () => {
    const run = makeRun('r1', {
      parent_run_id: 'p0',
      metrics: { loss: summary('loss', 100_000), acc: summary('acc', 2) }
    });
    const { api, model } = setup(run);
    api.runs.set('p0', makeRun('p0'));
    api.children = [makeRun('c1'), makeRun('c2')];
    api.histories = {
      loss: lossHistory,
      acc: {
        key: 'acc',
        steps: [0, 1],
        timestamps: [1, 2],
        values: [0.5, 0.7],
        total: 2,
        downsampled: false,
        next_page_token: null
      }
    };
    let changes = 0;
    model.stateChanged.connect(() => (changes += 1));
    expect(model.loading).toBe(true);
    await model.refresh();

    expect(model.loading).toBe(false);
    expect(changes).toBeGreaterThan(0);
    expect(model.run?.id).toBe('r1');
    expect(model.parent?.id).toBe('p0');
    expect(model.children.map(c => c.id)).toEqual(['c1', 'c2']);
    expect(model.childrenTotal).toBe(7);
    expect(api.searches[0]).toMatchObject({
      parentRunId: 'r1',
      includeTotal: true
    });
    expect(model.metrics.map(m => m.key)).toEqual(['acc', 'loss']);
    expect(api.maxPoints).toEqual([RUN_MAX_POINTS, RUN_MAX_POINTS]);
    const loss = model.metrics[1];
    expect(loss.values[0]).toBe(1);
    expect(Number.isNaN(loss.values[1])).toBe(true);
    expect(loss.values[2]).toBe(Infinity);
    expect(loss).toMatchObject({
      total: 100_000,
      downsampled: true,
      steps: [0, 50, 99],
      error: null
    });
    expect(model.artifacts.map(a => a.path)).toEqual(['model', 'notes.txt']);
    expect(model.isLive).toBe(false);
    model.dispose();
  });

  it('expands a folder once, folds it, and lists it again on refresh', async () => {
    const { api, model } = setup(makeRun('r1'));
    await model.refresh();
    await model.toggleFolder('model');
    expect(model.expanded.has('model')).toBe(true);
    expect(model.folders.get('model')?.map(a => a.path)).toEqual([
      'model/MLmodel'
    ]);
    await model.toggleFolder('model');
    expect(model.expanded.has('model')).toBe(false);
    await model.toggleFolder('model');
    expect(api.calls.filter(c => c === 'list model')).toHaveLength(1);
    await model.refresh();
    expect(api.calls.filter(c => c === 'list model')).toHaveLength(2);
    model.dispose();
  });

  it('keeps the server message when the run cannot be loaded', async () => {
    const { model } = setup(makeRun('r1'));
    const missing = new RunModel({
      api: new FakeAPI(),
      runId: 'nope',
      settings: holder()
    });
    await expect(missing.refresh()).rejects.toThrow("No run 'nope'.");
    expect(missing.error).toBe("No run 'nope'.");
    expect(missing.loading).toBe(false);
    expect(missing.run).toBeNull();
    missing.dispose();
    model.dispose();
  });

  it('shows a history that fails as an error of its chart only', async () => {
    const run = makeRun('r1', {
      metrics: { loss: summary('loss', 3), acc: summary('acc', 2) }
    });
    const { api, model } = setup(run);
    api.histories = {
      loss: lossHistory,
      acc: new StudioRequestError(500, 'database is locked')
    };
    await model.refresh();
    expect(model.metrics.find(m => m.key === 'acc')?.error).toBe(
      'database is locked'
    );
    expect(model.metrics.find(m => m.key === 'loss')?.error).toBeNull();
    model.dispose();
  });

  it('replaces an error with the next one and clears it on success, per source', async () => {
    const run = makeRun('r1', { metrics: { loss: summary('loss', 3) } });
    const { api, model } = setup(run);
    api.histories = { loss: new StudioRequestError(500, 'database is locked') };
    await model.refresh();
    expect(model.metrics[0].error).toBe('database is locked');

    // Two failing ticks: one message each time, the latest, never both.
    api.runs.delete('r1');
    await expect(model.refresh()).rejects.toThrow("No run 'r1'.");
    expect(model.error).toBe("No run 'r1'.");
    api.getRun = async () => {
      throw new StudioRequestError(503, 'The server is restarting.');
    };
    await expect(model.refresh()).rejects.toThrow();
    expect(model.error).toBe('The server is restarting.');
    api.histories = { loss: new StudioRequestError(500, 'disk I/O error') };
    delete (api as Partial<FakeAPI>).getRun;
    api.runs.set('r1', run);
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.metrics[0].error).toBe('disk I/O error');

    // A success clears the history's message.
    api.histories = { loss: lossHistory };
    await model.refresh();
    expect(model.metrics[0].error).toBeNull();
    expect(model.metrics[0].values).toHaveLength(3);
    model.dispose();
  });

  it('refreshes a running run live, reloading only what moved, then stops', async () => {
    const run = makeRun('r1', {
      status: 'RUNNING',
      end_time: null,
      duration_ms: null,
      metrics: { loss: summary('loss', 3), acc: summary('acc', 1) }
    });
    const { api, model } = setup(run);
    api.histories = {
      loss: lossHistory,
      acc: {
        key: 'acc',
        steps: [0],
        timestamps: [1],
        values: [0.5],
        total: 1,
        downsampled: false,
        next_page_token: null
      }
    };
    await model.refresh();
    expect(model.isLive).toBe(true);
    const acc = model.metrics[0];

    // The run logs more loss points and then finishes.
    api.runs.set(
      'r1',
      makeRun('r1', {
        metrics: { loss: summary('loss', 4), acc: summary('acc', 1) }
      })
    );
    await new Promise(resolve => setTimeout(resolve, 1300));
    expect(api.calls.filter(c => c === 'getRun r1').length).toBe(2);
    expect(api.calls.filter(c => c === 'history loss')).toHaveLength(2);
    // acc has one point: its summary is its history, never asked for.
    expect(api.calls.filter(c => c === 'history acc')).toHaveLength(0);
    expect(acc.values).toEqual([1]);
    expect(model.metrics[0]).toBe(acc);
    expect(model.run?.status).toBe('FINISHED');
    expect(model.isLive).toBe(false);

    await new Promise(resolve => setTimeout(resolve, 1300));
    expect(api.calls.filter(c => c === 'getRun r1').length).toBe(2);
    model.dispose();
  });

  it('zooms a chart, and fetches the zoom again on a live tick only where new points fall', async () => {
    const run = makeRun('r1', {
      status: 'RUNNING',
      end_time: null,
      duration_ms: null,
      metrics: { loss: summary('loss', 100), acc: summary('acc', 100) }
    });
    const { api, model } = setup(run);
    api.histories = { loss: lossHistory, acc: { ...lossHistory, key: 'acc' } };
    await model.refresh();
    let changes = 0;
    model.stateChanged.connect(() => changes++);

    // loss's zoom reaches past its last step (99); acc's ends before it.
    await model.zooms.zoom('loss', { r1: { min: 50, max: 200 } }, 2400);
    await model.zooms.zoom('acc', { r1: { min: 0, max: 40 } }, 2400);
    expect(changes).toBe(4);
    expect(model.zooms.view('loss')!.lines!.r1.steps).toEqual([0, 50, 99]);
    expect(api.ranges.slice(-2)).toEqual([
      { min: 50, max: 200 },
      { min: 0, max: 40 }
    ]);
    expect(api.maxPoints.slice(-2)).toEqual([2400, 2400]);

    api.runs.set(
      'r1',
      makeRun('r1', {
        metrics: { loss: summary('loss', 150), acc: summary('acc', 150) }
      })
    );
    api.calls.length = 0;
    api.ranges.length = 0;
    await new Promise(resolve => setTimeout(resolve, 1300));
    // Each whole history once, and loss's zoom (new points may fall in it); acc's stays.
    expect(api.calls.filter(c => c === 'history loss')).toHaveLength(2);
    expect(api.calls.filter(c => c === 'history acc')).toHaveLength(1);
    expect(api.ranges).toContainEqual({ min: 50, max: 200 });
    expect(api.ranges).not.toContainEqual({ min: 0, max: 40 });
    expect(model.zooms.view('acc')!.ranges.r1).toEqual({ min: 0, max: 40 });
    model.dispose();
  });

  it('shows the run before its histories, and each chart as its history arrives', async () => {
    const run = makeRun('r1', {
      metrics: { loss: summary('loss', 3), acc: summary('acc', 1) }
    });
    const { api, model } = setup(run);
    let release: () => void = () => undefined;
    const slow = new Promise<void>(resolve => (release = resolve));
    const acc = {
      key: 'acc',
      steps: [0],
      timestamps: [1],
      values: [0.5],
      total: 1,
      downsampled: false,
      next_page_token: null
    };
    api.histories = { loss: lossHistory, acc };
    const getHistory = api.getMetricHistory.bind(api);
    api.getMetricHistory = async (id, key, max) => {
      if (key === 'loss') {
        await slow;
      }
      return getHistory(id, key, max);
    };
    const seen: string[] = [];
    model.stateChanged.connect(() =>
      seen.push(
        model.metrics
          .map(m => `${m.key}:${m.pending ? 'pending' : m.values.length}`)
          .join(',')
      )
    );
    const loading = model.refresh();
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(model.run?.id).toBe('r1');
    expect(model.loading).toBe(false);
    expect(seen).toContain('acc:pending,loss:pending');
    expect(seen[seen.length - 1]).toBe('acc:1,loss:pending');
    release();
    await loading;
    expect(seen[seen.length - 1]).toBe('acc:1,loss:3');
    model.dispose();
  });

  it('loads at most HISTORY_CONCURRENCY histories at once', async () => {
    const keys = Array.from(
      { length: 20 },
      (_, i) => `m${String(i).padStart(2, '0')}`
    );
    const run = makeRun('r1', {
      metrics: Object.fromEntries(keys.map(key => [key, summary(key, 3)]))
    });
    const { api, model } = setup(run);
    api.histories = Object.fromEntries(
      keys.map(key => [key, { ...lossHistory, key }])
    );
    const getHistory = api.getMetricHistory.bind(api);
    let inFlight = 0;
    let most = 0;
    api.getMetricHistory = async (id, key, max) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise(resolve => setTimeout(resolve, 2));
      inFlight--;
      return getHistory(id, key, max);
    };
    await model.refresh();
    expect(most).toBe(HISTORY_CONCURRENCY);
    expect(
      model.metrics.every(
        series => !series.pending && series.values.length === 3
      )
    ).toBe(true);
    model.dispose();
  });

  it('shares one load between callers and emits nothing once disposed', async () => {
    const { api, model } = setup(makeRun('r1'));
    await Promise.all([model.refresh(), model.refresh()]);
    expect(api.calls.filter(c => c === 'getRun r1')).toHaveLength(1);
    let changes = 0;
    model.stateChanged.connect(() => (changes += 1));
    model.dispose();
    expect(model.isDisposed).toBe(true);
    await model.refresh();
    expect(changes).toBe(0);
  });
});
