/**
 * Endpoints' wire models and every call the endpoint UI makes (the deploy dialog, the
 * endpoint panel: weights, charts, online evaluation, "try it", start and stop): the only
 * place that calls the endpoints routes. Invocations go through the Jupyter server's proxy,
 * so they work where the serving port cannot be reached from the browser (JupyterHub, Binder).
 */
import { ServerConnection } from '@jupyterlab/services';

import { requestJSON, requestRaw, routeUrl, segment } from '../handler';
import type { IEndpointEvent } from './registry';

export type VariantRole = 'primary' | 'shadow';
export type EndpointTask = 'classification' | 'regression';

/** A model version behind an endpoint: a primary answers its weight's share, a shadow a copy. */
export interface IVariant {
  name: string;
  role: VariantRole;
  model_uri: string;
  model_name: string;
  model_version: number;
  weight: number;
  sampling: number;
}

/** A `studio serve` process of an endpoint; `alive` while it beats. */
export interface IReplica {
  id: string;
  host: string;
  bind_host: string;
  port: number;
  pid: number;
  workers: number;
  managed: boolean;
  started_at: number;
  heartbeat_at: number;
  alive: boolean;
}

export interface IEndpoint {
  name: string;
  description: string;
  config_version: number;
  capture: number;
  task: EndpointTask | null;
  has_token: boolean;
  host: string;
  port: number | null;
  workers: number;
  running: boolean;
  variants: IVariant[];
  replicas: IReplica[];
  evaluation_since: number;
  created_at: number;
  updated_at: number;
}

export interface IVariantIn {
  name: string;
  model_uri: string;
  weight?: number;
  role?: VariantRole;
  sampling?: number;
}

export interface IEndpointIn {
  name: string;
  variants: IVariantIn[];
  capture?: number;
  token?: string;
  task?: EndpointTask;
  description?: string;
}

export interface IEndpointPatch {
  weights?: Record<string, number>;
  add?: IVariantIn[];
  remove?: string[];
  capture?: number;
  description?: string;
}

/** One variant's series over time (one value per step) from the metrics route. */
export interface IVariantSeries {
  shadow: boolean;
  /** Epoch seconds of each step. */
  t: number[];
  requests: number[];
  rps: number[];
  errors: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
}

export interface IVariantTotals {
  invocations: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface IEndpointMetrics {
  step: number;
  variants: Record<string, IVariantSeries>;
  totals: Record<string, IVariantTotals>;
}

/** A control against a challenger, decided once on the traffic the test needs. */
export interface IComparison {
  control: string;
  challenger: string;
  test: string;
  p_value: number | null;
  required_n: number | null;
  traffic_still_needed: number | null;
  significant: boolean;
  decided: boolean;
  winner: string | null;
  message: string;
}

export interface IOnlineEvaluation {
  task: EndpointTask | null;
  metric: 'accuracy' | 'mae' | string;
  variants: Record<
    string,
    { n: number; value: number | null; shadow: boolean }
  >;
  comparisons: IComparison[];
}

export interface ICapture {
  path: string;
  records: number;
  bytes: number;
  first_at: number;
  last_at: number;
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
  list(): Promise<IEndpoint[]>;
  get(name: string): Promise<IEndpoint>;
  create(body: IEndpointIn): Promise<IEndpoint>;
  update(name: string, patch: IEndpointPatch): Promise<IEndpoint>;
  delete(name: string): Promise<void>;
  /** Spawn a `studio serve` replica (the endpoint reads as running once it answers). */
  start(
    name: string,
    options?: { port?: number; workers?: number }
  ): Promise<unknown>;
  stop(name: string): Promise<unknown>;
  invoke(
    name: string,
    body: string,
    options?: { contentType?: string; targetVariant?: string }
  ): Promise<IInvocationAnswer>;
  feedback(
    name: string,
    feedback: { request_id: string; label: unknown }[]
  ): Promise<{ scored: number; pending: number }>;
  metrics(
    name: string,
    options?: { since?: number; step?: number }
  ): Promise<IEndpointMetrics>;
  evaluation(name: string): Promise<IOnlineEvaluation>;
  events(name: string): Promise<IEndpointEvent[]>;
  captures(name: string, limit?: number): Promise<ICapture[]>;
}

const ENDPOINTS = '/studio/api/endpoints';

function endpointPath(name: string): string {
  return `${ENDPOINTS}/${segment(name)}`;
}

/** The client of the endpoints routes. */
export class EndpointsAPI implements IEndpointsAPI {
  constructor(
    private readonly _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  async list(): Promise<IEndpoint[]> {
    const answer = await this._call<{ endpoints: IEndpoint[] }>(
      'GET',
      ENDPOINTS
    );
    return answer.endpoints;
  }

  get(name: string): Promise<IEndpoint> {
    return this._call('GET', endpointPath(name));
  }

  create(body: IEndpointIn): Promise<IEndpoint> {
    return this._call('POST', ENDPOINTS, { body });
  }

  update(name: string, patch: IEndpointPatch): Promise<IEndpoint> {
    return this._call('PATCH', endpointPath(name), { body: patch });
  }

  async delete(name: string): Promise<void> {
    await this._call('DELETE', endpointPath(name));
  }

  start(
    name: string,
    options: { port?: number; workers?: number } = {}
  ): Promise<unknown> {
    return this._call('POST', `${endpointPath(name)}/start`, { body: options });
  }

  stop(name: string): Promise<unknown> {
    return this._call('POST', `${endpointPath(name)}/stop`, { body: {} });
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
    const answer = await requestRaw(
      routeUrl(`${endpointPath(name)}/invocations`, {}, this._settings),
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
    feedback: { request_id: string; label: unknown }[]
  ): Promise<{ scored: number; pending: number }> {
    return this._call('POST', `${endpointPath(name)}/feedback`, {
      body: feedback
    });
  }

  metrics(
    name: string,
    options: { since?: number; step?: number } = {}
  ): Promise<IEndpointMetrics> {
    return this._call('GET', `${endpointPath(name)}/metrics`, {
      query: { since: options.since, step: options.step }
    });
  }

  evaluation(name: string): Promise<IOnlineEvaluation> {
    return this._call('GET', `${endpointPath(name)}/evaluation`);
  }

  async events(name: string): Promise<IEndpointEvent[]> {
    const answer = await this._call<{ events: IEndpointEvent[] }>(
      'GET',
      `${endpointPath(name)}/events`
    );
    return answer.events;
  }

  async captures(name: string, limit?: number): Promise<ICapture[]> {
    const answer = await this._call<{ captures: ICapture[] }>(
      'GET',
      `${endpointPath(name)}/captures`,
      { query: { limit } }
    );
    return answer.captures;
  }

  private _call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: {
      query?: Record<string, string | number | undefined>;
      body?: unknown;
    } = {}
  ): Promise<T> {
    return requestJSON<T>(method, path, options, this._settings);
  }
}

/** The primary variants (they answer), in the endpoint's order. */
export function primaries(endpoint: IEndpoint): IVariant[] {
  return endpoint.variants.filter(variant => variant.role === 'primary');
}

/** The share of requests each primary answers (its weight over their sum). */
export function trafficShares(endpoint: IEndpoint): Record<string, number> {
  const answering = primaries(endpoint);
  const total = answering.reduce((sum, variant) => sum + variant.weight, 0);
  const shares: Record<string, number> = {};
  for (const variant of answering) {
    shares[variant.name] = total > 0 ? variant.weight / total : 0;
  }
  return shares;
}
