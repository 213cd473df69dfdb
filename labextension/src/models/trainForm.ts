/**
 * The "Train a model" dialog's state. The form is plain data (what the user typed, as text),
 * and pure functions turn it into the body the training route takes, checking each
 * hyperparameter against the range the catalogue declares. `TrainFormModel`
 * (trainFormModel.ts) holds one while the dialog is open.
 */
import type {
  Algorithm,
  Hyperparameter,
  HyperparameterValue,
  Task,
  TrainRequest
} from '../api/training';

/** What the messages need of a translation bundle (trans.__). */
export interface ITranslate {
  __(message: string, ...values: unknown[]): string;
}

export type ValidationKind = 'holdout' | 'cv';

export interface ITrainForm {
  path: string;
  target: string;
  /** '' trains for the task detected from the target. */
  task: Task | '';
  algorithm: string;
  /** The text typed for each of the algorithm's hyperparameters, by name. */
  hyperparameters: Record<string, string>;
  validation: ValidationKind;
  /** The share held out, in percent. */
  holdoutPercent: string;
  folds: string;
  experiment: string;
  /** '' registers nothing. */
  registerAs: string;
}

/** The server's defaults (studio/evaluation/schemas.py). */
export const DEFAULT_EXPERIMENT = 'training';
export const MAX_FOLDS = 20;

export function emptyTrainForm(path: string): ITrainForm {
  return {
    path,
    target: '',
    task: '',
    algorithm: '',
    hyperparameters: {},
    validation: 'holdout',
    holdoutPercent: '20',
    folds: '5',
    experiment: DEFAULT_EXPERIMENT,
    registerAs: ''
  };
}

/** A value as the form shows it: None as an empty field. */
export function hyperparameterText(value: HyperparameterValue): string {
  return value === null ? '' : String(value);
}

export function defaultTexts(algorithm: Algorithm): Record<string, string> {
  return Object.fromEntries(
    algorithm.hyperparameters.map(hp => [
      hp.name,
      hyperparameterText(hp.default)
    ])
  );
}

/** The value a hyperparameter's text stands for, or why it is not one. */
export function parseHyperparameter(
  hp: Hyperparameter,
  text: string,
  trans: ITranslate
): { value: HyperparameterValue } | { problem: string } {
  const trimmed = text.trim();
  if (hp.kind === 'choice') {
    // None may be one of the choices (shown as an empty field), nullable or not.
    const choice = (hp.choices ?? []).find(
      c => hyperparameterText(c) === trimmed
    );
    return choice === undefined
      ? { problem: trans.__('%1 is not one of its choices.', hp.name) }
      : { value: choice };
  }
  if (trimmed === '' || trimmed === 'None') {
    return hp.nullable
      ? { value: null }
      : { problem: trans.__('%1 needs a value.', hp.name) };
  }
  if (hp.kind === 'bool') {
    return { value: trimmed === 'true' };
  }
  const value = Number(trimmed);
  if (!Number.isFinite(value)) {
    return { problem: trans.__('%1 must be a number.', hp.name) };
  }
  if (hp.kind === 'int' && !Number.isInteger(value)) {
    return { problem: trans.__('%1 must be a whole number.', hp.name) };
  }
  const low = hp.low ?? -Infinity;
  const high = hp.high ?? Infinity;
  if (value < low || value > high) {
    return {
      problem: trans.__('%1 must be within %2.', hp.name, rangeText(hp))
    };
  }
  return { value };
}

/** A number hyperparameter's range in words, e.g. "1 to 1000", "≥ 0"; '' when unbounded. */
export function rangeText(hp: Hyperparameter): string {
  const { low, high } = hp;
  if (
    low !== null &&
    low !== undefined &&
    high !== null &&
    high !== undefined
  ) {
    return `${low} – ${high}`;
  }
  if (low !== null && low !== undefined) {
    return `≥ ${low}`;
  }
  if (high !== null && high !== undefined) {
    return `≤ ${high}`;
  }
  return '';
}

/** The problems of the algorithm's hyperparameters, by name. */
export function hyperparameterProblems(
  algorithm: Algorithm | null,
  texts: Record<string, string>,
  trans: ITranslate
): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const hp of algorithm?.hyperparameters ?? []) {
    const parsed = parseHyperparameter(
      hp,
      texts[hp.name] ?? hyperparameterText(hp.default),
      trans
    );
    if ('problem' in parsed) {
      problems[hp.name] = parsed.problem;
    }
  }
  return problems;
}

/** Why the form cannot be sent yet; empty when it can. */
export function trainProblems(
  form: ITrainForm,
  algorithm: Algorithm | null,
  trans: ITranslate
): string[] {
  const problems: string[] = [];
  if (!form.target) {
    problems.push(trans.__('Choose the target column.'));
  }
  if (!algorithm) {
    problems.push(trans.__('Choose an algorithm.'));
  }
  problems.push(
    ...Object.values(
      hyperparameterProblems(algorithm, form.hyperparameters, trans)
    )
  );
  if (form.validation === 'holdout') {
    const share = Number(form.holdoutPercent);
    if (!(share > 0 && share < 100)) {
      problems.push(trans.__('The holdout share must be between 0 and 100%.'));
    }
  } else {
    const folds = Number(form.folds);
    if (!Number.isInteger(folds) || folds < 2 || folds > MAX_FOLDS) {
      problems.push(
        trans.__('Folds must be a whole number from 2 to %1.', MAX_FOLDS)
      );
    }
  }
  if (!form.experiment.trim()) {
    problems.push(trans.__('Name the experiment.'));
  }
  return problems;
}

/** The route's body; only the hyperparameters changed from their defaults are sent. */
export function trainBody(
  form: ITrainForm,
  algorithm: Algorithm,
  trans: ITranslate
): TrainRequest {
  const hyperparameters: Record<string, HyperparameterValue> = {};
  for (const hp of algorithm.hyperparameters) {
    const text = form.hyperparameters[hp.name];
    if (text === undefined || text.trim() === hyperparameterText(hp.default)) {
      continue;
    }
    const parsed = parseHyperparameter(hp, text, trans);
    if ('value' in parsed) {
      hyperparameters[hp.name] = parsed.value;
    }
  }
  return {
    path: form.path,
    target: form.target,
    algorithm: algorithm.name,
    task: form.task || null,
    hyperparameters,
    validation: {
      kind: form.validation,
      holdout: Number(form.holdoutPercent) / 100,
      folds: Number(form.folds)
    },
    experiment: form.experiment.trim(),
    register_as: form.registerAs.trim() || null,
    seed: 0
  };
}
