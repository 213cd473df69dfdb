/**
 * One overlaid chart per metric (the shared MetricChart), a line per run in the run's colour,
 * with the chart toolbar of the run panel (x axis, log scale, smoothing) shared by all of them.
 */
import * as React from 'react';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../../api/types';
import type { Histories } from '../../models/compareModel';
import {
  ChartToolbar,
  IChartOptions,
  XAxisKind,
  xAxisTitle
} from '../ChartToolbar';
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

/** A metric's series and what they were built from. */
interface ISeriesEntry {
  byRun: Histories[string] | undefined;
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
  xAxis: XAxisKind
): Map<string, IColoredSeries[]> {
  const cache = React.useRef(new Map<string, ISeriesEntry>());
  // A live tick reloads the running runs (new objects): what the series show of them is this.
  const runsKey = runs.map(run => `${run.id} ${runLabel(run)}`).join('\n');
  return React.useMemo(() => {
    const next = new Map<string, ISeriesEntry>();
    for (const key of metricKeys) {
      const byRun = histories[key];
      const known = cache.current.get(key);
      const reusable =
        known &&
        known.byRun === byRun &&
        known.runsKey === runsKey &&
        known.colors === colors &&
        known.xAxis === xAxis;
      next.set(
        key,
        reusable
          ? known
          : {
              byRun,
              runsKey,
              colors,
              xAxis,
              series: metricSeries(runs, colors, histories, key, xAxis)
            }
      );
    }
    cache.current = next;
    return new Map([...next].map(([key, entry]) => [key, entry.series]));
  }, [runsKey, colors, metricKeys, histories, xAxis]);
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
    options.xAxis
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
            <MetricChart
              key={key}
              metricKey={key}
              series={seriesByKey.get(key) ?? EMPTY}
              xAxis={options.xAxis}
              xAxisTitle={xAxisTitle(options.xAxis, trans)}
              logScale={options.logScale}
              smoothing={options.smoothing}
              downloadTitle={trans.__('Download as PNG')}
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
});

const EMPTY: IColoredSeries[] = [];
