/**
 * A run's metric charts: a toolbar (x by step or time, log scale, smoothing) over a grid of charts.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { type MetricSummary, toNumber } from '../api/types';
import type { IMetricSeries } from '../models/runModel';
import { IStepSpan, IZoomView, zoomMaxPoints, zoomSpans } from '../models/zoom';
import { ChartToolbar, IChartOptions, xAxisTitle } from './ChartToolbar';
import { chartView, IZoomProps } from './chartView';
import { IChartSeries, MetricChart } from './MetricChart';
import { formatNumber } from './runCells';

export type { IChartOptions, XAxisKind } from './ChartToolbar';
export type { IZoomProps } from './chartView';

/** A metric's statistics as the server summarises them (every point, not only those drawn). */
export interface IMetricStats {
  count: number;
  last: number;
  min: number;
  max: number;
}

export interface IRunChartsProps extends IZoomProps {
  runId: string;
  runName: string;
  metrics: IMetricSeries[];
  /** The run's metric summaries, by key: last, min, max and how many points. */
  summaries: Record<string, MetricSummary>;
  options: IChartOptions;
  onOptionsChange: (options: IChartOptions) => void;
  trans: TranslationBundle;
}

function statsOf(summary: MetricSummary | undefined): IMetricStats | null {
  return summary
    ? {
        count: summary.count,
        last: toNumber(summary.last),
        min: toNumber(summary.min),
        max: toNumber(summary.max)
      }
    : null;
}

/** Last, min and max, readable without hovering. */
function StatsLine(props: {
  stats: IMetricStats;
  trans: TranslationBundle;
}): JSX.Element {
  const { stats, trans } = props;
  const items: [string, string, number][] = [
    ['last', trans.__('last'), stats.last],
    ['min', trans.__('min'), stats.min],
    ['max', trans.__('max'), stats.max]
  ];
  return (
    <span className="jp-Studio-metricStats" data-testid="studio-metric-stats">
      {items.map(([stat, label, value]) => (
        <span key={stat} data-stat={stat} title={String(value)}>
          {label} <b>{formatNumber(value)}</b>
        </span>
      ))}
    </span>
  );
}

/** A metric logged once: its value, as a number (a chart of one dot says less). */
function ValueCard(props: { metricKey: string; value: number }): JSX.Element {
  return (
    <div
      className="jp-Studio-chartCard jp-Studio-valueCard"
      data-testid="studio-metric-value"
      data-metric={props.metricKey}
    >
      <div className="jp-Studio-metricChart-title" title={props.metricKey}>
        {props.metricKey}
      </div>
      <div className="jp-Studio-metricValue" title={String(props.value)}>
        {formatNumber(props.value)}
      </div>
    </div>
  );
}

/**
 * One chart card; its series is rebuilt only when the history or the x axis changes, and its
 * header only when a statistic does (they are primitives, so that the memo holds).
 */
const RunChart = React.memo(function RunChart(props: {
  runId: string;
  runName: string;
  metric: IMetricSeries;
  zoom: IZoomView | null;
  onZoom: IZoomProps['onZoom'];
  onZoomOut: IZoomProps['onZoomOut'];
  options: IChartOptions;
  last: number;
  min: number;
  max: number;
  count: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { metric, options, trans, last, min, max, count, zoom, runId } = props;
  const zoomed = zoom?.lines?.[runId];
  const drawn = zoomed ?? metric;
  const byTime = options.xAxis === 'time';
  const header = React.useMemo(
    () => <StatsLine stats={{ last, min, max, count }} trans={trans} />,
    [last, min, max, count, trans]
  );
  const series = React.useMemo<IChartSeries[]>(
    () => [
      {
        name: props.runName,
        x: byTime ? drawn.timestamps : drawn.steps,
        y: drawn.values
      }
    ],
    [drawn, byTime, props.runName]
  );
  const view = React.useMemo(
    () =>
      chartView(
        [
          {
            points: drawn.values.length,
            total: metric.total,
            downsampled: drawn.downsampled
          }
        ],
        !!zoomed,
        zoom,
        trans
      ),
    [drawn, metric.total, zoomed, zoom, trans]
  );
  const { onZoom, onZoomOut } = props;
  const key = metric.key;
  const zoomIn = React.useCallback(
    (selection: IStepSpan, plotWidth: number) => {
      const spans = zoomSpans(
        [{ runId, x: series[0].x, steps: drawn.steps }],
        selection,
        !byTime
      );
      if (Object.keys(spans).length > 0) {
        onZoom?.(key, spans, zoomMaxPoints(plotWidth));
      }
    },
    [runId, series, drawn, byTime, key, onZoom]
  );
  const zoomOut = React.useCallback(() => onZoomOut?.(key), [key, onZoomOut]);
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
        header={header}
        xAxis={options.xAxis}
        xAxisTitle={xAxisTitle(options.xAxis, trans)}
        logScale={options.logScale}
        smoothing={options.smoothing}
        downloadTitle={trans.__('Download as PNG')}
        view={view}
        onZoom={zoomIn}
        onZoomOut={zoomOut}
      />
      {metric.error && (
        <div className="jp-Studio-chartNote">{metric.error}</div>
      )}
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
  // Metrics logged once read as numbers, in a row of their own above the charts.
  const single = metrics.filter(
    metric => props.summaries[metric.key]?.count === 1
  );
  const charted = metrics.filter(metric => !single.includes(metric));
  return (
    <>
      {single.length > 0 && (
        <div className="jp-Studio-metricValues">
          {single.map(metric => (
            <ValueCard
              key={metric.key}
              metricKey={metric.key}
              value={toNumber(props.summaries[metric.key].last)}
            />
          ))}
        </div>
      )}
      {charted.length > 0 && (
        <>
          <ChartToolbar
            options={options}
            onChange={props.onOptionsChange}
            trans={trans}
          />
          <div className="jp-Studio-chartGrid">
            {charted.map(metric => {
              const stats = statsOf(props.summaries[metric.key]);
              return (
                <RunChart
                  key={metric.key}
                  runId={props.runId}
                  zoom={props.zooms?.get(metric.key) ?? null}
                  onZoom={props.onZoom}
                  onZoomOut={props.onZoomOut}
                  runName={props.runName}
                  metric={metric}
                  options={options}
                  last={stats?.last ?? NaN}
                  min={stats?.min ?? NaN}
                  max={stats?.max ?? NaN}
                  count={stats?.count ?? metric.total}
                  trans={trans}
                />
              );
            })}
          </div>
        </>
      )}
    </>
  );
}
