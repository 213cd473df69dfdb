/**
 * The application's watcher: one request per interval for the running runs however many views
 * show them, the end of a watched run announced once, and further sources in the same tick.
 */
import type { TrackingAPI } from '../api/tracking';
import type { Run, RunList } from '../api/types';
import { ExperimentsModel } from '../models/experimentsModel';
import { StudioSettings } from '../settings';
import { MAX_RUNNING_RUNS, RunningRuns, StudioWatcher } from '../watcher';
import { makeRun } from './compareFixtures';

class FakeAPI {
  running: Run[] = [];
  ended = new Map<string, Run>();
  searches: unknown[] = [];
  gets: string[] = [];

  async searchRuns(options: unknown): Promise<RunList> {
    this.searches.push(options);
    return {
      runs: this.running,
      total: this.running.length,
      next_page_token: null,
      tree: null
    };
  }
  async getRun(runId: string): Promise<Run> {
    this.gets.push(runId);
    return this.ended.get(runId) ?? this.running.find(r => r.id === runId)!;
  }
  async listExperiments() {
    return [];
  }
}

function watch(api: FakeAPI, interval = 2) {
  const settings = new StudioSettings();
  settings.update({ refreshInterval: interval });
  const watcher = new StudioWatcher({ settings });
  const running = new RunningRuns(api as unknown as TrackingAPI);
  watcher.register(running);
  return { watcher, running, settings };
}

describe('StudioWatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('asks for the running runs once per interval, however many views show them', async () => {
    const api = new FakeAPI();
    api.running = [makeRun('a', {}, {}, 'RUNNING')];
    const { watcher, running, settings } = watch(api);
    const sidebars = Array.from(
      { length: 5 },
      () =>
        new ExperimentsModel({
          api: api as unknown as TrackingAPI,
          settings,
          running
        })
    );
    sidebars.forEach(model => model.setActive(false)); // collapsed
    await jest.advanceTimersByTimeAsync(10);
    expect(api.searches).toHaveLength(1);
    expect(api.searches[0]).toEqual({
      filter: "status = 'RUNNING'",
      orderBy: ['start_time desc'],
      maxResults: MAX_RUNNING_RUNS,
      includeTotal: true
    });
    await jest.advanceTimersByTimeAsync(6_000);
    expect(api.searches).toHaveLength(4);
    expect(sidebars.every(model => model.runningRuns[0]?.id === 'a')).toBe(
      true
    );

    watcher.dispose();
    sidebars.forEach(model => model.dispose());
    await jest.advanceTimersByTimeAsync(20_000);
    expect(api.searches).toHaveLength(4);
  });

  it('announces once each watched run that finished or failed', async () => {
    const api = new FakeAPI();
    api.running = ['a', 'b', 'c'].map(id => makeRun(id, {}, {}, 'RUNNING'));
    const { watcher, running } = watch(api);
    const ended: string[] = [];
    running.ended.connect((_, run) => ended.push(`${run.id} ${run.status}`));
    await jest.advanceTimersByTimeAsync(10);
    expect(running.runs.map(run => run.id)).toEqual(['a', 'b', 'c']);

    api.running = [api.running[2]];
    api.ended.set('a', makeRun('a', {}, {}, 'FINISHED'));
    api.ended.set('b', makeRun('b', {}, {}, 'FAILED'));
    await jest.advanceTimersByTimeAsync(2_000);
    expect(ended.sort()).toEqual(['a FINISHED', 'b FAILED']);
    expect(running.total).toBe(1);

    await jest.advanceTimersByTimeAsync(4_000);
    expect(ended).toHaveLength(2);
    expect(api.gets.sort()).toEqual(['a', 'b']); // read once, when they left
    watcher.dispose();
  });

  it('announces a run that ended while the server could not be reached', async () => {
    const api = new FakeAPI();
    api.running = [makeRun('a', {}, {}, 'RUNNING')];
    const running = new RunningRuns(api as unknown as TrackingAPI);
    const ended: string[] = [];
    running.ended.connect((_, run) => ended.push(run.id));
    await running.check();
    const search = api.searchRuns;
    api.searchRuns = async () => {
      throw new Error('The server is away.');
    };
    await expect(running.check()).rejects.toThrow('away');
    expect(running.error).toBe('The server is away.');
    api.searchRuns = search;
    api.running = [];
    api.ended.set('a', makeRun('a', {}, {}, 'KILLED'));
    await running.check();
    expect(ended).toEqual(['a']);
    expect(running.error).toBeNull();
  });

  it('checks every registered source in the same tick, until unregistered', async () => {
    const api = new FakeAPI();
    const { watcher } = watch(api);
    const checks: string[] = [];
    const alerts = watcher.register({
      id: 'debugger-alerts',
      check: async () => {
        checks.push('alerts');
      }
    });
    expect(watcher.sourceIds).toEqual(['running-runs', 'debugger-alerts']);
    expect(() =>
      watcher.register({ id: 'debugger-alerts', check: async () => {} })
    ).toThrow(/already registered/);
    await jest.advanceTimersByTimeAsync(2_010);
    expect(checks).toEqual(['alerts', 'alerts']);
    expect(api.searches).toHaveLength(2);
    alerts.dispose();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(checks).toHaveLength(2);
    expect(api.searches).toHaveLength(3);
    watcher.dispose();
  });
});
