/**
 * What uPlot draws for a metric chart: the series aligned on one x array, and the options
 * (axes, colours, line widths) from the theme. Pure functions: the component (MetricChart)
 * owns the uPlot instance.
 */
import uPlot from 'uplot';

import { emaSmooth } from '../chart/smoothing';
import { IThemeColors, runColor } from './theme';

export interface IChartSeries {
  name: string;
  x: number[];
  y: number[];
  runId?: string;
  /** The line's colour (the compare panel gives each run one); else the theme's run colours. */
  color?: string;
}

/** The drawing area's height in CSS pixels, axes included. */
export const CHART_HEIGHT = 280;

/**
 * uPlot draws `null` as a gap (NaN, infinities, and on a log axis what is not positive);
 * `undefined` is a point the series does not have, which the line passes over.
 */
function gaps(values: number[], logScale: boolean): (number | null)[] {
  return values.map(v =>
    Number.isFinite(v) && (!logScale || v > 0) ? v : null
  );
}

/**
 * What a series' arrays become on the chart, computed once per array and option: a live tick
 * replaces only the series that changed, and a smoothing step recomputes only the smoothed
 * lines (one weight kept per series, the slider's current one).
 */
const gapsOf = new WeakMap<number[], Map<boolean, (number | null)[]>>();
const smoothedOf = new WeakMap<
  number[],
  { weight: number; logScale: boolean; y: (number | null)[] }
>();

function rawY(values: number[], logScale: boolean): (number | null)[] {
  let byScale = gapsOf.get(values);
  if (!byScale) {
    byScale = new Map();
    gapsOf.set(values, byScale);
  }
  let y = byScale.get(logScale);
  if (!y) {
    y = gaps(values, logScale);
    byScale.set(logScale, y);
  }
  return y;
}

function smoothedY(
  values: number[],
  weight: number,
  logScale: boolean
): (number | null)[] {
  const known = smoothedOf.get(values);
  if (known?.weight === weight && known.logScale === logScale) {
    return known.y;
  }
  const y = gaps(emaSmooth(values, weight), logScale);
  smoothedOf.set(values, { weight, logScale, y });
  return y;
}

/**
 * Where each series' points go on the chart's one x array: nowhere (`positions` null) when
 * every series has the same x (a comparison by step, as usual), else into the sorted union of
 * their x values.
 */
interface IAlignment {
  x: number[];
  positions: number[][] | null;
}

function alignmentOf(series: IChartSeries[]): IAlignment {
  const x = series[0].x;
  const shared = series.every(
    s =>
      s.x === x || (s.x.length === x.length && s.x.every((v, i) => v === x[i]))
  );
  if (shared && isAscending(x)) {
    return { x, positions: null };
  }
  const union = sortedUnion(series.map(s => s.x));
  const index = new Map(union.map((v, i) => [v, i]));
  return {
    x: union,
    positions: series.map(s => s.x.map(v => index.get(v) ?? 0))
  };
}

/** The distinct values of the arrays, ascending (a typed array sorts numbers natively). */
function sortedUnion(arrays: number[][]): number[] {
  const all = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const values of arrays) {
    all.set(values, offset);
    offset += values.length;
  }
  all.sort();
  const union: number[] = [];
  for (const value of all) {
    if (union.length === 0 || value !== union[union.length - 1]) {
      union.push(value);
    }
  }
  return union;
}

function isAscending(x: number[]): boolean {
  for (let i = 1; i < x.length; i++) {
    if (!(x[i] >= x[i - 1])) {
      return false;
    }
  }
  return true;
}

/** A series' values placed on the union's x: `undefined` where the series has no point. */
function placed(
  values: (number | null)[],
  positions: number[] | null,
  length: number
): (number | null | undefined)[] {
  if (!positions) {
    return values;
  }
  const column = new Array<number | null | undefined>(length);
  positions.forEach((at, i) => {
    column[at] = values[i];
  });
  return column;
}

/**
 * The x array and raw columns of a set of series, kept while the set is the same (a smoothing
 * step, a log-scale toggle): only the smoothed columns are computed again.
 */
const rawDataOf = new WeakMap<
  IChartSeries[],
  {
    logScale: boolean;
    alignment: IAlignment;
    raw: (number | null | undefined)[][];
  }
>();

function rawData(
  series: IChartSeries[],
  logScale: boolean
): { alignment: IAlignment; raw: (number | null | undefined)[][] } {
  const known = rawDataOf.get(series);
  if (known?.logScale === logScale) {
    return known;
  }
  const alignment = known?.alignment ?? alignmentOf(series);
  const raw = series.map((s, i) =>
    placed(
      rawY(s.y, logScale),
      alignment.positions?.[i] ?? null,
      alignment.x.length
    )
  );
  const entry = { logScale, alignment, raw };
  rawDataOf.set(series, entry);
  return entry;
}

/**
 * The series as uPlot takes them: one x array, then per series its raw y values and, when
 * smoothing, its smoothed ones.
 */
export function alignedData(
  series: IChartSeries[],
  smoothing: number,
  logScale: boolean
): uPlot.AlignedData {
  if (series.length === 0) {
    return [[]];
  }
  const { alignment, raw } = rawData(series, logScale);
  const columns = series.flatMap((s, i) =>
    smoothing > 0
      ? [
          raw[i],
          placed(
            smoothedY(s.y, smoothing, logScale),
            alignment.positions?.[i] ?? null,
            alignment.x.length
          )
        ]
      : [raw[i]]
  );
  return [alignment.x, ...columns];
}

/** What the options depend on: a change of any of these makes a new uPlot instance. */
export interface ILineChartLayout {
  series: IChartSeries[];
  xAxis: 'step' | 'time';
  xAxisTitle: string;
  yAxisTitle: string;
  logScale: boolean;
  smooth: boolean;
  theme: IThemeColors;
}

const TICK_FONT_SIZE = 11;

/**
 * Above this many runs in a chart, every line is one pixel wide: many overlaid runs stay apart,
 * and a canvas rasterized without a GPU draws one-pixel lines several times faster than wider
 * ones (20 runs x 10 charts of 1,000 points: about 45 ms a redraw instead of 170 ms).
 */
const THIN_LINES_ABOVE = 5;

/**
 * The y axis's width: its widest tick label and the title, so that long values (1.2345e-5,
 * 123,456) are not cut.
 */
function yAxisSize(font: string) {
  return (self: uPlot, values: string[] | null): number => {
    if (!values) {
      return 40;
    }
    const ctx = self.ctx;
    ctx.save();
    ctx.font = font;
    const widest = Math.max(0, ...values.map(v => ctx.measureText(v).width));
    ctx.restore();
    return Math.ceil(widest / uPlot.pxRatio) + 14;
  };
}

/**
 * uPlot builds every line's path again on setData. A raw line whose values, scales and size
 * are what they were (a smoothing step: the smoothed lines stay within the raw range) draws
 * the path it built last time.
 */
function reusedPaths(): uPlot.Series.PathBuilder {
  const build = uPlot.paths.linear!();
  let built: unknown[] = [];
  let paths: uPlot.Series.Paths | null = null;
  return (u, seriesIdx, idx0, idx1) => {
    const { x, y } = u.scales;
    const inputs = [
      u.data[seriesIdx],
      u.data[0],
      x.min,
      x.max,
      y.min,
      y.max,
      u.bbox.width,
      u.bbox.height,
      idx0,
      idx1
    ];
    if (!paths || inputs.some((value, i) => value !== built[i])) {
      built = inputs;
      paths = build(u, seriesIdx, idx0, idx1);
    }
    return paths;
  };
}

/** The uPlot options of a chart, sized later (MetricChart measures its container). */
export function lineChartOptions(
  layout: ILineChartLayout,
  width: number,
  hooks: uPlot.Hooks.Arrays
): uPlot.Options {
  const { theme } = layout;
  const font = `${TICK_FONT_SIZE}px ${theme.fontFamily}`;
  const axis: uPlot.Axis = {
    stroke: theme.font,
    font,
    labelFont: font,
    labelSize: 16,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
    border: { show: true, stroke: theme.grid, width: 1 }
  };
  const series: uPlot.Series[] = [{}];
  const lineWidth = layout.series.length > THIN_LINES_ABOVE ? 1 : 2;
  layout.series.forEach((s, i) => {
    const stroke = s.color ?? runColor(i);
    series.push({
      label: s.name,
      stroke,
      width: layout.smooth ? 1 : lineWidth,
      alpha: layout.smooth ? 0.3 : 1,
      spanGaps: false,
      paths: reusedPaths(),
      points: { size: 5, fill: stroke }
    });
    if (layout.smooth) {
      series.push({
        label: s.name,
        stroke,
        width: lineWidth,
        spanGaps: false,
        points: { size: 5, fill: stroke }
      });
    }
  });
  return {
    width,
    height: CHART_HEIGHT,
    ms: 1,
    legend: { show: false },
    cursor: { drag: { x: true, y: false }, points: { size: 6 } },
    scales: {
      x: { time: layout.xAxis === 'time' },
      y: layout.logScale ? { distr: 3, log: 10 } : { distr: 1 }
    },
    axes: [
      // Time ticks take two lines (the time, then the date where it changes).
      {
        ...axis,
        label: layout.xAxisTitle,
        size: layout.xAxis === 'time' ? 44 : 30
      },
      {
        ...axis,
        label: layout.yAxisTitle,
        size: yAxisSize(
          `${TICK_FONT_SIZE * uPlot.pxRatio}px ${theme.fontFamily}`
        )
      }
    ],
    series,
    hooks: {
      ...hooks,
      // The canvas is the PNG download too: paint the panel's background under the lines.
      drawClear: [
        (u: uPlot) => {
          const canvas = u.ctx.canvas;
          u.ctx.save();
          u.ctx.fillStyle = theme.paper;
          u.ctx.fillRect(0, 0, canvas.width, canvas.height);
          u.ctx.restore();
        },
        ...(hooks.drawClear ?? [])
      ]
    }
  };
}
