/**
 * Registry and endpoints APIs in memory, answering in the routes' JSON shapes and recording
 * their calls; and models, versions, endpoints and metrics as the server sends them.
 */
import type {
  BatchTransformRequest,
  Lineage,
  ModelVersion,
  RegisteredModel,
  IRegistryAPI
} from '../api/registry';
import type {
  Endpoint,
  EndpointIn,
  EndpointMetrics,
  EndpointPatch,
  IEndpointsAPI,
  IInvocationAnswer,
  OnlineEvaluation
} from '../api/serving';
import type { JobRun } from '../api/jobs';
import { StudioRequestError } from '../handler';
import { jobRun } from './jobsFixtures';

export function registeredModel(
  name: string,
  change: Partial<RegisteredModel> = {}
): RegisteredModel {
  return {
    name,
    description: '',
    gates: {},
    tags: {},
    aliases: {},
    latest_version: 2,
    version_count: 2,
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    ...change
  };
}

export function modelVersion(
  name: string,
  version: number,
  change: Partial<ModelVersion> = {}
): ModelVersion {
  return {
    name,
    version,
    uri: `models:/${name}/${version}`,
    source: `runs:/run${version}/model`,
    run_id: `run${version}`,
    artifact_path: 'model',
    format: 'skops',
    flavor: 'sklearn',
    model_class: 'sklearn.linear_model.LogisticRegression',
    sha256: 'abc',
    untrusted_types: [],
    approved_types: [],
    signature: {
      inputs: [
        { name: 'age', dtype: 'double' },
        { name: 'plan', dtype: 'string' }
      ],
      outputs: { dtype: 'long', classes: [0, 1] }
    },
    input_example: {
      dataframe_split: { columns: ['age', 'plan'], data: [[41, 'pro']] }
    },
    lineage: {},
    description: '',
    status: 'PENDING',
    status_by: null,
    status_at: null,
    status_comment: '',
    aliases: [],
    tags: {},
    created_by: 'ada',
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    ...change
  };
}

export function lineage(change: Partial<Lineage> = {}): Lineage {
  return {
    run: {
      id: 'run2',
      name: 'clever-fox',
      experiment_id: 1,
      experiment: 'churn',
      status: 'FINISHED',
      deleted: false,
      metrics: { accuracy: 0.93 },
      params: { C: '0.5' }
    },
    job_run: null,
    job_definition: null,
    notebook: null,
    dataset: null,
    deployments: [],
    gates: [
      {
        metric: 'accuracy',
        condition: '>= 0.9',
        value: 0.93,
        passed: true,
        message: 'accuracy 0.93 >= 0.9'
      }
    ],
    needs_approval: [],
    not_servable: [],
    untrusted_reasons: {},
    ...change
  };
}

export function endpoint(
  name: string,
  change: Partial<Endpoint> = {}
): Endpoint {
  return {
    name,
    description: '',
    config_version: 1,
    capture: 0.5,
    task: 'classification',
    has_token: false,
    host: '127.0.0.1',
    port: null,
    workers: 1,
    running: false,
    variants: [
      {
        name: 'A',
        role: 'primary',
        model_uri: 'models:/churn/1',
        model_name: 'churn',
        model_version: 1,
        weight: 1,
        sampling: 1
      },
      {
        name: 'B',
        role: 'primary',
        model_uri: 'models:/churn/2',
        model_name: 'churn',
        model_version: 2,
        weight: 1,
        sampling: 1
      },
      {
        name: 'S',
        role: 'shadow',
        model_uri: 'models:/churn/3',
        model_name: 'churn',
        model_version: 3,
        weight: 0,
        sampling: 0.5
      }
    ],
    replicas: [],
    evaluation_since: 0,
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    ...change
  };
}

export const LIVE_REPLICA = {
  id: 'r1',
  host: '127.0.0.1',
  bind_host: '127.0.0.1',
  port: 8123,
  pid: 4242,
  workers: 2,
  managed: true,
  started_at: 1_700_000_000_000,
  heartbeat_at: 1_700_000_000_000,
  alive: true
};

export function metrics(): EndpointMetrics {
  const series = (shadow: boolean, rps: number[]) => ({
    shadow,
    t: [1_700_000_000, 1_700_000_005],
    requests: rps.map(r => r * 5),
    rps,
    errors: [0, 1],
    p50: [3, 4],
    p95: [8, 9],
    p99: [12, null]
  });
  return {
    step: 5,
    variants: { A: series(false, [2, 3]), S: series(true, [1, 1]) },
    totals: {}
  };
}

export function evaluation(
  comparison: Partial<OnlineEvaluation['comparisons'][number]> = {}
): OnlineEvaluation {
  return {
    task: 'classification',
    metric: 'accuracy',
    variants: {
      A: { n: 1200, value: 0.81, shadow: false },
      B: { n: 1180, value: 0.86, shadow: false }
    },
    comparisons: [
      {
        control: 'A',
        challenger: 'B',
        test: 'two-proportion z',
        p_value: 0.0021,
        required_n: 1000,
        traffic_still_needed: 0,
        significant: true,
        decided: true,
        winner: 'B',
        message: 'B beats A (p = 0.002)',
        ...comparison
      }
    ]
  };
}

/** The registry routes over models and versions kept here. */
export class FakeRegistryAPI implements IRegistryAPI {
  calls: { method: string; args: unknown[] }[] = [];
  models: RegisteredModel[] = [];
  versions: Record<string, ModelVersion[]> = {};
  lineageOf: Lineage = lineage();

  private _log(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  called(method: string): unknown[][] {
    return this.calls.filter(c => c.method === method).map(c => c.args);
  }

  private _version(name: string, version: number): ModelVersion {
    const found = (this.versions[name] ?? []).find(v => v.version === version);
    if (!found) {
      throw new StudioRequestError(404, `No version ${version} of ${name}`);
    }
    return found;
  }

  async listModels(filter?: string): Promise<RegisteredModel[]> {
    this._log('listModels', filter);
    return this.models;
  }
  async getModel(name: string): Promise<RegisteredModel> {
    this._log('getModel', name);
    const model = this.models.find(m => m.name === name);
    if (!model) {
      throw new StudioRequestError(404, `No model ${name}`);
    }
    return model;
  }
  async createModel(): Promise<RegisteredModel> {
    throw new Error('not used');
  }
  async updateModel(): Promise<RegisteredModel> {
    throw new Error('not used');
  }
  async deleteModel(): Promise<void> {
    throw new Error('not used');
  }
  async listVersions(name: string): Promise<ModelVersion[]> {
    this._log('listVersions', name);
    return this.versions[name] ?? [];
  }
  async registerVersion(): Promise<ModelVersion> {
    throw new Error('not used');
  }
  async getVersion(name: string, version: number): Promise<ModelVersion> {
    this._log('getVersion', name, version);
    return this._version(name, version);
  }
  async updateVersion(): Promise<ModelVersion> {
    throw new Error('not used');
  }
  async deleteVersion(): Promise<void> {
    throw new Error('not used');
  }
  async approve(
    name: string,
    version: number,
    types: string[],
    comment: string
  ): Promise<ModelVersion> {
    this._log('approve', name, version, types, comment);
    const found = this._version(name, version);
    Object.assign(found, {
      status: 'APPROVED',
      approved_types: types,
      status_comment: comment
    });
    return found;
  }
  async reject(
    name: string,
    version: number,
    comment: string
  ): Promise<ModelVersion> {
    this._log('reject', name, version, comment);
    return this._version(name, version);
  }
  async lineage(name: string, version: number): Promise<Lineage> {
    this._log('lineage', name, version);
    return this.lineageOf;
  }
  async setAlias(name: string, alias: string, version: number): Promise<void> {
    this._log('setAlias', name, alias, version);
    this._version(name, version).aliases.push(alias);
  }
  async deleteAlias(name: string, alias: string): Promise<void> {
    this._log('deleteAlias', name, alias);
  }
  async batchTransform(
    name: string,
    version: number,
    body: BatchTransformRequest
  ): Promise<JobRun> {
    this._log('batchTransform', name, version, body);
    return jobRun(7);
  }
}

/** The endpoints routes over one endpoint kept here. */
export class FakeEndpointsAPI implements IEndpointsAPI {
  calls: { method: string; args: unknown[] }[] = [];
  current: Endpoint = endpoint('churn');
  metricsOf: EndpointMetrics = metrics();
  evaluationOf: OnlineEvaluation = evaluation();
  /** Whether a start brings a replica up at once (else a later read does). */
  answerOf: IInvocationAnswer = {
    status: 200,
    body: '{"predictions": [1]}',
    variant: 'B',
    requestId: 'req-1'
  };

  called(method: string): unknown[][] {
    return this.calls.filter(c => c.method === method).map(c => c.args);
  }

  private _log(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  async list(): Promise<Endpoint[]> {
    this._log('list');
    return [this.current];
  }
  async get(name: string): Promise<Endpoint> {
    this._log('get', name);
    return this.current;
  }
  async create(body: EndpointIn): Promise<Endpoint> {
    this._log('create', body);
    return this.current;
  }
  async update(name: string, patch: EndpointPatch): Promise<Endpoint> {
    this._log('update', name, patch);
    const weights = patch.weights ?? {};
    this.current = {
      ...this.current,
      variants: this.current.variants.map(v =>
        v.name in weights ? { ...v, weight: weights[v.name] } : v
      )
    };
    return this.current;
  }
  async delete(): Promise<void> {
    throw new Error('not used');
  }
  async start(name: string): Promise<Endpoint> {
    this._log('start', name);
    return this.current;
  }
  async stop(name: string): Promise<Endpoint> {
    this._log('stop', name);
    this.current = { ...this.current, replicas: [] };
    return this.current;
  }
  async invoke(
    name: string,
    body: string,
    options: { contentType?: string; targetVariant?: string } = {}
  ): Promise<IInvocationAnswer> {
    this._log('invoke', name, body, options);
    return this.answerOf;
  }
  async feedback(): Promise<{ scored: number; pending: number }> {
    throw new Error('not used');
  }
  async metrics(
    name: string,
    options: { since?: number } = {}
  ): Promise<EndpointMetrics> {
    this._log('metrics', name, options);
    return this.metricsOf;
  }
  async evaluation(name: string): Promise<OnlineEvaluation> {
    this._log('evaluation', name);
    return this.evaluationOf;
  }
  async events(): Promise<never[]> {
    return [];
  }
  async captures(): Promise<never[]> {
    return [];
  }
}
