/**
 * A tensor's distribution over steps: its histograms as a plotly heatmap, steps on x, bins on
 * y, counts as colour; the marked step as a dashed line, the statistic chart's zoom as x range.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type Plotly from 'plotly.js-dist-min';
import * as React from 'react';

import type { Histograms } from '../../api/debugger';
import type { IStepSpan } from '../../models/zoom';
import { themeColors, useThemeVersion } from '../theme';
import { plotConfig, usePlot } from '../usePlot';

export interface IHistogramHeatmapProps {
  histograms: Histograms;
  /** The steps the statistic chart is zoomed to, if any. */
  range: IStepSpan | null;
  focusStep: number | null;
  trans: TranslationBundle;
}

/** The middle of each bin: what the y axis shows. */
export function binCentres(edges: readonly number[]): number[] {
  return edges.slice(1).map((edge, i) => (edges[i] + edge) / 2);
}

/** counts[step][bin] as plotly's z[bin][step]. */
export function byBin(counts: readonly number[][], bins: number): number[][] {
  return Array.from({ length: bins }, (_, bin) =>
    counts.map(row => row[bin] ?? 0)
  );
}

export function HistogramHeatmap(props: IHistogramHeatmapProps): JSX.Element {
  const { histograms, range, focusStep, trans } = props;
  const themeVersion = useThemeVersion();
  const centres = React.useMemo(
    () => binCentres(histograms.edges),
    [histograms.edges]
  );
  const data = React.useMemo<Plotly.Data[]>(
    () => [
      {
        type: 'heatmap',
        x: histograms.steps,
        y: centres,
        z: byBin(histograms.counts, centres.length),
        colorscale: 'Viridis',
        colorbar: { title: { text: trans.__('count') }, thickness: 12 },
        hovertemplate: trans.__(
          'step %{x}<br>value %{y:.4g}<br>count %{z}<extra></extra>'
        )
      } as Plotly.Data
    ],
    [histograms, centres, trans]
  );
  const layout = React.useMemo<Partial<Plotly.Layout>>(() => {
    const theme = themeColors();
    const axis = {
      gridcolor: theme.grid,
      zeroline: false,
      color: theme.font
    };
    return {
      height: 280,
      margin: { l: 60, r: 20, t: 10, b: 40 },
      paper_bgcolor: theme.paper,
      plot_bgcolor: theme.plot,
      font: { color: theme.font, family: theme.fontFamily, size: 11 },
      xaxis: {
        ...axis,
        title: { text: trans.__('step') },
        ...(range ? { range: [range.min, range.max], autorange: false } : {})
      },
      yaxis: { ...axis, title: { text: trans.__('value') } },
      shapes:
        focusStep === null
          ? []
          : [
              {
                type: 'line',
                x0: focusStep,
                x1: focusStep,
                yref: 'paper',
                y0: 0,
                y1: 1,
                line: { color: theme.marker, width: 2, dash: 'dash' }
              }
            ]
    };
  }, [
    histograms.tensor,
    range?.min,
    range?.max,
    focusStep,
    themeVersion,
    trans
  ]);
  const ref = usePlot(data, layout, HEATMAP_CONFIG);
  return (
    <div
      className="jp-Studio-heatmap"
      data-testid="studio-debugger-heatmap"
      data-tensor={histograms.tensor}
      data-steps={histograms.steps.length}
      data-bins={centres.length}
      data-marker={focusStep ?? undefined}
    >
      <div className="jp-Studio-metricChart-title">
        {trans.__('Distribution of %1', histograms.tensor)}
      </div>
      <div ref={ref} className="jp-Studio-heatmap-plot" />
    </div>
  );
}

const HEATMAP_CONFIG = plotConfig('studio-distribution');
