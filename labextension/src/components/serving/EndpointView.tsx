/**
 * An endpoint panel: its state with start and stop, its variants with weight sliders, its
 * replicas, live charts, the online evaluation, and a "try it" box. Pure: everything comes in
 * through props, every action goes out as a callback.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type {
  Endpoint,
  EndpointMetrics,
  IInvocationAnswer,
  OnlineEvaluation
} from '../../api/serving';
import type { Transition } from '../../models/endpointModel';
import { EndpointCharts } from './EndpointCharts';
import { Evaluation } from './Evaluation';
import { TryIt } from './TryIt';

export interface IEndpointViewProps {
  endpoint: Endpoint | null;
  metrics: EndpointMetrics | null;
  evaluation: OnlineEvaluation | null;
  error: string | null;
  running: boolean;
  transition: Transition;
  weight: (variant: string) => number;
  shares: Record<string, number>;
  weightsError: string | null;
  body: string;
  target: string;
  answer: IInvocationAnswer | null;
  invoking: boolean;
  trans: TranslationBundle;
  onStart: () => void;
  onStop: () => void;
  onWeight: (variant: string, weight: number) => void;
  onOpenVersion: (model: string, version: number) => void;
  onBody: (text: string) => void;
  onTarget: (variant: string) => void;
  onInvoke: () => void;
}

/** The largest weight a slider reaches (weights are relative: 0 to 10 covers any split). */
export const MAX_SLIDER_WEIGHT = 10;

export function EndpointView(props: IEndpointViewProps): JSX.Element {
  const { trans, endpoint } = props;
  if (endpoint === null) {
    return (
      <div className="jp-Studio-endpoint">
        <p
          className="jp-Studio-endpoint-muted"
          role={props.error ? 'alert' : undefined}
        >
          {props.error
            ? trans.__('The endpoint could not be loaded: %1', props.error)
            : trans.__('Loading…')}
        </p>
      </div>
    );
  }
  return (
    <div className="jp-Studio-endpoint" data-testid="studio-endpoint">
      <Header {...props} endpoint={endpoint} />
      {props.error !== null && (
        <p className="jp-Studio-endpoint-error" role="alert">
          {props.error}
        </p>
      )}
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Variants')}</h3>
        <Variants {...props} endpoint={endpoint} />
        <Replicas {...props} endpoint={endpoint} />
      </section>
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Traffic')}</h3>
        <EndpointCharts metrics={props.metrics} trans={trans} />
      </section>
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Online evaluation')}</h3>
        <Evaluation evaluation={props.evaluation} trans={trans} />
      </section>
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Try it')}</h3>
        <TryIt {...props} endpoint={endpoint} />
      </section>
    </div>
  );
}

type WithEndpoint = IEndpointViewProps & { endpoint: Endpoint };

function Header(props: WithEndpoint): JSX.Element {
  const { trans, endpoint, transition } = props;
  const state =
    transition === 'starting'
      ? trans.__('starting: waiting for the replica to answer…')
      : transition === 'stopping'
        ? trans.__('stopping…')
        : props.running
          ? trans.__('running')
          : trans.__('stopped');
  return (
    <div className="jp-Studio-endpoint-header">
      <h2 className="jp-Studio-endpoint-title">{endpoint.name}</h2>
      <span
        className={`jp-Studio-endpoint-state${props.running ? ' jp-mod-running' : ''}`}
        data-testid="studio-endpoint-state"
        data-running={String(props.running)}
        data-transition={transition ?? ''}
      >
        {transition !== null && (
          <span className="jp-Studio-endpoint-spinner" aria-hidden="true" />
        )}
        {state}
      </span>
      <span className="jp-Studio-endpoint-meta">
        {trans.__(
          'config v%1 · capture %2% · %3',
          endpoint.config_version,
          Math.round(endpoint.capture * 100),
          endpoint.has_token
            ? trans.__('token required')
            : trans.__('loopback only, no token')
        )}
      </span>
      <span className="jp-Studio-endpoint-spacer" />
      <button
        className="jp-mod-styled jp-mod-accept"
        data-testid="studio-endpoint-start"
        disabled={props.running || transition !== null}
        onClick={props.onStart}
      >
        {trans.__('Start')}
      </button>
      <button
        className="jp-mod-styled jp-mod-warn"
        data-testid="studio-endpoint-stop"
        disabled={!props.running || transition !== null}
        onClick={props.onStop}
      >
        {trans.__('Stop')}
      </button>
    </div>
  );
}

function Variants(props: WithEndpoint): JSX.Element {
  const { trans, endpoint } = props;
  return (
    <table
      className="jp-Studio-endpoint-table"
      data-testid="studio-endpoint-variants"
    >
      <thead>
        <tr>
          <th>{trans.__('Variant')}</th>
          <th>{trans.__('Model version')}</th>
          <th>{trans.__('Weight')}</th>
          <th>{trans.__('Share')}</th>
        </tr>
      </thead>
      <tbody>
        {endpoint.variants.map(variant => {
          const shadow = variant.role === 'shadow';
          const weight = props.weight(variant.name);
          return (
            <tr key={variant.name} data-variant={variant.name}>
              <td>
                {variant.name}
                {shadow && (
                  <span className="jp-Studio-endpoint-tag">
                    {trans.__('shadow')}
                  </span>
                )}
              </td>
              <td>
                <button
                  className="jp-Studio-linkButton"
                  title={trans.__('Open the version’s page')}
                  onClick={() =>
                    props.onOpenVersion(
                      variant.model_name,
                      variant.model_version
                    )
                  }
                >
                  {variant.model_uri}
                </button>
              </td>
              <td>
                {shadow ? (
                  trans.__(
                    'copy of %1% of requests',
                    Math.round(variant.sampling * 100)
                  )
                ) : (
                  <span className="jp-Studio-endpoint-weight">
                    <input
                      type="range"
                      min={0}
                      max={MAX_SLIDER_WEIGHT}
                      step={0.1}
                      value={weight}
                      data-testid="studio-weight-slider"
                      aria-label={trans.__('Weight of %1', variant.name)}
                      onChange={event =>
                        props.onWeight(variant.name, Number(event.target.value))
                      }
                    />
                    <span className="jp-Studio-endpoint-number">
                      {weight.toFixed(1)}
                    </span>
                  </span>
                )}
              </td>
              <td data-testid="studio-variant-share">
                {shadow
                  ? '—'
                  : `${Math.round((props.shares[variant.name] ?? 0) * 100)}%`}
              </td>
            </tr>
          );
        })}
      </tbody>
      {props.weightsError !== null && (
        <caption className="jp-Studio-endpoint-error" role="alert">
          {trans.__('The weights were not changed: %1', props.weightsError)}
        </caption>
      )}
    </table>
  );
}

function Replicas(props: WithEndpoint): JSX.Element {
  const { trans, endpoint } = props;
  const live = endpoint.replicas.filter(replica => replica.alive);
  if (live.length === 0) {
    return (
      <p
        className="jp-Studio-endpoint-muted"
        data-testid="studio-endpoint-replicas"
      >
        {trans.__('No replica is serving.')}
      </p>
    );
  }
  return (
    <ul
      className="jp-Studio-endpoint-replicas"
      data-testid="studio-endpoint-replicas"
    >
      {live.map(replica => (
        <li key={replica.id}>
          {trans.__('%1:%2 · pid %3', replica.host, replica.port, replica.pid)}
          {' · '}
          {trans._n('%1 worker', '%1 workers', replica.workers)}
          {!replica.managed && ` · ${trans.__('started outside JupyterLab')}`}
        </li>
      ))}
    </ul>
  );
}
