/**
 * An evaluation's numbers: each metric of the model beside the baseline's (± the folds' spread
 * under cross-validation) with its threshold's pass or fail, and the per-fold table.
 * Pure: props in.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Evaluation, Threshold } from '../../api/evaluation';
import { formatNumber } from '../runCells';

/** A pass or fail badge. */
export function PassBadge(props: {
  passed: boolean;
  trans: TranslationBundle;
  testId?: string;
}): JSX.Element {
  const { passed, trans } = props;
  return (
    <span
      className={`jp-Studio-evalBadge jp-Studio-evalBadge-${passed ? 'pass' : 'fail'}`}
      data-testid={props.testId}
      data-passed={String(passed)}
    >
      {passed ? trans.__('pass') : trans.__('fail')}
    </span>
  );
}

/** The metrics in the order the server gave them, then thresholded ones it did not compute. */
function metricNames(evaluation: Evaluation): string[] {
  const names = Object.keys(evaluation.metrics);
  for (const name of Object.keys(evaluation.baseline)) {
    if (!names.includes(name)) {
      names.push(name);
    }
  }
  for (const threshold of evaluation.thresholds) {
    if (!names.includes(threshold.metric)) {
      names.push(threshold.metric);
    }
  }
  return names;
}

function valueText(value: number | undefined): string {
  return value === undefined ? '—' : formatNumber(value);
}

export function MetricsTable(props: {
  evaluation: Evaluation;
  trans: TranslationBundle;
}): JSX.Element {
  const { evaluation, trans } = props;
  const thresholds = new Map<string, Threshold>(
    evaluation.thresholds.map(threshold => [threshold.metric, threshold])
  );
  const names = metricNames(evaluation);
  if (names.length === 0) {
    return (
      <div className="jp-Studio-muted" data-testid="studio-evaluation-metrics">
        {trans.__('No metrics')}
      </div>
    );
  }
  const hasStd = Object.keys(evaluation.std).length > 0;
  // Autolog's evaluations of the training data have no baseline.
  const hasBaseline = Object.keys(evaluation.baseline).length > 0;
  const hasThresholds = thresholds.size > 0;
  return (
    <table
      className="jp-Studio-evalTable"
      data-testid="studio-evaluation-metrics"
    >
      <thead>
        <tr>
          <th scope="col">{trans.__('Metric')}</th>
          <th scope="col">{trans.__('Model')}</th>
          {hasStd && <th scope="col">{trans.__('± std')}</th>}
          {hasBaseline && (
            <th scope="col" title={evaluation.baseline_model}>
              {trans.__('Baseline')}
            </th>
          )}
          {hasThresholds && <th scope="col">{trans.__('Threshold')}</th>}
        </tr>
      </thead>
      <tbody>
        {names.map(name => {
          const threshold = thresholds.get(name);
          const std = evaluation.std[name];
          return (
            <tr key={name} data-metric={name}>
              <th scope="row">{name}</th>
              <td data-column="model">{valueText(evaluation.metrics[name])}</td>
              {hasStd && (
                <td data-column="std">
                  {std === undefined ? '' : `± ${formatNumber(std)}`}
                </td>
              )}
              {hasBaseline && (
                <td data-column="baseline">
                  {valueText(evaluation.baseline[name])}
                </td>
              )}
              {hasThresholds && (
                <td data-column="threshold">
                  {threshold && (
                    <>
                      <code>{threshold.condition}</code>{' '}
                      <PassBadge
                        passed={threshold.passed}
                        trans={trans}
                        testId="studio-evaluation-threshold"
                      />
                    </>
                  )}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** One row per cross-validation fold; nothing without folds. */
export function FoldsTable(props: {
  evaluation: Evaluation;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { evaluation, trans } = props;
  if (evaluation.folds.length === 0) {
    return null;
  }
  const names = Object.keys(evaluation.metrics).filter(name =>
    evaluation.folds.some(fold => name in fold.metrics)
  );
  return (
    <table
      className="jp-Studio-evalTable"
      data-testid="studio-evaluation-folds"
    >
      <thead>
        <tr>
          <th scope="col">{trans.__('Fold')}</th>
          {names.map(name => (
            <th key={name} scope="col">
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {evaluation.folds.map(fold => (
          <tr key={fold.fold} data-fold={fold.fold}>
            <th scope="row">{fold.fold}</th>
            {names.map(name => (
              <td key={name}>{valueText(fold.metrics[name])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
