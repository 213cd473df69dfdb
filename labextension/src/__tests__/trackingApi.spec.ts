/**
 * @jest-environment node
 */
// Node's fetch, Request and Response: jsdom has none, and openapi-fetch builds Requests.
import { ServerConnection } from '@jupyterlab/services';

import { TrackingAPI } from '../api/tracking';
import { StudioRequestError } from '../handler';

const BASE = 'http://localhost:8888/lab-base/';

interface ISent {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Headers;
}

/**
 * A TrackingAPI whose requests go through the real `ServerConnection.makeRequest`, with only
 * the network under it replaced: each request is answered by the next of `answers`.
 */
function serve(answers: Response[]): { api: TrackingAPI; sent: ISent[] } {
  const sent: ISent[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = await request.text();
    sent.push({
      method: request.method,
      path: url.pathname.slice(new URL(BASE).pathname.length - 1),
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
      headers: request.headers
    });
    const answer = answers[sent.length - 1];
    if (!answer) {
      throw new TypeError('Failed to fetch');
    }
    return answer;
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    token: 'secret-token',
    fetch: fetch as typeof globalThis.fetch
  });
  return { api: new TrackingAPI(settings), sent };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

function experiment(id: number): Record<string, unknown> {
  return {
    id,
    name: `exp-${id}`,
    description: '',
    tags: {},
    archived: false,
    created_at: 0,
    updated_at: 0,
    run_count: 0,
    last_run_at: null
  };
}

const RUN = { id: 'r1', name: 'run', metrics: {}, params: {}, tags: {} };

describe('TrackingAPI requests', () => {
  it('keep Jupyter token authentication', async () => {
    const { api, sent } = serve([json(RUN)]);
    await api.getRun('r1');
    expect(sent[0].headers.get('Authorization')).toBe('token secret-token');
  });

  it("keep Jupyter's XSRF header, from the page's _xsrf cookie", async () => {
    const { api, sent } = serve([new Response(null, { status: 204 })]);
    const global = globalThis as { document?: unknown };
    global.document = { cookie: 'other=1; _xsrf=xsrf-value' };
    try {
      await api.deleteRun('r1');
    } finally {
      delete global.document;
    }
    expect(sent[0].headers.get('X-XSRFToken')).toBe('xsrf-value');
  });

  it('follow the pages of the experiment list', async () => {
    const { api, sent } = serve([
      json({
        experiments: [experiment(1), experiment(2)],
        next_page_token: 'second'
      }),
      json({ experiments: [experiment(3)], next_page_token: null })
    ]);

    const found = await api.listExperiments({ includeArchived: true });

    expect(found.map(e => e.id)).toEqual([1, 2, 3]);
    expect(sent.map(s => [s.method, s.path])).toEqual([
      ['GET', '/studio/api/experiments'],
      ['GET', '/studio/api/experiments']
    ]);
    expect(sent[0].query.get('include_archived')).toBe('true');
    expect(sent[0].query.has('page_token')).toBe(false);
    expect(sent[1].query.get('page_token')).toBe('second');
  });

  it('send the search as a JSON body', async () => {
    const { api, sent } = serve([
      json({ runs: [], next_page_token: null, total: 0 })
    ]);

    await api.searchRuns({
      experimentIds: [7],
      filter: 'metrics.accuracy > 0.9',
      orderBy: ['metrics.accuracy DESC'],
      maxResults: 50,
      includeTotal: true
    });

    expect(sent[0].method).toBe('POST');
    expect(sent[0].path).toBe('/studio/api/runs/search');
    expect(sent[0].body).toEqual({
      experiment_ids: [7],
      filter: 'metrics.accuracy > 0.9',
      order_by: ['metrics.accuracy DESC'],
      max_results: 50,
      page_token: null,
      offset: null,
      parent_run_id: null,
      tree: false,
      include_total: true
    });
  });

  it('put ids in the path, and patch only the given fields', async () => {
    const { api, sent } = serve([json(RUN), json(experiment(4))]);

    await api.updateRun('r/1', { name: 'renamed' });
    await api.updateExperiment(4, { archived: true });

    expect(sent[0].method).toBe('PATCH');
    expect(sent[0].path).toBe('/studio/api/runs/r%2F1');
    expect(sent[0].body).toEqual({
      name: 'renamed',
      status: null,
      end_time: null
    });
    expect(sent[1].path).toBe('/studio/api/experiments/4');
    expect(sent[1].body).toEqual({
      name: null,
      description: null,
      tags: null,
      archived: true
    });
  });

  it('delete runs and experiments, resolving on 204', async () => {
    const { api, sent } = serve([
      new Response(null, { status: 204 }),
      new Response(null, { status: 204 })
    ]);

    await expect(api.deleteRun('abc')).resolves.toBeUndefined();
    await expect(api.deleteExperiment(3)).resolves.toBeUndefined();

    expect(sent.map(s => [s.method, s.path])).toEqual([
      ['DELETE', '/studio/api/runs/abc'],
      ['DELETE', '/studio/api/experiments/3']
    ]);
  });

  it('join the pages of a full metric history', async () => {
    const page = (steps: number[], token: string | null) => ({
      key: 'train/loss',
      steps,
      timestamps: steps.map(step => 1000 + step),
      values: steps.map(step => step / 10),
      total: 3,
      downsampled: false,
      next_page_token: token
    });
    const { api, sent } = serve([
      json(page([0, 1], 'next')),
      json(page([2], null))
    ]);

    const history = await api.getMetricHistory('r1', 'train/loss');

    expect(history.steps).toEqual([0, 1, 2]);
    expect(history.values).toEqual([0, 0.1, 0.2]);
    expect(history.next_page_token).toBeNull();
    expect(sent[0].path).toBe('/studio/api/runs/r1/metrics/history');
    expect(sent[0].query.get('key')).toBe('train/loss');
    expect(sent[0].query.has('max_points')).toBe(false);
    expect(sent[1].query.get('page_token')).toBe('next');
  });

  it('ask for a downsampled history with max_points', async () => {
    const { api, sent } = serve([
      json({
        key: 'loss',
        steps: [0],
        timestamps: [0],
        values: [1],
        total: 1,
        downsampled: false,
        next_page_token: null
      })
    ]);
    await api.getMetricHistory('r1', 'loss', 500);
    expect(sent[0].query.get('max_points')).toBe('500');
  });

  it('read artifacts as a listing and as text', async () => {
    const { api, sent } = serve([
      json({ path: 'model', artifacts: [] }),
      new Response('hello', {
        status: 200,
        headers: { 'Content-Type': 'application/octet-stream' }
      })
    ]);

    await api.listArtifacts('r1', 'model');
    const text = await api.artifactText('r1', 'notes/read me.txt');

    expect(text).toBe('hello');
    expect(sent[0].path).toBe('/studio/api/runs/r1/artifacts');
    expect(sent[0].query.get('path')).toBe('model');
    expect(sent[1].path).toBe('/studio/api/runs/r1/artifacts/content');
    expect(sent[1].query.get('path')).toBe('notes/read me.txt');
  });

  it('give the download address of an artifact', () => {
    const { api } = serve([]);
    expect(api.artifactUrl('r1', 'plots/roc curve.png')).toBe(
      `${BASE}studio/api/runs/r1/artifacts/content?path=plots%2Froc%20curve.png`
    );
  });
});

describe('TrackingAPI errors', () => {
  it("carry the server's message and reason for a 4xx", async () => {
    const { api } = serve([
      json({ message: 'No run with id nope', reason: 'not_found' }, 404)
    ]);

    const error = await api.getRun('nope').catch(e => e);

    expect(error).toBeInstanceOf(StudioRequestError);
    expect(error.status).toBe(404);
    expect(error.message).toBe('No run with id nope');
    expect(error.reason).toBe('not_found');
  });

  it("carry the server's message for a 5xx", async () => {
    const { api } = serve([
      json({ message: 'database is locked', reason: null }, 503)
    ]);
    await expect(api.searchRuns()).rejects.toMatchObject({
      name: 'StudioRequestError',
      status: 503,
      message: 'database is locked'
    });
  });

  it('fall back on the status line for an answer that is not JSON', async () => {
    const { api } = serve([
      new Response('<html>Bad Gateway</html>', {
        status: 502,
        statusText: 'Bad Gateway',
        headers: { 'Content-Type': 'text/html' }
      })
    ]);
    await expect(api.listExperiments()).rejects.toMatchObject({
      name: 'StudioRequestError',
      status: 502,
      message: '502 Bad Gateway',
      reason: null
    });
  });

  it('say that the server cannot be reached when the network fails', async () => {
    const { api } = serve([]);
    await expect(api.deleteRun('r1')).rejects.toMatchObject({
      name: 'StudioRequestError',
      status: 0,
      message: expect.stringContaining('cannot be reached')
    });
  });
});
