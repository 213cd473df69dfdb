/**
 * The Jobs panel's content: its two tabs, Runs and Definitions, with the server's message
 * when loading failed. Pure: the model's state comes in as props, actions go out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { JobDefinition, JobRun } from '../../api/jobs';
import type { JobsTab } from '../../models/jobsModel';
import { DefinitionAction, DefinitionsTab } from './DefinitionsTab';
import { RunAction, RunsTab } from './RunsTab';

export interface IJobsViewProps {
  tab: JobsTab;
  runs: readonly JobRun[];
  runsTotal: number;
  definitions: readonly JobDefinition[];
  definitionsTotal: number;
  selectedRunId: number | null;
  selectedDefinitionId: number | null;
  error: string | null;
  loaded: boolean;
  now: number;
  trans: TranslationBundle;
  onTab: (tab: JobsTab) => void;
  onSelectRun: (jobRunId: number) => void;
  onSelectDefinition: (definitionId: number) => void;
  onRunAction: (action: RunAction, run: JobRun) => void;
  onDefinitionAction: (
    action: DefinitionAction,
    definition: JobDefinition
  ) => void;
}

export function JobsView(props: IJobsViewProps): JSX.Element {
  const { trans } = props;
  const tabs: [JobsTab, string, number][] = [
    ['runs', trans.__('Runs'), props.runsTotal],
    ['definitions', trans.__('Definitions'), props.definitionsTotal]
  ];
  return (
    <div className="jp-Studio-jobs" data-loaded={String(props.loaded)}>
      <div className="jp-Studio-jobs-tabs" role="tablist">
        {tabs.map(([tab, label, count]) => (
          <button
            key={tab}
            role="tab"
            aria-selected={props.tab === tab}
            className={
              props.tab === tab
                ? 'jp-Studio-jobs-tabButton jp-mod-current'
                : 'jp-Studio-jobs-tabButton'
            }
            data-testid={`studio-jobs-tab-${tab}`}
            onClick={() => props.onTab(tab)}
          >
            {label}
            <span className="jp-Studio-jobs-count">{count}</span>
          </button>
        ))}
      </div>
      {props.error !== null && (
        <p
          className="jp-Studio-jobs-loadError"
          role="alert"
          data-testid="studio-jobs-error"
        >
          {trans.__('Jobs could not be loaded: %1', props.error)}
        </p>
      )}
      {!props.loaded ? (
        <p className="jp-Studio-jobs-muted">{trans.__('Loading…')}</p>
      ) : props.tab === 'runs' ? (
        <RunsTab
          runs={props.runs}
          total={props.runsTotal}
          selectedRunId={props.selectedRunId}
          now={props.now}
          trans={trans}
          onSelect={props.onSelectRun}
          onAction={props.onRunAction}
        />
      ) : (
        <DefinitionsTab
          definitions={props.definitions}
          selectedDefinitionId={props.selectedDefinitionId}
          trans={trans}
          onSelect={props.onSelectDefinition}
          onAction={props.onDefinitionAction}
        />
      )}
    </div>
  );
}
