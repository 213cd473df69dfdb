/**
 * The "Run AutoML" dialog's state: the form as typed (target, task, metric, time budget,
 * experiment, model name), the pure functions that check it and turn it into the route's
 * body, and `AutoMLFormModel`, which reads the data file (its columns, the task the target
 * implies) while the dialog is open. Empty fields leave the choice to the server: the task
 * detected, its default metric, `automl-<stem>` and `<stem>-automl`.
 */
import {
  AutoMLRequest,
  CLASSIFICATION_METRICS,
  REGRESSION_METRICS
} from '../api/automl';
import type { ITrainingAPI, Task } from '../api/training';
import { DatasetFormModel } from './datasetForm';
import type { ITranslate } from './trainForm';

/** The server's limits on the time budget (studio/evaluation/schemas.py), in seconds. */
export const MIN_TIME_BUDGET = 5;
export const MAX_TIME_BUDGET = 24 * 3600;
export const DEFAULT_TIME_BUDGET = 300;

export interface IAutoMLForm {
  path: string;
  target: string;
  /** '' searches for the task detected from the target. */
  task: Task | '';
  /** '' ranks on the task's default metric. */
  metric: string;
  /** Seconds, as typed. */
  timeBudget: string;
  /** '' means `automl-<file stem>`. */
  experiment: string;
  /** '' means `<file stem>-automl`. */
  registerAs: string;
}

export function emptyAutoMLForm(path: string): IAutoMLForm {
  return {
    path,
    target: '',
    task: '',
    metric: '',
    timeBudget: String(DEFAULT_TIME_BUDGET),
    experiment: '',
    registerAs: ''
  };
}

/** The metrics a task can rank on; every metric while the task is unknown. */
export function metricsFor(task: Task | null): readonly string[] {
  if (task === 'regression') {
    return REGRESSION_METRICS;
  }
  if (task === 'binary' || task === 'multiclass') {
    return CLASSIFICATION_METRICS;
  }
  return [...CLASSIFICATION_METRICS, ...REGRESSION_METRICS];
}

/** Why the form cannot be sent yet; empty when it can. */
export function automlProblems(
  form: IAutoMLForm,
  task: Task | null,
  trans: ITranslate
): string[] {
  const problems: string[] = [];
  if (!form.target) {
    problems.push(trans.__('Choose the target column.'));
  }
  const budget = Number(form.timeBudget);
  if (
    !Number.isInteger(budget) ||
    budget < MIN_TIME_BUDGET ||
    budget > MAX_TIME_BUDGET
  ) {
    problems.push(
      trans.__(
        'The time budget must be whole seconds from %1 to %2.',
        MIN_TIME_BUDGET,
        MAX_TIME_BUDGET
      )
    );
  }
  if (form.metric && !metricsFor(task).includes(form.metric)) {
    problems.push(
      trans.__('%1 does not measure a %2 task.', form.metric, task ?? '')
    );
  }
  return problems;
}

export function automlBody(form: IAutoMLForm): AutoMLRequest {
  return {
    path: form.path,
    target: form.target,
    task: form.task || null,
    metric: form.metric || null,
    time_budget: Number(form.timeBudget),
    experiment: form.experiment.trim() || null,
    register_as: form.registerAs.trim() || null,
    seed: 0
  };
}

export interface IAutoMLFormModelOptions {
  api: Pick<ITrainingAPI, 'inspectDataset'>;
  form: IAutoMLForm;
  trans: ITranslate;
}

/** The dialog's model: the form and the file's columns. */
export class AutoMLFormModel extends DatasetFormModel<IAutoMLForm> {
  constructor(options: IAutoMLFormModelOptions) {
    super(options.api, options.form, options.trans);
  }

  /** Read the file, with the last column as the target unless one is given. */
  load(): Promise<void> {
    return this.loadDataset();
  }

  update(change: Partial<IAutoMLForm>): void {
    this.applyChange(change, { metric: '' });
    if (
      this._form.metric &&
      !metricsFor(this.task).includes(this._form.metric)
    ) {
      // A metric of the other kind of task: the new task's default instead.
      this._form = { ...this._form, metric: '' };
    }
    this._stateChanged.emit();
  }

  protected formProblems(): string[] {
    return automlProblems(this._form, this.task, this._trans);
  }
}
