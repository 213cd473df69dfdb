/**
 * The Jobs panel's Definitions tab: one row per definition (name, notebook, schedule in
 * words, next run, last status, active), with run now, edit, pause or resume, delete.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { JobDefinition } from '../../api/jobs';
import { ActionButton, StatusBadge, formatTime } from './JobStatus';

export type DefinitionAction = 'run' | 'edit' | 'pause' | 'resume' | 'delete';

export interface IDefinitionsTabProps {
  definitions: readonly JobDefinition[];
  selectedDefinitionId: number | null;
  trans: TranslationBundle;
  onSelect: (definitionId: number) => void;
  onAction: (action: DefinitionAction, definition: JobDefinition) => void;
}

export function DefinitionsTab(props: IDefinitionsTabProps): JSX.Element {
  const { trans, definitions } = props;
  if (definitions.length === 0) {
    return (
      <p
        className="jp-Studio-jobs-empty"
        data-testid="studio-job-definitions-empty"
      >
        {trans.__(
          'No job definition yet. Create a notebook job “On a schedule” to run it regularly.'
        )}
      </p>
    );
  }
  return (
    <div className="jp-Studio-jobs-tableWrap">
      <table
        className="jp-Studio-jobs-table"
        data-testid="studio-job-definitions"
      >
        <thead>
          <tr>
            <th>{trans.__('Name')}</th>
            <th>{trans.__('Schedule')}</th>
            <th>{trans.__('Next run')}</th>
            <th>{trans.__('Last status')}</th>
            <th>{trans.__('Active')}</th>
            <th>{trans.__('Actions')}</th>
          </tr>
        </thead>
        <tbody>
          {definitions.map(definition => (
            <DefinitionRow
              key={definition.id}
              {...props}
              definition={definition}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DefinitionRow(
  props: IDefinitionsTabProps & { definition: JobDefinition }
): JSX.Element {
  const { definition, trans } = props;
  const act = (action: DefinitionAction) => () =>
    props.onAction(action, definition);
  return (
    <tr
      className={
        definition.id === props.selectedDefinitionId
          ? 'jp-Studio-jobs-row jp-mod-selected'
          : 'jp-Studio-jobs-row'
      }
      data-testid="studio-job-definition"
      data-job-definition-id={definition.id}
      data-active={String(definition.active)}
      onClick={() => props.onSelect(definition.id)}
    >
      <td title={definition.notebook_path}>
        <span className="jp-Studio-jobs-name">{definition.name}</span>
        <span className="jp-Studio-jobs-muted">
          {' '}
          · {definition.notebook_path}
        </span>
      </td>
      <td data-testid="studio-job-schedule" title={definition.schedule ?? ''}>
        {definition.schedule
          ? `${definition.schedule_description ?? definition.schedule} (${definition.timezone})`
          : trans.__('On demand')}
      </td>
      <td data-testid="studio-job-next-run">
        {definition.active
          ? formatTime(definition.next_run_at, definition.timezone)
          : '—'}
      </td>
      <td>
        {definition.last_status ? (
          <StatusBadge status={definition.last_status} trans={trans} />
        ) : (
          '—'
        )}
      </td>
      <td>{definition.active ? trans.__('Active') : trans.__('Paused')}</td>
      <td className="jp-Studio-jobs-actions">
        <ActionButton
          testId="studio-job-run-now"
          title={trans.__('Run now with its parameters')}
          label={trans.__('Run now')}
          onClick={act('run')}
        />
        <ActionButton
          testId="studio-job-edit"
          title={trans.__('Edit the definition')}
          label={trans.__('Edit…')}
          onClick={act('edit')}
        />
        {definition.active ? (
          <ActionButton
            testId="studio-job-pause"
            title={trans.__('Stop scheduling it')}
            label={trans.__('Pause')}
            onClick={act('pause')}
          />
        ) : (
          <ActionButton
            testId="studio-job-resume"
            title={trans.__('Schedule it again')}
            label={trans.__('Resume')}
            onClick={act('resume')}
          />
        )}
        <ActionButton
          testId="studio-job-delete"
          title={trans.__('Delete the definition')}
          label={trans.__('Delete…')}
          onClick={act('delete')}
        />
      </td>
    </tr>
  );
}
