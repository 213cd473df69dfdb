/**
 * @jest-environment node
 */
// Node's fetch, Request and Response: jsdom has none, and openapi-fetch builds Requests.
import { ServerConnection } from '@jupyterlab/services';

import { DebuggerAPI } from '../api/debugger';
import { StudioRequestError } from '../handler';
import { finding } from './debuggerFixtures';

const BASE = 'http://localhost:8888/lab-base/';

interface ISent {
  path: string;
  query: URLSearchParams;
}

/** A DebuggerAPI over the real ServerConnection, each request answered by the next answer. */
function serve(answers: Response[]): { api: DebuggerAPI; sent: ISent[] } {
  const sent: ISent[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    sent.push({
      path: url.pathname.slice(new URL(BASE).pathname.length - 1),
      query: url.searchParams
    });
    return answers[sent.length - 1];
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    token: 't',
    fetch: fetch as typeof globalThis.fetch
  });
  return { api: new DebuggerAPI(settings), sent };
}

/** The query sent, without the cache-busting parameter ServerConnection adds to a GET. */
function params(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries([...query].filter(([key]) => !/^\d+$/.test(key)));
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

describe('DebuggerAPI', () => {
  it('asks for one statistic of one tensor, in a step range, at a resolution', async () => {
    const series = {
      tensor: 'gradients/fc1.weight',
      mode: 'train',
      stat: 'l2',
      steps: [10, 20],
      timestamps: [1, 2],
      values: [1, 'NaN'],
      total: 2,
      downsampled: false
    };
    const { api, sent } = serve([json({ series: [series] })]);
    const answer = await api.getTensorStats('r1', {
      tensor: 'gradients/fc1.weight',
      stat: 'l2',
      mode: 'train',
      maxPoints: 400,
      minStep: 10,
      maxStep: 20
    });
    expect(answer).toEqual([series]);
    expect(sent[0].path).toBe('/studio/api/runs/r1/debugger/stats');
    expect(params(sent[0].query)).toEqual({
      tensor: 'gradients/fc1.weight',
      stat: 'l2',
      mode: 'train',
      max_points: '400',
      min_step: '10',
      max_step: '20'
    });
  });

  it('refuses a mode the server does not know before asking', async () => {
    const { api, sent } = serve([]);
    await expect(
      api.getHistograms('r1', { tensor: 'x', mode: 'testing' })
    ).rejects.toThrow('Unknown mode "testing".');
    expect(sent).toEqual([]);
  });

  it('reads every page of a run’s findings', async () => {
    const first = Array.from({ length: 10000 }, (_, i) => finding(i + 1));
    const { api, sent } = serve([
      json({ findings: first }),
      json({ findings: [finding(10001)] })
    ]);
    const found = await api.getFindings('r1');
    expect(found).toHaveLength(10001);
    expect(sent.map(s => s.query.get('after_id'))).toEqual([null, '10000']);
    expect(sent[0].path).toBe('/studio/api/runs/r1/debugger/findings');
  });

  it('polls the alerts after the last finding seen', async () => {
    const { api, sent } = serve([
      json({ alerts: [], last_id: 12 }),
      json({ rules: [] }, 200)
    ]);
    expect(await api.getAlerts(12, 20)).toEqual({ alerts: [], last_id: 12 });
    expect(sent[0].path).toBe('/studio/api/debugger/alerts');
    expect(params(sent[0].query)).toEqual({
      after_id: '12',
      max_results: '20'
    });
    expect(await api.getRules('r1')).toEqual([]);
    expect(sent[1].path).toBe('/studio/api/runs/r1/debugger/rules');
  });

  it('says what the server answered when a run is missing', async () => {
    const { api } = serve([json({ message: 'No run r9.' }, 404)]);
    const error = await api.listTensors('r9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioRequestError);
    expect((error as StudioRequestError).message).toBe('No run r9.');
  });
});
