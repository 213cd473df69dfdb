/**
 * The "Train a model" dialog, a JupyterLab `Dialog` with a React body over `TrainFormModel`.
 * It stays open while the form has a problem (no target, a value outside its range), showing
 * them; accepted, it answers the route's body. The AutoML dialog asks the same way.
 */
import {
  Dialog,
  ReactWidget,
  UseSignal,
  showDialog
} from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { Widget } from '@lumino/widgets';
import * as React from 'react';

import type { ITrainingAPI, TrainRequest } from '../api/training';
import { TrainForm } from '../components/training/TrainForm';
import {
  emptyTrainForm,
  hyperparameterProblems,
  trainBody
} from '../models/trainForm';
import { TrainFormModel } from '../models/trainFormModel';

class TrainFormBody extends ReactWidget {
  constructor(
    readonly model: TrainFormModel,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-Studio-trainDialog');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.stateChanged}>
        {() => {
          const model = this.model;
          return (
            <TrainForm
              form={model.form}
              dataset={model.dataset.dataset}
              datasetError={model.dataset.error}
              datasetLoading={model.dataset.loading}
              algorithms={model.algorithms}
              algorithmsError={model.algorithmsError}
              algorithm={model.algorithm}
              hyperparameterProblems={hyperparameterProblems(
                model.algorithm,
                model.form.hyperparameters,
                this._trans
              )}
              trans={this._trans}
              onChange={change => model.update(change)}
              onAlgorithm={name => model.setAlgorithm(name)}
              onHyperparameter={(name, text) =>
                model.setHyperparameter(name, text)
              }
            />
          );
        }}
      </UseSignal>
    );
  }
}

/** Ask how to train on the file until the form has no problem; the body, or null. */
export async function askTrain(
  api: Pick<ITrainingAPI, 'inspectDataset' | 'listAlgorithms'>,
  path: string,
  trans: TranslationBundle
): Promise<TrainRequest | null> {
  // Disposed in the `finally` below, which the rule does not follow.
  // eslint-disable-next-line jupyter/require-disposable-ownership
  const model = new TrainFormModel({ api, form: emptyTrainForm(path), trans });
  void model.load();
  try {
    return await askUntilValid(
      {
        title: trans.__('Train a Model'),
        okLabel: trans.__('Train'),
        problemsTitle: trans.__('The model cannot be trained yet'),
        body: () => new TrainFormBody(model, trans),
        problems: () => model.problems(),
        request: () =>
          model.algorithm ? trainBody(model.form, model.algorithm, trans) : null
      },
      trans
    );
  } finally {
    model.dispose();
  }
}

/** A form dialog: its body over a model, the model's problems, the request it makes. */
export interface IFormDialog<T> {
  title: string;
  okLabel: string;
  problemsTitle: string;
  /** A new body over the same model each time: a dialog disposes its body. */
  body: () => Widget;
  /** Why the form cannot be sent yet; empty when it can. */
  problems: () => string[];
  request: () => T | null;
}

/** Show the form until it is accepted without a problem; the request, or null. */
export async function askUntilValid<T>(
  dialog: IFormDialog<T>,
  trans: TranslationBundle
): Promise<T | null> {
  for (;;) {
    const result = await showDialog({
      title: dialog.title,
      body: dialog.body(),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: dialog.okLabel })
      ]
    });
    if (!result.button.accept) {
      return null;
    }
    const problems = dialog.problems();
    const request = problems.length === 0 ? dialog.request() : null;
    if (request !== null) {
      return request;
    }
    await showProblems(problems, dialog.problemsTitle, trans);
  }
}

/** Say what to fix, then go back to the form. */
export async function showProblems(
  problems: readonly string[],
  title: string,
  trans: TranslationBundle
): Promise<void> {
  await showDialog({
    title,
    body: (
      <ul className="jp-Studio-trainForm-problems">
        {problems.map(problem => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    ),
    buttons: [Dialog.okButton({ label: trans.__('Back to the form') })]
  });
}
