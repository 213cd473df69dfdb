/**
 * The Jobs panel: the Runs and Definitions tabs in the main area, with JupyterLab's toolbar;
 * its model polls while the panel is seen, and the clock ticks (elapsed times, progress)
 * while a job runs. Every action on a row runs one of the jobs commands.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Toolbar } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { IJobsAPI, JobDefinition, JobRun } from '../api/jobs';
import type { DefinitionAction } from '../components/jobs/DefinitionsTab';
import { JobsView } from '../components/jobs/JobsView';
import type { RunAction } from '../components/jobs/RunsTab';
import { jobsIcon } from '../icons';
import { JobsModel } from '../models/jobsModel';
import { CommandIDs, IPanelContext } from '../tokens';
import { Clock } from './clock';
import { ModelView } from './modelView';
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

export class JobsPanelView extends ModelView<JobsModel> {
  constructor(context: IPanelContext, api: IJobsAPI, trans: TranslationBundle) {
    super(new JobsModel({ api, settings: context.settings }));
    this._context = context;
    this._trans = trans;
    this.addClass('jp-Studio-jobsPanel');
    this.title.label = trans.__('Jobs');
    this.title.caption = trans.__('Notebook jobs: runs and definitions');
    this.title.closable = true;
    this.title.icon = jobsIcon;
    this.model.stateChanged.connect(this._syncClock, this);
    void this.model.refresh().catch(() => undefined);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._clock.dispose();
    this.model.dispose();
    super.dispose();
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

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._syncClock();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._clock.stop();
  }

  private _syncClock(): void {
    const needed =
      this.isVisible && this.model.runs.some(run => run.status === 'RUNNING');
    this._clock.sync(needed);
  }

  private readonly _context: IPanelContext;
  private readonly _trans: TranslationBundle;
  private readonly _clock = new Clock(() => this.update());
}
