/**
 * The Jobs panel: the Runs and Definitions tabs in the main area, with JupyterLab's toolbar;
 * its model polls while the panel is seen, and the clock ticks (elapsed times, progress)
 * while a job runs. Every action on a row runs one of the jobs commands.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Toolbar } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IJobsAPI, JobDefinition, JobRun } from '../api/jobs';
import type { DefinitionAction } from '../components/jobs/DefinitionsTab';
import { JobsView } from '../components/jobs/JobsView';
import type { RunAction } from '../components/jobs/RunsTab';
import { jobsIcon } from '../icons';
import { JobsModel } from '../models/jobsModel';
import { CommandIDs, IPanelContext } from '../tokens';
import { ClockedModelView } from './modelView';
import { refreshButton } from './toolbar';

const RUN_COMMANDS: Record<RunAction, string> = {
  output: CommandIDs.openJobOutput,
  log: CommandIDs.openJobLog,
  cancel: CommandIDs.cancelJobRun,
  rerun: CommandIDs.rerunJob,
  trackedRun: CommandIDs.openJobTrackedRun,
  download: CommandIDs.downloadJobOutputs
};

const DEFINITION_COMMANDS: Record<DefinitionAction, string> = {
  run: CommandIDs.runJobDefinition,
  edit: CommandIDs.editJobDefinition,
  pause: CommandIDs.pauseJobDefinition,
  resume: CommandIDs.resumeJobDefinition,
  delete: CommandIDs.deleteJobDefinition
};

export class JobsPanel extends MainAreaWidget<JobsPanelView> {
  constructor(context: IPanelContext, api: IJobsAPI) {
    const trans = context.translator.load('jupyter-studio');
    const content = new JobsPanelView(context, api, trans);
    super({ content, toolbar: new Toolbar() });
    this.id = 'studio-jobs';
    this.toolbar.addItem(
      'refresh',
      refreshButton(trans, () => void this.refresh())
    );
  }

  get model(): JobsModel {
    return this.content.model;
  }

  refresh(): Promise<void> {
    return this.content.model.refresh();
  }
}

export class JobsPanelView extends ClockedModelView<JobsModel> {
  constructor(context: IPanelContext, api: IJobsAPI, trans: TranslationBundle) {
    super(new JobsModel({ api, settings: context.settings }));
    this._context = context;
    this._trans = trans;
    this.addClass('jp-Studio-jobsPanel');
    this.title.label = trans.__('Jobs');
    this.title.caption = trans.__('Notebook jobs: runs and definitions');
    this.title.closable = true;
    this.title.icon = jobsIcon;
    void this.model.refresh().catch(() => undefined);
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    const commands = this._context.commands;
    return (
      <JobsView
        tab={model.tab}
        runs={model.runs}
        runsTotal={model.runsTotal}
        definitions={model.definitions}
        definitionsTotal={model.definitionsTotal}
        selectedRunId={model.selectedRunId}
        selectedDefinitionId={model.selectedDefinitionId}
        error={model.error}
        loaded={model.loaded}
        now={Date.now()}
        trans={this._trans}
        onTab={tab => (model.tab = tab)}
        onSelectRun={id => (model.selectedRunId = id)}
        onSelectDefinition={id => (model.selectedDefinitionId = id)}
        onRunAction={(action: RunAction, run: JobRun) =>
          void commands.execute(RUN_COMMANDS[action], { jobRunId: run.id })
        }
        onDefinitionAction={(
          action: DefinitionAction,
          definition: JobDefinition
        ) =>
          void commands.execute(DEFINITION_COMMANDS[action], {
            definitionId: definition.id
          })
        }
      />
    );
  }

  protected get ticking(): boolean {
    return this.model.runs.some(run => run.status === 'RUNNING');
  }

  private readonly _context: IPanelContext;
  private readonly _trans: TranslationBundle;
}
