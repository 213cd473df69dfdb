/**
 * One metric's chart (plotly.js): a line per series, smoothed over a faint raw line when asked.
 *
 * Shared by the run panel (one series) and the compare panel (one series per run).
 */
import type Plotly from 'plotly.js-dist-min';
import * as React from 'react';

import { emaSmooth } from '../chart/smoothing';
import { IThemeColors, runColor, themeColors, useThemeVersion } from './theme';
import { plotConfig, usePlot } from './usePlot';

export interface IChartSeries {
  name: string;
  x: number[];
  y: number[];
  runId?: string;
  /** The line's colour (the compare panel gives each run one); else the theme's run colours. */
  color?: string;
}

export interface IMetricChartProps {
  /** Shown as the title; also the data-metric attribute. */
  metricKey: string;
  /** One per run (compare) or one (run panel). */
  series: IChartSeries[];
  /** x values are steps, or epoch milliseconds when 'time'. */
  xAxis: 'step' | 'time';
  /** The x axis's title, translated ("step" or "time"); the y axis is titled metricKey. */
  xAxisTitle: string;
  logScale: boolean;
  /** 0..0.99: an exponential moving average drawn as the line, the raw values faint. */
  smoothing: number;
  /** data-testid of the wrapper (default 'studio-metric-chart'). */
  testId?: string;
  /** Shown after the title (the run panel's last / min / max); memoised by the caller. */
  header?: React.ReactNode;
}

/** Plotly draws `null` as a gap; NaN and infinities have no place on an axis. */
function gaps(values: number[]): (number | null)[] {
  return values.map(v => (Number.isFinite(v) ? v : null));
}

/**
 * What a series' arrays become on the chart, computed once per array: a live tick replaces
 * only the series that changed, and a smoothing step recomputes only the smoothed lines (one
 * weight kept per series, the slider's current one).
 */
const gapsOf = new WeakMap<number[], (number | null)[]>();
const datesOf = new WeakMap<number[], string[]>();
const smoothedOf = new WeakMap<
  number[],
  { weight: number; y: (number | null)[] }
>();

function cached<K extends object, V>(
  cache: WeakMap<K, V>,
  key: K,
  make: () => V
): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
  }
  return value;
}

function smoothedY(values: number[], weight: number): (number | null)[] {
  const known = smoothedOf.get(values);
  if (known?.weight === weight) {
    return known.y;
  }
  const y = gaps(emaSmooth(values, weight));
  smoothedOf.set(values, { weight, y });
  return y;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Epoch ms as a local-time date string, which plotly places on a date axis as is. */
export function localDate(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `.${pad(d.getMilliseconds(), 3)}`
  );
}

/** The traces plotly draws for these props. */
export function buildTraces(props: IMetricChartProps): Plotly.Data[] {
  const smooth = props.smoothing > 0;
  const traces: Plotly.Data[] = [];
  props.series.forEach((series, i) => {
    const color = series.color ?? runColor(i);
    const x =
      props.xAxis === 'time'
        ? cached(datesOf, series.x, () => series.x.map(localDate))
        : series.x;
    const group = series.runId ?? `${series.name}-${i}`;
    const mode = series.x.length === 1 ? 'markers' : 'lines';
    traces.push({
      type: 'scatter',
      mode,
      name: series.name,
      x,
      y: cached(gapsOf, series.y, () => gaps(series.y)),
      line: { color, width: smooth ? 1 : 2 },
      marker: { color },
      opacity: smooth ? 0.3 : 1,
      legendgroup: group,
      connectgaps: false
    });
    if (smooth) {
      traces.push({
        type: 'scatter',
        mode,
        name: series.name,
        x,
        y: smoothedY(series.y, props.smoothing),
        line: { color, width: 2 },
        marker: { color },
        legendgroup: group,
        connectgaps: false
      });
    }
  });
  return traces;
}

/**
 * The layout, themed. No legend: a run panel draws one run, and the compare panel names its
 * runs once, in its own legend above every chart.
 */
export function buildLayout(
  props: IMetricChartProps,
  theme: IThemeColors
): Partial<Plotly.Layout> {
  const axis = {
    color: theme.font,
    gridcolor: theme.grid,
    linecolor: theme.grid,
    zerolinecolor: theme.grid,
    automargin: true,
    title: { font: { size: 11 } }
  };
  return {
    autosize: true,
    height: 300,
    margin: { l: 56, r: 16, t: 8, b: 40 },
    paper_bgcolor: theme.paper,
    plot_bgcolor: theme.plot,
    font: { color: theme.font, family: theme.fontFamily, size: 11 },
    showlegend: false,
    hovermode: 'closest',
    xaxis: {
      ...axis,
      title: { ...axis.title, text: props.xAxisTitle },
      type: props.xAxis === 'time' ? 'date' : 'linear'
    },
    yaxis: {
      ...axis,
      title: { ...axis.title, text: props.metricKey },
      type: props.logScale ? 'log' : 'linear'
    },
    uirevision: `${props.metricKey}:${props.xAxis}:${props.logScale}`
  };
}

/**
 * A metric's chart; `data-points` counts the raw points given (over every series). Memoised,
 * and plotly redraws only when the series (by identity), an option or the theme changed.
 */
export const MetricChart = React.memo(function MetricChart(
  props: IMetricChartProps
): JSX.Element {
  const themeVersion = useThemeVersion();
  const points = props.series.reduce((total, s) => total + s.x.length, 0);
  const data = React.useMemo(
    () => buildTraces(props),
    [props.series, props.xAxis, props.smoothing, themeVersion]
  );
  const layout = React.useMemo(
    () => buildLayout(props, themeColors()),
    [
      props.metricKey,
      props.xAxis,
      props.xAxisTitle,
      props.logScale,
      themeVersion
    ]
  );
  const config = React.useMemo(
    () => plotConfig(props.metricKey),
    [props.metricKey]
  );
  const ref = usePlot(data, layout, config);

  return (
    <div
      className="jp-Studio-metricChart"
      data-testid={props.testId ?? 'studio-metric-chart'}
      data-metric={props.metricKey}
      data-points={points}
    >
      <div className="jp-Studio-metricChart-title" title={props.metricKey}>
        {props.metricKey}
        {props.header}
      </div>
      <div className="jp-Studio-metricChart-plot" ref={ref} />
    </div>
  );
});
