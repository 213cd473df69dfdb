/**
 * The tables of a version's page (and of the approve dialog): the gates' results, the
 * signature, the input example, the deployments. Pure: props in, callbacks out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type {
  EndpointEvent,
  IInputExample,
  Lineage,
  ModelVersion
} from '../../api/registry';

export function GatesTable(props: {
  gates: Lineage['gates'];
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <table className="jp-Studio-endpoint-table" data-testid="studio-gates">
      <thead>
        <tr>
          <th>{trans.__('Metric')}</th>
          <th>{trans.__('Gate')}</th>
          <th>{trans.__('Value')}</th>
          <th>{trans.__('Result')}</th>
        </tr>
      </thead>
      <tbody>
        {props.gates.map(gate => (
          <tr key={gate.metric} data-passed={String(gate.passed)}>
            <td>{gate.metric}</td>
            <td>
              <code>{gate.condition}</code>
            </td>
            <td>{gate.value === null ? trans.__('not logged') : gate.value}</td>
            <td
              className={
                gate.passed ? 'jp-Studio-gate-pass' : 'jp-Studio-gate-fail'
              }
            >
              {gate.passed ? trans.__('passes') : trans.__('fails')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SignatureTable(props: {
  version: ModelVersion;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const signature = props.version.signature;
  if (!signature) {
    return (
      <p className="jp-Studio-endpoint-muted">
        {trans.__(
          'No signature: the model was logged without an input example.'
        )}
      </p>
    );
  }
  const classes = signature.outputs.classes;
  return (
    <div>
      <table
        className="jp-Studio-endpoint-table"
        data-testid="studio-signature"
      >
        <thead>
          <tr>
            <th>{trans.__('Input column')}</th>
            <th>{trans.__('Type')}</th>
          </tr>
        </thead>
        <tbody>
          {signature.inputs.map(column => (
            <tr key={column.name}>
              <td>{column.name}</td>
              <td>
                <code>{column.dtype}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        {trans.__('Output: %1', String(signature.outputs.dtype ?? '—'))}
        {Array.isArray(classes) &&
          classes.length > 0 &&
          trans.__(', classes %1', classes.map(String).join(', '))}
      </p>
    </div>
  );
}

export function ExampleTable(props: {
  example: IInputExample | null;
  trans: TranslationBundle;
}): JSX.Element {
  const split = props.example?.dataframe_split;
  if (!split) {
    return (
      <p className="jp-Studio-endpoint-muted">
        {props.trans.__('No input example.')}
      </p>
    );
  }
  return (
    <div className="jp-Studio-version-scroll">
      <table
        className="jp-Studio-endpoint-table"
        data-testid="studio-input-example"
      >
        <thead>
          <tr>
            {split.columns.map(column => (
              <th key={column}>{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {split.data.map((row, index) => (
            <tr key={index}>
              {row.map((value, column) => (
                <td key={column}>{String(value)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Deployments(props: {
  events: EndpointEvent[];
  trans: TranslationBundle;
  onOpenEndpoint: (name: string) => void;
}): JSX.Element {
  const { trans, events } = props;
  if (events.length === 0) {
    return (
      <p className="jp-Studio-endpoint-muted" data-testid="studio-deployments">
        {trans.__('Never deployed.')}
      </p>
    );
  }
  return (
    <table
      className="jp-Studio-endpoint-table"
      data-testid="studio-deployments"
    >
      <thead>
        <tr>
          <th>{trans.__('When')}</th>
          <th>{trans.__('Endpoint')}</th>
          <th>{trans.__('What')}</th>
          <th>{trans.__('Who')}</th>
        </tr>
      </thead>
      <tbody>
        {events.map(event => (
          <tr key={event.id}>
            <td>{new Date(event.at).toLocaleString()}</td>
            <td>
              <button
                className="jp-Studio-linkButton"
                onClick={() => props.onOpenEndpoint(event.endpoint)}
              >
                {event.endpoint}
              </button>
            </td>
            <td>{event.kind}</td>
            <td>{event.actor ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
