/**
 * The registry and endpoint models: the sidebar's models and versions, a version's page and
 * its actions, the deploy form's requests, the endpoint panel's polling (every endpoint
 * interval while seen, never while hidden), debounced weights, start's progress, the "try it"
 * box, and the charts' traces.
 */
import { nullTranslator } from '@jupyterlab/translation';

import { endpointPatch } from '../api/serving';
import { chartTraces, hasSteps, hasTraffic } from '../models/endpointCharts';
import { EndpointModel, WEIGHTS_DEBOUNCE_MS } from '../models/endpointModel';
import {
  deployProblems,
  deployRequest,
  emptyDeployForm
} from '../models/deployForm';
import { RegistryModel } from '../models/registryModel';
import {
  VersionModel,
  parseVersionText,
  validAlias,
  versionRefOf
} from '../models/versionModel';
import { parseSettings } from '../settings';
import { settingsHolder } from './debuggerFixtures';
import {
  FakeEndpointsAPI,
  FakeRegistryAPI,
  LIVE_REPLICA,
  lineage,
  modelVersion,
  registeredModel
} from './registryFixtures';

const trans = nullTranslator.load('jupyter-studio');

describe('RegistryModel', () => {
  it('lists the models, and a model’s versions newest first once expanded', async () => {
    const api = new FakeRegistryAPI();
    api.models = [registeredModel('churn', { aliases: { champion: 1 } })];
    api.versions.churn = [modelVersion('churn', 1), modelVersion('churn', 2)];
    const model = new RegistryModel({ api, settings: settingsHolder() });
    await model.refresh();
    expect(model.models.map(m => m.name)).toEqual(['churn']);
    expect(model.versions('churn')).toBeNull();
    expect(api.called('listVersions')).toHaveLength(0);

    await model.toggle('churn');
    expect(model.expanded.has('churn')).toBe(true);
    expect(model.versions('churn')!.map(v => v.version)).toEqual([2, 1]);

    // A refresh reads the expanded model's versions again (a new one shows).
    api.versions.churn.push(modelVersion('churn', 3));
    await model.refresh();
    expect(model.versions('churn')!.map(v => v.version)).toEqual([3, 2, 1]);

    await model.toggle('churn');
    expect(model.expanded.has('churn')).toBe(false);
    model.dispose();
  });

  it('lists the endpoints too, when it has their routes', async () => {
    const api = new FakeRegistryAPI();
    const endpoints = new FakeEndpointsAPI();
    const model = new RegistryModel({
      api,
      endpoints,
      settings: settingsHolder()
    });
    await model.refresh();
    expect(model.endpoints?.map(e => e.name)).toEqual(['churn']);
    const without = new RegistryModel({ api, settings: settingsHolder() });
    await without.refresh();
    expect(without.endpoints).toBeNull();
    model.dispose();
    without.dispose();
  });

  it('keeps the server’s message when the registry cannot be read', async () => {
    const api = new FakeRegistryAPI();
    api.listModels = async () => {
      throw new Error('403: not allowed');
    };
    const model = new RegistryModel({ api, settings: settingsHolder() });
    await expect(model.refresh()).rejects.toThrow('403');
    expect([model.loaded, model.error]).toEqual([true, '403: not allowed']);
    model.dispose();
  });
});

describe('VersionModel', () => {
  it('reads the version, its model and lineage; approves with the types to trust', async () => {
    const api = new FakeRegistryAPI();
    api.models = [registeredModel('churn')];
    api.versions.churn = [modelVersion('churn', 2)];
    api.lineageOf = lineage({ needs_approval: ['mylib.Scaler'] });
    const model = new VersionModel({ model: 'churn', version: 2 }, api);
    await model.refresh();
    expect(model.version?.status).toBe('PENDING');
    expect(model.lineage?.run?.metrics).toEqual({ accuracy: 0.93 });

    await model.approve(['mylib.Scaler'], 'looked at it');
    expect(api.called('approve')).toEqual([
      ['churn', 2, ['mylib.Scaler'], 'looked at it']
    ]);
    // Read again after the action: the page shows the approval.
    expect(model.version?.status).toBe('APPROVED');
    expect(model.busy).toBeNull();
  });

  it('sets an alias without its @, and checks an alias’s form', async () => {
    const api = new FakeRegistryAPI();
    api.models = [registeredModel('churn')];
    api.versions.churn = [modelVersion('churn', 2)];
    const model = new VersionModel({ model: 'churn', version: 2 }, api);
    await model.setAlias(' @champion ');
    expect(api.called('setAlias')).toEqual([['churn', 'champion', 2]]);
    expect(model.version?.aliases).toEqual(['champion']);
    expect(validAlias('@champion')).toBe(true);
    expect(validAlias('two words')).toBe(false);
    expect(validAlias('')).toBe(false);
  });

  it('throws an action’s refusal, with the server’s message', async () => {
    const api = new FakeRegistryAPI();
    api.approve = async () => {
      throw new Error('accuracy >= 0.9 fails: 0.7');
    };
    const model = new VersionModel({ model: 'churn', version: 9 }, api);
    await expect(model.approve([], '')).rejects.toThrow('0.7');
    expect(model.busy).toBeNull();
  });
});

describe('deploy form', () => {
  it('creates a new endpoint with the version as its one variant, and a token if given', () => {
    const form = emptyDeployForm('churn model', 3);
    expect(form.modelUri).toBe('models:/churn model/3');
    expect(form.variantName).toBe('churn-model-v3');
    expect(deployProblems(form, [], trans)).toEqual([]);
    expect(deployRequest({ ...form, capture: 0.25, token: 's3cret' })).toEqual({
      kind: 'create',
      body: {
        name: 'churn-model',
        variants: [
          {
            name: 'churn-model-v3',
            model_uri: 'models:/churn model/3',
            role: 'primary',
            weight: 1,
            sampling: 1
          }
        ],
        capture: 0.25,
        token: 's3cret',
        task: null,
        description: ''
      }
    });
    // No token: none sent (the endpoint then listens on loopback only).
    expect(deployRequest(form)).toHaveProperty('body.token', null);
  });

  it('adds the version to an existing endpoint as a variant with a weight, or a shadow with a sampling', () => {
    const form = emptyDeployForm('churn', 2, ['live']);
    expect(
      deployRequest({ ...form, mode: 'variant', weight: 0.5, variantName: 'B' })
    ).toEqual({
      kind: 'update',
      name: 'live',
      patch: endpointPatch({
        add: [
          {
            name: 'B',
            model_uri: 'models:/churn/2',
            role: 'primary',
            weight: 0.5,
            sampling: 1
          }
        ]
      })
    });
    expect(
      deployRequest({
        ...form,
        mode: 'shadow',
        sampling: 0.2,
        variantName: 'S'
      })
    ).toEqual({
      kind: 'update',
      name: 'live',
      patch: endpointPatch({
        add: [
          {
            name: 'S',
            model_uri: 'models:/churn/2',
            role: 'shadow',
            weight: 1,
            sampling: 0.2
          }
        ]
      })
    });
  });

  it('names each problem of the form', () => {
    const form = emptyDeployForm('churn', 2, ['churn']);
    expect(deployProblems(form, ['churn'], trans)).toEqual([
      'An endpoint named churn exists already.'
    ]);
    expect(
      deployProblems(
        { ...form, mode: 'shadow', sampling: 0, variantName: 'a b' },
        ['churn'],
        trans
      )
    ).toHaveLength(2);
    expect(
      deployProblems(
        { ...form, mode: 'variant', existing: 'gone' },
        ['churn'],
        trans
      )
    ).toEqual(['Choose the endpoint to add the version to.']);
  });

  it('reads a version from command args or a row’s attribute', () => {
    expect(versionRefOf({ model: 'churn', version: 3 })).toEqual({
      model: 'churn',
      version: 3
    });
    expect(versionRefOf({ model: 'churn', version: 0 })).toBeNull();
    expect(parseVersionText('models:/a/b/12')).toEqual({
      model: 'a/b',
      version: 12
    });
    expect(parseVersionText('churn@champion')).toBeNull();
  });
});

describe('EndpointModel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function create(api = new FakeEndpointsAPI(), interval = 2) {
    const registry = new FakeRegistryAPI();
    registry.versions.churn = [modelVersion('churn', 1)];
    const model = new EndpointModel({
      name: 'churn',
      api,
      registry,
      settings: settingsHolder({ endpointInterval: interval })
    });
    return { api, registry, model };
  }
  const reads = (api: FakeEndpointsAPI) => api.called('metrics').length;

  it('polls every endpoint interval while seen, never while hidden, once when seen again', async () => {
    const { api, model } = create();
    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    const first = reads(api);
    expect(first).toBeGreaterThanOrEqual(1);
    await jest.advanceTimersByTimeAsync(2_050);
    expect(reads(api)).toBe(first + 1);
    // The charts' window: the last five minutes, in epoch seconds.
    const since = (api.called('metrics')[0][1] as { since: number }).since;
    expect(Math.floor(Date.now() / 1000) - since).toBeGreaterThanOrEqual(299);

    model.setActive(false);
    const hidden = reads(api);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(reads(api)).toBe(hidden);
    model.setActive(true);
    await jest.advanceTimersByTimeAsync(10);
    expect(reads(api)).toBe(hidden + 1);
    model.dispose();
  });

  it('moves a weight at once and sends the drag as one PATCH once the slider rests', async () => {
    const { api, model } = create();
    await model.refresh();
    expect(model.shares()).toEqual({ A: 0.5, B: 0.5 });
    model.setWeight('B', 2);
    model.setWeight('B', 3);
    expect(model.weight('B')).toBe(3);
    expect(model.shares()).toEqual({ A: 0.25, B: 0.75 });
    await jest.advanceTimersByTimeAsync(WEIGHTS_DEBOUNCE_MS - 50);
    expect(api.called('update')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(100);
    expect(api.called('update')).toEqual([
      ['churn', endpointPatch({ weights: { B: 3 } })]
    ]);
    expect(model.weight('B')).toBe(3);
    model.dispose();
  });

  it('shows a refused weight change and goes back to the endpoint’s weights', async () => {
    const { api, model } = create();
    await model.refresh();
    api.update = async () => {
      throw new Error('weights must sum above 0');
    };
    model.setWeight('A', 0);
    model.setWeight('B', 0);
    await jest.advanceTimersByTimeAsync(WEIGHTS_DEBOUNCE_MS + 10);
    expect(model.weightsError).toBe('weights must sum above 0');
    expect(model.weight('A')).toBe(1);
    model.dispose();
  });

  it('says it is starting until the start returned and a replica is alive, then that it started', async () => {
    const { api, model } = create();
    await model.refresh();
    const ended: string[] = [];
    model.transitionEnded.connect((_, what) => ended.push(what));
    // The server answers the start once the replica answers /ping; meanwhile the replica has
    // registered (alive) but does not listen yet.
    let answer: () => void = () => undefined;
    api.start = async (name: string) => {
      api.calls.push({ method: 'start', args: [name] });
      await new Promise<void>(resolve => (answer = resolve));
      return api.current;
    };
    const starting = model.start();
    expect(model.transition).toBe('starting');
    api.current = { ...api.current, replicas: [LIVE_REPLICA] };
    await model.refresh();
    expect([model.running, model.transition]).toEqual([true, 'starting']);
    expect(ended).toEqual([]);
    answer();
    await starting;
    expect(api.called('start')).toEqual([['churn']]);
    expect([model.running, model.transition]).toEqual([true, null]);
    expect(ended).toEqual(['started']);
    await model.stop();
    expect([model.running, model.transition]).toEqual([false, null]);
    expect(ended).toEqual(['started', 'stopped']);
    model.dispose();
  });

  it('ends a start that failed, and throws its message', async () => {
    const { api, model } = create();
    await model.refresh();
    api.start = async () => {
      throw new Error('the server exited before it was ready');
    };
    await expect(model.start()).rejects.toThrow('exited');
    expect(model.transition).toBeNull();
    model.dispose();
  });

  it('fills "try it" with the first variant’s input example and sends the variant asked for', async () => {
    const { api, model } = create();
    await model.refresh();
    expect(JSON.parse(model.body)).toEqual({
      dataframe_split: { columns: ['age', 'plan'], data: [[41, 'pro']] }
    });
    model.body = '{"inputs": [[1, "a"]]}';
    await model.refresh();
    expect(model.body).toBe('{"inputs": [[1, "a"]]}');
    model.target = 'B';
    const answer = await model.invoke();
    expect(api.called('invoke')).toEqual([
      ['churn', '{"inputs": [[1, "a"]]}', { targetVariant: 'B' }]
    ]);
    expect([answer.variant, answer.requestId]).toEqual(['B', 'req-1']);
    model.dispose();
  });
});

describe('endpoint charts', () => {
  const data = new FakeEndpointsAPI().metricsOf;

  it('draws a line per variant, a shadow’s dotted, and three percentiles per variant', () => {
    const rps = chartTraces(data, 'rps', i => `c${i}`) as {
      name: string;
      y: number[];
      line: { dash: string; color: string };
    }[];
    expect(rps.map(t => [t.name, t.y, t.line.dash, t.line.color])).toEqual([
      ['A', [2, 3], 'solid', 'c0'],
      ['S (shadow)', [1, 1], 'dot', 'c1']
    ]);
    const latency = chartTraces(data, 'latency', i => `c${i}`) as {
      name: string;
      y: (number | null)[];
    }[];
    expect(latency.map(t => t.name)).toEqual([
      'A p50',
      'A p95',
      'A p99',
      'S (shadow) p50',
      'S (shadow) p95',
      'S (shadow) p99'
    ]);
    expect(latency[2].y).toEqual([12, null]);
    const errors = chartTraces(data, 'errors', i => `c${i}`) as {
      y: number[];
    }[];
    expect(errors[0].y).toEqual([0, 1]);
  });

  it('says whether any request was seen, and whether there is a step to draw', () => {
    expect(hasTraffic(data)).toBe(true);
    expect(hasTraffic(null)).toBe(false);
    const quiet = {
      ...data,
      variants: { A: { ...data.variants.A, requests: [0, 0] } }
    };
    expect(hasTraffic(quiet)).toBe(false);
    // A quiet window still has its steps (flat lines); a never-served endpoint has none.
    expect(hasSteps(quiet)).toBe(true);
    expect(hasSteps({ ...data, variants: {} })).toBe(false);
  });
});

describe('settings', () => {
  it('reads the endpoint interval, within bounds', () => {
    expect(parseSettings({ endpointInterval: 5 }).endpointInterval).toBe(5);
    expect(parseSettings({ endpointInterval: 0 }).endpointInterval).toBe(1);
    expect(parseSettings({}).endpointInterval).toBe(2);
  });
});
