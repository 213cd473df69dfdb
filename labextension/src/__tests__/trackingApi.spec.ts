import { ServerConnection } from '@jupyterlab/services';

import { TrackingAPI } from '../api/tracking';

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

/** Answer each request with the next of `pages`; returns the URLs requested. */
function serve(pages: unknown[]): string[] {
  const urls: string[] = [];
  jest.spyOn(ServerConnection, 'makeRequest').mockImplementation(async url => {
    urls.push(url);
    const answer = pages[urls.length - 1];
    // What send() reads of a fetch Response (jsdom has no fetch).
    return {
      status: 200,
      ok: true,
      text: async () => JSON.stringify(answer)
    } as any;
  });
  jest
    .spyOn(ServerConnection, 'makeSettings')
    .mockReturnValue({ baseUrl: 'http://localhost:8888/' } as any);
  return urls;
}

describe('TrackingAPI.listExperiments', () => {
  afterEach(() => jest.restoreAllMocks());

  it('follows the pages the server answers in', async () => {
    const urls = serve([
      {
        experiments: [experiment(1), experiment(2)],
        next_page_token: 'second'
      },
      { experiments: [experiment(3)], next_page_token: null }
    ]);

    const found = await new TrackingAPI().listExperiments();

    expect(found.map(e => e.id)).toEqual([1, 2, 3]);
    expect(urls).toHaveLength(2);
    expect(urls[0]).not.toContain('page_token');
    expect(urls[1]).toContain('page_token=second');
  });
});

describe('TrackingAPI.getMetricHistory', () => {
  afterEach(() => jest.restoreAllMocks());

  it('joins the pages of a full history', async () => {
    const page = (steps: number[], token: string | null) => ({
      key: 'loss',
      steps,
      timestamps: steps.map(step => 1000 + step),
      values: steps.map(step => step / 10),
      total: 3,
      downsampled: false,
      next_page_token: token
    });
    const urls = serve([page([0, 1], 'next'), page([2], null)]);

    const history = await new TrackingAPI().getMetricHistory('r1', 'loss');

    expect(history.steps).toEqual([0, 1, 2]);
    expect(history.values).toEqual([0, 0.1, 0.2]);
    expect(history.next_page_token).toBeNull();
    expect(urls[1]).toContain('page_token=next');
  });
});
