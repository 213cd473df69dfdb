/**
 * The registry's dialogs, JupyterLab `Dialog`s with a React body: deploy a version (stays open
 * while the form has a problem, showing it), approve (the types to trust with their reasons,
 * and the gates' results), reject (with a comment), batch transform (input and output paths).
 */
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { BatchTransformRequest, Lineage } from '../api/registry';
import { DeployForm } from '../components/registry/DeployForm';
import { ApproveForm } from '../components/registry/ApproveForm';
import {
  DeployRequest,
  IDeployForm,
  deployProblems,
  deployRequest,
  emptyDeployForm
} from '../models/deployForm';

/** A dialog body over a value the React view edits; `getValue` is what the user chose. */
class ValueBody<T> extends ReactWidget {
  constructor(
    private _value: T,
    private readonly _view: (
      value: T,
      change: (next: T) => void
    ) => JSX.Element,
    className: string
  ) {
    super();
    this.addClass(className);
  }

  getValue(): T {
    return this._value;
  }

  protected render(): JSX.Element {
    return this._view(this._value, next => {
      this._value = next;
      this.update();
    });
  }
}

export interface IDeployDialogOptions {
  modelName: string;
  version: number;
  /** The endpoints that exist, to add the version to. */
  endpoints: readonly string[];
  trans: TranslationBundle;
}

/** Ask how to deploy the version until the form has no problem; the request, or null. */
export async function askDeploy(
  options: IDeployDialogOptions
): Promise<{ form: IDeployForm; request: DeployRequest } | null> {
  const { trans, endpoints } = options;
  let form = emptyDeployForm(options.modelName, options.version, endpoints);
  let problems: string[] = [];
  for (;;) {
    const body = new ValueBody<IDeployForm>(
      form,
      (value, change) => (
        <DeployForm
          form={value}
          endpoints={endpoints}
          problems={problems}
          trans={trans}
          onChange={part => change({ ...value, ...part })}
        />
      ),
      'jp-Studio-deployDialog'
    );
    const result = await showDialog({
      title: trans.__(
        'Deploy %1 version %2',
        options.modelName,
        options.version
      ),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Deploy') })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    form = result.value;
    problems = deployProblems(form, endpoints, trans);
    if (problems.length === 0) {
      return { form, request: deployRequest(form) };
    }
  }
}

/** Ask to approve: the types to trust (with why each is not trusted) and the gates' results. */
export async function askApproval(
  versionLabel: string,
  lineage: Lineage | null,
  trans: TranslationBundle
): Promise<{ types: string[]; comment: string } | null> {
  const types = lineage?.needs_approval ?? [];
  const reasons = lineage?.untrusted_reasons ?? {};
  const gates = lineage?.gates ?? [];
  const body = new ValueBody<string>(
    '',
    (comment, change) => (
      <ApproveForm
        types={types}
        reasons={reasons}
        gates={gates}
        comment={comment}
        trans={trans}
        onComment={change}
      />
    ),
    'jp-Studio-approveDialog'
  );
  const result = await showDialog({
    title: trans.__('Approve %1', versionLabel),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Approve') })
    ]
  });
  if (!result.button.accept) {
    return null;
  }
  return { types, comment: result.value ?? '' };
}

/** Ask why the version is rejected; the comment, or null. */
export async function askReject(
  versionLabel: string,
  trans: TranslationBundle
): Promise<string | null> {
  const body = new ValueBody<string>(
    '',
    (comment, change) => (
      <label className="jp-Studio-approveForm">
        {trans.__('Why is it rejected?')}
        <input
          className="jp-mod-styled"
          data-testid="studio-reject-comment"
          value={comment}
          onChange={event => change(event.target.value)}
        />
      </label>
    ),
    'jp-Studio-rejectDialog'
  );
  const result = await showDialog({
    title: trans.__('Reject %1', versionLabel),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Reject') })
    ],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? (result.value ?? '') : null;
}

/** Ask for a batch transform's input (a CSV or Parquet file, or a folder) and output. */
export async function askBatchTransform(
  versionLabel: string,
  trans: TranslationBundle
): Promise<BatchTransformRequest | null> {
  const body = new ValueBody<BatchTransformRequest>(
    { input_path: '', output_path: '' },
    (value, change) => (
      <div className="jp-Studio-approveForm">
        <label>
          {trans.__('Input: a CSV or Parquet file, or a folder of them')}
          <input
            className="jp-mod-styled"
            data-testid="studio-batch-input"
            value={value.input_path}
            onChange={event =>
              change({ ...value, input_path: event.target.value })
            }
          />
        </label>
        <label>
          {trans.__('Output (optional: beside the input)')}
          <input
            className="jp-mod-styled"
            data-testid="studio-batch-output"
            value={value.output_path ?? ''}
            onChange={event =>
              change({ ...value, output_path: event.target.value })
            }
          />
        </label>
      </div>
    ),
    'jp-Studio-batchDialog'
  );
  const result = await showDialog({
    title: trans.__('Batch transform with %1', versionLabel),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Run') })
    ],
    focusNodeSelector: 'input'
  });
  if (!result.button.accept || !result.value?.input_path.trim()) {
    return null;
  }
  const { input_path, output_path } = result.value;
  return output_path?.trim()
    ? { input_path: input_path.trim(), output_path: output_path.trim() }
    : { input_path: input_path.trim() };
}
