/**
 * The "Create notebook job" form: name, the notebook's parameters (editable, defaults
 * shown), kernel, run now or on a schedule (presets or a cron expression, its meaning in words
 * and its next five times from the server), time zone, timeout, retries, environment,
 * experiment, HTML output. Pure: the form comes in, every change goes out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { KernelChoice, SchedulePreview } from '../../api/jobs';
import type {
  IEnvironmentRow,
  IJobForm,
  SchedulePreset
} from '../../models/jobForm';
import { SCHEDULE_PRESETS } from '../../models/jobForm';
import { formatTime } from './JobStatus';
import { SelectField, TextField } from '../FormFields';

export interface IJobFormProps {
  form: IJobForm;
  kernels: readonly KernelChoice[];
  notebookKernel: string | null;
  notebookLoaded: boolean;
  notebookError: string | null;
  preview: SchedulePreview | null;
  previewError: string | null;
  /** Editing a definition: the notebook stays, "Run now" is not offered. */
  editing: boolean;
  trans: TranslationBundle;
  onChange: (change: Partial<IJobForm>) => void;
  onParameter: (name: string, text: string) => void;
}

function presetLabel(preset: SchedulePreset, trans: TranslationBundle): string {
  const labels: Record<SchedulePreset, string> = {
    hourly: trans.__('Every hour'),
    daily: trans.__('Every day at…'),
    weekdays: trans.__('Weekdays at…'),
    weekly: trans.__('Every week on…'),
    custom: trans.__('Custom (cron)')
  };
  return labels[preset];
}

function weekdayNames(trans: TranslationBundle): string[] {
  return [
    trans.__('Sunday'),
    trans.__('Monday'),
    trans.__('Tuesday'),
    trans.__('Wednesday'),
    trans.__('Thursday'),
    trans.__('Friday'),
    trans.__('Saturday')
  ];
}

export function JobForm(props: IJobFormProps): JSX.Element {
  const { form, trans, onChange } = props;
  return (
    <div className="jp-Studio-jobForm" data-testid="studio-job-form">
      <TextField
        label={trans.__('Name')}
        testId="studio-job-name"
        value={form.name}
        onChange={name => onChange({ name })}
      />
      <p className="jp-Studio-jobForm-muted">
        {trans.__('Notebook: %1', form.notebookPath)}
      </p>
      <Parameters {...props} />
      <SelectField
        label={trans.__('Kernel')}
        testId="studio-job-kernel"
        value={form.kernelName}
        onChange={kernelName => onChange({ kernelName })}
      >
        <option value="">
          {props.notebookKernel
            ? trans.__('The notebook’s (%1)', props.notebookKernel)
            : trans.__('The notebook’s')}
        </option>
        {props.kernels.map(kernel => (
          <option key={kernel.name} value={kernel.name}>
            {kernel.display_name}
          </option>
        ))}
      </SelectField>
      <fieldset className="jp-Studio-jobForm-when">
        <legend>{trans.__('When')}</legend>
        {!props.editing && (
          <label>
            <input
              type="radio"
              name="studio-job-mode"
              data-testid="studio-job-mode-now"
              checked={form.mode === 'now'}
              onChange={() => onChange({ mode: 'now' })}
            />
            {trans.__('Run now')}
          </label>
        )}
        <label>
          <input
            type="radio"
            name="studio-job-mode"
            data-testid="studio-job-mode-schedule"
            checked={form.mode === 'schedule'}
            onChange={() => onChange({ mode: 'schedule' })}
          />
          {trans.__('On a schedule')}
        </label>
        {props.editing && (
          <label>
            <input
              type="radio"
              name="studio-job-mode"
              checked={form.mode === 'now'}
              onChange={() => onChange({ mode: 'now' })}
            />
            {trans.__('On demand only')}
          </label>
        )}
        {form.mode === 'schedule' && <Schedule {...props} />}
      </fieldset>
      <details className="jp-Studio-jobForm-more">
        <summary>
          {trans.__('Timeout, retries, environment, experiment')}
        </summary>
        <div className="jp-Studio-jobForm-grid">
          <label className="jp-Studio-jobForm-field">
            <span>{trans.__('Timeout (minutes, empty for none)')}</span>
            <input
              className="jp-mod-styled"
              type="number"
              min={0}
              step="any"
              data-testid="studio-job-timeout"
              value={form.timeoutMinutes}
              onChange={event =>
                onChange({ timeoutMinutes: event.target.value })
              }
            />
          </label>
          <label className="jp-Studio-jobForm-field">
            <span>{trans.__('Retries')}</span>
            <input
              className="jp-mod-styled"
              type="number"
              min={0}
              max={10}
              data-testid="studio-job-retries"
              value={form.retries}
              onChange={event =>
                onChange({
                  retries: Math.max(
                    0,
                    Math.floor(Number(event.target.value) || 0)
                  )
                })
              }
            />
          </label>
          <TextField
            label={trans.__('Experiment (empty: the default)')}
            testId="studio-job-experiment"
            value={form.experiment}
            onChange={experiment => onChange({ experiment })}
          />
          <label className="jp-Studio-jobForm-check">
            <input
              type="checkbox"
              data-testid="studio-job-html"
              checked={form.html}
              onChange={event => onChange({ html: event.target.checked })}
            />
            {trans.__('Also save the executed notebook as HTML')}
          </label>
        </div>
        <Environment {...props} />
      </details>
    </div>
  );
}

export function Parameters(props: IJobFormProps): JSX.Element {
  const { form, trans } = props;
  return (
    <fieldset
      className="jp-Studio-jobForm-parameters"
      data-testid="studio-job-parameters"
      data-loaded={String(props.notebookLoaded)}
    >
      <legend>{trans.__('Parameters')}</legend>
      {props.notebookError !== null && (
        <p className="jp-Studio-jobForm-error" role="alert">
          {trans.__('The notebook could not be read: %1', props.notebookError)}
        </p>
      )}
      {!props.notebookLoaded && (
        <p className="jp-Studio-jobForm-muted">
          {trans.__('Reading the notebook…')}
        </p>
      )}
      {props.notebookLoaded && form.parameters.length === 0 && (
        <p className="jp-Studio-jobForm-muted">
          {trans.__(
            'No parameters: tag a cell “parameters” to make its variables parameters.'
          )}
        </p>
      )}
      {form.parameters.map(row => (
        <label key={row.name} className="jp-Studio-jobForm-parameter">
          <span className="jp-Studio-jobForm-parameterName">{row.name}</span>
          <input
            className="jp-mod-styled"
            data-testid="studio-job-parameter"
            data-name={row.name}
            value={row.text}
            onChange={event => props.onParameter(row.name, event.target.value)}
          />
          <span
            className="jp-Studio-jobForm-muted"
            title={trans.__('The notebook’s default')}
          >
            {trans.__('default %1', row.defaultText)}
          </span>
        </label>
      ))}
    </fieldset>
  );
}

function Schedule(props: IJobFormProps): JSX.Element {
  const { form, trans, onChange } = props;
  const days = weekdayNames(trans);
  return (
    <div className="jp-Studio-jobForm-schedule">
      <div className="jp-Studio-jobForm-row">
        <select
          className="jp-mod-styled"
          data-testid="studio-job-preset"
          aria-label={trans.__('Schedule')}
          value={form.preset}
          onChange={event =>
            onChange({ preset: event.target.value as SchedulePreset })
          }
        >
          {SCHEDULE_PRESETS.map(preset => (
            <option key={preset} value={preset}>
              {presetLabel(preset, trans)}
            </option>
          ))}
        </select>
        {form.preset === 'weekly' && (
          <select
            className="jp-mod-styled"
            data-testid="studio-job-weekday"
            aria-label={trans.__('Day of the week')}
            value={form.weekday}
            onChange={event =>
              onChange({ weekday: Number(event.target.value) })
            }
          >
            {days.map((day, index) => (
              <option key={day} value={index}>
                {day}
              </option>
            ))}
          </select>
        )}
        {form.preset !== 'custom' && form.preset !== 'hourly' && (
          <input
            className="jp-mod-styled"
            type="time"
            data-testid="studio-job-time"
            aria-label={trans.__('Time')}
            value={form.time}
            onChange={event => onChange({ time: event.target.value })}
          />
        )}
        {form.preset === 'custom' && (
          <input
            className="jp-mod-styled"
            data-testid="studio-job-cron"
            aria-label={trans.__('Cron expression')}
            placeholder="0 3 * * 1-5"
            value={form.cron}
            onChange={event => onChange({ cron: event.target.value })}
          />
        )}
        <input
          className="jp-mod-styled"
          data-testid="studio-job-timezone"
          aria-label={trans.__('Time zone')}
          title={trans.__('Time zone (IANA name, e.g. Europe/Paris)')}
          value={form.timezone}
          onChange={event => onChange({ timezone: event.target.value })}
        />
      </div>
      {props.previewError !== null ? (
        <p
          className="jp-Studio-jobForm-error"
          role="alert"
          data-testid="studio-job-schedule-error"
        >
          {props.previewError}
        </p>
      ) : (
        props.preview && (
          <div
            className="jp-Studio-jobForm-preview"
            data-testid="studio-job-schedule-preview"
          >
            <p data-testid="studio-job-schedule-words">
              {props.preview.description}
              <span className="jp-Studio-jobForm-muted">
                {' '}
                · {props.preview.cron}
              </span>
            </p>
            <ol
              className="jp-Studio-jobForm-next"
              aria-label={trans.__('Next times')}
            >
              {props.preview.next.map(time => (
                <li key={time} data-testid="studio-job-next-time">
                  {formatTime(time, props.preview?.timezone)}
                </li>
              ))}
            </ol>
          </div>
        )
      )}
    </div>
  );
}

function Environment(props: IJobFormProps): JSX.Element {
  const { form, trans, onChange } = props;
  const rows = form.environment;
  const change = (index: number, row: Partial<IEnvironmentRow>) =>
    onChange({
      environment: rows.map((current, i) =>
        i === index ? { ...current, ...row } : current
      )
    });
  return (
    <fieldset className="jp-Studio-jobForm-environment">
      <legend>{trans.__('Environment variables')}</legend>
      {rows.map((row, index) => (
        <div key={index} className="jp-Studio-jobForm-row">
          <input
            className="jp-mod-styled"
            aria-label={trans.__('Name')}
            placeholder={trans.__('NAME')}
            value={row.name}
            onChange={event => change(index, { name: event.target.value })}
          />
          <input
            className="jp-mod-styled"
            aria-label={
              row.secret ? trans.__('Server variable') : trans.__('Value')
            }
            placeholder={
              row.secret
                ? trans.__('the server’s variable holding it')
                : trans.__('value')
            }
            value={row.value}
            onChange={event => change(index, { value: event.target.value })}
          />
          <label
            className="jp-Studio-jobForm-check"
            title={trans.__(
              'Secret: the value is read from the server’s environment when the job runs, never stored'
            )}
          >
            <input
              type="checkbox"
              checked={row.secret}
              onChange={event =>
                change(index, { secret: event.target.checked })
              }
            />
            {trans.__('secret')}
          </label>
          <button
            className="jp-Studio-jobs-action"
            title={trans.__('Remove')}
            onClick={() =>
              onChange({ environment: rows.filter((_, i) => i !== index) })
            }
          >
            ×
          </button>
        </div>
      ))}
      <button
        className="jp-Studio-jobs-action"
        onClick={() =>
          onChange({
            environment: [...rows, { name: '', value: '', secret: false }]
          })
        }
      >
        {trans.__('Add variable')}
      </button>
    </fieldset>
  );
}
