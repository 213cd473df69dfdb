/**
 * Endpoints' wire models and every call the endpoint UI makes (the deploy dialog, the
 * endpoint panel: weights, charts, online evaluation, "try it", start and stop): the only
 * place that calls the endpoints routes. Invocations go through the Jupyter server's proxy,
 * so they work where the serving port cannot be reached from the browser (JupyterHub, Binder).
 */
import { ServerConnection } from '@jupyterlab/services';

import {
  createStudioClient,
  requestRaw,
  routeUrl,
  segment,
  StudioClient,
  unwrap
} from '../handler';
import type { EndpointEvent } from './registry';
import type { components, paths } from './schema';

type Schemas = components['schemas'];

/** An endpoint: its variants (primaries answer by weight, shadows get a copy), replicas. */
export type Endpoint = Schemas['EndpointOut'];
/** A model version behind an endpoint. */
export type Variant = Endpoint['variants'][number];
export type VariantRole = Variant['role'];
/** A `studio serve` process of an endpoint; `alive` while it beats. */
export type Replica = Endpoint['replicas'][number];
export type EndpointTask = NonNullable<Endpoint['task']>;
export type VariantIn = Schemas['EndpointVariantIn'];
export type EndpointIn = Schemas['EndpointIn'];
export type EndpointPatch = Schemas['EndpointPatch'];
/** Per variant: series over time (one value per step) and totals. */
export type EndpointMetrics = Schemas['EndpointMetricsOut'];
export type VariantSeries = Schemas['EndpointVariantSeriesOut'];
/** Per-variant online metric, and each challenger against the control. */
export type OnlineEvaluation = Schemas['EndpointEvaluationOut'];
export type Comparison = Schemas['EndpointComparisonOut'];
export type Capture = Schemas['EndpointCaptureOut'];
export type FeedbackItem = Schemas['EndpointFeedbackItemIn'];

/** A change of an endpoint: only what is given changes. */
export function endpointPatch(change: Partial<EndpointPatch>): EndpointPatch {
  return {
    weights: null,
    add: null,
    remove: null,
    capture: null,
    description: null,
    ...change
  };
}

/** An invocation's answer as the endpoint gave it (the "try it" box shows all of it). */
export interface IInvocationAnswer {
  status: number;
  body: string;
  variant: string | null;
  requestId: string | null;
}

/** Every call of the endpoint UI, one method per route. */
export interface IEndpointsAPI {
  list(): Promise<Endpoint[]>;
  get(name: string): Promise<Endpoint>;
  create(body: EndpointIn): Promise<Endpoint>;
  update(name: string, patch: EndpointPatch): Promise<Endpoint>;
  delete(name: string): Promise<void>;
  /** Spawn a `studio serve` replica; answers once it answers /ping. */
  start(
    name: string,
    options?: { port?: number; workers?: number }
  ): Promise<Endpoint>;
  stop(name: string): Promise<Endpoint>;
  invoke(
    name: string,
    body: string,
    options?: { contentType?: string; targetVariant?: string }
  ): Promise<IInvocationAnswer>;
  feedback(
    name: string,
    feedback: FeedbackItem[]
  ): Promise<{ scored: number; pending: number }>;
  metrics(
    name: string,
    options?: { since?: number; step?: number }
  ): Promise<EndpointMetrics>;
  evaluation(name: string): Promise<OnlineEvaluation>;
  events(name: string): Promise<EndpointEvent[]>;
  captures(name: string, limit?: number): Promise<Capture[]>;
}

/** Invocations carry the caller's body and answer as they are: no JSON envelope. */
const INVOCATIONS: keyof paths = '/studio/api/endpoints/{name}/invocations';

/** The typed client of the endpoints routes (openapi-fetch over the generated `paths`). */
export class EndpointsAPI implements IEndpointsAPI {
  constructor(
    private readonly _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._client = createStudioClient(_settings);
  }

  async list(): Promise<Endpoint[]> {
    const answer = await unwrap(this._client.GET('/studio/api/endpoints', {}));
    return answer.endpoints;
  }

  get(name: string): Promise<Endpoint> {
    return unwrap(
      this._client.GET('/studio/api/endpoints/{name}', {
        params: { path: { name } }
      })
    );
  }

  create(body: EndpointIn): Promise<Endpoint> {
    return unwrap(this._client.POST('/studio/api/endpoints', { body }));
  }

  update(name: string, patch: EndpointPatch): Promise<Endpoint> {
    return unwrap(
      this._client.PATCH('/studio/api/endpoints/{name}', {
        params: { path: { name } },
        body: patch
      })
    );
  }

  async delete(name: string): Promise<void> {
    await unwrap(
      this._client.DELETE('/studio/api/endpoints/{name}', {
        params: { path: { name } }
      })
    );
  }

  start(
    name: string,
    options: { port?: number; workers?: number } = {}
  ): Promise<Endpoint> {
    return unwrap(
      this._client.POST('/studio/api/endpoints/{name}/start', {
        params: { path: { name } },
        body: { port: options.port ?? null, workers: options.workers ?? null }
      })
    );
  }

  stop(name: string): Promise<Endpoint> {
    return unwrap(
      this._client.POST('/studio/api/endpoints/{name}/stop', {
        params: { path: { name } }
      })
    );
  }

  async invoke(
    name: string,
    body: string,
    options: { contentType?: string; targetVariant?: string } = {}
  ): Promise<IInvocationAnswer> {
    const headers: Record<string, string> = {
      'Content-Type': options.contentType ?? 'application/json'
    };
    if (options.targetVariant) {
      headers['X-Target-Variant'] = options.targetVariant;
    }
    const path = INVOCATIONS.replace('{name}', segment(name));
    const answer = await requestRaw(
      routeUrl(path, {}, this._settings),
      { method: 'POST', body, headers },
      this._settings
    );
    return {
      status: answer.status,
      body: answer.body,
      variant: answer.headers.get('X-Variant'),
      requestId: answer.headers.get('X-Request-Id')
    };
  }

  feedback(
    name: string,
    feedback: FeedbackItem[]
  ): Promise<{ scored: number; pending: number }> {
    return unwrap(
      this._client.POST('/studio/api/endpoints/{name}/feedback', {
        params: { path: { name } },
        body: feedback
      })
    );
  }

  metrics(
    name: string,
    options: { since?: number; step?: number } = {}
  ): Promise<EndpointMetrics> {
    return unwrap(
      this._client.GET('/studio/api/endpoints/{name}/metrics', {
        params: {
          path: { name },
          query: { since: options.since, step: options.step }
        }
      })
    );
  }

  evaluation(name: string): Promise<OnlineEvaluation> {
    return unwrap(
      this._client.GET('/studio/api/endpoints/{name}/evaluation', {
        params: { path: { name } }
      })
    );
  }

  async events(name: string): Promise<EndpointEvent[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/endpoints/{name}/events', {
        params: { path: { name } }
      })
    );
    return answer.events;
  }

  async captures(name: string, limit?: number): Promise<Capture[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/endpoints/{name}/captures', {
        params: { path: { name }, query: { limit } }
      })
    );
    return answer.captures;
  }

  private readonly _client: StudioClient;
}

/** The primary variants (they answer), in the endpoint's order. */
export function primaries(endpoint: Endpoint): Variant[] {
  return endpoint.variants.filter(variant => variant.role === 'primary');
}
