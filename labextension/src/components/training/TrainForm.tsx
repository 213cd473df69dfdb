/**
 * The "Train a model" form: the data and target (DatasetSection), an algorithm from the
 * catalogue with its description and hyperparameters, the validation (a holdout share or k
 * folds), the experiment, and a model name to register under. Pure.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Algorithm, Dataset, Task } from '../../api/training';
import type { ITrainForm, ValidationKind } from '../../models/trainForm';
import { DatasetSection } from './DatasetSection';
import { HyperparameterFields } from './HyperparameterFields';
import { TextField } from '../FormFields';

export interface ITrainFormProps {
  form: ITrainForm;
  dataset: Dataset | null;
  datasetError: string | null;
  datasetLoading: boolean;
  /** The algorithms serving the task; null while the catalogue is read. */
  algorithms: readonly Algorithm[] | null;
  algorithmsError: string | null;
  algorithm: Algorithm | null;
  hyperparameterProblems: Record<string, string>;
  trans: TranslationBundle;
  onChange: (change: Partial<ITrainForm>) => void;
  onAlgorithm: (name: string) => void;
  onHyperparameter: (name: string, text: string) => void;
}

export function TrainForm(props: ITrainFormProps): JSX.Element {
  const { form, trans, onChange, algorithm } = props;
  return (
    <div
      className="jp-Studio-jobForm jp-Studio-trainForm"
      data-testid="studio-train-form"
    >
      <DatasetSection
        path={form.path}
        dataset={props.dataset}
        error={props.datasetError}
        loading={props.datasetLoading}
        target={form.target}
        task={form.task}
        trans={trans}
        onTarget={target => onChange({ target })}
        onTask={(task: Task | '') => onChange({ task })}
      />
      <fieldset>
        <legend>{trans.__('Algorithm')}</legend>
        {props.algorithmsError && (
          <p className="jp-Studio-jobForm-error" role="alert">
            {props.algorithmsError}
          </p>
        )}
        <select
          className="jp-mod-styled"
          data-testid="studio-train-algorithm"
          value={form.algorithm}
          disabled={!props.algorithms}
          onChange={event => props.onAlgorithm(event.target.value)}
        >
          {props.algorithms === null && (
            <option value="">{trans.__('Loading…')}</option>
          )}
          {props.algorithms?.map(a => (
            <option key={a.name} value={a.name}>
              {`${a.title} (${a.library})`}
            </option>
          ))}
        </select>
        {algorithm && (
          <>
            <p className="jp-Studio-jobForm-muted">
              {`${algorithm.description} (${algorithm.estimator})`}
            </p>
            <HyperparameterFields
              algorithm={algorithm}
              texts={form.hyperparameters}
              problems={props.hyperparameterProblems}
              trans={trans}
              onChange={props.onHyperparameter}
            />
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>{trans.__('Validation')}</legend>
        <div className="jp-Studio-trainForm-row">
          <select
            className="jp-mod-styled"
            data-testid="studio-train-validation"
            value={form.validation}
            onChange={event =>
              onChange({ validation: event.target.value as ValidationKind })
            }
          >
            <option value="holdout">{trans.__('Holdout')}</option>
            <option value="cv">{trans.__('k-fold cross-validation')}</option>
          </select>
          {form.validation === 'holdout' ? (
            <label>
              <input
                className="jp-mod-styled"
                data-testid="studio-train-holdout"
                inputMode="decimal"
                value={form.holdoutPercent}
                onChange={event =>
                  onChange({ holdoutPercent: event.target.value })
                }
              />
              {trans.__('% held out')}
            </label>
          ) : (
            <label>
              <input
                className="jp-mod-styled"
                data-testid="studio-train-folds"
                inputMode="numeric"
                value={form.folds}
                onChange={event => onChange({ folds: event.target.value })}
              />
              {trans.__('folds')}
            </label>
          )}
        </div>
      </fieldset>
      <TextField
        label={trans.__('Experiment')}
        testId="studio-train-experiment"
        value={form.experiment}
        onChange={experiment => onChange({ experiment })}
      />
      <TextField
        label={trans.__('Register the model as (optional)')}
        testId="studio-train-register"
        placeholder={trans.__('A model name; empty registers nothing')}
        value={form.registerAs}
        onChange={registerAs => onChange({ registerAs })}
      />
    </div>
  );
}
