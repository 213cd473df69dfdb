import { DebuggerModel } from '../models/debuggerModel';
import {
  CHART_KEY,
  focusRange,
  groupTensors,
  parseStatKey,
  statKey
} from '../models/debuggerTensors';
import {
  FakeDebuggerAPI,
  finding,
  settingsHolder,
  TENSORS
} from './debuggerFixtures';

function setup(refreshInterval = 5): {
  api: FakeDebuggerAPI;
  model: DebuggerModel;
} {
  const api = new FakeDebuggerAPI();
  const model = new DebuggerModel({
    api,
    runId: 'r1',
    settings: settingsHolder({ refreshInterval })
  });
  return { api, model };
}

describe('groupTensors', () => {
  const train = TENSORS.filter(t => t.mode === 'train');

  it('groups by module and by collection, sorted, with a filter', () => {
    expect(
      groupTensors(train, 'module').map(g => [
        g.name,
        g.tensors.map(t => t.name)
      ])
    ).toEqual([
      ['fc1', ['gradients/fc1.weight', 'weights/fc1.weight']],
      ['fc2', ['gradients/fc2.weight', 'weights/fc2.weight']],
      // Losses and batches belong to no module: last.
      ['—', ['losses/loss']]
    ]);
    expect(groupTensors(train, 'collection').map(g => g.name)).toEqual([
      'gradients',
      'losses',
      'weights'
    ]);
    expect(
      groupTensors(train, 'collection', ' FC2 ').map(g => [
        g.name,
        g.tensors.map(t => t.name)
      ])
    ).toEqual([
      ['gradients', ['gradients/fc2.weight']],
      ['weights', ['weights/fc2.weight']]
    ]);
  });
});

describe('statKey', () => {
  it('splits at the first and last slash', () => {
    const key = statKey('train', 'gradients/encoder/layer.0', 'l2');
    expect(key).toBe('train/gradients/encoder/layer.0/l2');
    expect(parseStatKey(key)).toEqual([
      'train',
      'gradients/encoder/layer.0',
      'l2'
    ]);
  });
});

describe('focusRange', () => {
  it('is a tenth of the drawn steps on each side, at least five steps', () => {
    expect(focusRange(400, [0, 500, 1000])).toEqual({ min: 300, max: 500 });
    expect(focusRange(3, [0, 10])).toEqual({ min: 0, max: 8 });
    expect(focusRange(7, [])).toEqual({ min: 2, max: 12 });
  });
});

describe('DebuggerModel', () => {
  it('loads the tensors, rules and findings, and shows the newest finding’s tensor', async () => {
    const { api, model } = setup();
    api.findings = [
      finding(3, { tensors: ['weights/fc1.weight'] }),
      finding(7)
    ];
    await model.refresh();
    expect(model.loading).toBe(false);
    expect(model.modes).toEqual(['train', 'eval']);
    expect(model.rules.map(rule => rule.status)).toEqual([
      'firing',
      'ok',
      'not_evaluated'
    ]);
    expect(model.findings.map(f => f.id)).toEqual([7, 3]);
    expect(model.selected).toEqual(['gradients/fc2.weight']);
    expect(model.stat).toBe('l2');
    expect(model.lines).toHaveLength(1);
    const line = model.lines[0];
    expect(line.key).toBe('train/gradients/fc2.weight/l2');
    expect(line.steps).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(line.values[4]).toBeNaN();
    expect(model.histograms?.counts).toEqual([
      [1, 2],
      [3, 4],
      [5, 6]
    ]);
    // Only the train tensors are listed while the mode is train.
    expect(
      model.groups.flatMap(g => g.tensors).every(t => t.mode === 'train')
    ).toBe(true);
    model.dispose();
  });

  it('overlays tensors, takes one away again, and changes the statistic', async () => {
    const { api, model } = setup();
    await model.refresh();
    await model.select('weights/fc2.weight', true);
    expect(model.lines.map(line => line.tensor)).toEqual([
      'gradients/fc2.weight',
      'weights/fc2.weight'
    ]);
    await model.select('gradients/fc2.weight', true);
    expect(model.selected).toEqual(['weights/fc2.weight']);
    // Weights have no histograms in the fixture.
    expect(model.histograms).toBeNull();
    await model.setStat('mean');
    expect(model.lines[0].key).toBe('train/weights/fc2.weight/mean');
    expect(api.calls).toContain('stats train/weights/fc2.weight/mean');
    await model.select('losses/loss');
    expect(model.selected).toEqual(['losses/loss']);
    model.dispose();
  });

  it('switches mode, keeping the tensors the mode has', async () => {
    const { model } = setup();
    await model.refresh();
    await model.select('weights/fc1.weight');
    await model.setMode('eval');
    expect(model.mode).toBe('eval');
    expect(model.selected).toEqual(['weights/fc1.weight']);
    expect(model.lines[0].key).toBe('eval/weights/fc1.weight/l2');
    expect(model.groups.flatMap(g => g.tensors.map(t => t.name))).toEqual([
      'weights/fc1.weight'
    ]);
    model.dispose();
  });

  it('selects a finding: its tensor, the statistic it names, its step marked and zoomed around', async () => {
    const { api, model } = setup();
    await model.refresh();
    await model.select('weights/fc1.weight');
    await model.focusFinding(api.findings[0]);
    expect(model.selected).toEqual(['gradients/fc2.weight']);
    expect(model.stat).toBe('nan');
    expect(model.focusStep).toBe(40);
    expect(model.focusFindingId).toBe(7);
    const view = model.zooms.view(CHART_KEY)!;
    expect(view.ranges).toEqual({
      'train/gradients/fc2.weight/nan': { min: 31, max: 49 }
    });
    expect(view.pending).toBe(false);
    expect(view.lines!['train/gradients/fc2.weight/nan'].steps).toEqual([40]);
    const zoomQuery = api.statQueries[api.statQueries.length - 1];
    expect([zoomQuery.minStep, zoomQuery.maxStep]).toEqual([31, 49]);
    // The heatmap shows the histograms of the same steps.
    await new Promise(resolve => setTimeout(resolve, 10));
    const histogramQuery = api.histogramQueries.at(-1)!;
    expect(histogramQuery).toMatchObject({
      tensor: 'gradients/fc2.weight',
      minStep: 31,
      maxStep: 49
    });
    // Zooming out keeps the mark, and shows every step's histograms again.
    model.zoomOut();
    expect(model.zooms.view(CHART_KEY)).toBeNull();
    expect(model.focusStep).toBe(40);
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(api.histogramQueries.at(-1)!.minStep).toBeUndefined();
    model.dispose();
  });

  it('opened at a step before its first load, waits for the findings to pick the tensor', async () => {
    const { model } = setup();
    const focused = model.focus(40);
    void model.refresh();
    await focused;
    expect(model.selected).toEqual(['gradients/fc2.weight']);
    expect(model.focusStep).toBe(40);
    expect(model.zooms.view(CHART_KEY)?.ranges).toEqual({
      'train/gradients/fc2.weight/nan': { min: 31, max: 49 }
    });
    model.dispose();
  });

  it('keeps the server’s message when the run cannot be read', async () => {
    const { api, model } = setup();
    api.listTensors = async () => {
      throw new Error('No run r1.');
    };
    await expect(model.refresh()).rejects.toThrow('No run r1.');
    expect(model.error).toBe('No run r1.');
    expect(model.loading).toBe(false);
    model.dispose();
  });

  it('refreshes live while the run runs, and stops once it ended', async () => {
    const { api, model } = setup(1);
    await model.refresh();
    model.setLive(true);
    api.lastStep = 120;
    api.findings = [...api.findings, finding(9, { step: 110 })];
    await new Promise(resolve => setTimeout(resolve, 1300));
    expect(api.calls.filter(c => c === 'findings r1')).toHaveLength(2);
    expect(model.findings.map(f => f.id)).toEqual([9, 7]);
    expect(model.lines[0].steps.at(-1)).toBe(120);
    // The run ends: one last load catches what it recorded last, then no more.
    model.setLive(false);
    await new Promise(resolve => setTimeout(resolve, 1300));
    expect(api.calls.filter(c => c === 'findings r1')).toHaveLength(3);
    model.dispose();
  });

  it('stands by while its tab is not seen', async () => {
    const { api, model } = setup(1);
    await model.refresh();
    model.setActive(false);
    model.setLive(true);
    await new Promise(resolve => setTimeout(resolve, 1300));
    expect(api.calls.filter(c => c === 'findings r1')).toHaveLength(1);
    model.setActive(true);
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(api.calls.filter(c => c === 'findings r1')).toHaveLength(2);
    model.dispose();
  });
});
