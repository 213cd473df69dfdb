/**
 * A run's metric charts: a toolbar (x by step or time, log scale, smoothing) over a grid of charts.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IMetricSeries } from '../models/runModel';
import { IChartSeries, MetricChart } from './MetricChart';

export type XAxisKind = 'step' | 'time';

export interface IChartOptions {
  xAxis: XAxisKind;
  logScale: boolean;
  smoothing: number;
}

export interface IRunChartsProps {
  runName: string;
  metrics: IMetricSeries[];
  options: IChartOptions;
  onOptionsChange: (options: IChartOptions) => void;
  trans: TranslationBundle;
}

/** The toolbar of a chart grid; the compare panel may use it too. */
export function ChartToolbar(props: {
  options: IChartOptions;
  onChange: (options: IChartOptions) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { options, onChange, trans } = props;
  const time = options.xAxis === 'time';
  return (
    <div className="jp-Studio-chartToolbar">
      <button
        className="jp-Studio-toggle"
        data-testid="studio-xaxis-toggle"
        data-value={options.xAxis}
        aria-pressed={time}
        title={trans.__('Plot against the step or the wall-clock time')}
        onClick={() => onChange({ ...options, xAxis: time ? 'step' : 'time' })}
      >
        {time ? trans.__('x: time') : trans.__('x: step')}
      </button>
      <label className="jp-Studio-checkbox">
        <input
          type="checkbox"
          data-testid="studio-logscale-toggle"
          checked={options.logScale}
          onChange={event =>
            onChange({ ...options, logScale: event.target.checked })
          }
        />
        {trans.__('Log scale')}
      </label>
      <label className="jp-Studio-smoothing">
        {trans.__('Smoothing')}
        <input
          type="range"
          data-testid="studio-smoothing"
          min={0}
          max={0.99}
          step={0.01}
          value={options.smoothing}
          onChange={event =>
            onChange({ ...options, smoothing: Number(event.target.value) })
          }
        />
        <span className="jp-Studio-smoothing-value">
          {options.smoothing.toFixed(2)}
        </span>
      </label>
    </div>
  );
}

/** One chart card; its series is rebuilt only when the history or the x axis changes. */
const RunChart = React.memo(function RunChart(props: {
  runName: string;
  metric: IMetricSeries;
  options: IChartOptions;
  trans: TranslationBundle;
}): JSX.Element {
  const { metric, options, trans } = props;
  const series = React.useMemo<IChartSeries[]>(
    () => [
      {
        name: props.runName,
        x: options.xAxis === 'time' ? metric.timestamps : metric.steps,
        y: metric.values
      }
    ],
    [metric, options.xAxis, props.runName]
  );
  if (metric.pending) {
    return (
      <div className="jp-Studio-chartCard">
        <div className="jp-Studio-metricChart-title">{metric.key}</div>
        <div className="jp-Studio-chartPlaceholder">{trans.__('Loading…')}</div>
      </div>
    );
  }
  return (
    <div className="jp-Studio-chartCard">
      <MetricChart
        metricKey={metric.key}
        series={series}
        xAxis={options.xAxis}
        logScale={options.logScale}
        smoothing={options.smoothing}
      />
      <div className="jp-Studio-chartNote">
        {metric.error
          ? metric.error
          : metric.downsampled
            ? trans.__(
                '%1 of %2 points (downsampled by the server, extremes kept)',
                metric.values.length.toLocaleString(),
                metric.total.toLocaleString()
              )
            : trans._n('%1 point', '%1 points', metric.total)}
      </div>
    </div>
  );
});

/** Python, shown as written: code is not translated. */
const LOG_METRIC_EXAMPLE =
  'import studio\nstudio.log_metric("loss", 0.42, step=1)';

export function RunCharts(props: IRunChartsProps): JSX.Element {
  const { metrics, options, trans } = props;
  if (metrics.length === 0) {
    return (
      <div className="jp-Studio-emptyNote">
        <p>
          {trans.__('No metrics logged in this run. Log one from a notebook:')}
        </p>
        <pre>{LOG_METRIC_EXAMPLE}</pre>
      </div>
    );
  }
  return (
    <>
      <ChartToolbar
        options={options}
        onChange={props.onOptionsChange}
        trans={trans}
      />
      <div className="jp-Studio-chartGrid">
        {metrics.map(metric => (
          <RunChart
            key={metric.key}
            runName={props.runName}
            metric={metric}
            options={options}
            trans={trans}
          />
        ))}
      </div>
    </>
  );
}
