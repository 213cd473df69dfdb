/**
 * One overlaid chart per metric (the shared MetricChart), a line per run in the run's colour,
 * with the x-axis, log-scale and smoothing controls shared by all of them.
 */
import * as React from 'react';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../../api/types';
import type { Histories } from '../../models/compareModel';
import { IChartSeries, MetricChart } from '../MetricChart';
import { runLabel } from './RunLegend';

/** A series that also says its colour, so each run has one colour in every chart. */
export interface IColoredSeries extends IChartSeries {
  color: string;
}

export interface IMetricChartsProps {
  runs: Run[];
  colors: string[];
  metricKeys: string[];
  histories: Histories;
  xAxis: 'step' | 'time';
  logScale: boolean;
  smoothing: number;
  onXAxisChange: (value: 'step' | 'time') => void;
  onLogScaleChange: (value: boolean) => void;
  onSmoothingChange: (value: number) => void;
  trans: TranslationBundle;
}

/**
 * The series of one metric: a run's points by step or by time, runs without the metric left
 * out.
 */
export function metricSeries(
  runs: Run[],
  colors: string[],
  histories: Histories,
  key: string,
  xAxis: 'step' | 'time'
): IColoredSeries[] {
  const series: IColoredSeries[] = [];
  runs.forEach((run, i) => {
    const history = histories[key]?.[run.id];
    if (history) {
      series.push({
        name: runLabel(run),
        runId: run.id,
        color: colors[i],
        x: xAxis === 'time' ? history.timestamps : history.steps,
        y: history.values
      });
    }
  });
  return series;
}

export function MetricCharts(props: IMetricChartsProps): JSX.Element {
  const { runs, colors, metricKeys, histories, xAxis, trans } = props;
  const seriesByKey = React.useMemo(
    () =>
      new Map(
        metricKeys.map(key => [
          key,
          metricSeries(runs, colors, histories, key, xAxis)
        ])
      ),
    [runs, colors, metricKeys, histories, xAxis]
  );
  return (
    <div className="jp-Studio-compareSection">
      <div className="jp-Studio-sectionHeader">
        <h3>{trans.__('Metric charts')}</h3>
        <label className="jp-Studio-toggle">
          {trans.__('x-axis')}
          <select
            data-testid="studio-compare-xaxis"
            value={xAxis}
            onChange={event =>
              props.onXAxisChange(
                event.target.value === 'time' ? 'time' : 'step'
              )
            }
          >
            <option value="step">{trans.__('step')}</option>
            <option value="time">{trans.__('time')}</option>
          </select>
        </label>
        <label className="jp-Studio-toggle">
          <input
            type="checkbox"
            data-testid="studio-compare-logscale"
            checked={props.logScale}
            onChange={event => props.onLogScaleChange(event.target.checked)}
          />
          {trans.__('log scale')}
        </label>
        <label className="jp-Studio-toggle">
          {trans.__('smoothing')}
          <input
            type="range"
            data-testid="studio-compare-smoothing"
            min={0}
            max={0.99}
            step={0.01}
            value={props.smoothing}
            onChange={event =>
              props.onSmoothingChange(Number(event.target.value))
            }
          />
          <span className="jp-Studio-hint">{props.smoothing.toFixed(2)}</span>
        </label>
      </div>
      {metricKeys.length ? (
        <div className="jp-Studio-chartGrid">
          {metricKeys.map(key => (
            <MetricChart
              key={key}
              metricKey={key}
              series={seriesByKey.get(key) ?? []}
              xAxis={xAxis}
              logScale={props.logScale}
              smoothing={props.smoothing}
              testId="studio-compare-chart"
            />
          ))}
        </div>
      ) : (
        <p className="jp-Studio-hint">
          {trans.__(
            'No metric has more than one point: the tables and charts below compare them.'
          )}
        </p>
      )}
    </div>
  );
}
