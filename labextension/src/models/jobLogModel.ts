/**
 * A job run's log, tailed: each poll asks for what follows the offset already read, while the
 * run goes on and the log view is seen; it stops once the server says the run ended.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { IJobsAPI } from '../api/jobs';
import type { ISettingsHolder } from '../tokens';
import { pollFrequency } from './pollFrequency';

/** The most log text kept in the view (the start is dropped past it). */
export const MAX_LOG_CHARS = 1_000_000;

export interface IJobLogModelOptions {
  api: Pick<IJobsAPI, 'getLog'>;
  settings: ISettingsHolder;
  jobRunId: number;
}

export class JobLogModel implements IDisposable {
  constructor(options: IJobLogModelOptions) {
    this._api = options.api;
    this.jobRunId = options.jobRunId;
    this._poll = new Poll({
      auto: false,
      factory: () => this.load(),
      frequency: pollFrequency(options.settings.current.jobsInterval),
      name: 'studio:job-log',
      standby: () => !this._active || 'when-hidden'
    });
  }

  readonly jobRunId: number;

  get text(): string {
    return this._text;
  }
  /** Whether the run ended (the log is complete). */
  get done(): boolean {
    return this._done;
  }
  get error(): string | null {
    return this._error;
  }
  get loaded(): boolean {
    return this._loaded;
  }
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Read what follows the last offset; the poll stops once the run ended. */
  async load(): Promise<void> {
    try {
      const slice = await this._api.getLog(this.jobRunId, this._offset);
      if (this.isDisposed) {
        return;
      }
      this._text = (this._text + slice.text).slice(-MAX_LOG_CHARS);
      this._offset = slice.offset;
      this._done = slice.done;
      this._error = null;
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this._loaded = true;
      if (!this.isDisposed) {
        this._stateChanged.emit();
      }
    }
    if (this._done) {
      void this._poll.stop();
    }
  }

  setActive(active: boolean): void {
    this._active = active;
    if (active && !this._done) {
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
    this._poll.dispose();
    Signal.clearData(this);
  }

  private readonly _api: Pick<IJobsAPI, 'getLog'>;
  private readonly _poll: Poll;
  private readonly _stateChanged = new Signal<this, void>(this);
  private _text = '';
  private _offset = 0;
  private _done = false;
  private _error: string | null = null;
  private _loaded = false;
  private _active = false;
}
