/**
 * The approve dialog's body: the types that approving trusts, each with why skops does not
 * trust it by default, the gates' results, and a comment. Pure: props in, the comment out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { GateResult } from '../../api/registry';
import { GatesTable } from './VersionTables';

export interface IApproveFormProps {
  /** The types the version needs approved. */
  types: readonly string[];
  reasons: Record<string, string>;
  gates: readonly GateResult[];
  comment: string;
  trans: TranslationBundle;
  onComment: (comment: string) => void;
}

export function ApproveForm(props: IApproveFormProps): JSX.Element {
  const { trans, types, reasons, gates } = props;
  const failing = gates.filter(gate => !gate.passed);
  return (
    <div className="jp-Studio-approveForm" data-testid="studio-approve-form">
      {types.length > 0 ? (
        <>
          <p>
            {trans.__(
              'Approving trusts these types, which the model file holds and skops does not trust by default. Endpoints will load them:'
            )}
          </p>
          <ul data-testid="studio-approve-types">
            {types.map(type => (
              <li key={type} data-type={type}>
                <code>{type}</code>
                {reasons[type] && (
                  <span className="jp-Studio-endpoint-muted">
                    {' — '}
                    {reasons[type]}
                  </span>
                )}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>{trans.__('Every type in the model file is trusted by default.')}</p>
      )}
      {gates.length > 0 && <GatesTable gates={[...gates]} trans={trans} />}
      {failing.length > 0 && (
        <p className="jp-Studio-endpoint-error" role="alert">
          {trans._n(
            'A gate fails: the server will refuse the approval.',
            '%1 gates fail: the server will refuse the approval.',
            failing.length
          )}
        </p>
      )}
      <label>
        {trans.__('Comment')}
        <input
          className="jp-mod-styled"
          data-testid="studio-approve-comment"
          value={props.comment}
          onChange={event => props.onComment(event.target.value)}
        />
      </label>
    </div>
  );
}
