import type { TrackingAPI } from '../api/tracking';
import type { Experiment, Run, RunList } from '../api/types';
import { StudioRequestError } from '../handler';
import { ExperimentsModel, sortByRecency } from '../models/experimentsModel';
import { StudioSettings } from '../settings';
import { RunningRuns } from '../watcher';

function experiment(
  id: number,
  name: string,
  lastRunAt: number | null,
  runCount = 0
): Experiment {
  return {
    id,
    name,
    description: '',
    archived: false,
    created_at: id * 1000,
    updated_at: id * 1000,
    last_run_at: lastRunAt,
    run_count: runCount,
    tags: {}
  };
}

function run(id: string, experimentId: number, startTime: number): Run {
  return {
    id,
    name: `run-${id}`,
    experiment_id: experimentId,
    status: 'RUNNING',
    start_time: startTime,
    end_time: null,
    duration_ms: null,
    parent_run_id: null,
    source: null,
    artifact_uri: '',
    params: {},
    metrics: {},
    tags: {}
  } as Run;
}

interface IFakeAPI {
  listExperiments: jest.Mock<Promise<Experiment[]>, []>;
  searchRuns: jest.Mock<Promise<RunList>, [unknown]>;
  getRun: jest.Mock<Promise<Run>, [string]>;
}

function fakeAPI(
  experiments: Experiment[],
  running: Run[] = [],
  total?: number
): IFakeAPI {
  return {
    listExperiments: jest.fn(async () => experiments),
    searchRuns: jest.fn(async (_options: unknown) => ({
      runs: running,
      next_page_token: null,
      total: total ?? running.length,
      tree: null
    })),
    getRun: jest.fn(async (id: string) => run(id, 1, 0))
  };
}

function modelOf(
  api: IFakeAPI,
  settings = new StudioSettings()
): ExperimentsModel {
  return new ExperimentsModel({
    api: api as unknown as TrackingAPI,
    settings,
    running: new RunningRuns(api as unknown as TrackingAPI)
  });
}

/** A model whose poll stands by (no one sees it), so that only explicit refreshes call the API. */
function quietModel(
  api: IFakeAPI,
  settings = new StudioSettings()
): ExperimentsModel {
  const model = modelOf(api, settings);
  model.setActive(false);
  return model;
}

describe('ExperimentsModel', () => {
  it('lists experiments most recent first, with their run counts', async () => {
    const api = fakeAPI([
      experiment(1, 'old', 5_000, 3),
      experiment(2, 'never run', null, 0),
      experiment(3, 'latest', 9_000, 12)
    ]);
    const model = quietModel(api);
    expect(model.loaded).toBe(false);
    await model.refresh();
    expect(model.loaded).toBe(true);
    expect(model.experiments.map(e => e.name)).toEqual([
      'latest',
      'old',
      'never run'
    ]);
    expect(model.experiments[0].run_count).toBe(12);
    expect(model.mostRecent?.id).toBe(3);
    expect(model.experimentName(1)).toBe('old');
    expect(model.experimentName(99)).toBeNull();
    model.dispose();
  });

  it('searches experiment names without regard to case', async () => {
    const model = quietModel(
      fakeAPI([
        experiment(1, 'Iris trees', 5),
        experiment(2, 'wine', 6),
        experiment(3, 'IRIS svm', 7)
      ])
    );
    await model.refresh();
    const changes: string[] = [];
    model.stateChanged.connect(() => changes.push(model.query));
    model.query = 'iris';
    expect(model.filtered.map(e => e.name)).toEqual(['IRIS svm', 'Iris trees']);
    expect(changes).toEqual(['iris']);
    model.query = '  ';
    expect(model.filtered).toHaveLength(3);
    model.dispose();
  });

  it('shows the running runs the watcher keeps, and never asks for them itself', async () => {
    const api = fakeAPI(
      [experiment(1, 'e', 5)],
      [run('a', 1, 2_000), run('b', 1, 1_000)],
      75
    );
    const running = new RunningRuns(api as unknown as TrackingAPI);
    const model = new ExperimentsModel({
      api: api as unknown as TrackingAPI,
      settings: new StudioSettings(),
      running
    });
    model.setActive(false);
    await model.refresh();
    expect(api.searchRuns).not.toHaveBeenCalled();
    let changes = 0;
    model.stateChanged.connect(() => (changes += 1));
    await running.check();
    expect(changes).toBe(1);
    expect(model.runningRuns.map(r => r.id)).toEqual(['a', 'b']);
    expect(model.runningTotal).toBe(75);
    model.dispose();
  });

  it("keeps the server's message on failure, and clears it once loading works", async () => {
    const api = fakeAPI([experiment(1, 'e', 5)]);
    api.listExperiments.mockRejectedValueOnce(
      new StudioRequestError(500, 'The database is locked.')
    );
    const model = quietModel(api);
    await expect(model.refresh()).resolves.toBeUndefined();
    expect(model.loaded).toBe(true);
    expect(model.error).toBe('The database is locked.');
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.experiments).toHaveLength(1);
    model.dispose();
  });

  it('ignores an answer that arrives after a newer one', async () => {
    const api = fakeAPI([]);
    let answerSlow: (value: Experiment[]) => void = () => undefined;
    api.listExperiments
      .mockImplementationOnce(
        () => new Promise(resolve => (answerSlow = resolve))
      )
      .mockImplementationOnce(async () => [experiment(2, 'new', 5)]);
    const model = quietModel(api);
    const slow = model.refresh();
    await model.refresh();
    answerSlow([experiment(1, 'stale', 5)]);
    await slow;
    expect(model.experiments.map(e => e.name)).toEqual(['new']);
    model.dispose();
  });
});

describe('ExperimentsModel live refresh', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('polls at the refresh interval, follows the setting, and stops when disposed', async () => {
    const api = fakeAPI([experiment(1, 'e', 5)], [run('a', 1, 0)]);
    const settings = new StudioSettings();
    settings.update({ refreshInterval: 2 });
    const model = modelOf(api, settings);
    const calls = () => api.listExperiments.mock.calls.length;
    await jest.advanceTimersByTimeAsync(10);
    expect(calls()).toBe(1); // at once
    await jest.advanceTimersByTimeAsync(2_000);
    expect(calls()).toBe(2);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(calls()).toBe(3);

    settings.update({ refreshInterval: 10 });
    await jest.advanceTimersByTimeAsync(2_000); // the tick already scheduled
    const before = calls();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(calls()).toBe(before);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(calls()).toBe(before + 1);

    model.dispose();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls()).toBe(before + 1);
    expect(api.searchRuns).not.toHaveBeenCalled();
  });

  it('calls the server only while active, and catches up once when active again', async () => {
    const api = fakeAPI([]);
    const model = quietModel(api);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(api.listExperiments).not.toHaveBeenCalled();
    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    expect(api.listExperiments).toHaveBeenCalledTimes(1); // at once, not a tick later
    await jest.advanceTimersByTimeAsync(5_000);
    expect(api.listExperiments).toHaveBeenCalledTimes(2);
    model.setActive(false);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(api.listExperiments).toHaveBeenCalledTimes(2);
    model.dispose();
  });
});

describe('sortByRecency', () => {
  it('orders by last run, falling back on creation time, then by name', () => {
    const sorted = sortByRecency([
      experiment(5, 'b', null), // created at 5000
      experiment(1, 'a', 5_000),
      experiment(2, 'c', 7_000)
    ]);
    expect(sorted.map(e => e.name)).toEqual(['c', 'a', 'b']);
  });
});
