/**
 * The jobs models: the panel's lists and how often they refresh (fast while a run is queued
 * or running, slowly otherwise, never while hidden), the summary that announces each job
 * run's end once, and the log tailed by offset until the run ends.
 */
import { JobLogModel } from '../models/jobLogModel';
import { IDLE_INTERVAL_S, JobsModel } from '../models/jobsModel';
import { JobsSummaryModel } from '../models/jobsSummary';
import { Clock } from '../widgets/clock';
import { settingsHolder } from './debuggerFixtures';
import { FakeJobsAPI, definition, jobRun } from './jobsFixtures';

const lists = (api: FakeJobsAPI) =>
  api.calls.filter(call => call === 'listRuns').length;

describe('JobsModel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('loads the runs and the definitions', async () => {
    const api = new FakeJobsAPI();
    api.runs = [jobRun(2, { status: 'FAILED' }), jobRun(1)];
    api.definitions = [definition(5)];
    const model = new JobsModel({ api, settings: settingsHolder() });
    await model.refresh();
    expect(model.loaded).toBe(true);
    expect(model.runs.map(run => run.id)).toEqual([2, 1]);
    expect(model.definitions.map(d => d.id)).toEqual([5]);
    expect(model.isLive).toBe(false);
    model.showRun(2);
    expect(model.tab).toBe('runs');
    expect(model.selectedRun?.status).toBe('FAILED');
    model.showDefinition(5);
    expect([model.tab, model.selectedDefinitionId]).toEqual(['definitions', 5]);
    model.dispose();
  });

  it('refreshes every jobs interval while a run is live, slowly once none is', async () => {
    const api = new FakeJobsAPI();
    api.runs = [jobRun(1, { status: 'RUNNING' })];
    const model = new JobsModel({
      api,
      settings: settingsHolder({ jobsInterval: 2 })
    });
    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    expect(model.isLive).toBe(true);
    const first = lists(api);
    await jest.advanceTimersByTimeAsync(2_100);
    expect(lists(api)).toBe(first + 1);

    api.runs = [jobRun(1, { status: 'SUCCEEDED' })];
    await jest.advanceTimersByTimeAsync(2_000);
    expect(model.isLive).toBe(false);
    const ended = lists(api);
    await jest.advanceTimersByTimeAsync(IDLE_INTERVAL_S * 1000 - 1_000);
    expect(lists(api)).toBe(ended);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(lists(api)).toBe(ended + 1);
    model.dispose();
  });

  it('does not poll while hidden, and catches up once when seen', async () => {
    const api = new FakeJobsAPI();
    api.runs = [jobRun(1, { status: 'QUEUED' })];
    const model = new JobsModel({
      api,
      settings: settingsHolder({ jobsInterval: 1 })
    });
    model.setActive(true);
    await jest.advanceTimersByTimeAsync(1_100);
    model.setActive(false);
    const hidden = lists(api);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(lists(api)).toBe(hidden);
    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    expect(lists(api)).toBe(hidden + 1);
    model.dispose();
  });

  it('keeps the server’s message when loading fails', async () => {
    const api = new FakeJobsAPI();
    api.listRuns = async () => {
      throw new Error('The jobs resource is not allowed.');
    };
    const model = new JobsModel({ api, settings: settingsHolder() });
    await expect(model.refresh()).rejects.toThrow();
    expect(model.error).toBe('The jobs resource is not allowed.');
    expect(model.loaded).toBe(true);
    model.dispose();
  });
});

describe('JobsSummaryModel', () => {
  it('announces once each running job run that ends, with how it ended', async () => {
    const api = new FakeJobsAPI();
    const running = jobRun(1, { status: 'RUNNING' });
    api.runs = [running];
    api.summary = { running: [running], queued: 0, next: [], schedulers: [] };
    const summary = new JobsSummaryModel(api);
    const ended: string[] = [];
    summary.ended.connect((_, run) => ended.push(`${run.id} ${run.status}`));
    await summary.check();
    expect(summary.summary?.running).toHaveLength(1);
    expect(ended).toEqual([]);

    api.runs = [jobRun(1, { status: 'FAILED', error: 'ZeroDivisionError' })];
    api.summary = { running: [], queued: 0, next: [], schedulers: [] };
    await summary.check();
    await summary.check();
    expect(ended).toEqual(['1 FAILED']);
  });

  it('announces a run created here even if it ends between two checks', async () => {
    const api = new FakeJobsAPI();
    api.runs = [jobRun(9, { status: 'QUEUED' })];
    const summary = new JobsSummaryModel(api);
    const ended: number[] = [];
    summary.ended.connect((_, run) => ended.push(run.id));
    summary.watch(9);
    await summary.check();
    expect(ended).toEqual([]); // Still queued: asked again next time.
    api.runs = [jobRun(9, { status: 'SUCCEEDED' })];
    await summary.check();
    await summary.check();
    expect(ended).toEqual([9]);
  });

  it('forgets a watched run that was deleted', async () => {
    const api = new FakeJobsAPI();
    const summary = new JobsSummaryModel(api);
    const ended: number[] = [];
    summary.ended.connect((_, run) => ended.push(run.id));
    summary.watch(4);
    await summary.check();
    await summary.check();
    expect(ended).toEqual([]);
    expect(api.calls.filter(call => call === 'getRun 4')).toHaveLength(1);
  });
});

describe('JobLogModel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('tails the log from the last offset and stops once the run ended', async () => {
    const api = new FakeJobsAPI();
    api.logs.set(3, { text: 'start\n', done: false });
    const model = new JobLogModel({
      api,
      settings: settingsHolder({ jobsInterval: 1 }),
      jobRunId: 3
    });
    await model.load();
    model.setActive(true);
    expect(model.text).toBe('start\n');
    api.logs.set(3, { text: 'start\ncell 1\n', done: false });
    await jest.advanceTimersByTimeAsync(1_100);
    expect(model.text).toBe('start\ncell 1\n');
    api.logs.set(3, { text: 'start\ncell 1\ndone\n', done: true });
    await jest.advanceTimersByTimeAsync(1_100);
    expect(model.text).toBe('start\ncell 1\ndone\n');
    expect(model.done).toBe(true);
    const asked = api.calls.filter(call => call.startsWith('getLog'));
    expect(asked.slice(0, 3)).toEqual([
      'getLog 3 0',
      'getLog 3 6',
      'getLog 3 13'
    ]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(api.calls.filter(call => call.startsWith('getLog'))).toHaveLength(
      asked.length
    );
    model.dispose();
  });
});

describe('Clock', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ticks once a second while needed, and not after', () => {
    let ticks = 0;
    const clock = new Clock(() => ticks++);
    clock.sync(true);
    clock.sync(true); // One timer, however often it is asked.
    jest.advanceTimersByTime(3_050);
    expect(ticks).toBe(3);
    clock.sync(false);
    jest.advanceTimersByTime(5_000);
    expect(ticks).toBe(3);
    clock.sync(true);
    clock.dispose();
    jest.advanceTimersByTime(5_000);
    expect([ticks, clock.isDisposed]).toEqual([3, true]);
  });
});
