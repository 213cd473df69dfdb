/**
 * The "Run AutoML" form: the data and target (DatasetSection), the metric to rank on, the
 * time budget of the search, the experiment and the model name (empty: the server's
 * defaults, shown as placeholders). Pure.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Dataset, Task } from '../../api/training';
import type { IAutoMLForm } from '../../models/automlForm';
import { DatasetSection } from '../training/DatasetSection';
import { SelectField, TextField } from '../FormFields';

export interface IAutoMLFormProps {
  form: IAutoMLForm;
  dataset: Dataset | null;
  datasetError: string | null;
  datasetLoading: boolean;
  /** The metrics the task can rank on. */
  metrics: readonly string[];
  trans: TranslationBundle;
  onChange: (change: Partial<IAutoMLForm>) => void;
}

/** A file's name without its folder and extension, as the server names things after it. */
export function fileStem(path: string): string {
  const file = path.split('/').pop() ?? path;
  return file.replace(/\.[^.]+$/, '');
}

export function AutoMLForm(props: IAutoMLFormProps): JSX.Element {
  const { form, trans, onChange } = props;
  const stem = fileStem(form.path);
  return (
    <div
      className="jp-Studio-jobForm jp-Studio-trainForm"
      data-testid="studio-automl-form"
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
      <SelectField
        label={trans.__('Metric to rank on')}
        testId="studio-automl-metric"
        value={form.metric}
        onChange={metric => onChange({ metric })}
      >
        <option value="">{trans.__('The task’s default')}</option>
        {props.metrics.map(metric => (
          <option key={metric} value={metric}>
            {metric}
          </option>
        ))}
      </SelectField>
      <TextField
        label={trans.__('Time budget of the search (seconds)')}
        testId="studio-automl-budget"
        inputMode="numeric"
        value={form.timeBudget}
        onChange={timeBudget => onChange({ timeBudget })}
      />
      <TextField
        label={trans.__('Experiment')}
        testId="studio-automl-experiment"
        placeholder={`automl-${stem}`}
        value={form.experiment}
        onChange={experiment => onChange({ experiment })}
      />
      <TextField
        label={trans.__('Register the best model as')}
        testId="studio-automl-register"
        placeholder={`${stem}-automl`}
        value={form.registerAs}
        onChange={registerAs => onChange({ registerAs })}
      />
    </div>
  );
}
