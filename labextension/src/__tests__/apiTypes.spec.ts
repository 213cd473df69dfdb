/**
 * Type-level checks, made by ts-jest's compiler: each `@ts-expect-error` below must meet an
 * error, or the compile (and so this spec) fails. They prove that a path, query parameter or
 * body field the generated `paths` do not have breaks the build, so renaming a field of a wire
 * model on the server breaks `tsc` until the client follows.
 */
import { TrackingAPI } from '../api/tracking';
import { createStudioClient, StudioClient } from '../handler';

/** Never called: only compiled. */
function misspelledRequests(client: StudioClient, api: TrackingAPI): unknown[] {
  return [
    client.POST('/studio/api/runs/search', {
      body: {
        // @ts-expect-error RunSearchIn has `experiment_ids`, not `experiment_id`
        experiment_id: [1],
        filter: null,
        include_total: false,
        max_results: 10,
        page_token: null,
        parent_run_id: null
      }
    }),
    client.GET('/studio/api/experiments', {
      // @ts-expect-error listExperiments has `include_archived`
      params: { query: { includeArchived: true } }
    }),
    // @ts-expect-error there is no such route
    client.GET('/studio/api/run/{run_id}', {
      params: { path: { run_id: 'r1' } }
    }),
    client.GET('/studio/api/runs/{run_id}', {
      // @ts-expect-error the path parameter is `run_id`
      params: { path: { id: 'r1' } }
    }),
    client.PATCH('/studio/api/experiments/{experiment_id}', {
      // @ts-expect-error experiment ids are numbers
      params: { path: { experiment_id: 'one' } },
      body: { name: 'x', description: null, tags: null, archived: null }
    }),
    // @ts-expect-error RunUpdateIn has `name`, not `title`
    api.updateRun('r1', { title: 'renamed' }),
    // @ts-expect-error ExperimentUpdateIn's `archived` is a boolean
    api.updateExperiment(1, { archived: 'yes' })
  ];
}

/** Also only compiled: what the server answers is typed too. */
async function misreadAnswers(api: TrackingAPI): Promise<unknown[]> {
  const run = await api.getRun('r1');
  const page = await api.searchRuns();
  return [
    // @ts-expect-error RunOut has `start_time`, not `started_at`
    run.started_at,
    // @ts-expect-error RunListOut has `next_page_token`
    page.nextPageToken
  ];
}

describe('the generated API types', () => {
  it('compile the checks above (each expected error is met)', () => {
    expect(createStudioClient).toBeInstanceOf(Function);
    expect(misspelledRequests).toBeInstanceOf(Function);
    expect(misreadAnswers).toBeInstanceOf(Function);
  });
});
