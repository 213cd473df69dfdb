/**
 * A version's page: the version, its model (aliases, gates), its lineage (run metrics and
 * params, job, notebook, deployments, what approval needs), and the actions on it. Read when
 * the page opens, on "Refresh", and after every action; an action's failure is thrown with the
 * server's message for the caller to tell.
 */
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  Lineage,
  ModelVersion,
  RegisteredModel,
  IRegistryAPI
} from '../api/registry';

/** A version is named by its model and number. */
export interface IVersionRef {
  model: string;
  version: number;
}

export class VersionModel {
  constructor(
    readonly ref: IVersionRef,
    private readonly _api: Pick<
      IRegistryAPI,
      | 'getVersion'
      | 'getModel'
      | 'lineage'
      | 'approve'
      | 'reject'
      | 'setAlias'
      | 'deleteAlias'
    >
  ) {}

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }
  get version(): ModelVersion | null {
    return this._version;
  }
  get model(): RegisteredModel | null {
    return this._model;
  }
  get lineage(): Lineage | null {
    return this._lineage;
  }
  get error(): string | null {
    return this._error;
  }
  get loaded(): boolean {
    return this._loaded;
  }
  /** The action under way ("approve", "alias", ...), or null. */
  get busy(): string | null {
    return this._busy;
  }

  /** The page reads on open and on demand: nothing on it changes by itself. */
  setActive(_active: boolean): void {
    // Nothing to poll.
  }

  async refresh(): Promise<void> {
    const { model, version } = this.ref;
    try {
      const [found, registered, lineage] = await Promise.all([
        this._api.getVersion(model, version),
        this._api.getModel(model),
        this._api.lineage(model, version)
      ]);
      this._version = found;
      this._model = registered;
      this._lineage = lineage;
      this._error = null;
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this._loaded = true;
      this._stateChanged.emit();
    }
  }

  /** Approve, trusting `types` (those the lineage says need approval). */
  approve(types: string[], comment: string): Promise<void> {
    const { model, version } = this.ref;
    return this._act('approve', () =>
      this._api.approve(model, version, types, comment)
    );
  }

  reject(comment: string): Promise<void> {
    const { model, version } = this.ref;
    return this._act('reject', () => this._api.reject(model, version, comment));
  }

  /** Point `alias` at this version (moving it from another). */
  setAlias(alias: string): Promise<void> {
    const { model, version } = this.ref;
    return this._act('alias', () =>
      this._api.setAlias(model, alias.trim().replace(/^@/, ''), version)
    );
  }

  deleteAlias(alias: string): Promise<void> {
    return this._act('alias', () =>
      this._api.deleteAlias(this.ref.model, alias)
    );
  }

  private async _act(what: string, action: () => Promise<unknown>) {
    this._busy = what;
    this._stateChanged.emit();
    try {
      await action();
    } finally {
      this._busy = null;
      await this.refresh().catch(() => undefined);
    }
  }

  private readonly _stateChanged = new Signal<this, void>(this);
  private _version: ModelVersion | null = null;
  private _model: RegisteredModel | null = null;
  private _lineage: Lineage | null = null;
  private _error: string | null = null;
  private _loaded = false;
  private _busy: string | null = null;
}

/** An alias as a model's aliases take it: letters, digits, `_` and `-`, after an optional @. */
export function validAlias(text: string): boolean {
  return /^@?[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(text.trim());
}

/** A version from a command's `{ model, version }` args. */
export function versionRefOf(
  args: ReadonlyPartialJSONObject
): IVersionRef | null {
  const model =
    typeof args.model === 'string' && args.model.trim()
      ? args.model.trim()
      : null;
  const version = Number(args.version);
  if (model !== null && Number.isInteger(version) && version > 0) {
    return { model, version };
  }
  return null;
}

/** "name/3" (a sidebar row's `data-model-version`) or "models:/name/3". */
export function parseVersionText(text: string): IVersionRef | null {
  const match = /^(?:models:\/)?(.+)\/(\d+)$/.exec(text.trim());
  if (!match) {
    return null;
  }
  return { model: match[1], version: Number(match[2]) };
}
