/**
 * The rules of a run with their state (ok, firing, not evaluated) and their findings, newest
 * first; a finding's button selects it (its tensor, its step marked and zoomed around).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Finding, RuleState } from '../../api/debugger';

export interface IRulesListProps {
  rules: readonly RuleState[];
  findings: readonly Finding[];
  focusFindingId: number | null;
  trans: TranslationBundle;
  onFinding: (finding: Finding) => void;
}

/** A rule's state, in words. */
export function statusLabel(status: string, trans: TranslationBundle): string {
  switch (status) {
    case 'firing':
      return trans.__('firing');
    case 'ok':
      return trans.__('ok');
    default:
      return trans.__('not evaluated');
  }
}

export function RulesList(props: IRulesListProps): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-Studio-rules">
      {props.rules.length === 0 ? (
        <p className="jp-Studio-muted">
          {trans.__('No rule watches this run.')}
        </p>
      ) : (
        <table className="jp-Studio-rulesTable" data-testid="studio-rules">
          <thead>
            <tr>
              <th>{trans.__('Rule')}</th>
              <th>{trans.__('State')}</th>
              <th>{trans.__('Last step')}</th>
              <th>{trans.__('Findings')}</th>
            </tr>
          </thead>
          <tbody>
            {props.rules.map(rule => (
              <tr
                key={rule.rule}
                data-testid="studio-rule"
                data-rule={rule.rule}
                data-status={rule.status}
                title={JSON.stringify(rule.parameters)}
              >
                <td>{rule.rule}</td>
                <td>
                  <span
                    className={`jp-Studio-ruleStatus jp-Studio-ruleStatus-${rule.status}`}
                  >
                    {statusLabel(rule.status, trans)}
                  </span>
                </td>
                <td>{rule.last_step ?? '—'}</td>
                <td>{rule.findings}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h4>{trans.__('Findings (%1)', props.findings.length)}</h4>
      {props.findings.length === 0 ? (
        <p className="jp-Studio-muted">{trans.__('No rule has fired.')}</p>
      ) : (
        <ul className="jp-Studio-findings" data-testid="studio-findings">
          {props.findings.map(finding => (
            <li key={finding.id}>
              <button
                className={
                  'jp-Studio-finding' +
                  (finding.id === props.focusFindingId
                    ? ' jp-mod-selected'
                    : '')
                }
                data-testid="studio-finding"
                data-finding-id={finding.id}
                data-step={finding.step}
                data-rule={finding.rule}
                title={trans.__('Show step %1 on the charts', finding.step)}
                onClick={() => props.onFinding(finding)}
              >
                <span className="jp-Studio-finding-head">
                  <b>{finding.rule}</b>
                  <span className="jp-Studio-finding-step">
                    {trans.__('step %1', finding.step)}
                  </span>
                  {finding.mode !== 'train' && (
                    <span className="jp-Studio-muted">{finding.mode}</span>
                  )}
                </span>
                <span className="jp-Studio-finding-message">
                  {finding.message}
                </span>
                {finding.tensors.length > 0 && (
                  <span className="jp-Studio-finding-tensors">
                    {finding.tensors.join(', ')}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
