/**
 * One metric's chart (plotly.js): a line per series, smoothed over a faint raw line when asked.
 *
 * Shared by the run panel (one series) and the compare panel (one series per run).
 */
import Plotly from 'plotly.js-dist-min';
import * as React from 'react';

import { emaSmooth } from '../chart/smoothing';

export interface IChartSeries {
  name: string;
  x: number[];
  y: number[];
  runId?: string;
  /** The line's colour (the compare panel gives each run one); else from SERIES_COLORS. */
  color?: string;
}

export interface IMetricChartProps {
  /** Shown as the title; also the data-metric attribute. */
  metricKey: string;
  /** One per run (compare) or one (run panel). */
  series: IChartSeries[];
  /** x values are steps, or epoch milliseconds when 'time'. */
  xAxis: 'step' | 'time';
  logScale: boolean;
  /** 0..0.99: an exponential moving average drawn as the line, the raw values faint. */
  smoothing: number;
  /** data-testid of the wrapper (default 'studio-metric-chart'). */
  testId?: string;
}

/** Series colours: readable on light and dark backgrounds alike. */
export const SERIES_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf'
];

/** The colours of the current JupyterLab theme, read from its CSS variables. */
export interface IChartTheme {
  font: string;
  fontFamily: string;
  paper: string;
  plot: string;
  grid: string;
}

export function readTheme(element: HTMLElement = document.body): IChartTheme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  return {
    font: read('--jp-ui-font-color1', '#212121'),
    fontFamily: read('--jp-ui-font-family', 'sans-serif'),
    paper: read('--jp-layout-color0', '#ffffff'),
    plot: read('--jp-layout-color0', '#ffffff'),
    grid: read('--jp-border-color2', '#e0e0e0')
  };
}

/** Plotly draws `null` as a gap; NaN and infinities have no place on an axis. */
function gaps(values: number[]): (number | null)[] {
  return values.map(v => (Number.isFinite(v) ? v : null));
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
    const color = series.color ?? SERIES_COLORS[i % SERIES_COLORS.length];
    const x = props.xAxis === 'time' ? series.x.map(localDate) : series.x;
    const group = series.runId ?? `${series.name}-${i}`;
    traces.push({
      type: 'scatter',
      mode: series.x.length === 1 ? 'markers' : 'lines',
      name: series.name,
      x,
      y: gaps(series.y),
      line: { color, width: smooth ? 1 : 2 },
      marker: { color },
      opacity: smooth ? 0.3 : 1,
      legendgroup: group,
      showlegend: !smooth,
      connectgaps: false
    });
    if (smooth) {
      traces.push({
        type: 'scatter',
        mode: series.x.length === 1 ? 'markers' : 'lines',
        name: series.name,
        x,
        y: gaps(emaSmooth(series.y, props.smoothing)),
        line: { color, width: 2 },
        marker: { color },
        legendgroup: group,
        connectgaps: false
      });
    }
  });
  return traces;
}

/** The layout, themed. */
export function buildLayout(
  props: IMetricChartProps,
  theme: IChartTheme
): Partial<Plotly.Layout> {
  const axis = {
    color: theme.font,
    gridcolor: theme.grid,
    linecolor: theme.grid,
    zerolinecolor: theme.grid,
    automargin: true
  };
  return {
    autosize: true,
    height: 300,
    margin: { l: 50, r: 16, t: 8, b: 36 },
    paper_bgcolor: theme.paper,
    plot_bgcolor: theme.plot,
    font: { color: theme.font, family: theme.fontFamily, size: 11 },
    showlegend: props.series.length > 1,
    legend: { orientation: 'h', y: -0.2 },
    hovermode: 'closest',
    xaxis: { ...axis, type: props.xAxis === 'time' ? 'date' : 'linear' },
    yaxis: { ...axis, type: props.logScale ? 'log' : 'linear' },
    uirevision: `${props.metricKey}:${props.xAxis}:${props.logScale}`
  };
}

const CONFIG: Partial<Plotly.Config> = {
  displaylogo: false,
  responsive: false,
  modeBarButtonsToRemove: ['select2d', 'lasso2d', 'toImage']
};

/** Re-render when JupyterLab switches theme (it sets data attributes on the body). */
function useThemeVersion(): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const observer = new MutationObserver(() => setVersion(v => v + 1));
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return version;
}

/**
 * True once the element has been in sight. Plotly spends tens of milliseconds on each new
 * chart (laying out tick labels); charts out of sight, below the fold or in a hidden panel,
 * wait until they are seen.
 */
function useSeen(ref: React.RefObject<HTMLElement>): boolean {
  const [seen, setSeen] = React.useState(
    typeof IntersectionObserver === 'undefined'
  );
  React.useEffect(() => {
    const node = ref.current;
    if (seen || !node) {
      return;
    }
    const observer = new IntersectionObserver(
      entries => {
        if (entries.some(entry => entry.isIntersecting)) {
          observer.disconnect();
          setSeen(true);
        }
      },
      { rootMargin: '200px' }
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, [seen]);
  return seen;
}

/**
 * A metric's chart; `data-points` counts the raw points given (over every series), and
 * `data-drawn` is set once plotly has drawn them.
 */
export function MetricChart(props: IMetricChartProps): JSX.Element {
  const wrapper = React.useRef<HTMLDivElement>(null);
  const ref = React.useRef<HTMLDivElement>(null);
  const plotted = React.useRef(false);
  const themeVersion = useThemeVersion();
  const seen = useSeen(wrapper);
  const points = props.series.reduce((total, s) => total + s.x.length, 0);

  React.useEffect(() => {
    const node = ref.current;
    if (!node || !seen) {
      return;
    }
    wrapper.current?.removeAttribute('data-drawn');
    Plotly.react(
      node,
      buildTraces(props),
      buildLayout(props, readTheme()),
      CONFIG
    )
      .then(() => {
        plotted.current = true;
        wrapper.current?.setAttribute('data-drawn', 'true');
      })
      .catch((error: unknown) =>
        console.warn('Studio: chart not drawn', error)
      );
  }, [
    props.series,
    props.xAxis,
    props.logScale,
    props.smoothing,
    props.metricKey,
    themeVersion,
    seen
  ]);

  React.useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => {
      // Hidden panels have no size; plotly refuses to resize them.
      if (plotted.current && node.offsetWidth > 0 && node.offsetHeight > 0) {
        void Promise.resolve(Plotly.Plots.resize(node)).catch(() => undefined);
      }
    });
    observer.observe(node);
    return () => {
      observer.disconnect();
      plotted.current = false;
      Plotly.purge(node);
    };
  }, []);

  return (
    <div
      ref={wrapper}
      className="jp-Studio-metricChart"
      data-testid={props.testId ?? 'studio-metric-chart'}
      data-metric={props.metricKey}
      data-points={points}
    >
      <div className="jp-Studio-metricChart-title" title={props.metricKey}>
        {props.metricKey}
      </div>
      <div className="jp-Studio-metricChart-plot" ref={ref} />
    </div>
  );
}
