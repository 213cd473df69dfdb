/**
 * The train dialog's form and model: hyperparameters checked against their declared ranges,
 * the body sent (only what changed from the defaults), the target preselected and inspected
 * again when it changes, the algorithms that fit the task; and the form as rendered.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import { TrainForm } from '../components/training/TrainForm';
import {
  emptyTrainForm,
  hyperparameterProblems,
  parseHyperparameter,
  trainBody,
  trainProblems
} from '../models/trainForm';
import { TrainFormModel } from '../models/trainFormModel';
import { FakeTrainingAPI, dataset, hgb, logistic } from './trainingFixtures';

const trans = nullTranslator.load('jupyter-studio');
const [learningRate, maxDepth, loss, earlyStopping] = hgb.hyperparameters;

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('parseHyperparameter', () => {
  it('takes values within the declared range, and says why others are refused', () => {
    expect(parseHyperparameter(learningRate, '0.05', trans)).toEqual({
      value: 0.05
    });
    expect(parseHyperparameter(learningRate, '2', trans)).toEqual({
      problem: 'learning_rate must be within 0.001 – 1.'
    });
    expect(parseHyperparameter(learningRate, 'fast', trans)).toEqual({
      problem: 'learning_rate must be a number.'
    });
    expect(parseHyperparameter(learningRate, '', trans)).toEqual({
      problem: 'learning_rate needs a value.'
    });
    expect(parseHyperparameter(maxDepth, '2.5', trans)).toEqual({
      problem: 'max_depth must be a whole number.'
    });
    expect(parseHyperparameter(maxDepth, '0', trans)).toHaveProperty('problem');
    expect(parseHyperparameter(maxDepth, '', trans)).toEqual({ value: null });
    expect(parseHyperparameter(loss, 'log_loss', trans)).toEqual({
      value: 'log_loss'
    });
    expect(parseHyperparameter(loss, 'hinge', trans)).toHaveProperty('problem');
    // None among the choices: an empty field, though the hyperparameter is not nullable.
    expect(parseHyperparameter(loss, '', trans)).toEqual({ value: null });
    expect(parseHyperparameter(earlyStopping, 'false', trans)).toEqual({
      value: false
    });
  });
});

describe('trainBody and trainProblems', () => {
  it('sends the hyperparameters changed from their defaults, typed, and the validation', () => {
    const form = {
      ...emptyTrainForm('data/fish.csv'),
      target: 'species',
      algorithm: hgb.name,
      hyperparameters: {
        learning_rate: '0.1',
        max_depth: '6',
        loss: 'log_loss',
        early_stopping: 'true'
      },
      validation: 'cv' as const,
      folds: '3',
      registerAs: ' fish '
    };
    expect(trainProblems(form, hgb, trans)).toEqual([]);
    expect(trainBody(form, hgb, trans)).toEqual({
      path: 'data/fish.csv',
      target: 'species',
      algorithm: 'hist_gradient_boosting',
      task: null,
      hyperparameters: { max_depth: 6, loss: 'log_loss' },
      validation: { kind: 'cv', holdout: 0.2, folds: 3 },
      experiment: 'training',
      register_as: 'fish',
      seed: 0
    });
    expect(
      trainBody(
        { ...form, validation: 'holdout', holdoutPercent: '25' },
        hgb,
        trans
      ).validation
    ).toEqual({ kind: 'holdout', holdout: 0.25, folds: 3 });
  });

  it('lists what must be fixed before training', () => {
    const form = {
      ...emptyTrainForm('d.csv'),
      hyperparameters: { learning_rate: '5' },
      holdoutPercent: '100',
      experiment: ' '
    };
    expect(trainProblems(form, hgb, trans)).toEqual([
      'Choose the target column.',
      'learning_rate must be within 0.001 – 1.',
      'The holdout share must be between 0 and 100%.',
      'Name the experiment.'
    ]);
    expect(
      trainProblems({ ...form, validation: 'cv', folds: '30' }, null, trans)
    ).toContain('Folds must be a whole number from 2 to 20.');
  });
});

describe('TrainFormModel', () => {
  it('preselects the last column as the target, inspects it, and offers the algorithms of its task', async () => {
    const api = new FakeTrainingAPI();
    const model = new TrainFormModel({
      api,
      form: emptyTrainForm('data/fish.csv'),
      trans
    });
    await model.load();
    await flush();
    expect(api.inspected).toEqual([null, 'species']);
    expect(model.form.target).toBe('species');
    expect(model.task).toBe('binary');
    expect(model.dataset.dataset?.classes).toEqual(['cod', 'ling']);
    expect(model.algorithms?.map(a => a.name)).toEqual([
      'hist_gradient_boosting',
      'logistic_regression'
    ]);
    expect(model.form.algorithm).toBe('hist_gradient_boosting');
    expect(model.form.hyperparameters).toEqual({
      learning_rate: '0.1',
      max_depth: '',
      loss: 'auto',
      early_stopping: 'true'
    });

    model.setAlgorithm('logistic_regression');
    model.setHyperparameter('C', '0.5');
    expect(model.algorithm?.name).toBe('logistic_regression');
    // A numeric target: a regression, which logistic regression does not serve.
    model.update({ target: 'size' });
    await flush();
    expect(model.task).toBe('regression');
    expect(model.algorithms?.map(a => a.name)).toEqual([
      'hist_gradient_boosting',
      'ridge'
    ]);
    // The catalogue is read once per task: its hyperparameters depend on the task.
    expect(api.catalogues).toEqual([null, 'binary', 'regression']);
    expect(model.form.algorithm).toBe('hist_gradient_boosting');
    expect(model.form.hyperparameters.learning_rate).toBe('0.1');
    expect(model.problems()).toEqual([]);
    model.dispose();
  });

  it('shows the answer for the target asked last', async () => {
    const api = new FakeTrainingAPI();
    const model = new TrainFormModel({
      api,
      form: { ...emptyTrainForm('d.csv'), target: 'species' },
      trans
    });
    api.hold = true;
    void model.dataset.inspect('species');
    void model.dataset.inspect('size');
    api.held[1]();
    await flush();
    api.held[0]();
    await flush();
    expect(model.dataset.dataset?.target).toBe('size');
    model.dispose();
  });
});

describe('TrainForm', () => {
  it('shows the detected task, classes, warnings, preview, and a value out of range', () => {
    const onHyperparameter = jest.fn();
    const form = {
      ...emptyTrainForm('data/fish.csv'),
      target: 'species',
      algorithm: hgb.name,
      hyperparameters: { learning_rate: '3' }
    };
    render(
      <TrainForm
        form={form}
        dataset={dataset('species')}
        datasetError={null}
        datasetLoading={false}
        algorithms={[hgb, logistic]}
        algorithmsError={null}
        algorithm={hgb}
        hyperparameterProblems={hyperparameterProblems(
          hgb,
          form.hyperparameters,
          trans
        )}
        trans={trans}
        onChange={jest.fn()}
        onAlgorithm={jest.fn()}
        onHyperparameter={onHyperparameter}
      />
    );
    expect(screen.getByTestId('studio-train-task').textContent).toContain(
      'Detected: Binary classification'
    );
    expect(screen.getByTestId('studio-train-classes').textContent).toBe(
      'Classes: cod, ling'
    );
    expect(screen.getByTestId('studio-train-warning').textContent).toBe(
      '3 rows miss colour.'
    );
    expect(
      screen.getByTestId('studio-train-preview').querySelectorAll('tbody tr')
    ).toHaveLength(2);
    expect(screen.getByRole('alert').textContent).toBe(
      'learning_rate must be within 0.001 – 1.'
    );
    fireEvent.change(screen.getByTestId('studio-train-hp-max_depth'), {
      target: { value: '4' }
    });
    expect(onHyperparameter).toHaveBeenCalledWith('max_depth', '4');
  });
});
