/**
 * An endpoint panel's state: the endpoint (variants, replicas), its live metrics and online
 * evaluation, the weights being dragged, start and stop under way, and the "try it" box.
 *
 * It polls every endpoint interval (Studio's setting) while the panel is seen, never while it
 * is hidden, and once when it is seen again. A weight moves in the panel at once and is sent
 * once the slider rests (debounced), so that a drag is one PATCH, not one per pixel.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { IRegistryAPI } from '../api/registry';
import type {
  Endpoint,
  EndpointMetrics,
  IEndpointsAPI,
  IInvocationAnswer,
  OnlineEvaluation
} from '../api/serving';
import { endpointPatch, primaries } from '../api/serving';
import type { ISettingsHolder, IStudioSettings } from '../tokens';
import { pollFrequency } from './pollFrequency';

/** How long a slider rests before its weights are sent. */
export const WEIGHTS_DEBOUNCE_MS = 400;

/** The charts show the last this many seconds. */
export const METRICS_WINDOW_S = 300;

/** What the panel is waiting for after start or stop: the replicas to come or go. */
export type Transition = 'starting' | 'stopping' | null;

export interface IEndpointModelOptions {
  name: string;
  api: Pick<
    IEndpointsAPI,
    'get' | 'update' | 'start' | 'stop' | 'invoke' | 'metrics' | 'evaluation'
  >;
  registry: Pick<IRegistryAPI, 'getVersion'>;
  settings: ISettingsHolder;
}

export class EndpointModel implements IDisposable {
  constructor(options: IEndpointModelOptions) {
    this.name = options.name;
    this._api = options.api;
    this._registry = options.registry;
    this._settings = options.settings;
    this._poll = new Poll({
      auto: false,
      factory: () => this.refresh(),
      frequency: pollFrequency(this._settings.current.endpointInterval),
      name: 'studio:endpoint',
      standby: () => !this._active || 'when-hidden'
    });
    this._settings.changed.connect(this._onSettings, this);
  }

  readonly name: string;

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }
  get endpoint(): Endpoint | null {
    return this._endpoint;
  }
  get metrics(): EndpointMetrics | null {
    return this._metrics;
  }
  get evaluation(): OnlineEvaluation | null {
    return this._evaluation;
  }
  get error(): string | null {
    return this._error;
  }
  get loaded(): boolean {
    return this._loaded;
  }
  get transition(): Transition {
    return this._transition;
  }
  /** A start that came up (a replica alive) or a stop that went through. */
  get transitionEnded(): ISignal<this, 'started' | 'stopped'> {
    return this._transitionEnded;
  }
  /** Whether a replica is alive. */
  get running(): boolean {
    return this._endpoint?.replicas.some(replica => replica.alive) ?? false;
  }

  /** A primary's weight as the panel shows it: the one being dragged, else the endpoint's. */
  weight(variant: string): number {
    const draft = this._draft[variant];
    if (draft !== undefined) {
      return draft;
    }
    return this._endpoint?.variants.find(v => v.name === variant)?.weight ?? 0;
  }

  /** The share of requests each primary answers with the weights shown. */
  shares(): Record<string, number> {
    const answering = this._endpoint ? primaries(this._endpoint) : [];
    const total = answering.reduce((sum, v) => sum + this.weight(v.name), 0);
    const shares: Record<string, number> = {};
    for (const variant of answering) {
      shares[variant.name] = total > 0 ? this.weight(variant.name) / total : 0;
    }
    return shares;
  }

  /** Move a weight now; it is sent once the slider rests. */
  setWeight(variant: string, weight: number): void {
    this._draft = { ...this._draft, [variant]: weight };
    this._stateChanged.emit();
    if (this._debounce !== null) {
      window.clearTimeout(this._debounce);
    }
    this._debounce = window.setTimeout(() => {
      this._debounce = null;
      void this.sendWeights().catch(() => undefined);
    }, WEIGHTS_DEBOUNCE_MS);
  }

  /** Send the weights moved (all of them, in one PATCH); throws the server's refusal. */
  async sendWeights(): Promise<void> {
    const weights = this._draft;
    if (Object.keys(weights).length === 0) {
      return;
    }
    try {
      this._endpoint = await this._api.update(
        this.name,
        endpointPatch({ weights })
      );
      this._weightsError = null;
    } catch (error) {
      this._weightsError =
        error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      // Moved again while this was sent: keep the newer ones for the next PATCH.
      if (this._draft === weights) {
        this._draft = {};
      }
      this._stateChanged.emit();
    }
  }

  /** Why the last weights were refused, if they were. */
  get weightsError(): string | null {
    return this._weightsError;
  }

  /** Start a replica; the panel says so until it answers (a later refresh sees it alive). */
  async start(): Promise<void> {
    await this._transit('starting', () => this._api.start(this.name));
  }

  async stop(): Promise<void> {
    await this._transit('stopping', () => this._api.stop(this.name));
  }

  // "Try it" ----------------------------------------------------------------------------------

  /** The request body in the box: the first variant's input example until edited. */
  get body(): string {
    return this._body;
  }
  set body(text: string) {
    this._body = text;
    this._stateChanged.emit();
  }
  /** The variant asked for (X-Target-Variant); empty: the weights choose. */
  get target(): string {
    return this._target;
  }
  set target(variant: string) {
    this._target = variant;
    this._stateChanged.emit();
  }
  get answer(): IInvocationAnswer | null {
    return this._answer;
  }
  get invoking(): boolean {
    return this._invoking;
  }

  async invoke(): Promise<IInvocationAnswer> {
    this._invoking = true;
    this._stateChanged.emit();
    try {
      this._answer = await this._api.invoke(this.name, this._body, {
        targetVariant: this._target || undefined
      });
      return this._answer;
    } finally {
      this._invoking = false;
      this._stateChanged.emit();
    }
  }

  // Loading -----------------------------------------------------------------------------------

  /** Read the endpoint, its metrics and its evaluation (one load at a time). */
  refresh(): Promise<void> {
    if (!this._pending) {
      this._pending = this._load().finally(() => {
        this._pending = null;
      });
    }
    return this._pending;
  }

  setActive(active: boolean): void {
    if (active === this._active) {
      return;
    }
    this._active = active;
    if (active) {
      void this._poll.start().then(() => {
        if (this._poll.state.phase === 'standby') {
          return this._poll.refresh();
        }
      });
    }
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._debounce !== null) {
      window.clearTimeout(this._debounce);
    }
    this._poll.dispose();
    this._settings.changed.disconnect(this._onSettings, this);
    Signal.clearData(this);
  }

  private async _load(): Promise<void> {
    const since = Math.floor(Date.now() / 1000) - METRICS_WINDOW_S;
    try {
      const [endpoint, metrics, evaluation] = await Promise.all([
        this._api.get(this.name),
        this._api.metrics(this.name, { since }),
        this._api.evaluation(this.name)
      ]);
      if (this.isDisposed) {
        return;
      }
      this._endpoint = endpoint;
      this._metrics = metrics;
      this._evaluation = evaluation;
      this._error = null;
      // A replica registers (and reads as alive) before it listens: a start is over once
      // its request returned (the server waited for /ping) and the replica is seen alive.
      if (
        this._settling !== null &&
        (this._settling === 'starting') === this.running
      ) {
        const ended = this._settling === 'starting' ? 'started' : 'stopped';
        this._transition = null;
        this._settling = null;
        this._transitionEnded.emit(ended);
      }
      if (!this._prefilled) {
        await this._prefill(endpoint);
      }
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this._loaded = true;
      if (!this.isDisposed) {
        this._stateChanged.emit();
      }
    }
  }

  /** Fill the box with the first primary's input example (once; the user edits it after). */
  private async _prefill(endpoint: Endpoint): Promise<void> {
    this._prefilled = true;
    const first = primaries(endpoint)[0];
    if (!first || this._body) {
      return;
    }
    try {
      const version = await this._registry.getVersion(
        first.model_name,
        first.model_version
      );
      if (version.input_example && !this._body) {
        this._body = JSON.stringify(version.input_example, null, 2);
      }
    } catch {
      // No example to show: the box stays empty for the user to fill.
    }
  }

  private async _transit(
    transition: Transition,
    action: () => Promise<unknown>
  ): Promise<void> {
    this._transition = transition;
    this._settling = null;
    this._stateChanged.emit();
    try {
      await action();
    } catch (error) {
      this._transition = null;
      this._stateChanged.emit();
      throw error;
    }
    this._settling = transition;
    // A load under way began before the action ended: the next one tells.
    await this.refresh().catch(() => undefined);
    if (this._settling !== null) {
      await this.refresh().catch(() => undefined);
    }
  }

  private _onSettings(_: ISettingsHolder, settings: IStudioSettings): void {
    this._poll.frequency = pollFrequency(settings.endpointInterval);
  }

  private readonly _api: IEndpointModelOptions['api'];
  private readonly _registry: Pick<IRegistryAPI, 'getVersion'>;
  private readonly _settings: ISettingsHolder;
  private readonly _poll: Poll;
  private readonly _stateChanged = new Signal<this, void>(this);
  private readonly _transitionEnded = new Signal<this, 'started' | 'stopped'>(
    this
  );
  private _pending: Promise<void> | null = null;
  private _active = false;
  private _endpoint: Endpoint | null = null;
  private _metrics: EndpointMetrics | null = null;
  private _evaluation: OnlineEvaluation | null = null;
  private _error: string | null = null;
  private _loaded = false;
  private _transition: Transition = null;
  /** The start or stop whose request returned, until the endpoint is seen to follow. */
  private _settling: Transition = null;
  private _draft: Record<string, number> = {};
  private _debounce: number | null = null;
  private _weightsError: string | null = null;
  private _body = '';
  private _target = '';
  private _answer: IInvocationAnswer | null = null;
  private _invoking = false;
  private _prefilled = false;
}
