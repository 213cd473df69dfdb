/**
 * A version's page: its approval and aliases, its lineage (links to the run, the job run and
 * the notebook), its run's metrics and params, the gates, the types it needs approved, its
 * signature and input example, and where it was deployed. Pure: props in, callbacks out (the
 * approve, reject, deploy and batch-transform actions are the panel toolbar's).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type {
  Lineage,
  ModelVersion,
  RegisteredModel
} from '../../api/registry';
import { validAlias } from '../../models/versionModel';
import { ApprovalBadge } from './RegistrySection';
import {
  Deployments,
  ExampleTable,
  GatesTable,
  SignatureTable
} from './VersionTables';

export interface IVersionViewProps {
  version: ModelVersion | null;
  model: RegisteredModel | null;
  lineage: Lineage | null;
  error: string | null;
  busy: string | null;
  trans: TranslationBundle;
  onOpenRun: (runId: string) => void;
  onOpenJobRun: (jobRunId: number) => void;
  onOpenNotebook: (path: string) => void;
  onOpenEndpoint: (name: string) => void;
  onSetAlias: (alias: string) => void;
  onDeleteAlias: (alias: string) => void;
}

export function VersionView(props: IVersionViewProps): JSX.Element {
  const { trans, version, lineage } = props;
  if (version === null) {
    return (
      <div className="jp-Studio-version">
        <p
          className="jp-Studio-endpoint-muted"
          role={props.error ? 'alert' : undefined}
        >
          {props.error
            ? trans.__('The version could not be loaded: %1', props.error)
            : trans.__('Loading…')}
        </p>
      </div>
    );
  }
  return (
    <div className="jp-Studio-version" data-testid="studio-version">
      <div className="jp-Studio-endpoint-header">
        <h2 className="jp-Studio-endpoint-title">
          {trans.__('%1 version %2', version.name, version.version)}
        </h2>
        <ApprovalBadge status={version.status} trans={trans} />
        <span className="jp-Studio-endpoint-meta">
          {approvalText(version, trans)}
        </span>
      </div>
      {props.error !== null && (
        <p className="jp-Studio-endpoint-error" role="alert">
          {props.error}
        </p>
      )}
      <dl className="jp-Studio-version-facts">
        <dt>{trans.__('URI')}</dt>
        <dd>
          <code>{version.uri}</code>
        </dd>
        <dt>{trans.__('Model')}</dt>
        <dd>
          {trans.__(
            '%1 (%2, %3)',
            version.model_class,
            version.flavor,
            version.format
          )}
        </dd>
        {version.description && (
          <>
            <dt>{trans.__('Description')}</dt>
            <dd>{version.description}</dd>
          </>
        )}
        <dt>{trans.__('Aliases')}</dt>
        <dd>
          <Aliases {...props} version={version} />
        </dd>
      </dl>
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Lineage')}</h3>
        <Lineage {...props} version={version} />
      </section>
      {lineage?.run && (
        <section className="jp-Studio-endpoint-section jp-Studio-version-columns">
          <KeyValues
            title={trans.__('Metrics')}
            values={lineage.run.metrics ?? {}}
            testId="studio-version-metrics"
            trans={trans}
          />
          <KeyValues
            title={trans.__('Parameters')}
            values={lineage.run.params ?? {}}
            testId="studio-version-params"
            trans={trans}
          />
        </section>
      )}
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Approval')}</h3>
        <Trust {...props} version={version} />
      </section>
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Signature')}</h3>
        <SignatureTable version={version} trans={trans} />
      </section>
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Input example')}</h3>
        <ExampleTable example={version.input_example} trans={trans} />
      </section>
      <section className="jp-Studio-endpoint-section">
        <h3>{trans.__('Deployments')}</h3>
        <Deployments
          events={lineage?.deployments ?? []}
          trans={trans}
          onOpenEndpoint={props.onOpenEndpoint}
        />
      </section>
    </div>
  );
}

type WithVersion = IVersionViewProps & { version: ModelVersion };

/** Who approved or rejected the version, when, and why. */
export function approvalText(
  version: ModelVersion,
  trans: TranslationBundle
): string {
  if (version.status === 'PENDING' || version.status_at === null) {
    return trans.__('awaiting approval');
  }
  const who = version.status_by ?? trans.__('someone');
  const when = new Date(version.status_at).toLocaleString();
  const comment = version.status_comment ? `: “${version.status_comment}”` : '';
  return version.status === 'APPROVED'
    ? trans.__('approved by %1 on %2%3', who, when, comment)
    : trans.__('rejected by %1 on %2%3', who, when, comment);
}

function Aliases(props: WithVersion): JSX.Element {
  const { trans, version } = props;
  const [text, setText] = React.useState('');
  const valid = validAlias(text);
  return (
    <span
      className="jp-Studio-version-aliases"
      data-testid="studio-version-aliases"
    >
      {version.aliases.map(alias => (
        <span key={alias} className="jp-Studio-registry-alias">
          @{alias}
          <button
            className="jp-Studio-version-aliasRemove"
            title={trans.__('Remove @%1', alias)}
            aria-label={trans.__('Remove @%1', alias)}
            disabled={props.busy !== null}
            onClick={() => props.onDeleteAlias(alias)}
          >
            ×
          </button>
        </span>
      ))}
      <form
        className="jp-Studio-version-aliasForm"
        onSubmit={event => {
          event.preventDefault();
          if (valid) {
            props.onSetAlias(text);
            setText('');
          }
        }}
      >
        <input
          className="jp-mod-styled"
          data-testid="studio-alias-input"
          placeholder={trans.__('champion')}
          aria-label={trans.__('New alias')}
          value={text}
          onChange={event => setText(event.target.value)}
        />
        <button
          type="submit"
          className="jp-mod-styled"
          disabled={!valid || props.busy !== null}
        >
          {trans.__('Set alias')}
        </button>
      </form>
    </span>
  );
}

function Lineage(props: WithVersion): JSX.Element {
  const { trans, lineage, version } = props;
  const runId = lineage?.run?.id ?? version.run_id;
  return (
    <ul
      className="jp-Studio-version-lineage"
      data-testid="studio-version-lineage"
    >
      <li>
        {trans.__('Run')}:{' '}
        {runId ? (
          <button
            className="jp-Studio-linkButton"
            data-testid="studio-lineage-run"
            onClick={() => props.onOpenRun(runId)}
          >
            {lineage?.run?.name || runId}
          </button>
        ) : (
          trans.__('none')
        )}
        {lineage?.run?.experiment && (
          <span className="jp-Studio-endpoint-muted">
            {' '}
            {trans.__('in %1', lineage.run.experiment)}
          </span>
        )}
      </li>
      {lineage?.job_run && (
        <li>
          {trans.__('Job run')}:{' '}
          <button
            className="jp-Studio-linkButton"
            data-testid="studio-lineage-job"
            onClick={() => props.onOpenJobRun(lineage.job_run!.id)}
          >
            {trans.__('job run %1', lineage.job_run.id)}
          </button>
        </li>
      )}
      {lineage?.notebook && (
        <li>
          {trans.__('Notebook')}:{' '}
          <button
            className="jp-Studio-linkButton"
            data-testid="studio-lineage-notebook"
            onClick={() => props.onOpenNotebook(lineage.notebook!)}
          >
            {lineage.notebook}
          </button>
        </li>
      )}
      {lineage?.dataset !== undefined && lineage?.dataset !== null && (
        <li>
          {trans.__('Training data')}:{' '}
          <code>{JSON.stringify(lineage.dataset)}</code>
        </li>
      )}
      <li>
        {trans.__('Source')}: <code>{version.source}</code>
      </li>
    </ul>
  );
}

function KeyValues(props: {
  title: string;
  values: Record<string, number | string>;
  testId: string;
  trans: TranslationBundle;
}): JSX.Element {
  const entries = Object.entries(props.values).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  return (
    <div>
      <h3>{props.title}</h3>
      {entries.length === 0 ? (
        <p className="jp-Studio-endpoint-muted">{props.trans.__('none')}</p>
      ) : (
        <table className="jp-Studio-endpoint-table" data-testid={props.testId}>
          <tbody>
            {entries.map(([key, value]) => (
              <tr key={key}>
                <th>{key}</th>
                <td>
                  {typeof value === 'number'
                    ? Number(value.toPrecision(6))
                    : value}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Trust(props: WithVersion): JSX.Element {
  const { trans, lineage, version } = props;
  const gates = lineage?.gates ?? [];
  const needs = lineage?.needs_approval ?? [];
  const notServable = lineage?.not_servable ?? [];
  return (
    <div data-testid="studio-version-trust">
      {gates.length > 0 ? (
        <GatesTable gates={gates} trans={trans} />
      ) : (
        <p className="jp-Studio-endpoint-muted">
          {trans.__('The model declares no gate: any version may be approved.')}
        </p>
      )}
      {needs.length > 0 && (
        <p>
          {trans.__('Types to approve (not trusted by default):')}{' '}
          {needs.map(type => (
            <code key={type} className="jp-Studio-version-type">
              {type}
            </code>
          ))}
        </p>
      )}
      {version.approved_types.length > 0 && (
        <p>
          {trans.__('Approved types:')}{' '}
          {version.approved_types.map(type => (
            <code key={type} className="jp-Studio-version-type">
              {type}
            </code>
          ))}
        </p>
      )}
      {notServable.length > 0 && (
        <p className="jp-Studio-endpoint-error">
          {trans.__(
            'No endpoint can load this version: %1 (defined in a notebook, a lambda or a local class).',
            notServable.join(', ')
          )}
        </p>
      )}
    </div>
  );
}
