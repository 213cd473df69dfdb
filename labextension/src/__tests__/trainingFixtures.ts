/**
 * Fixtures of the training and AutoML tests: wire objects as the server sends them
 * (studio/evaluation/schemas.py), and fake clients that answer from fields and record calls.
 */
import type {
  AutoML,
  AutoMLDetail,
  AutoMLRequest,
  Candidate,
  IAutoMLAPI,
  IAutoMLQuery
} from '../api/automl';
import type { JobRun } from '../api/jobs';
import type {
  Algorithm,
  Dataset,
  ITrainingAPI,
  Task,
  TrainRequest
} from '../api/training';
import { jobRun } from './jobsFixtures';

export const hgb: Algorithm = {
  name: 'hist_gradient_boosting',
  title: 'Histogram gradient boosting',
  tasks: ['binary', 'multiclass', 'regression'],
  library: 'scikit-learn',
  estimator: 'HistGradientBoostingClassifier',
  description: 'Boosted trees on binned features.',
  hyperparameters: [
    {
      name: 'learning_rate',
      kind: 'float',
      default: 0.1,
      low: 0.001,
      high: 1,
      log: true,
      choices: null,
      nullable: false,
      help: 'Shrinkage of each tree.'
    },
    {
      name: 'max_depth',
      kind: 'int',
      default: null,
      low: 1,
      high: 100,
      log: false,
      choices: null,
      nullable: true,
      help: 'None: unlimited.'
    },
    {
      name: 'loss',
      kind: 'choice',
      default: 'auto',
      low: null,
      high: null,
      log: false,
      choices: ['auto', 'log_loss', null],
      nullable: false,
      help: ''
    },
    {
      name: 'early_stopping',
      kind: 'bool',
      default: true,
      low: null,
      high: null,
      log: false,
      choices: null,
      nullable: false,
      help: ''
    }
  ]
};

export const logistic: Algorithm = {
  name: 'logistic_regression',
  title: 'Logistic regression',
  tasks: ['binary', 'multiclass'],
  library: 'scikit-learn',
  estimator: 'LogisticRegression',
  description: 'A linear model of the log-odds.',
  hyperparameters: [
    {
      name: 'C',
      kind: 'float',
      default: 1,
      low: 0.0001,
      high: 10000,
      log: true,
      choices: null,
      nullable: false,
      help: 'Inverse regularisation strength.'
    }
  ]
};

export const ridge: Algorithm = {
  ...logistic,
  name: 'ridge',
  title: 'Ridge regression',
  tasks: ['regression'],
  estimator: 'Ridge',
  hyperparameters: []
};

/** A file's inspection: `species` is binary, `size` is numeric (regression). */
export function dataset(target: string | null): Dataset {
  const task: Record<string, Task> = {
    species: 'binary',
    size: 'regression'
  };
  return {
    path: 'data/fish.csv',
    rows: 120,
    total_columns: 3,
    columns: [
      {
        name: 'size',
        dtype: 'float64',
        kind: 'numeric',
        missing: 0,
        unique: 100
      },
      {
        name: 'colour',
        dtype: 'object',
        kind: 'categorical',
        missing: 3,
        unique: 4
      },
      {
        name: 'species',
        dtype: 'object',
        kind: 'categorical',
        missing: 0,
        unique: 2
      }
    ],
    target,
    task: target ? task[target] : null,
    classes: target === 'species' ? ['cod', 'ling'] : null,
    preview: [
      { size: 1.5, colour: 'red', species: 'cod' },
      { size: 2.5, colour: null, species: 'ling' }
    ],
    warnings: target === 'species' ? ['3 rows miss colour.'] : []
  };
}

export class FakeTrainingAPI implements ITrainingAPI {
  algorithms: Algorithm[] = [hgb, logistic, ridge];
  inspected: (string | null)[] = [];
  catalogues: (Task | null)[] = [];
  trained: TrainRequest[] = [];
  /** Answers held until released, to test that the last question wins. */
  hold = false;
  held: (() => void)[] = [];

  async listAlgorithms(task?: Task): Promise<Algorithm[]> {
    this.catalogues.push(task ?? null);
    return this.algorithms.filter(a => !task || a.tasks.includes(task));
  }

  async inspectDataset(path: string, target?: string | null): Promise<Dataset> {
    this.inspected.push(target ?? null);
    if (this.hold) {
      await new Promise<void>(resolve => this.held.push(resolve));
    }
    return { ...dataset(target ?? null), path };
  }

  async train(body: TrainRequest): Promise<JobRun> {
    this.trained.push(body);
    return jobRun(7, { status: 'QUEUED', run_id: null });
  }
}

export function candidate(
  runId: string,
  rank: number | null,
  score: number | null,
  change: Partial<Candidate> = {}
): Candidate {
  return {
    rank,
    run_id: runId,
    name: `impute+onehot → ${runId}`,
    algorithm: 'random_forest',
    preprocessing: 'impute+onehot',
    state: rank === null ? 'pruned' : 'complete',
    score,
    std: score === null ? null : 0.01,
    folds: rank === null ? 1 : 5,
    fit_time: 0.25,
    params: { n_estimators: '100' },
    ensemble: false,
    ...change
  };
}

export function automl(
  runId: string,
  change: Partial<AutoMLDetail> = {}
): AutoMLDetail {
  return {
    run_id: runId,
    name: `automl-${runId}`,
    experiment_id: 3,
    status: 'FINISHED',
    phase: 'done',
    target: 'species',
    task: 'binary',
    metric: 'accuracy',
    greater_is_better: true,
    time_budget: 60,
    data: 'data/fish.csv',
    started_at: 1_700_000_000_000,
    ended_at: 1_700_000_070_000,
    search_seconds: 60.5,
    post_seconds: 6.2,
    candidates: 3,
    pruned: 1,
    best_run_id: 'c1',
    best_score: 0.93,
    model_name: 'fish-automl',
    model_version: 2,
    notebooks: {
      exploration: 'data/fish.automl/exploration.ipynb',
      candidates: 'data/fish.automl/candidates.ipynb'
    },
    job_run_id: 7,
    leaderboard: [
      candidate('c1', 1, 0.93),
      candidate('c2', 2, 0.9),
      candidate('c3', null, 0.5)
    ],
    ...change
  };
}

/** The list's item of a search: its fields without the leaderboard. */
export function summary(detail: AutoMLDetail): AutoML {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { leaderboard, ...rest } = detail;
  return rest;
}

export class FakeAutoMLAPI implements IAutoMLAPI {
  searches: AutoMLDetail[] = [];
  calls: string[] = [];
  started: AutoMLRequest[] = [];

  async start(body: AutoMLRequest): Promise<JobRun> {
    this.started.push(body);
    return jobRun(8, { status: 'QUEUED', run_id: null });
  }

  async list(query?: IAutoMLQuery): Promise<AutoML[]> {
    this.calls.push('list');
    return this.searches.map(summary);
  }

  async get(runId: string): Promise<AutoMLDetail> {
    this.calls.push(`get ${runId}`);
    const found = this.searches.find(s => s.run_id === runId);
    if (!found) {
      throw new Error(`No AutoML run ${runId}`);
    }
    return found;
  }
}
