/**
 * The sidebar's Registry: each registered model with its aliases, expandable to its versions,
 * each with its approval badge and aliases. A click on a version opens its page; its context
 * menu (schema/plugin.json, over `data-model-version`) opens, deploys, approves or copies it.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Endpoint } from '../../api/serving';
import type {
  ApprovalStatus,
  ModelVersion,
  RegisteredModel
} from '../../api/registry';

export interface IRegistrySectionProps {
  models: readonly RegisteredModel[] | null;
  expanded: ReadonlySet<string>;
  versions: (model: string) => readonly ModelVersion[] | null;
  error: string | null;
  trans: TranslationBundle;
  onToggle: (model: string) => void;
  onOpenVersion: (model: string, version: number) => void;
  /** The endpoints (null: not listed). */
  endpoints?: readonly Endpoint[] | null;
  onOpenEndpoint?: (name: string) => void;
}

export function RegistrySection(props: IRegistrySectionProps): JSX.Element {
  const { trans, models } = props;
  return (
    <section
      className="jp-Studio-sidebar-section jp-Studio-sidebar-registry"
      data-testid="studio-registry-section"
      data-loaded={String(models !== null)}
    >
      <h3 className="jp-Studio-sidebar-sectionTitle">
        {trans.__('Models')}
        <span className="jp-Studio-sidebar-badge">{models?.length ?? 0}</span>
      </h3>
      {props.error !== null && (
        <p className="jp-Studio-sidebar-muted" role="alert">
          {trans.__('The registry could not be loaded: %1', props.error)}
        </p>
      )}
      {models !== null && models.length === 0 && (
        <p className="jp-Studio-sidebar-muted">
          {trans.__(
            'No registered model yet: studio.register_model(run_id, "name") adds one.'
          )}
        </p>
      )}
      {models !== null && models.length > 0 && (
        <ul
          className="jp-Studio-sidebar-list"
          aria-label={trans.__('Registered models')}
        >
          {models.map(model => (
            <ModelItem key={model.name} model={model} {...props} />
          ))}
        </ul>
      )}
      {props.endpoints && props.endpoints.length > 0 && (
        <>
          <h4 className="jp-Studio-sidebar-subTitle">
            {trans.__('Endpoints')}
          </h4>
          <ul
            className="jp-Studio-sidebar-list"
            aria-label={trans.__('Endpoints')}
          >
            {props.endpoints.map(endpoint => (
              <li key={endpoint.name}>
                <button
                  className="jp-Studio-sidebar-listItem"
                  data-testid="studio-registry-endpoint"
                  data-endpoint-name={endpoint.name}
                  data-running={String(endpoint.running)}
                  title={trans.__('Open the endpoint %1', endpoint.name)}
                  onClick={() => props.onOpenEndpoint?.(endpoint.name)}
                >
                  {endpoint.running && (
                    <span
                      className="jp-Studio-sidebar-runningDot"
                      aria-hidden="true"
                    />
                  )}
                  <span className="jp-Studio-sidebar-itemMain">
                    <span className="jp-Studio-sidebar-itemName">
                      {endpoint.name}
                    </span>
                    <span className="jp-Studio-sidebar-itemMeta">
                      {endpoint.variants
                        .map(variant =>
                          variant.role === 'shadow'
                            ? trans.__('%1 (shadow)', variant.name)
                            : variant.name
                        )
                        .join(' · ')}
                    </span>
                  </span>
                  <span className="jp-Studio-sidebar-itemMeta">
                    {endpoint.running
                      ? trans.__('serving')
                      : trans.__('stopped')}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function ModelItem(
  props: IRegistrySectionProps & { model: RegisteredModel }
): JSX.Element {
  const { model, trans } = props;
  const open = props.expanded.has(model.name);
  const versions = open ? props.versions(model.name) : null;
  return (
    <li>
      <button
        className="jp-Studio-sidebar-listItem"
        data-testid="studio-registry-model"
        data-model-name={model.name}
        aria-expanded={open}
        title={model.description || model.name}
        onClick={() => props.onToggle(model.name)}
      >
        <span className="jp-Studio-registry-caret" aria-hidden="true">
          {open ? '▾' : '▸'}
        </span>
        <span className="jp-Studio-sidebar-itemMain">
          <span className="jp-Studio-sidebar-itemName">{model.name}</span>
          <span className="jp-Studio-sidebar-itemMeta">
            {Object.entries(model.aliases)
              .map(([alias, version]) => `@${alias} → v${version}`)
              .join(' · ') || trans.__('no alias')}
          </span>
        </span>
        <span
          className="jp-Studio-sidebar-badge"
          title={trans._n('%1 version', '%1 versions', model.version_count)}
        >
          {model.version_count}
        </span>
      </button>
      {open && versions === null && (
        <p className="jp-Studio-sidebar-muted jp-Studio-registry-nested">
          {trans.__('Loading…')}
        </p>
      )}
      {open && versions !== null && (
        <ul
          className="jp-Studio-registry-versions"
          aria-label={trans.__('Versions of %1', model.name)}
        >
          {versions.map(version => (
            <li key={version.version}>
              <button
                className="jp-Studio-sidebar-listItem jp-Studio-registry-nested"
                data-testid="studio-registry-version"
                data-model-version={`${version.name}/${version.version}`}
                title={trans.__('Open %1', version.uri)}
                onClick={() =>
                  props.onOpenVersion(version.name, version.version)
                }
              >
                <span className="jp-Studio-sidebar-itemMain">
                  <span className="jp-Studio-sidebar-itemName">
                    {trans.__('Version %1', version.version)}
                  </span>
                  <span className="jp-Studio-sidebar-itemMeta">
                    {[
                      ...version.aliases.map(alias => `@${alias}`),
                      version.model_class.split('.').pop()
                    ].join(' · ')}
                  </span>
                </span>
                <ApprovalBadge status={version.status} trans={trans} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** A version's approval as a coloured word. */
export function ApprovalBadge(props: {
  status: ApprovalStatus;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const words: Record<ApprovalStatus, string> = {
    PENDING: trans.__('pending'),
    APPROVED: trans.__('approved'),
    REJECTED: trans.__('rejected')
  };
  return (
    <span
      className={`jp-Studio-approval jp-Studio-approval-${props.status.toLowerCase()}`}
      data-testid="studio-approval"
      data-status={props.status}
    >
      {words[props.status] ?? props.status}
    </span>
  );
}
