/**
 * @jest-environment node
 */
// Node's fetch, Request and Response: jsdom has none.
import { ServerConnection } from '@jupyterlab/services';

import { AutoMLAPI, automlTemplatePath } from '../api/automl';
import { TrainingAPI, trainTemplatePath } from '../api/training';
import { StudioRequestError } from '../handler';

const BASE = 'http://localhost:8888/lab-base/';

interface ISent {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

function serve(answers: Response[]) {
  const sent: ISent[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    sent.push({
      method: request.method,
      path: url.pathname.slice(new URL(BASE).pathname.length - 1),
      query: url.searchParams,
      body: await request.text()
    });
    return answers[sent.length - 1];
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    token: 'secret-token',
    fetch: fetch as typeof globalThis.fetch
  });
  return {
    training: new TrainingAPI(settings),
    automl: new AutoMLAPI(settings),
    sent
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

describe('TrainingAPI', () => {
  it('reads the catalogue for a task, inspects a file with its target, and trains', async () => {
    const { training, sent } = serve([
      json({ algorithms: [{ name: 'ridge' }] }),
      json({ path: 'd.csv', target: 'y' }),
      json({ id: 4, status: 'QUEUED' }, 201)
    ]);
    expect(await training.listAlgorithms('regression')).toEqual([
      { name: 'ridge' }
    ]);
    await training.inspectDataset('d.csv', 'y');
    const body = {
      path: 'd.csv',
      target: 'y',
      algorithm: 'ridge',
      task: null,
      hyperparameters: { alpha: 2 },
      validation: { kind: 'cv' as const, holdout: 0.2, folds: 3 },
      experiment: 'training',
      register_as: null,
      seed: 0
    };
    expect((await training.train(body)).id).toBe(4);
    expect(sent.map(s => [s.method, s.path])).toEqual([
      ['GET', '/studio/api/algorithms'],
      ['POST', '/studio/api/datasets/inspect'],
      ['POST', '/studio/api/training']
    ]);
    expect(sent[0].query.get('task')).toBe('regression');
    expect(JSON.parse(sent[1].body)).toEqual({ path: 'd.csv', target: 'y' });
    expect(JSON.parse(sent[2].body)).toEqual(body);
  });

  it('throws the server’s message for a file it cannot read', async () => {
    const { training } = serve([
      json({ message: 'No such file: gone.csv', reason: 'NotFound' }, 404)
    ]);
    const failure = training.inspectDataset('gone.csv');
    await expect(failure).rejects.toBeInstanceOf(StudioRequestError);
    await expect(failure).rejects.toThrow('No such file: gone.csv');
  });
});

describe('AutoMLAPI', () => {
  it('starts a search, lists them by experiment, and reads one by its run id', async () => {
    const { automl, sent } = serve([
      json({ id: 9, status: 'QUEUED' }, 201),
      json({ automls: [{ run_id: 'abc' }] }),
      json({ run_id: 'a/b', leaderboard: [] })
    ]);
    const body = {
      path: 'd.csv',
      target: 'y',
      task: null,
      metric: 'f1_macro',
      time_budget: 30,
      experiment: null,
      register_as: null,
      seed: 0
    };
    expect((await automl.start(body)).id).toBe(9);
    expect(await automl.list({ experimentId: 3, maxResults: 10 })).toEqual([
      { run_id: 'abc' }
    ]);
    await automl.get('a/b');
    expect(sent.map(s => [s.method, s.path])).toEqual([
      ['POST', '/studio/api/automl'],
      ['GET', '/studio/api/automl'],
      ['GET', '/studio/api/automl/a%2Fb']
    ]);
    expect(JSON.parse(sent[0].body)).toEqual(body);
    expect(sent[1].query.get('experiment_id')).toBe('3');
    expect(sent[1].query.get('max_results')).toBe('10');
  });
});

describe('the template notebooks beside the data', () => {
  it('are named after the data file, in its folder', () => {
    expect(trainTemplatePath('data/fish.csv', 'ridge')).toBe(
      'data/fish.train-ridge.ipynb'
    );
    expect(trainTemplatePath('fish.v2.parquet', 'knn')).toBe(
      'fish.v2.train-knn.ipynb'
    );
    expect(automlTemplatePath('a/b/fish.CSV')).toBe('a/b/fish.automl.ipynb');
  });
});
