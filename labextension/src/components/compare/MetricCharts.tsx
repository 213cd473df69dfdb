/**
 * One overlaid chart per metric (the shared MetricChart), a line per run in the run's colour,
 * with the chart toolbar of the run panel (x axis, log scale, smoothing) shared by all of them.
 */
import * as React from 'react';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../../api/types';
import type { Histories } from '../../models/compareModel';
import {
  IStepSpan,
  IZoomView,
  zoomMaxPoints,
  zoomSpans
} from '../../models/zoom';
import {
  ChartToolbar,
  IChartOptions,
  XAxisKind,
  xAxisTitle
} from '../ChartToolbar';
import { IChartSeries, MetricChart } from '../MetricChart';
import { chartView, IChartView, IZoomProps } from '../chartView';
import { runLabel } from './RunLegend';

/** A series that also says its colour, so each run has one colour in every chart. */
export interface IColoredSeries extends IChartSeries {
  color: string;
  /** The steps of the points drawn (x is steps or times). */
  steps: number[];
}

export interface IMetricChartsProps extends IZoomProps {
  runs: Run[];
  colors: string[];
  metricKeys: string[];
  histories: Histories;
  /** The smoothing the charts start with (the defaultSmoothing setting). */
  defaultSmoothing: number;
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
  xAxis: 'step' | 'time',
  zoom: IZoomView | null = null
): IColoredSeries[] {
  const series: IColoredSeries[] = [];
  runs.forEach((run, i) => {
    const whole = histories[key]?.[run.id];
    const history = (whole && zoom?.lines?.[run.id]) ?? whole;
    if (history) {
      series.push({
        name: runLabel(run),
        runId: run.id,
        color: colors[i],
        x: xAxis === 'time' ? history.timestamps : history.steps,
        y: history.values,
        steps: history.steps
      });
    }
  });
  return series;
}

/** What a metric's chart draws, for its note: each run's points, zoomed or whole. */
function viewOf(
  runs: Run[],
  histories: Histories,
  key: string,
  zoom: IZoomView | null,
  trans: TranslationBundle
): IChartView {
  const lines = runs.flatMap(run => {
    const whole = histories[key]?.[run.id];
    if (!whole) {
      return [];
    }
    const drawn = zoom?.lines?.[run.id] ?? whole;
    return [
      {
        points: drawn.values.length,
        total: whole.total,
        downsampled: drawn.downsampled
      }
    ];
  });
  return chartView(lines, !!zoom?.lines, zoom, trans);
}

/** A metric's series and what they were built from. */
interface ISeriesEntry {
  byRun: Histories[string] | undefined;
  zoom: IZoomView | null;
  runsKey: string;
  colors: string[];
  xAxis: XAxisKind;
  series: IColoredSeries[];
}

/**
 * The series of every metric, rebuilt only for the metrics whose histories changed (the model
 * keeps the others' objects): a live tick redraws only the charts whose data moved.
 */
function useSeriesByKey(
  runs: Run[],
  colors: string[],
  metricKeys: string[],
  histories: Histories,
  xAxis: XAxisKind,
  zooms: ReadonlyMap<string, IZoomView>
): Map<string, IColoredSeries[]> {
  const cache = React.useRef(new Map<string, ISeriesEntry>());
  // A live tick reloads the running runs (new objects): what the series show of them is this.
  const runsKey = runs.map(run => `${run.id} ${runLabel(run)}`).join('\n');
  return React.useMemo(() => {
    const next = new Map<string, ISeriesEntry>();
    for (const key of metricKeys) {
      const byRun = histories[key];
      const zoom = zooms.get(key) ?? null;
      const known = cache.current.get(key);
      const reusable =
        known &&
        known.byRun === byRun &&
        known.zoom === zoom &&
        known.runsKey === runsKey &&
        known.colors === colors &&
        known.xAxis === xAxis;
      next.set(
        key,
        reusable
          ? known
          : {
              byRun,
              zoom,
              runsKey,
              colors,
              xAxis,
              series: metricSeries(runs, colors, histories, key, xAxis, zoom)
            }
      );
    }
    cache.current = next;
    return new Map([...next].map(([key, entry]) => [key, entry.series]));
  }, [runsKey, colors, metricKeys, histories, xAxis, zooms]);
}

/**
 * The charts and their toolbar. The toolbar's options are this component's state, so that a
 * smoothing step renders the charts and not the rest of the comparison (tables, plotly charts).
 */
export const MetricCharts = React.memo(function MetricCharts(
  props: IMetricChartsProps
): JSX.Element {
  const { runs, colors, metricKeys, histories, trans } = props;
  const [options, setOptions] = React.useState<IChartOptions>({
    xAxis: 'step',
    logScale: false,
    smoothing: props.defaultSmoothing
  });
  const seriesByKey = useSeriesByKey(
    runs,
    colors,
    metricKeys,
    histories,
    options.xAxis,
    props.zooms ?? NO_ZOOMS
  );
  return (
    <div className="jp-Studio-compareSection">
      <div className="jp-Studio-sectionHeader">
        <h3>{trans.__('Metric charts')}</h3>
        <ChartToolbar options={options} onChange={setOptions} trans={trans} />
      </div>
      {metricKeys.length ? (
        <div className="jp-Studio-chartGrid">
          {metricKeys.map(key => (
            <CompareChart
              key={key}
              metricKey={key}
              series={seriesByKey.get(key) ?? EMPTY}
              runs={runs}
              histories={histories}
              zoom={props.zooms?.get(key) ?? null}
              options={options}
              onZoom={props.onZoom}
              onZoomOut={props.onZoomOut}
              trans={trans}
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
});

const EMPTY: IColoredSeries[] = [];
const NO_ZOOMS: ReadonlyMap<string, IZoomView> = new Map();

/** One metric's chart, its note, and its zoom (a drag fetches each run's range). */
const CompareChart = React.memo(function CompareChart(props: {
  metricKey: string;
  series: IColoredSeries[];
  runs: Run[];
  histories: Histories;
  zoom: IZoomView | null;
  options: IChartOptions;
  onZoom: IZoomProps['onZoom'];
  onZoomOut: IZoomProps['onZoomOut'];
  trans: TranslationBundle;
}): JSX.Element {
  const { metricKey, series, runs, histories, zoom, options, trans } = props;
  const { onZoom, onZoomOut } = props;
  const byRun = histories[metricKey];
  const view = React.useMemo(
    () => viewOf(runs, histories, metricKey, zoom, trans),
    // The runs' and histories' objects change on live ticks; this metric's byRun says it all.
    [byRun, zoom, metricKey, trans, series]
  );
  const zoomIn = React.useCallback(
    (selection: IStepSpan, plotWidth: number) => {
      const lines = series.map(s => ({
        runId: s.runId ?? '',
        x: s.x,
        steps: s.steps
      }));
      const spans = zoomSpans(lines, selection, options.xAxis === 'step');
      if (Object.keys(spans).length > 0) {
        onZoom?.(metricKey, spans, zoomMaxPoints(plotWidth));
      }
    },
    [series, options.xAxis, metricKey, onZoom]
  );
  const zoomOut = React.useCallback(
    () => onZoomOut?.(metricKey),
    [metricKey, onZoomOut]
  );
  return (
    <MetricChart
      metricKey={metricKey}
      series={series}
      xAxis={options.xAxis}
      xAxisTitle={xAxisTitle(options.xAxis, trans)}
      logScale={options.logScale}
      smoothing={options.smoothing}
      downloadTitle={trans.__('Download as PNG')}
      testId="studio-compare-chart"
      view={view}
      onZoom={zoomIn}
      onZoomOut={zoomOut}
    />
  );
});
