/**
 * The AutoML panel's state: the searches, the one shown with its leaderboard, and how far its
 * time budget is spent. It refreshes every refresh interval while a search runs and the panel
 * is seen (a finished search does not change), once when the panel is seen again.
 */
import type {
  AutoML,
  AutoMLDetail,
  Candidate,
  IAutoMLAPI
} from '../api/automl';
import type { ISettingsHolder } from '../tokens';
import { LiveModel } from './liveModel';

/** How many searches the panel lists. */
export const AUTOML_PAGE = 100;

/** How long the panel waits for a job to start its search before it stops polling for it. */
export const AWAIT_JOB_MS = 10 * 60_000;

/** A search still changes: its parent run is running. */
export function isRunning(automl: AutoML): boolean {
  return automl.status === 'RUNNING';
}

/**
 * The share of the time budget spent, 0 to 1: the search's own seconds once it is over, the
 * time since it started while it runs (an exploration before it counts too: it shares the
 * wall clock the user waits on).
 */
export function budgetSpent(automl: AutoML, now: number): number {
  if (automl.time_budget <= 0) {
    return 1;
  }
  if (automl.phase !== 'exploring' && automl.phase !== 'searching') {
    return 1;
  }
  const seconds = automl.search_seconds ?? (now - automl.started_at) / 1000;
  return Math.min(1, Math.max(0, seconds / automl.time_budget));
}

/** Ranked candidates by rank, then the running, pruned and failed ones by score. */
export function orderedLeaderboard(
  candidates: readonly Candidate[],
  greaterIsBetter: boolean
): Candidate[] {
  const byScore = (a: Candidate, b: Candidate) => {
    const sa = a.score ?? NaN;
    const sb = b.score ?? NaN;
    if (Number.isNaN(sa) || Number.isNaN(sb)) {
      return Number.isNaN(sa) ? (Number.isNaN(sb) ? 0 : 1) : -1;
    }
    return greaterIsBetter ? sb - sa : sa - sb;
  };
  const ranked = candidates
    .filter(c => c.rank !== null)
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0));
  const rest = candidates.filter(c => c.rank === null).sort(byScore);
  return [...ranked, ...rest];
}

export interface IAutoMLModelOptions {
  api: Pick<IAutoMLAPI, 'list' | 'get'>;
  settings: ISettingsHolder;
}

export class AutoMLModel extends LiveModel {
  constructor(options: IAutoMLModelOptions) {
    super('studio:automl', options.settings);
    this._api = options.api;
  }

  get automls(): readonly AutoML[] {
    return this._automls;
  }
  /** The search shown: the one chosen, else the newest. */
  get selectedRunId(): string | null {
    return this._selectedRunId ?? this._automls[0]?.run_id ?? null;
  }
  /** The shown search with its leaderboard, once read. */
  get detail(): AutoMLDetail | null {
    return this._detail?.run_id === this.selectedRunId ? this._detail : null;
  }
  get leaderboard(): Candidate[] {
    const detail = this.detail;
    return detail
      ? orderedLeaderboard(detail.leaderboard, detail.greater_is_better)
      : [];
  }
  /** The job run whose search the panel waits for (it shows it once listed), if any. */
  get awaitedJobRunId(): number | null {
    return this._awaited?.jobRunId ?? null;
  }
  /** A search runs, or one is awaited: the panel then refreshes every interval. */
  get isLive(): boolean {
    return this.live.isLive;
  }

  /** Show a search (read now). */
  async select(runId: string): Promise<void> {
    this._selectedRunId = runId;
    this._stateChanged.emit();
    await this.refresh();
  }

  /** Show the search the job `jobRunId` runs as soon as it is listed, polling until then. */
  async awaitJob(jobRunId: number): Promise<void> {
    this._awaited = { jobRunId, until: Date.now() + AWAIT_JOB_MS };
    this._stateChanged.emit();
    await this.refresh();
  }

  protected async load(): Promise<void> {
    this._automls = await this._api.list({ maxResults: AUTOML_PAGE });
    this._findAwaited();
    const runId = this.selectedRunId;
    this._detail = runId === null ? null : await this._api.get(runId);
  }

  /** Live while a search runs or one is awaited. */
  protected afterLoad(): void {
    this.live.setLive(
      this._awaited !== null ||
        this._automls.some(isRunning) ||
        (this._detail !== null && isRunning(this._detail))
    );
  }

  /** Select the awaited job's search once listed; give up waiting after AWAIT_JOB_MS. */
  private _findAwaited(): void {
    if (this._awaited === null) {
      return;
    }
    const { jobRunId, until } = this._awaited;
    const found = this._automls.find(a => a.job_run_id === jobRunId);
    if (found) {
      this._selectedRunId = found.run_id;
      this._awaited = null;
    } else if (Date.now() > until) {
      this._awaited = null;
    }
  }

  private readonly _api: Pick<IAutoMLAPI, 'list' | 'get'>;
  private _automls: AutoML[] = [];
  private _selectedRunId: string | null = null;
  private _detail: AutoMLDetail | null = null;
  private _awaited: { jobRunId: number; until: number } | null = null;
}
