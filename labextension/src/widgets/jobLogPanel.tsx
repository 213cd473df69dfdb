/**
 * A job run's log in the main area: tailed while the run goes on and the panel is seen.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IJobsAPI } from '../api/jobs';
import { LogView } from '../components/jobs/LogView';
import { jobsIcon } from '../icons';
import { JobLogModel } from '../models/jobLogModel';
import type { IPanelContext } from '../tokens';
import { ModelView } from './modelView';

export class JobLogPanel extends MainAreaWidget<JobLogView> {
  constructor(
    context: IPanelContext,
    api: IJobsAPI,
    jobRunId: number,
    name: string
  ) {
    const trans = context.translator.load('jupyter-studio');
    super({
      content: new JobLogView(
        new JobLogModel({ api, settings: context.settings, jobRunId }),
        trans
      )
    });
    this.jobRunId = jobRunId;
    this.id = `studio-job-log-${jobRunId}`;
    this.title.label = trans.__('Log: %1', name);
    this.title.caption = trans.__('The log of job run %1', jobRunId);
    this.title.closable = true;
    this.title.icon = jobsIcon;
  }

  readonly jobRunId: number;
}

export class JobLogView extends ModelView<JobLogModel> {
  constructor(
    model: JobLogModel,
    private readonly _trans: TranslationBundle
  ) {
    super(model);
    this.addClass('jp-Studio-jobLogPanel');
    void model.load().catch(() => undefined);
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.model.dispose();
    }
    super.dispose();
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    return (
      <LogView
        text={model.text}
        done={model.done}
        loaded={model.loaded}
        error={model.error}
        trans={this._trans}
      />
    );
  }
}
