/**
 * The model registry's wire models and every call the registry UI makes (the sidebar's
 * Registry section, a version's page, the deploy dialog): the only place that calls the
 * registry routes.
 */
import { ServerConnection } from '@jupyterlab/services';

import { createStudioClient, StudioClient, unwrap } from '../handler';
import type { JobRun } from './jobs';
import type { components } from './schema';

type Schemas = components['schemas'];

/** A registered model with its versions' summary; `gates` maps a metric to a condition. */
export type RegisteredModel = Schemas['RegisteredModelOut'];
export type ModelIn = Schemas['RegisteredModelIn'];
export type ModelPatch = Schemas['RegisteredModelPatch'];
export type VersionPatch = Schemas['ModelVersionPatch'];
/** A metric's threshold and whether the version's run meets it. */
export type GateResult = Schemas['GateResultOut'];
/** Something that happened to an endpoint the version is on (created, variant added, ...). */
export type EndpointEvent = Schemas['ModelDeploymentOut'];
/** Where a version came from, what approving it needs, and where it was deployed. */
export type Lineage = Schemas['ModelLineageOut'];
export type LineageRun = NonNullable<Lineage['run']>;

/** A version's review: only an approved version may go behind an endpoint. */
export type ApprovalStatus = Schemas['ModelVersionOut']['status'];

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

/**
 * One registered version of a model. The document says only "an object" of its signature
 * and input example; what is in them is signature.py's (`Signature.to_dict()`, and MLflow's
 * `dataframe_split`).
 */
export type ModelVersion = Omit<
  Schemas['ModelVersionOut'],
  'signature' | 'input_example'
> & { signature: ISignature | null; input_example: IInputExample | null };

/** A batch transform: its input (a CSV or Parquet file, or a folder) and output. */
export type BatchTransformIn = Schemas['BatchTransformIn'];

/** What the route takes when left out (its document's defaults). */
export const BATCH_TRANSFORM_DEFAULTS: Omit<BatchTransformIn, 'input_path'> = {
  output_path: null,
  chunk_rows: 50_000,
  experiment: 'batch-transform'
};

/** A batch transform's input and, if not beside it, its output. */
export type BatchTransformRequest = Pick<BatchTransformIn, 'input_path'> &
  Partial<BatchTransformIn>;

/** Every call of the registry UI, one method per route. */
export interface IRegistryAPI {
  listModels(filter?: string): Promise<RegisteredModel[]>;
  getModel(name: string): Promise<RegisteredModel>;
  createModel(body: ModelIn): Promise<RegisteredModel>;
  updateModel(name: string, patch: ModelPatch): Promise<RegisteredModel>;
  deleteModel(name: string): Promise<void>;
  listVersions(name: string): Promise<ModelVersion[]>;
  registerVersion(
    name: string,
    source: string,
    description?: string
  ): Promise<ModelVersion>;
  getVersion(name: string, version: number): Promise<ModelVersion>;
  updateVersion(
    name: string,
    version: number,
    patch: VersionPatch
  ): Promise<ModelVersion>;
  deleteVersion(name: string, version: number): Promise<void>;
  approve(
    name: string,
    version: number,
    approveTypes: string[],
    comment: string
  ): Promise<ModelVersion>;
  reject(name: string, version: number, comment: string): Promise<ModelVersion>;
  lineage(name: string, version: number): Promise<Lineage>;
  setAlias(name: string, alias: string, version: number): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<void>;
  batchTransform(
    name: string,
    version: number,
    body: BatchTransformRequest
  ): Promise<JobRun>;
}

/** The typed client of the registry routes (openapi-fetch over the generated `paths`). */
export class RegistryAPI implements IRegistryAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._client = createStudioClient(settings);
  }

  async listModels(filter?: string): Promise<RegisteredModel[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/models', {
        params: { query: { filter: filter || undefined } }
      })
    );
    return answer.models;
  }

  getModel(name: string): Promise<RegisteredModel> {
    return unwrap(
      this._client.GET('/studio/api/models/{name}', {
        params: { path: { name } }
      })
    );
  }

  createModel(body: ModelIn): Promise<RegisteredModel> {
    return unwrap(this._client.POST('/studio/api/models', { body }));
  }

  updateModel(name: string, patch: ModelPatch): Promise<RegisteredModel> {
    return unwrap(
      this._client.PATCH('/studio/api/models/{name}', {
        params: { path: { name } },
        body: patch
      })
    );
  }

  async deleteModel(name: string): Promise<void> {
    await unwrap(
      this._client.DELETE('/studio/api/models/{name}', {
        params: { path: { name } }
      })
    );
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    const answer = await unwrap(
      this._client.GET('/studio/api/models/{name}/versions', {
        params: { path: { name } }
      })
    );
    return answer.versions as ModelVersion[];
  }

  async registerVersion(
    name: string,
    source: string,
    description = ''
  ): Promise<ModelVersion> {
    return (await unwrap(
      this._client.POST('/studio/api/models/{name}/versions', {
        params: { path: { name } },
        body: { source, description }
      })
    )) as ModelVersion;
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    return (await unwrap(
      this._client.GET('/studio/api/models/{name}/versions/{version}', {
        params: { path: { name, version } }
      })
    )) as ModelVersion;
  }

  async updateVersion(
    name: string,
    version: number,
    patch: VersionPatch
  ): Promise<ModelVersion> {
    return (await unwrap(
      this._client.PATCH('/studio/api/models/{name}/versions/{version}', {
        params: { path: { name, version } },
        body: patch
      })
    )) as ModelVersion;
  }

  async deleteVersion(name: string, version: number): Promise<void> {
    await unwrap(
      this._client.DELETE('/studio/api/models/{name}/versions/{version}', {
        params: { path: { name, version } }
      })
    );
  }

  async approve(
    name: string,
    version: number,
    approveTypes: string[],
    comment: string
  ): Promise<ModelVersion> {
    return (await unwrap(
      this._client.POST(
        '/studio/api/models/{name}/versions/{version}/approve',
        {
          params: { path: { name, version } },
          body: { approve_types: approveTypes, comment }
        }
      )
    )) as ModelVersion;
  }

  async reject(
    name: string,
    version: number,
    comment: string
  ): Promise<ModelVersion> {
    return (await unwrap(
      this._client.POST('/studio/api/models/{name}/versions/{version}/reject', {
        params: { path: { name, version } },
        body: { comment }
      })
    )) as ModelVersion;
  }

  lineage(name: string, version: number): Promise<Lineage> {
    return unwrap(
      this._client.GET('/studio/api/models/{name}/versions/{version}/lineage', {
        params: { path: { name, version } }
      })
    );
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await unwrap(
      this._client.PUT('/studio/api/models/{name}/aliases/{alias}', {
        params: { path: { name, alias } },
        body: { version }
      })
    );
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await unwrap(
      this._client.DELETE('/studio/api/models/{name}/aliases/{alias}', {
        params: { path: { name, alias } }
      })
    );
  }

  batchTransform(
    name: string,
    version: number,
    body: BatchTransformRequest
  ): Promise<JobRun> {
    return unwrap(
      this._client.POST(
        '/studio/api/models/{name}/versions/{version}/batch-transform',
        {
          params: { path: { name, version } },
          body: { ...BATCH_TRANSFORM_DEFAULTS, ...body }
        }
      )
    );
  }

  private readonly _client: StudioClient;
}

/** A version's `models:/` URI. */
export function versionUri(name: string, version: number): string {
  return `models:/${name}/${version}`;
}
