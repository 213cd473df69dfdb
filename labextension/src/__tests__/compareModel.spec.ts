import { StudioRequestError } from '../handler';
import { CompareModel, COMPARE_MAX_POINTS } from '../models/compareModel';
import { FakeAPI, makeRun, summary, threeRuns } from './compareFixtures';

function model(
  api: FakeAPI,
  runIds = ['a', 'b', 'c'],
  refreshInterval = 5
): CompareModel {
  return new CompareModel({ api, runIds, refreshInterval });
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('CompareModel', () => {
  let compare: CompareModel | null = null;
  afterEach(() => compare?.dispose());

  it('loads every run at once, in the order asked for', async () => {
    const api = new FakeAPI(threeRuns());
    let inFlight = 0;
    let most = 0;
    const getRun = api.getRun.bind(api);
    api.getRun = async id => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(5);
      inFlight--;
      return getRun(id);
    };
    compare = model(api, ['c', 'a', 'b']);
    await compare.refresh();
    expect(most).toBe(3);
    expect(compare.runs.map(run => run.id)).toEqual(['c', 'a', 'b']);
    expect(compare.loading).toBe(false);
    expect(compare.error).toBeNull();
  });

  it('unions metric and param keys and says which params differ', async () => {
    compare = model(new FakeAPI(threeRuns()));
    await compare.refresh();
    expect(compare.metricKeys).toEqual(['accuracy', 'loss', 'test_score']);
    expect(compare.paramKeys).toEqual(['lr', 'max_depth', 'seed', 'solver']);
    // seed is 42 everywhere; solver is missing in run c, which counts as a difference.
    expect([...compare.differingParams].sort()).toEqual([
      'lr',
      'max_depth',
      'solver'
    ]);
  });

  it('fetches each long history once with maxPoints, single points from the summary', async () => {
    const api = new FakeAPI(threeRuns());
    api.values.set('a/loss', [1.0, 'NaN', 0.4]);
    compare = model(api);
    await compare.refresh();
    const fetched = api.historyCalls.map(c => `${c.runId}/${c.key}`).sort();
    expect(fetched).toEqual([
      'a/accuracy',
      'a/loss',
      'b/accuracy',
      'b/loss',
      'c/accuracy',
      'c/loss'
    ]);
    expect(
      api.historyCalls.every(c => c.maxPoints === COMPARE_MAX_POINTS)
    ).toBe(true);
    expect(compare.history('a', 'loss')!.values[0]).toBe(1.0);
    expect(Number.isNaN(compare.history('a', 'loss')!.values[1])).toBe(true);
    expect(compare.history('b', 'test_score')).toEqual({
      steps: [0],
      timestamps: [1_700_000_000_001],
      values: [0.8],
      total: 1,
      downsampled: false
    });
    expect(compare.history('c', 'test_score')).toBeUndefined();
    expect(Object.keys(compare.histories.loss).sort()).toEqual(['a', 'b', 'c']);
    // The same objects until something changes, so that views can memoize on them.
    expect(compare.histories).toBe(compare.histories);
    expect(compare.runs).toBe(compare.runs);
    expect(compare.differingParams).toBe(compare.differingParams);
  });

  it("shows the server's message for a run it cannot load, keeps the others", async () => {
    compare = model(new FakeAPI(threeRuns()), ['a', 'missing', 'b']);
    await compare.refresh();
    expect(compare.runs.map(run => run.id)).toEqual(['a', 'b']);
    expect(compare.error).toContain("Run 'missing' does not exist.");
  });

  it('keeps one message per failing source across ticks, cleared on success', async () => {
    const runs = threeRuns();
    runs[1] = makeRun('b', runs[1].params, { accuracy: [0.6, 0.9] }, 'RUNNING');
    const api = new FakeAPI(runs);
    compare = model(api);
    await compare.refresh();
    const getMetricHistory = api.getMetricHistory.bind(api);
    let failing = true;
    api.getMetricHistory = async (runId, key, maxPoints) => {
      if (failing) {
        throw new StudioRequestError(503, 'The store is busy.');
      }
      return getMetricHistory(runId, key, maxPoints);
    };
    const b = api.runs.get('b')!;
    for (let tick = 0; tick < 3; tick++) {
      b.metrics.accuracy = summary('accuracy', [
        0.6,
        0.9,
        ...Array(tick + 1).fill(0.95)
      ]);
      await compare.refreshRunning();
    }
    expect(compare.error).toBe('b accuracy: The store is busy.');
    failing = false;
    b.metrics.accuracy = summary(
      'accuracy',
      [0.6, 0.9, 0.95, 0.95, 0.95, 0.96]
    );
    await compare.refreshRunning();
    expect(compare.error).toBeNull();
    expect(compare.history('b', 'accuracy')!.steps).toHaveLength(6);
  });

  it('emits changed while loading and when done', async () => {
    compare = model(new FakeAPI(threeRuns()));
    const states: boolean[] = [];
    compare.stateChanged.connect(sender => states.push(sender.loading));
    await compare.refresh();
    expect(states[0]).toBe(true);
    expect(states[states.length - 1]).toBe(false);
  });

  it('refreshes only running runs, and only the histories that grew', async () => {
    const runs = threeRuns();
    runs[1] = makeRun(
      'b',
      runs[1].params,
      { accuracy: [0.6, 0.9], loss: [0.9, 0.3] },
      'RUNNING'
    );
    const api = new FakeAPI(runs);
    compare = model(api);
    await compare.refresh();
    expect(compare.anyRunning).toBe(true);
    api.getRunCalls = [];
    api.historyCalls = [];

    // b logs one more accuracy point; loss stays.
    const b = api.runs.get('b')!;
    b.metrics.accuracy = summary('accuracy', [0.6, 0.9, 0.95]);
    await compare.refreshRunning();
    expect(api.getRunCalls).toEqual(['b']);
    expect(api.historyCalls.map(c => `${c.runId}/${c.key}`)).toEqual([
      'b/accuracy'
    ]);
    expect(compare.history('b', 'accuracy')!.steps).toEqual([0, 1, 2]);

    // b finishes: the poll has nothing left to do.
    b.status = 'FINISHED';
    await compare.refreshRunning();
    expect(compare.anyRunning).toBe(false);
    api.getRunCalls = [];
    await compare.refreshRunning();
    expect(api.getRunCalls).toEqual([]);
  });

  it('zooms a chart per run, fetched again when a running run grows into it', async () => {
    const runs = threeRuns();
    runs[1] = makeRun('b', runs[1].params, { loss: [0.9, 0.3] }, 'RUNNING');
    const api = new FakeAPI(runs);
    compare = model(api);
    await compare.refresh();
    let changes = 0;
    compare.stateChanged.connect(() => changes++);
    api.historyCalls = [];

    await compare.zooms.zoom(
      'loss',
      { a: { min: 1, max: 2 }, b: { min: 1, max: 5 } },
      2000
    );
    expect(changes).toBe(2);
    expect(api.historyCalls).toEqual([
      { runId: 'a', key: 'loss', maxPoints: 2000, steps: { min: 1, max: 2 } },
      { runId: 'b', key: 'loss', maxPoints: 2000, steps: { min: 1, max: 5 } }
    ]);
    // The fake serves each step's index as its value.
    expect(compare.zooms.view('loss')!.lines!.b.values).toEqual([0, 1]);

    // b logs a third point (step 2), inside its zoom (to step 5): the zoom is fetched again.
    api.runs.get('b')!.metrics.loss = summary('loss', [0.9, 0.3, 0.2]);
    api.historyCalls = [];
    await compare.refreshRunning();
    await sleep(0);
    expect(api.historyCalls.map(c => `${c.runId} ${c.steps?.max}`)).toEqual([
      'b undefined',
      'a 2',
      'b 5'
    ]);
    expect(compare.zooms.view('loss')!.lines!.b.values).toEqual([0, 1, 2]);
  });

  it('polls while a run is running, and stops when disposed', async () => {
    const runs = threeRuns();
    runs[0] = makeRun('a', runs[0].params, { accuracy: [0.5] }, 'RUNNING');
    const api = new FakeAPI(runs);
    compare = model(api, ['a', 'b'], 0.02);
    await compare.refresh();
    api.getRunCalls = [];
    await sleep(150);
    expect(api.getRunCalls.length).toBeGreaterThan(0);
    expect(api.getRunCalls.every(id => id === 'a')).toBe(true);
    compare.dispose();
    const after = api.getRunCalls.length;
    await sleep(100);
    expect(api.getRunCalls.length).toBe(after);
  });

  it('does not poll when no run is running', async () => {
    const api = new FakeAPI(threeRuns());
    compare = model(api, ['a', 'b'], 0.02);
    await compare.refresh();
    api.getRunCalls = [];
    await sleep(120);
    expect(api.getRunCalls).toEqual([]);
  });
});
