/**
 * Last, min and max of every metric for every run, as MLflow shows them. The best run of each
 * metric is starred in the row its direction reads (min where lower is better, max where
 * higher is): a separate "best" row would only repeat one of them.
 */
import * as React from 'react';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../../api/types';
import type { Direction } from '../../metricDirection';
import {
  bestRunId,
  formatValue,
  IMetricStats,
  metricStats
} from './compareData';
import { RunName } from './RunLegend';

export interface IMetricsSummaryTableProps {
  runs: Run[];
  colors: string[];
  metricKeys: string[];
  /** Which way each metric improves. */
  directions: Record<string, Direction>;
  onDirectionChange: (metricKey: string, direction: Direction) => void;
  onOpenRun: (runId: string) => void;
  trans: TranslationBundle;
}

const STATS: (keyof IMetricStats)[] = ['last', 'min', 'max'];

export function MetricsSummaryTable(
  props: IMetricsSummaryTableProps
): JSX.Element {
  const { runs, colors, metricKeys, directions, trans } = props;
  const statLabel: Record<keyof IMetricStats, string> = {
    last: trans.__('last'),
    min: trans.__('min'),
    max: trans.__('max')
  };
  return (
    <div className="jp-Studio-compareSection">
      <div className="jp-Studio-sectionHeader">
        <h3>{trans.__('Metrics')}</h3>
      </div>
      <div className="jp-Studio-tableScroll">
        <table
          className="jp-Studio-compareTable"
          data-testid="studio-compare-metrics"
        >
          <thead>
            <tr>
              <th className="jp-Studio-keyCell">{trans.__('Metric')}</th>
              <th>{trans.__('Value')}</th>
              {runs.map((run, i) => (
                <th key={run.id} data-run-id={run.id}>
                  <RunName
                    run={run}
                    color={colors[i]}
                    onOpenRun={props.onOpenRun}
                    trans={trans}
                  />
                </th>
              ))}
            </tr>
          </thead>
          {metricKeys.map(key => {
            const direction = directions[key];
            const best = bestRunId(runs, key, direction);
            const stats = runs.map(run => metricStats(run, key));
            // A metric logged once per run: last, min and max are one value, shown once.
            const single = runs.every(
              run => (run.metrics[key]?.count ?? 0) <= 1
            );
            const shown = single ? STATS.slice(0, 1) : STATS;
            const starred: keyof IMetricStats = single ? 'last' : direction;
            return (
              <tbody
                key={key}
                data-metric={key}
                className="jp-Studio-metricGroup"
              >
                {shown.map((stat, row) => (
                  <tr key={stat} data-stat={stat}>
                    {row === 0 && (
                      <th
                        scope="rowgroup"
                        rowSpan={shown.length}
                        className="jp-Studio-keyCell"
                      >
                        <div title={key}>{key}</div>
                        <button
                          type="button"
                          className="jp-Studio-direction"
                          data-testid="studio-metric-direction"
                          data-metric={key}
                          data-direction={direction}
                          title={trans.__(
                            'Click to switch which way is better'
                          )}
                          onClick={() =>
                            props.onDirectionChange(
                              key,
                              direction === 'max' ? 'min' : 'max'
                            )
                          }
                        >
                          {direction === 'max'
                            ? trans.__('↑ higher is better')
                            : trans.__('↓ lower is better')}
                        </button>
                      </th>
                    )}
                    <td className="jp-Studio-statName">
                      {single ? trans.__('value') : statLabel[stat]}
                    </td>
                    {runs.map((run, i) => {
                      const isBest = stat === starred && run.id === best;
                      return (
                        <td
                          key={run.id}
                          data-run-id={run.id}
                          className={isBest ? 'jp-Studio-best' : undefined}
                          title={
                            isBest ? trans.__('Best run of %1', key) : undefined
                          }
                        >
                          {formatValue(stats[i]?.[stat])}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            );
          })}
        </table>
      </div>
    </div>
  );
}
