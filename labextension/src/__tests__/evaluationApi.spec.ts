/**
 * @jest-environment node
 */
// Node's fetch, Request and Response: jsdom has none.
import { ServerConnection } from '@jupyterlab/services';

import { DATASETS_TAG, EvaluationAPI, runDatasets } from '../api/evaluation';
import { StudioRequestError } from '../handler';
import { cvEvaluation } from './evaluationFixtures';

const BASE = 'http://localhost:8888/lab-base/';

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

/** A client whose requests go through the real `ServerConnection`, the network replaced. */
function serve(answer: () => Response): {
  api: EvaluationAPI;
  urls: string[];
} {
  const urls: string[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    urls.push(`${request.method} ${new URL(request.url).pathname}`);
    return answer();
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    token: 'secret-token',
    fetch: fetch as typeof globalThis.fetch
  });
  return { api: new EvaluationAPI(settings), urls };
}

describe('EvaluationAPI', () => {
  it('asks for a run’s evaluations by its id', async () => {
    const evaluation = cvEvaluation();
    const { api, urls } = serve(() =>
      json({ run_id: 'a/b', evaluations: [evaluation] })
    );
    const answer = await api.getEvaluations('a/b');
    expect(urls).toEqual(['GET /lab-base/studio/api/evaluations/a%2Fb']);
    expect(answer.evaluations[0].metrics.accuracy).toBe(0.95);
    expect(answer.evaluations[0].figures.roc.data).toHaveLength(2);
  });

  it('throws the server’s message for an unknown run', async () => {
    const { api } = serve(() =>
      json({ message: 'No run with id "nope".', reason: 'Not Found' }, 404)
    );
    const failure = api.getEvaluations('nope');
    await expect(failure).rejects.toBeInstanceOf(StudioRequestError);
    await expect(failure).rejects.toThrow('No run with id "nope".');
  });
});

describe('runDatasets', () => {
  it('reads the studio.datasets tag', () => {
    const tag = JSON.stringify([
      {
        name: 'X_train',
        digest: '0123456789abcdef',
        context: 'train',
        rows: 455,
        columns: 30
      },
      { name: 'X_test', digest: 'fedcba9876543210', context: 'eval', rows: 114 }
    ]);
    expect(runDatasets({ [DATASETS_TAG]: tag, other: 'x' })).toEqual([
      {
        name: 'X_train',
        digest: '0123456789abcdef',
        context: 'train',
        rows: 455,
        columns: 30
      },
      {
        name: 'X_test',
        digest: 'fedcba9876543210',
        context: 'eval',
        rows: 114,
        columns: null
      }
    ]);
  });

  it('lists nothing for a run without the tag, or with one not in its format', () => {
    expect(runDatasets({})).toEqual([]);
    expect(runDatasets({ [DATASETS_TAG]: 'not json' })).toEqual([]);
    expect(runDatasets({ [DATASETS_TAG]: '{"name": "x"}' })).toEqual([]);
    expect(runDatasets({ [DATASETS_TAG]: '[1, null, "x"]' })).toEqual([]);
  });
});
