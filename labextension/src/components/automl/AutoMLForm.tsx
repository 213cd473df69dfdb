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
      <label className="jp-Studio-jobForm-field">
        <span>{trans.__('Metric to rank on')}</span>
        <select
          className="jp-mod-styled"
          data-testid="studio-automl-metric"
          value={form.metric}
          onChange={event => onChange({ metric: event.target.value })}
        >
          <option value="">{trans.__('The task’s default')}</option>
          {props.metrics.map(metric => (
            <option key={metric} value={metric}>
              {metric}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-Studio-jobForm-field">
        <span>{trans.__('Time budget of the search (seconds)')}</span>
        <input
          className="jp-mod-styled"
          data-testid="studio-automl-budget"
          inputMode="numeric"
          value={form.timeBudget}
          onChange={event => onChange({ timeBudget: event.target.value })}
        />
      </label>
      <label className="jp-Studio-jobForm-field">
        <span>{trans.__('Experiment')}</span>
        <input
          className="jp-mod-styled"
          data-testid="studio-automl-experiment"
          placeholder={`automl-${stem}`}
          value={form.experiment}
          onChange={event => onChange({ experiment: event.target.value })}
        />
      </label>
      <label className="jp-Studio-jobForm-field">
        <span>{trans.__('Register the best model as')}</span>
        <input
          className="jp-mod-styled"
          data-testid="studio-automl-register"
          placeholder={`${stem}-automl`}
          value={form.registerAs}
          onChange={event => onChange({ registerAs: event.target.value })}
        />
      </label>
    </div>
  );
}
