/**
 * An AutoML search's leaderboard: rank, pipeline, score ± std over its folds, mean fit time
 * and state, the best first; pruned and failed candidates after the ranked ones. A row opens
 * the candidate's run. Pure.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Candidate } from '../../api/automl';
import { formatDuration } from '../../format';
import { formatNumber } from '../runCells';

export interface ILeaderboardProps {
  /** Ordered: ranked by rank, then the rest. */
  candidates: readonly Candidate[];
  metric: string;
  bestRunId: string | null;
  trans: TranslationBundle;
  onOpenRun: (runId: string) => void;
}

export function scoreText(candidate: Candidate): string {
  if (candidate.score === null) {
    return '';
  }
  const score = formatNumber(candidate.score);
  // Two significant digits: the spread is a rough measure, more would look precise.
  return candidate.std === null
    ? score
    : `${score} ± ${Number(candidate.std.toPrecision(2))}`;
}

export function Leaderboard(props: ILeaderboardProps): JSX.Element {
  const { trans } = props;
  if (props.candidates.length === 0) {
    return (
      <p className="jp-Studio-jobForm-muted">
        {trans.__('No candidate has been scored yet.')}
      </p>
    );
  }
  return (
    <table
      className="jp-Studio-jobs-table jp-Studio-automl-leaderboard"
      data-testid="studio-automl-leaderboard"
    >
      <thead>
        <tr>
          <th>{trans.__('Rank')}</th>
          <th>{trans.__('Pipeline')}</th>
          <th>{`${props.metric} ± std`}</th>
          <th>{trans.__('Folds')}</th>
          <th>{trans.__('Fit time')}</th>
          <th>{trans.__('State')}</th>
        </tr>
      </thead>
      <tbody>
        {props.candidates.map(candidate => (
          <tr
            key={candidate.run_id}
            data-run-id={candidate.run_id}
            data-testid="studio-automl-candidate"
            className={
              candidate.run_id === props.bestRunId ? 'jp-mod-best' : undefined
            }
            title={Object.entries(candidate.params)
              .map(([name, value]) => `${name} = ${value}`)
              .join('\n')}
            onDoubleClick={() => props.onOpenRun(candidate.run_id)}
          >
            <td data-testid="studio-automl-rank">{candidate.rank ?? ''}</td>
            <td>
              <button
                className="jp-Studio-automl-link"
                onClick={() => props.onOpenRun(candidate.run_id)}
              >
                {candidate.name}
              </button>
              {candidate.ensemble && (
                <span className="jp-Studio-automl-badge">
                  {trans.__('ensemble')}
                </span>
              )}
            </td>
            <td data-testid="studio-automl-score">{scoreText(candidate)}</td>
            <td>{candidate.folds}</td>
            <td>
              {candidate.fit_time === null
                ? ''
                : formatDuration(candidate.fit_time * 1000)}
            </td>
            <td>
              <span
                className={`jp-Studio-automl-state jp-mod-${candidate.state}`}
              >
                {stateLabel(candidate.state, trans)}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function stateLabel(
  state: Candidate['state'],
  trans: TranslationBundle
): string {
  const labels: Record<Candidate['state'], string> = {
    running: trans.__('running'),
    complete: trans.__('complete'),
    pruned: trans.__('pruned'),
    failed: trans.__('failed'),
    stopped: trans.__('stopped at the deadline')
  };
  return labels[state];
}
