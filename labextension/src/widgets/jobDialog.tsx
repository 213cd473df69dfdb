/**
 * The job dialogs, JupyterLab `Dialog`s with a React body: "Create notebook job" (also
 * "Edit" of a definition, pre-filled) and "Re-run" (the run's parameters, pre-filled). The
 * dialog stays open while the form has a problem (an invalid schedule), showing it.
 */
import {
  Dialog,
  ReactWidget,
  UseSignal,
  showDialog
} from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IJobsAPI } from '../api/jobs';
import { JobForm, Parameters } from '../components/jobs/JobForm';
import type { IJobForm } from '../models/jobForm';
import { JobFormModel } from '../models/jobFormModel';

/** The dialog's body: the form over its model; `getValue` is what the user chose. */
class JobFormBody extends ReactWidget {
  constructor(
    readonly model: JobFormModel,
    private readonly _trans: TranslationBundle,
    private readonly _parametersOnly: boolean
  ) {
    super();
    this.addClass('jp-Studio-jobDialog');
  }

  getValue(): IJobForm {
    return this.model.form;
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.stateChanged}>
        {() => {
          const model = this.model;
          const props = {
            form: model.form,
            kernels: model.kernels,
            notebookKernel: model.notebookKernel,
            notebookLoaded: model.notebookLoaded,
            notebookError: model.notebookError,
            preview: model.preview,
            previewError: model.previewError,
            editing: model.editing,
            trans: this._trans,
            onChange: (change: Partial<IJobForm>) => model.update(change),
            onParameter: (name: string, text: string) =>
              model.setParameter(name, text)
          };
          return this._parametersOnly ? (
            <div className="jp-Studio-jobForm">
              <Parameters {...props} />
            </div>
          ) : (
            <JobForm {...props} />
          );
        }}
      </UseSignal>
    );
  }
}

export interface IJobDialogOptions {
  api: Pick<IJobsAPI, 'inspectNotebook' | 'previewSchedule'>;
  trans: TranslationBundle;
  form: IJobForm;
  title: string;
  /** The accept button's label. */
  okLabel: string;
  editing?: boolean;
  /** Show the parameters only (re-run). */
  parametersOnly?: boolean;
}

/** Show the dialog until the form is accepted without a problem; the form, or null. */
export async function askJobForm(
  options: IJobDialogOptions
): Promise<IJobForm | null> {
  // Disposed in the `finally` below, which the rule does not follow.
  // eslint-disable-next-line jupyter/require-disposable-ownership
  const model = new JobFormModel({
    api: options.api,
    form: options.form,
    editing: options.editing
  });
  try {
    return await askUntilValid(model, options);
  } finally {
    model.dispose();
  }
}

async function askUntilValid(
  model: JobFormModel,
  options: IJobDialogOptions
): Promise<IJobForm | null> {
  void model.loadNotebook();
  if (options.form.mode === 'schedule') {
    void model.loadPreview();
  }
  const { trans } = options;
  for (;;) {
    // A dialog disposes its body; a new body over the same model keeps what was typed.
    const body = new JobFormBody(model, trans, options.parametersOnly ?? false);
    const result = await showDialog({
      title: options.title,
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: options.okLabel })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept) {
      return null;
    }
    if (model.form.mode === 'schedule') {
      // The preview may still be on its way: the server's verdict decides.
      await model.loadPreview();
    }
    const problem = model.problem();
    if (problem === null) {
      return model.form;
    }
    await showDialog({
      title: trans.__('The job cannot be saved'),
      body: problem,
      buttons: [Dialog.okButton({ label: trans.__('Back to the form') })]
    });
  }
}
