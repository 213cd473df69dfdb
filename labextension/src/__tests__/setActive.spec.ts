/**
 * Every panel's model polls only while its view is seen (`setActive`), makes up a skipped tick
 * once when seen again, and asks nothing more once disposed.
 */
import { Signal } from '@lumino/signaling';

import type { Run } from '../api/types';
import { CompareModel } from '../models/compareModel';
import { RunModel } from '../models/runModel';
import { RunsTableModel } from '../models/runsTableModel';
import { DEFAULT_SETTINGS, ISettingsHolder, IStudioSettings } from '../tokens';
import { FakeAPI, makeRun, RunPanelAPI } from './compareFixtures';
import { FakeRunsAPI, makeRuns } from './fakeRuns';

function settings(refreshInterval: number): ISettingsHolder {
  const current: IStudioSettings = { ...DEFAULT_SETTINGS, refreshInterval };
  return {
    current,
    changed: new Signal<ISettingsHolder, IStudioSettings>({} as ISettingsHolder)
  };
}

const running = (id: string, metrics: Record<string, number[]> = {}): Run =>
  makeRun(id, {}, metrics, 'RUNNING');

describe('setActive', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('RunModel: a hidden running run is not polled, and is read once when shown', async () => {
    const api = new RunPanelAPI([running('r1', { loss: [1, 0.5] })]);
    const model = new RunModel({ api, runId: 'r1', settings: settings(1) });
    await model.refresh();
    await jest.advanceTimersByTimeAsync(1_100);
    expect(api.getRunCalls).toHaveLength(2); // live: one tick

    model.setActive(false);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(api.getRunCalls).toHaveLength(2);

    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    expect(api.getRunCalls).toHaveLength(3); // at once, not a tick later
    await jest.advanceTimersByTimeAsync(1_000);
    expect(api.getRunCalls).toHaveLength(4); // and live again

    model.dispose();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(api.getRunCalls).toHaveLength(4);
  });

  it('RunModel: shown again, a finished run asks for nothing', async () => {
    const api = new RunPanelAPI([makeRun('r1', {}, { loss: [1, 0.5] })]);
    const model = new RunModel({ api, runId: 'r1', settings: settings(1) });
    await model.refresh();
    model.setActive(false);
    await jest.advanceTimersByTimeAsync(5_000);
    model.setActive(true);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(api.getRunCalls).toEqual(['r1']);
    model.dispose();
  });

  it('RunModel: a closed panel starts no more history requests', async () => {
    const metrics = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`m${i}`, [1, 2, 3]])
    );
    const api = new RunPanelAPI([makeRun('r1', {}, metrics)]);
    const model = new RunModel({ api, runId: 'r1', settings: settings(1) });
    const load = model.refresh();
    await Promise.resolve(); // the run is asked for; the histories queue behind it
    model.dispose();
    await load;
    await jest.advanceTimersByTimeAsync(1_000);
    // Those in flight when it closed (at most the concurrency cap), not the other 14.
    expect(api.historyCalls.length).toBeLessThanOrEqual(6);
  });

  it('CompareModel: hidden, the running runs wait; shown, they are read once at once', async () => {
    const api = new FakeAPI([
      running('a', { loss: [1] }),
      makeRun('b', {}, {})
    ]);
    const model = new CompareModel({
      api,
      runIds: ['a', 'b'],
      refreshInterval: 1
    });
    await model.refresh();
    api.getRunCalls = [];
    model.setActive(false);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(api.getRunCalls).toEqual([]);

    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    expect(api.getRunCalls).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(api.getRunCalls).toEqual(['a', 'a']);

    model.dispose();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(api.getRunCalls).toEqual(['a', 'a']);
  });

  it('RunsTableModel: polls from its first activation, only while active', async () => {
    const api = new FakeRunsAPI(makeRuns(30));
    const model = new RunsTableModel({
      api,
      experimentId: 7,
      refreshInterval: 1,
      columnStore: { load: () => null, save: () => undefined }
    });
    await model.reload();
    const calls = () => api.calls.length;
    const loaded = calls();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(calls()).toBe(loaded); // never shown: no live refresh

    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    expect(calls()).toBe(loaded); // the first page was just read
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls()).toBeGreaterThan(loaded);

    model.setActive(false);
    const hidden = calls();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(hidden);

    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    expect(calls()).toBeGreaterThan(hidden); // caught up at once

    model.dispose();
    const closed = calls();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(closed);
  });
});
