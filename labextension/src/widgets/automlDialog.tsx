/**
 * The "Run AutoML" dialog, a JupyterLab `Dialog` with a React body over `AutoMLFormModel`;
 * it stays open while the form has a problem, and answers the route's body.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { AutoMLRequest } from '../api/automl';
import type { ITrainingAPI } from '../api/training';
import { AutoMLForm } from '../components/automl/AutoMLForm';
import {
  AutoMLFormModel,
  automlBody,
  emptyAutoMLForm,
  metricsFor
} from '../models/automlForm';
import { askUntilValid } from './trainDialog';

class AutoMLFormBody extends ReactWidget {
  constructor(
    readonly model: AutoMLFormModel,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-Studio-trainDialog');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.stateChanged}>
        {() => (
          <AutoMLForm
            form={this.model.form}
            dataset={this.model.dataset.dataset}
            datasetError={this.model.dataset.error}
            datasetLoading={this.model.dataset.loading}
            metrics={metricsFor(this.model.task)}
            trans={this._trans}
            onChange={change => this.model.update(change)}
          />
        )}
      </UseSignal>
    );
  }
}

/** Ask how to search on the file until the form has no problem; the body, or null. */
export async function askAutoML(
  api: Pick<ITrainingAPI, 'inspectDataset'>,
  path: string,
  trans: TranslationBundle
): Promise<AutoMLRequest | null> {
  // Disposed in the `finally` below, which the rule does not follow.
  // eslint-disable-next-line jupyter/require-disposable-ownership
  const model = new AutoMLFormModel({
    api,
    form: emptyAutoMLForm(path),
    trans
  });
  void model.load();
  try {
    return await askUntilValid(
      {
        title: trans.__('Run AutoML'),
        okLabel: trans.__('Start'),
        problemsTitle: trans.__('AutoML cannot start yet'),
        body: () => new AutoMLFormBody(model, trans),
        problems: () => model.problems(),
        request: () => automlBody(model.form)
      },
      trans
    );
  } finally {
    model.dispose();
  }
}
