/**
 * What the sidebar's Jobs section shows (the job runs running now, with their progress, and
 * the definitions that run next), and the end of each job run: a source of the application's
 * watcher, so that a job that ends while every Studio panel is closed is still announced.
 *
 * A run leaves the running list when it ends; it is then read once to learn how. Runs created
 * from this page are watched from the moment they are queued, so that one that ends between
 * two checks is announced too.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { isFinal } from '../api/jobs';
import type { IJobsAPI, JobRun, JobsSummary } from '../api/jobs';
import type { IWatchedSource } from '../watcher';

export class JobsSummaryModel implements IWatchedSource {
  readonly id = 'jobs';

  constructor(api: Pick<IJobsAPI, 'getSummary' | 'getRun'>) {
    this._api = api;
  }

  /** Emitted when the summary or its error changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }
  /** A watched job run that ended: succeeded, failed, timed out, cancelled or stopped. */
  get ended(): ISignal<this, JobRun> {
    return this._ended;
  }
  get summary(): JobsSummary | null {
    return this._summary;
  }
  get error(): string | null {
    return this._error;
  }
  get loaded(): boolean {
    return this._loaded;
  }

  /** Announce this run's end, even if it never shows as running here. */
  watch(jobRunId: number): void {
    this._watched.add(jobRunId);
  }

  async check(): Promise<void> {
    try {
      this._summary = await this._api.getSummary();
      this._error = null;
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this._loaded = true;
      this._stateChanged.emit();
    }
    const running = new Set(this._summary.running.map(run => run.id));
    const gone = [...this._watched].filter(id => !running.has(id));
    running.forEach(id => this._watched.add(id));
    await Promise.all(gone.map(id => this._checkEnd(id)));
  }

  private async _checkEnd(id: number): Promise<void> {
    let run: JobRun;
    try {
      run = await this._api.getRun(id);
    } catch {
      this._watched.delete(id); // Deleted meanwhile: nothing to announce.
      return;
    }
    // Still queued: checked again next time.
    if (isFinal(run.status) && this._watched.delete(id)) {
      this._ended.emit(run);
    }
  }

  private readonly _api: Pick<IJobsAPI, 'getSummary' | 'getRun'>;
  private readonly _stateChanged = new Signal<this, void>(this);
  private readonly _ended = new Signal<this, JobRun>(this);
  private readonly _watched = new Set<number>();
  private _summary: JobsSummary | null = null;
  private _error: string | null = null;
  private _loaded = false;
}
