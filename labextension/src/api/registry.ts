/**
 * The model registry's wire models and every call the registry UI makes (the sidebar's
 * Registry section, a version's page, the deploy dialog): the only place that calls the
 * registry routes.
 */
import { ServerConnection } from '@jupyterlab/services';

import { requestJSON, segment } from '../handler';
import type { JobRun } from './jobs';

/** A version's review: only an approved version may go behind an endpoint. */
export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'REJECTED';

/** A registered model with its versions' summary; `gates` maps a metric to a condition. */
export interface IRegisteredModel {
  name: string;
  description: string;
  gates: Record<string, string>;
  tags: Record<string, string>;
  /** alias -> version number */
  aliases: Record<string, number>;
  latest_version: number | null;
  version_count: number;
  created_at: number;
  updated_at: number;
}

/** A column of a model's signature. */
export interface IColumnSpec {
  name: string;
  dtype: string;
}

/** What a model takes and gives (signature.py's `Signature.to_dict()`). */
export interface ISignature {
  inputs: IColumnSpec[];
  outputs: { dtype?: string; classes?: unknown[] } & Record<string, unknown>;
}

/** An input example, in MLflow's `dataframe_split` form. */
export interface IInputExample {
  dataframe_split?: { columns: string[]; data: unknown[][] };
  [key: string]: unknown;
}

/** One registered version of a model. */
export interface IModelVersion {
  name: string;
  version: number;
  uri: string;
  source: string;
  run_id: string | null;
  artifact_path: string;
  format: string;
  flavor: string;
  model_class: string;
  sha256: string;
  untrusted_types: string[];
  approved_types: string[];
  signature: ISignature | null;
  input_example: IInputExample | null;
  lineage: Record<string, unknown>;
  description: string;
  status: ApprovalStatus;
  status_by: string | null;
  status_at: number | null;
  status_comment: string;
  aliases: string[];
  tags: Record<string, string>;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

/** A metric's threshold and whether the version's run meets it. */
export interface IGateResult {
  metric: string;
  condition: string;
  value: number | null;
  passed: boolean;
}

/** Something that happened to an endpoint (created, variant added, weights changed, ...). */
export interface IEndpointEvent {
  id: number;
  endpoint: string;
  kind: string;
  model_uri?: string | null;
  detail: Record<string, unknown> | string | null;
  actor: string | null;
  at: number;
}

/** The run a version came from, as the lineage route sends it. */
export interface ILineageRun {
  id: string;
  name?: string | null;
  experiment_id?: number | null;
  experiment?: string | null;
  status?: string | null;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
}

/** Where a version came from, what it needs to be approved, and where it was deployed. */
export interface ILineage {
  run: ILineageRun | null;
  job_run: { id: number; name?: string; status?: string } | null;
  job_definition: { id: number; name?: string } | null;
  notebook: string | null;
  dataset: unknown;
  deployments: IEndpointEvent[];
  gates: IGateResult[];
  /** Types in the file that a person must approve. */
  needs_approval: string[];
  /** Types no endpoint can load (defined in `__main__`, a lambda, a local class). */
  not_servable: string[];
  /** Why each untrusted type is not trusted by default. */
  untrusted_reasons: Record<string, string>;
}

export interface IModelIn {
  name: string;
  description?: string;
  gates?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface IModelPatch {
  description?: string;
  gates?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface IVersionPatch {
  description?: string;
  tags?: Record<string, string>;
}

export interface IBatchTransformIn {
  input_path: string;
  output_path?: string;
  chunk_rows?: number;
}

/** Every call of the registry UI, one method per route. */
export interface IRegistryAPI {
  listModels(filter?: string): Promise<IRegisteredModel[]>;
  getModel(name: string): Promise<IRegisteredModel>;
  createModel(body: IModelIn): Promise<IRegisteredModel>;
  updateModel(name: string, patch: IModelPatch): Promise<IRegisteredModel>;
  deleteModel(name: string): Promise<void>;
  listVersions(name: string): Promise<IModelVersion[]>;
  registerVersion(
    name: string,
    source: string,
    description?: string
  ): Promise<IModelVersion>;
  getVersion(name: string, version: number): Promise<IModelVersion>;
  updateVersion(
    name: string,
    version: number,
    patch: IVersionPatch
  ): Promise<IModelVersion>;
  deleteVersion(name: string, version: number): Promise<void>;
  approve(
    name: string,
    version: number,
    approveTypes: string[],
    comment: string
  ): Promise<IModelVersion>;
  reject(
    name: string,
    version: number,
    comment: string
  ): Promise<IModelVersion>;
  lineage(name: string, version: number): Promise<ILineage>;
  setAlias(name: string, alias: string, version: number): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<void>;
  batchTransform(
    name: string,
    version: number,
    body: IBatchTransformIn
  ): Promise<JobRun>;
}

const MODELS = '/studio/api/models';

function modelPath(name: string): string {
  return `${MODELS}/${segment(name)}`;
}

function versionPath(name: string, version: number): string {
  return `${modelPath(name)}/versions/${segment(version)}`;
}

/** The client of the registry routes. */
export class RegistryAPI implements IRegistryAPI {
  constructor(
    private readonly _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  async listModels(filter?: string): Promise<IRegisteredModel[]> {
    const answer = await this._call<{ models: IRegisteredModel[] }>(
      'GET',
      MODELS,
      { query: { filter: filter || undefined } }
    );
    return answer.models;
  }

  getModel(name: string): Promise<IRegisteredModel> {
    return this._call('GET', modelPath(name));
  }

  createModel(body: IModelIn): Promise<IRegisteredModel> {
    return this._call('POST', MODELS, { body });
  }

  updateModel(name: string, patch: IModelPatch): Promise<IRegisteredModel> {
    return this._call('PATCH', modelPath(name), { body: patch });
  }

  async deleteModel(name: string): Promise<void> {
    await this._call('DELETE', modelPath(name));
  }

  async listVersions(name: string): Promise<IModelVersion[]> {
    const answer = await this._call<{ versions: IModelVersion[] }>(
      'GET',
      `${modelPath(name)}/versions`
    );
    return answer.versions;
  }

  registerVersion(
    name: string,
    source: string,
    description = ''
  ): Promise<IModelVersion> {
    return this._call('POST', `${modelPath(name)}/versions`, {
      body: { source, description }
    });
  }

  getVersion(name: string, version: number): Promise<IModelVersion> {
    return this._call('GET', versionPath(name, version));
  }

  updateVersion(
    name: string,
    version: number,
    patch: IVersionPatch
  ): Promise<IModelVersion> {
    return this._call('PATCH', versionPath(name, version), { body: patch });
  }

  async deleteVersion(name: string, version: number): Promise<void> {
    await this._call('DELETE', versionPath(name, version));
  }

  approve(
    name: string,
    version: number,
    approveTypes: string[],
    comment: string
  ): Promise<IModelVersion> {
    return this._call('POST', `${versionPath(name, version)}/approve`, {
      body: { approve_types: approveTypes, comment }
    });
  }

  reject(
    name: string,
    version: number,
    comment: string
  ): Promise<IModelVersion> {
    return this._call('POST', `${versionPath(name, version)}/reject`, {
      body: { comment }
    });
  }

  lineage(name: string, version: number): Promise<ILineage> {
    return this._call('GET', `${versionPath(name, version)}/lineage`);
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await this._call('PUT', `${modelPath(name)}/aliases/${segment(alias)}`, {
      body: { version }
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this._call('DELETE', `${modelPath(name)}/aliases/${segment(alias)}`);
  }

  batchTransform(
    name: string,
    version: number,
    body: IBatchTransformIn
  ): Promise<JobRun> {
    return this._call('POST', `${versionPath(name, version)}/batch-transform`, {
      body
    });
  }

  private _call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { query?: Record<string, string | undefined>; body?: unknown } = {}
  ): Promise<T> {
    return requestJSON<T>(method, path, options, this._settings);
  }
}

/** A version's `models:/` URI. */
export function versionUri(name: string, version: number): string {
  return `models:/${name}/${version}`;
}
