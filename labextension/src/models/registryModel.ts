/**
 * The sidebar's Registry: the registered models, the versions of those expanded (with
 * their aliases and approval), and the endpoints. It refreshes every refresh interval while the sidebar is seen;
 * a model's versions are read when it is expanded, and again at each refresh while it is.
 */
import type {
  ModelVersion,
  RegisteredModel,
  IRegistryAPI
} from '../api/registry';
import type { Endpoint, IEndpointsAPI } from '../api/serving';
import type { ISettingsHolder } from '../tokens';
import { LiveModel } from './liveModel';

export interface IRegistryModelOptions {
  api: Pick<IRegistryAPI, 'listModels' | 'listVersions'>;
  /** The endpoints' routes: without them, no endpoint is listed. */
  endpoints?: Pick<IEndpointsAPI, 'list'>;
  settings: ISettingsHolder;
}

export class RegistryModel extends LiveModel {
  constructor(options: IRegistryModelOptions) {
    super('studio:registry', options.settings);
    this._api = options.api;
    this._endpointsApi = options.endpoints ?? null;
    this.live.setLive(true);
  }

  get models(): readonly RegisteredModel[] {
    return this._models;
  }
  /** The endpoints, with whether each is serving; null without the endpoints' routes. */
  get endpoints(): readonly Endpoint[] | null {
    return this._endpoints;
  }
  /** The models whose versions are listed. */
  get expanded(): ReadonlySet<string> {
    return this._expanded;
  }
  /** A model's versions, newest first; null until read. */
  versions(name: string): readonly ModelVersion[] | null {
    return this._versions.get(name) ?? null;
  }

  /** List a model's versions (read now), or hide them. */
  async toggle(name: string): Promise<void> {
    if (this._expanded.delete(name)) {
      this._stateChanged.emit();
      return;
    }
    this._expanded.add(name);
    this._stateChanged.emit();
    try {
      await this._loadVersions(name);
    } catch (error) {
      this.setError(error);
    }
    this._stateChanged.emit();
  }

  protected async load(): Promise<void> {
    const [models, endpoints] = await Promise.all([
      this._api.listModels(),
      this._endpointsApi?.list() ?? Promise.resolve(null)
    ]);
    this._models = models;
    this._endpoints = endpoints;
    const names = new Set(this._models.map(model => model.name));
    for (const name of [...this._expanded]) {
      if (!names.has(name)) {
        this._expanded.delete(name);
        this._versions.delete(name);
      }
    }
    await Promise.all([...this._expanded].map(n => this._loadVersions(n)));
  }

  private async _loadVersions(name: string): Promise<void> {
    const versions = await this._api.listVersions(name);
    this._versions.set(
      name,
      [...versions].sort((a, b) => b.version - a.version)
    );
  }

  private readonly _api: Pick<IRegistryAPI, 'listModels' | 'listVersions'>;
  private readonly _expanded = new Set<string>();
  private readonly _versions = new Map<string, ModelVersion[]>();
  private readonly _endpointsApi: Pick<IEndpointsAPI, 'list'> | null;
  private _models: RegisteredModel[] = [];
  private _endpoints: Endpoint[] | null = null;
}
