/**
 * The data part of the train and AutoML dialogs: the file, the target column, the task
 * detected from it (or one chosen), its classes, the server's warnings, and the first rows.
 * Pure: the dataset and the choices come in, every change goes out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Dataset, Task } from '../../api/training';
import { formatNumber } from '../runCells';
import { SelectField } from '../FormFields';

/** Rows and columns of the preview: enough to recognise the data, small enough for a dialog. */
export const PREVIEW_ROWS = 5;
export const PREVIEW_COLUMNS = 8;

export interface IDatasetSectionProps {
  path: string;
  dataset: Dataset | null;
  error: string | null;
  loading: boolean;
  target: string;
  /** '' for the task detected. */
  task: Task | '';
  trans: TranslationBundle;
  onTarget: (target: string) => void;
  onTask: (task: Task | '') => void;
}

export function taskLabel(task: Task, trans: TranslationBundle): string {
  const labels: Record<Task, string> = {
    binary: trans.__('Binary classification'),
    multiclass: trans.__('Multiclass classification'),
    regression: trans.__('Regression')
  };
  return labels[task];
}

export function DatasetSection(props: IDatasetSectionProps): JSX.Element {
  const { dataset, trans } = props;
  const detected = dataset?.target === props.target ? dataset.task : null;
  return (
    <fieldset className="jp-Studio-trainForm-dataset">
      <legend>{trans.__('Data')}</legend>
      <p className="jp-Studio-jobForm-muted">
        {dataset
          ? trans.__(
              '%1: %2 rows, %3 columns',
              props.path,
              dataset.rows,
              dataset.columns.length
            )
          : props.path}
      </p>
      {props.error && (
        <p className="jp-Studio-jobForm-error" role="alert">
          {props.error}
        </p>
      )}
      <SelectField
        label={trans.__('Target column')}
        testId="studio-train-target"
        value={props.target}
        disabled={!dataset}
        onChange={props.onTarget}
      >
        {!props.target && <option value="">{trans.__('Choose…')}</option>}
        {dataset?.columns.map(column => (
          <option key={column.name} value={column.name}>
            {`${column.name} (${column.kind})`}
          </option>
        ))}
      </SelectField>
      <SelectField
        label={trans.__('Task')}
        testId="studio-train-task"
        value={props.task}
        onChange={value => props.onTask(value as Task | '')}
      >
        <option value="">
          {detected
            ? trans.__('Detected: %1', taskLabel(detected, trans))
            : props.loading
              ? trans.__('Detecting…')
              : trans.__('Detect from the target')}
        </option>
        {(['binary', 'multiclass', 'regression'] as const).map(task => (
          <option key={task} value={task}>
            {taskLabel(task, trans)}
          </option>
        ))}
      </SelectField>
      {dataset?.classes && dataset.target === props.target && (
        <p
          className="jp-Studio-jobForm-muted"
          data-testid="studio-train-classes"
        >
          {trans.__('Classes: %1', dataset.classes.join(', '))}
        </p>
      )}
      {dataset?.warnings.map(warning => (
        <p
          key={warning}
          className="jp-Studio-trainForm-warning"
          data-testid="studio-train-warning"
        >
          {warning}
        </p>
      ))}
      {dataset && <Preview dataset={dataset} target={props.target} />}
    </fieldset>
  );
}

function Preview(props: { dataset: Dataset; target: string }): JSX.Element {
  const names = props.dataset.columns
    .map(column => column.name)
    .slice(0, PREVIEW_COLUMNS);
  if (props.target && !names.includes(props.target)) {
    names[names.length - 1] = props.target;
  }
  return (
    <div className="jp-Studio-trainForm-preview">
      <table data-testid="studio-train-preview">
        <thead>
          <tr>
            {names.map(name => (
              <th
                key={name}
                className={name === props.target ? 'jp-mod-target' : undefined}
              >
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.dataset.preview.slice(0, PREVIEW_ROWS).map((row, index) => (
            <tr key={index}>
              {names.map(name => (
                <td
                  key={name}
                  className={
                    name === props.target ? 'jp-mod-target' : undefined
                  }
                >
                  {cellText(row[name])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
