/**
 * One metric's chart (uPlot, on a canvas): a line per series, smoothed over a faint raw line
 * when asked. Shared by the run panel (one series) and the compare panel (one series per run).
 *
 * uPlot, not plotly: a compare panel of 20 runs x 10 metrics redraws on every live tick and
 * smoothing step, which plotly's per-chart and per-trace cost made take hundreds of
 * milliseconds.
 */
import { downloadIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import type { IStepSpan } from '../models/zoom';
import type { IChartView } from './chartView';
import {
  alignedData,
  IChartSeries,
  ILineChartLayout,
  lineChartOptions
} from './lineChart';
import { formatNumber } from './runCells';
import { themeColors, useThemeVersion } from './theme';
import { useUPlot } from './useUPlot';

export type { IChartSeries } from './lineChart';

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
  /** The download button's tooltip, translated. */
  downloadTitle: string;
  /** data-testid of the wrapper (default 'studio-metric-chart'). */
  testId?: string;
  /** Shown after the title (the run panel's last / min / max); memoised by the caller. */
  header?: React.ReactNode;
  /**
   * A drag over the plot chose this range of the x axis (steps, or epoch ms by time);
   * `plotWidth` is the plot's width in CSS pixels. uPlot zooms into what it has meanwhile.
   */
  onZoom?: (selection: IStepSpan, plotWidth: number) => void;
  /** A double click on the plot: back to the whole series. */
  onZoomOut?: () => void;
  /** What the chart draws (zoomed, downsampled): said under it and in data attributes. */
  view?: IChartView;
  /** x values marked by a dashed vertical line (a debugger finding's step). */
  markers?: readonly number[];
}

/** A uPlot hook that draws a dashed vertical line at each marker inside the x range. */
function markerHook(
  markers: readonly number[],
  color: string
): (u: uPlot) => void {
  return u => {
    const { min, max } = u.scales.x;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 2 * uPlot.pxRatio;
    ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
    for (const x of markers) {
      if (min === undefined || max === undefined || x < min || x > max) {
        continue;
      }
      const left = Math.round(u.valToPos(x, 'x', true));
      ctx.beginPath();
      ctx.moveTo(left, u.bbox.top);
      ctx.lineTo(left, u.bbox.top + u.bbox.height);
      ctx.stroke();
    }
    ctx.restore();
  };
}

const NO_MARKERS: readonly number[] = [];

/**
 * uPlot hooks that tell the chart's caller of a drag (the selection uPlot zooms to) and of a
 * double click. The callbacks are read through refs, so that new ones keep the instance.
 */
function zoomHooks(
  onZoom: React.RefObject<IMetricChartProps['onZoom']>,
  onZoomOut: React.RefObject<IMetricChartProps['onZoomOut']>
): uPlot.Hooks.Arrays {
  return {
    setSelect: [
      (u: uPlot) => {
        const { left, width } = u.select;
        if (width > 0 && onZoom.current) {
          onZoom.current(
            { min: u.posToVal(left, 'x'), max: u.posToVal(left + width, 'x') },
            u.over.clientWidth
          );
        }
      }
    ],
    ready: [
      (u: uPlot) => {
        u.over.addEventListener('dblclick', () => onZoomOut.current?.());
      }
    ]
  };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Epoch ms as a local-time date string. */
export function localDate(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `.${pad(d.getMilliseconds(), 3)}`
  );
}

/** Save the chart's canvas (axes included: uPlot draws them on it) as a PNG. */
export function downloadPng(canvas: HTMLCanvasElement, name: string): void {
  canvas.toBlob(blob => {
    if (!blob) {
      return;
    }
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `${name}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }, 'image/png');
}

/**
 * The hover box: the x under the cursor and each series' nearest value (the smoothed one when
 * smoothing). Plain DOM, written by uPlot's setCursor hook: hovering renders no React.
 */
function tooltipHook(
  layout: ILineChartLayout,
  tooltip: React.RefObject<HTMLDivElement>
): (u: uPlot) => void {
  const perSeries = layout.smooth ? 2 : 1;
  return u => {
    const box = tooltip.current;
    const idx = u.cursor.idx;
    if (!box) {
      return;
    }
    if (idx === null || idx === undefined || u.cursor.left === undefined) {
      box.hidden = true;
      return;
    }
    const x = u.data[0][idx];
    const rows = [
      `<div class="jp-Studio-chartTooltip-x">${escapeHtml(
        `${layout.xAxisTitle}: ${layout.xAxis === 'time' ? localDate(x) : x}`
      )}</div>`
    ];
    layout.series.forEach((s, i) => {
      const seriesIdx = 1 + i * perSeries + (perSeries - 1);
      const at = u.cursor.idxs?.[seriesIdx];
      const value =
        at === null || at === undefined ? null : u.data[seriesIdx][at];
      if (value !== null && value !== undefined) {
        const color = String(u.series[seriesIdx].stroke);
        rows.push(
          `<div><span class="jp-Studio-chartTooltip-swatch" style="background:${escapeHtml(color)}"></span>` +
            `${escapeHtml(s.name)} <b>${escapeHtml(formatNumber(value))}</b></div>`
        );
      }
    });
    box.innerHTML = rows.join('');
    box.hidden = false;
    const left = u.cursor.left + u.over.offsetLeft;
    const flip = left > u.width / 2;
    box.style.left = flip ? '' : `${left + 12}px`;
    box.style.right = flip ? `${u.width - left + 12}px` : '';
    box.style.top = `${(u.cursor.top ?? 0) + u.over.offsetTop + 12}px`;
  };
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    c =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[
        c
      ] ?? c
  );
}

/**
 * A metric's chart. Memoised; uPlot gets new data only when the series (by identity) or the
 * smoothing changed, and a new instance only when what the series are, an axis or the theme
 * changed.
 */
export const MetricChart = React.memo(function MetricChart(
  props: IMetricChartProps
): JSX.Element {
  const themeVersion = useThemeVersion();
  const tooltip = React.useRef<HTMLDivElement>(null);
  const smooth = props.smoothing > 0;
  // What the lines are (names, colours, how many): a live tick that only adds points keeps it.
  const seriesKey = props.series
    .map(s => `${s.runId ?? ''}\t${s.name}\t${s.color ?? ''}`)
    .join('\n');
  const layout = React.useMemo<ILineChartLayout>(
    () => ({
      series: props.series,
      xAxis: props.xAxis,
      xAxisTitle: props.xAxisTitle,
      yAxisTitle: props.metricKey,
      logScale: props.logScale,
      smooth,
      theme: themeColors()
    }),
    [
      seriesKey,
      props.xAxis,
      props.xAxisTitle,
      props.metricKey,
      props.logScale,
      smooth,
      themeVersion
    ]
  );
  const markers = props.markers ?? NO_MARKERS;
  const markerKey = markers.join(',');
  const onZoom = React.useRef(props.onZoom);
  onZoom.current = props.onZoom;
  const onZoomOut = React.useRef(props.onZoomOut);
  onZoomOut.current = props.onZoomOut;
  const makeOptions = React.useCallback(
    (width: number) =>
      lineChartOptions(layout, width, {
        setCursor: [tooltipHook(layout, tooltip)],
        ...zoomHooks(onZoom, onZoomOut),
        ...(markers.length
          ? { draw: [markerHook(markers, layout.theme.marker)] }
          : {})
      }),
    [layout, markerKey]
  );
  const data = React.useMemo(
    () => alignedData(props.series, props.smoothing, props.logScale),
    [props.series, props.smoothing, props.logScale]
  );
  const ref = useUPlot(makeOptions, data);
  const download = React.useCallback(() => {
    const canvas = ref.current?.querySelector('canvas');
    if (canvas) {
      downloadPng(canvas, props.metricKey);
    }
  }, [props.metricKey]);

  const { view } = props;
  return (
    <div
      className="jp-Studio-metricChart"
      data-testid={props.testId ?? 'studio-metric-chart'}
      data-metric={props.metricKey}
      data-zoomed={view ? String(view.zoomed) : undefined}
      data-downsampled={view ? String(view.downsampled) : undefined}
      data-points={view?.points}
      data-pending={view ? String(view.pending) : undefined}
      data-markers={markers.length ? markerKey : undefined}
    >
      <div className="jp-Studio-metricChart-title" title={props.metricKey}>
        <span className="jp-Studio-metricChart-name">{props.metricKey}</span>
        {props.header}
        <button
          className="jp-Studio-chartDownload jp-mod-minimal jp-Button"
          data-testid="studio-chart-download"
          title={props.downloadTitle}
          aria-label={props.downloadTitle}
          onClick={download}
        >
          <downloadIcon.react tag="span" elementSize="normal" />
        </button>
      </div>
      <div className="jp-Studio-metricChart-plot" ref={ref}>
        <div className="jp-Studio-chartTooltip" ref={tooltip} hidden />
      </div>
      {view && (
        <div className="jp-Studio-chartNote" data-testid="studio-chart-view">
          {view.note}
        </div>
      )}
    </div>
  );
});
