/**
 * The deploy dialog's form: a new endpoint (name, capture share, optional token), or the
 * version added to an existing endpoint as a variant (with a weight) or as a shadow (with a
 * sampling share). Pure: the form in, each change out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { DeployMode, IDeployForm } from '../../models/deployForm';

export interface IDeployFormProps {
  form: IDeployForm;
  /** The endpoints that exist (an empty list leaves only "new endpoint"). */
  endpoints: readonly string[];
  problems: readonly string[];
  trans: TranslationBundle;
  onChange: (change: Partial<IDeployForm>) => void;
}

export function DeployForm(props: IDeployFormProps): JSX.Element {
  const { form, trans, onChange } = props;
  const modes: [DeployMode, string][] = [
    ['new', trans.__('New endpoint')],
    ['variant', trans.__('Add as a variant')],
    ['shadow', trans.__('Add as a shadow')]
  ];
  return (
    <div className="jp-Studio-deployForm" data-testid="studio-deploy-form">
      <p>
        {trans.__('Deploy')} <code>{form.modelUri}</code>
      </p>
      <div role="radiogroup" className="jp-Studio-deployForm-modes">
        {modes.map(([mode, label]) => (
          <label key={mode}>
            <input
              type="radio"
              name="studio-deploy-mode"
              value={mode}
              data-testid={`studio-deploy-mode-${mode}`}
              checked={form.mode === mode}
              disabled={mode !== 'new' && props.endpoints.length === 0}
              onChange={() => onChange({ mode })}
            />{' '}
            {label}
          </label>
        ))}
      </div>
      {form.mode === 'new' ? (
        <label>
          {trans.__('Endpoint name')}
          <input
            className="jp-mod-styled"
            data-testid="studio-deploy-endpoint-name"
            value={form.endpointName}
            onChange={event => onChange({ endpointName: event.target.value })}
          />
        </label>
      ) : (
        <label>
          {trans.__('Endpoint')}
          <select
            className="jp-mod-styled"
            data-testid="studio-deploy-existing"
            value={form.existing}
            onChange={event => onChange({ existing: event.target.value })}
          >
            {props.endpoints.map(name => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        {trans.__('Variant name')}
        <input
          className="jp-mod-styled"
          data-testid="studio-deploy-variant-name"
          value={form.variantName}
          onChange={event => onChange({ variantName: event.target.value })}
        />
      </label>
      {form.mode === 'shadow' ? (
        <label>
          {trans.__(
            'Sampling: share of requests copied to the shadow (0 to 1)'
          )}
          <input
            className="jp-mod-styled"
            type="number"
            min={0}
            max={1}
            step={0.05}
            data-testid="studio-deploy-sampling"
            value={form.sampling}
            onChange={event =>
              onChange({ sampling: Number(event.target.value) })
            }
          />
        </label>
      ) : (
        <label>
          {trans.__('Weight (relative to the other variants’)')}
          <input
            className="jp-mod-styled"
            type="number"
            min={0}
            step={0.1}
            data-testid="studio-deploy-weight"
            value={form.weight}
            onChange={event => onChange({ weight: Number(event.target.value) })}
          />
        </label>
      )}
      {form.mode === 'new' && (
        <>
          <label>
            {trans.__('Capture: share of requests recorded (0 to 1)')}
            <input
              className="jp-mod-styled"
              type="number"
              min={0}
              max={1}
              step={0.05}
              data-testid="studio-deploy-capture"
              value={form.capture}
              onChange={event =>
                onChange({ capture: Number(event.target.value) })
              }
            />
          </label>
          <label>
            {trans.__(
              'Invocation token (optional; without one the endpoint listens on loopback only)'
            )}
            <input
              className="jp-mod-styled"
              type="password"
              autoComplete="new-password"
              data-testid="studio-deploy-token"
              value={form.token}
              onChange={event => onChange({ token: event.target.value })}
            />
          </label>
        </>
      )}
      {props.problems.length > 0 && (
        <ul className="jp-Studio-endpoint-error" role="alert">
          {props.problems.map(problem => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
