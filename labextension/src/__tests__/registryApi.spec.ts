/**
 * @jest-environment node
 */
// Node's fetch, Request and Response: jsdom has none.
import { ServerConnection } from '@jupyterlab/services';

import { RegistryAPI } from '../api/registry';
import { EndpointsAPI, endpointPatch } from '../api/serving';
import { StudioRequestError } from '../handler';

const BASE = 'http://localhost:8888/lab-base/';

interface ISent {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  headers: Headers;
}

/** Clients whose requests go through the real `ServerConnection`, the network replaced. */
function serve(answers: Response[]) {
  const sent: ISent[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    sent.push({
      method: request.method,
      path: url.pathname.slice(new URL(BASE).pathname.length - 1),
      query: url.searchParams,
      body: await request.text(),
      headers: request.headers
    });
    return answers[sent.length - 1];
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    token: 'secret-token',
    fetch: fetch as typeof globalThis.fetch
  });
  return {
    registry: new RegistryAPI(settings),
    endpoints: new EndpointsAPI(settings),
    sent
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

describe('RegistryAPI', () => {
  it('calls each route with the name escaped, the body as JSON and Jupyter’s token', async () => {
    const { registry, sent } = serve([
      json({ models: [{ name: 'a b' }] }),
      json({ name: 'a b', version: 3, status: 'APPROVED' }),
      new Response(null, { status: 204 })
    ]);
    expect(await registry.listModels('name LIKE "a%"')).toEqual([
      { name: 'a b' }
    ]);
    await registry.approve('a b', 3, ['mylib.Scaler'], 'ok');
    await registry.setAlias('a b', 'champion', 3);
    expect(sent.map(s => [s.method, s.path])).toEqual([
      ['GET', '/studio/api/models'],
      ['POST', '/studio/api/models/a%20b/versions/3/approve'],
      ['PUT', '/studio/api/models/a%20b/aliases/champion']
    ]);
    expect(sent[0].query.get('filter')).toBe('name LIKE "a%"');
    expect(JSON.parse(sent[1].body)).toEqual({
      approve_types: ['mylib.Scaler'],
      comment: 'ok'
    });
    expect(JSON.parse(sent[2].body)).toEqual({ version: 3 });
    expect(sent[1].headers.get('Authorization')).toBe('token secret-token');
  });

  it('queues a batch transform with the route’s defaults for what is left out', async () => {
    const { registry, sent } = serve([json({ id: 7, name: 'score' }, 201)]);
    const run = await registry.batchTransform('churn', 2, {
      input_path: 'data/new.csv'
    });
    expect(run.id).toBe(7);
    expect(sent[0].path).toBe(
      '/studio/api/models/churn/versions/2/batch-transform'
    );
    expect(JSON.parse(sent[0].body)).toEqual({
      input_path: 'data/new.csv',
      output_path: null,
      chunk_rows: 50000,
      experiment: 'batch-transform'
    });
  });

  it('throws the server’s message and status', async () => {
    const { registry } = serve([
      json({ message: 'accuracy >= 0.9 fails: 0.71', reason: 'Conflict' }, 409)
    ]);
    const failure = registry.approve('churn', 1, [], '');
    await expect(failure).rejects.toBeInstanceOf(StudioRequestError);
    await expect(failure).rejects.toMatchObject({
      status: 409,
      message: 'accuracy >= 0.9 fails: 0.71'
    });
  });
});

describe('EndpointsAPI', () => {
  it('invokes through the Jupyter server with the body as typed and the target variant', async () => {
    const { endpoints, sent } = serve([
      new Response('{"predictions": [1]}', {
        status: 200,
        headers: { 'X-Variant': 'B', 'X-Request-Id': 'r-1' }
      })
    ]);
    const answer = await endpoints.invoke('churn', 'a,b\n1,2\n', {
      contentType: 'text/csv',
      targetVariant: 'B'
    });
    expect(answer).toEqual({
      status: 200,
      body: '{"predictions": [1]}',
      variant: 'B',
      requestId: 'r-1'
    });
    expect(sent[0].path).toBe('/studio/api/endpoints/churn/invocations');
    expect(sent[0].body).toBe('a,b\n1,2\n');
    expect(sent[0].headers.get('Content-Type')).toBe('text/csv');
    expect(sent[0].headers.get('X-Target-Variant')).toBe('B');
  });

  it('hands a refused invocation back as it came, not as an exception', async () => {
    const { endpoints } = serve([
      json({ error_code: 'BAD_REQUEST', message: 'missing column age' }, 422)
    ]);
    const answer = await endpoints.invoke('churn', '{}');
    expect(answer.status).toBe(422);
    expect(answer.body).toContain('missing column age');
  });

  it('asks for the metrics since a time and patches weights', async () => {
    const { endpoints, sent } = serve([
      json({ step: 5, variants: {}, totals: {} }),
      json({ name: 'churn' })
    ]);
    await endpoints.metrics('churn', { since: 1_700_000_000 });
    await endpoints.update('churn', endpointPatch({ weights: { A: 1, B: 3 } }));
    expect(sent[0].query.get('since')).toBe('1700000000');
    expect(sent[0].query.has('step')).toBe(false);
    expect([sent[1].method, JSON.parse(sent[1].body)]).toEqual([
      'PATCH',
      {
        weights: { A: 1, B: 3 },
        add: null,
        remove: null,
        capture: null,
        description: null
      }
    ]);
  });
});
