/**
 * The sidebar's Alerts: the recent debugger findings across runs (rule, run, step, message);
 * a click opens the run's Debugger tab at that step.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Alert } from '../../api/debugger';

export interface IAlertsSectionProps {
  alerts: readonly Alert[];
  error: string | null;
  /** False until the first check answered. */
  loaded: boolean;
  trans: TranslationBundle;
  onOpenAlert: (alert: Alert) => void;
}

export function AlertsSection(props: IAlertsSectionProps): JSX.Element {
  const { trans, alerts } = props;
  return (
    <section
      className="jp-Studio-sidebar-section jp-Studio-sidebar-alerts"
      data-testid="studio-alerts"
      data-loaded={String(props.loaded)}
    >
      <h3 className="jp-Studio-sidebar-sectionTitle">
        {trans.__('Alerts')}
        <span className="jp-Studio-sidebar-badge">{alerts.length}</span>
      </h3>
      {props.error !== null && (
        <p className="jp-Studio-sidebar-muted" role="alert">
          {trans.__('Alerts could not be loaded: %1', props.error)}
        </p>
      )}
      {props.loaded && alerts.length === 0 && props.error === null && (
        <p className="jp-Studio-sidebar-muted">
          {trans.__('No debugger rule has fired.')}
        </p>
      )}
      {alerts.length > 0 && (
        <ul className="jp-Studio-sidebar-list" aria-label={trans.__('Alerts')}>
          {alerts.map(alert => (
            <li key={alert.id}>
              <button
                className="jp-Studio-sidebar-listItem"
                data-testid="studio-alert"
                data-run-id={alert.run_id}
                data-step={alert.step}
                data-rule={alert.rule}
                title={alert.message}
                onClick={() => props.onOpenAlert(alert)}
              >
                <span
                  className="jp-Studio-sidebar-alertDot"
                  aria-hidden="true"
                />
                <span className="jp-Studio-sidebar-itemMain">
                  <span className="jp-Studio-sidebar-itemName">
                    {alert.rule}
                  </span>
                  <span className="jp-Studio-sidebar-itemMeta">
                    {trans.__(
                      '%1 · step %2',
                      alert.run_name || alert.run_id.slice(0, 8),
                      alert.step
                    )}
                  </span>
                  <span className="jp-Studio-sidebar-itemMeta">
                    {alert.message}
                  </span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
