/**
 * The AutoML panel's view: the searches on the left; on the right the one shown, with its
 * phase, the share of its time budget spent, the best score and model, the links to its two
 * notebooks, its best run and its job, "Deploy best", and the leaderboard. Pure.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type {
  AutoML,
  AutoMLDetail,
  AutoMLPhase,
  Candidate
} from '../../api/automl';
import { formatDuration } from '../../format';
import { budgetSpent } from '../../models/automlModel';
import { formatNumber } from '../runCells';
import { taskLabel } from '../training/DatasetSection';
import { Leaderboard } from './Leaderboard';

export interface IAutoMLViewProps {
  automls: readonly AutoML[];
  selectedRunId: string | null;
  /** The job run whose search is awaited, if any. */
  awaitedJobRunId: number | null;
  detail: AutoMLDetail | null;
  leaderboard: readonly Candidate[];
  error: string | null;
  loaded: boolean;
  now: number;
  trans: TranslationBundle;
  onSelect: (runId: string) => void;
  onOpenRun: (runId: string) => void;
  onOpenNotebook: (path: string) => void;
  onOpenJob: (jobRunId: number) => void;
  onDeploy: (model: string, version: number) => void;
}

export function phaseLabel(
  phase: AutoMLPhase,
  trans: TranslationBundle
): string {
  const labels: Record<AutoMLPhase, string> = {
    exploring: trans.__('Exploring the data'),
    searching: trans.__('Searching'),
    refitting: trans.__('Refitting the best'),
    done: trans.__('Done'),
    failed: trans.__('Failed')
  };
  return labels[phase];
}

export function AutoMLView(props: IAutoMLViewProps): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-Studio-automl">
      {props.error && (
        <p className="jp-Studio-jobForm-error" role="alert">
          {props.error}
        </p>
      )}
      {props.awaitedJobRunId !== null && (
        <p
          className="jp-Studio-automl-awaited"
          data-testid="studio-automl-awaited"
        >
          {trans.__(
            'Waiting for job run %1 to start its search…',
            props.awaitedJobRunId
          )}
        </p>
      )}
      <div className="jp-Studio-automl-body">
        <ul className="jp-Studio-automl-list" data-testid="studio-automl-list">
          {props.loaded && props.automls.length === 0 && (
            <li className="jp-Studio-jobForm-muted">
              {trans.__(
                'No AutoML search yet: right-click a CSV or Parquet file, then “Run AutoML…”.'
              )}
            </li>
          )}
          {props.automls.map(automl => (
            <li
              key={automl.run_id}
              data-automl-run-id={automl.run_id}
              className={
                automl.run_id === props.selectedRunId
                  ? 'jp-mod-selected'
                  : undefined
              }
              onClick={() => props.onSelect(automl.run_id)}
            >
              <span className="jp-Studio-automl-listName">{automl.name}</span>
              <span className="jp-Studio-jobForm-muted">
                {`${automl.target} · ${phaseLabel(automl.phase, trans)}`}
              </span>
            </li>
          ))}
        </ul>
        <div className="jp-Studio-automl-detail">
          {props.detail ? (
            <Detail {...props} detail={props.detail} />
          ) : (
            props.selectedRunId && (
              <p className="jp-Studio-jobForm-muted">{trans.__('Loading…')}</p>
            )
          )}
        </div>
      </div>
    </div>
  );
}

function Detail(
  props: IAutoMLViewProps & { detail: AutoMLDetail }
): JSX.Element {
  const { detail, trans } = props;
  const spent = budgetSpent(detail, props.now);
  const running = detail.status === 'RUNNING';
  const notebooks = Object.entries(detail.notebooks);
  return (
    <div data-testid="studio-automl-detail">
      <h2 className="jp-Studio-automl-title">{detail.name}</h2>
      <p className="jp-Studio-jobForm-muted">
        {trans.__(
          '%1 on %2 · target %3 · %4 (%5)',
          taskLabel(detail.task, trans),
          detail.data,
          detail.target,
          detail.metric,
          detail.greater_is_better
            ? trans.__('higher is better')
            : trans.__('lower is better')
        )}
      </p>
      <div className="jp-Studio-automl-phase">
        <span data-testid="studio-automl-phase">
          {running || detail.phase === 'failed'
            ? phaseLabel(detail.phase, trans)
            : detail.status === 'FINISHED'
              ? phaseLabel('done', trans)
              : detail.status}
        </span>
        <progress
          data-testid="studio-automl-budget"
          max={1}
          value={spent}
          title={trans.__(
            '%1% of the %2 s budget',
            Math.round(spent * 100),
            detail.time_budget
          )}
        />
        <span className="jp-Studio-jobForm-muted">
          {detail.search_seconds !== null
            ? trans.__(
                'search %1 of %2',
                formatDuration(detail.search_seconds * 1000),
                formatDuration(detail.time_budget * 1000)
              )
            : trans.__('budget %1', formatDuration(detail.time_budget * 1000))}
          {detail.post_seconds !== null &&
            ` · ${trans.__('then %1', formatDuration(detail.post_seconds * 1000))}`}
        </span>
      </div>
      <p>
        {trans.__('%1 candidates, %2 pruned', detail.candidates, detail.pruned)}
        {detail.best_score !== null &&
          ` · ${trans.__('best %1 = %2', detail.metric, formatNumber(detail.best_score))}`}
        {detail.model_name &&
          detail.model_version !== null &&
          ` · ${trans.__('registered as %1 version %2', detail.model_name, detail.model_version)}`}
      </p>
      <div className="jp-Studio-automl-actions">
        {notebooks.map(([kind, path]) => (
          <button
            key={kind}
            className="jp-mod-styled"
            data-testid={`studio-automl-notebook-${kind}`}
            onClick={() => props.onOpenNotebook(path)}
          >
            {kind === 'exploration'
              ? trans.__('Data exploration notebook')
              : kind === 'candidates'
                ? trans.__('Candidate definitions notebook')
                : kind}
          </button>
        ))}
        {detail.best_run_id && (
          <button
            className="jp-mod-styled"
            data-testid="studio-automl-best-run"
            onClick={() => props.onOpenRun(detail.best_run_id as string)}
          >
            {trans.__('Best run')}
          </button>
        )}
        <button
          className="jp-mod-styled"
          data-testid="studio-automl-parent-run"
          onClick={() => props.onOpenRun(detail.run_id)}
        >
          {trans.__('AutoML run')}
        </button>
        {detail.job_run_id !== null && (
          <button
            className="jp-mod-styled"
            onClick={() => props.onOpenJob(detail.job_run_id as number)}
          >
            {trans.__('Job')}
          </button>
        )}
        {detail.model_name && detail.model_version !== null && (
          <button
            className="jp-mod-styled jp-mod-accept"
            data-testid="studio-automl-deploy"
            onClick={() =>
              props.onDeploy(
                detail.model_name as string,
                detail.model_version as number
              )
            }
          >
            {trans.__('Deploy best…')}
          </button>
        )}
      </div>
      <Leaderboard
        candidates={props.leaderboard}
        metric={detail.metric}
        bestRunId={detail.best_run_id}
        trans={trans}
        onOpenRun={props.onOpenRun}
      />
    </div>
  );
}
