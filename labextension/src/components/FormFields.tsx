/**
 * The labelled fields of Studio's forms (jobs, training, AutoML), styled as JupyterLab's
 * inputs: a text box and a drop-down. Further attributes (placeholder, disabled) go to the
 * input or the select.
 */
import * as React from 'react';

export interface ITextFieldProps extends Omit<
  React.InputHTMLAttributes<HTMLInputElement>,
  'onChange'
> {
  label: string;
  /** The input's data-testid. */
  testId: string;
  value: string;
  onChange: (value: string) => void;
}

export function TextField(props: ITextFieldProps): JSX.Element {
  const { label, testId, onChange, ...input } = props;
  return (
    <label className="jp-Studio-jobForm-field">
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        data-testid={testId}
        {...input}
        onChange={event => onChange(event.target.value)}
      />
    </label>
  );
}

export interface ISelectFieldProps extends Omit<
  React.SelectHTMLAttributes<HTMLSelectElement>,
  'onChange'
> {
  label: string;
  /** The select's data-testid. */
  testId: string;
  value: string;
  onChange: (value: string) => void;
  /** The options. */
  children: React.ReactNode;
}

export function SelectField(props: ISelectFieldProps): JSX.Element {
  const { label, testId, onChange, children, ...select } = props;
  return (
    <label className="jp-Studio-jobForm-field">
      <span>{label}</span>
      <select
        className="jp-mod-styled"
        data-testid={testId}
        {...select}
        onChange={event => onChange(event.target.value)}
      >
        {children}
      </select>
    </label>
  );
}
