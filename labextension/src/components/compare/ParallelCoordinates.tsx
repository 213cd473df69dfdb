/**
 * A parallel-coordinates chart of params and metrics (last values), one line per run,
 * coloured by a chosen metric or by the runs' own colours.
 */
import * as React from 'react';
import type Plotly from 'plotly.js-dist-min';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../../api/types';
import { IAxis, metricAxis, paramAxis, preferredMetric } from './compareData';
import { IThemeColors, themeColors } from '../theme';
import { usePlot } from '../usePlot';

/** plotly draws at most this many axes. */
const MAX_DIMENSIONS = 60;

/** The `colorBy` value that colours lines by run. */
export const COLOR_BY_RUN = '';

export interface IParallelCoordinatesProps {
  runs: Run[];
  colors: string[];
  paramKeys: string[];
  metricKeys: string[];
  /** A metric key, COLOR_BY_RUN, or null for the preferred metric of those every run has. */
  colorBy: string | null;
  onColorByChange: (value: string) => void;
  /** Changes when the theme does, so that the chart takes the new colours. */
  themeVersion: number;
  trans: TranslationBundle;
}

/** The plotly form of one parcoords axis (not in plotly's type definitions). */
interface IDimension {
  label: string;
  values: number[];
  tickvals?: number[];
  ticktext?: string[];
  range?: [number, number];
}

function dimension(axis: IAxis): IDimension {
  if (!axis.categories) {
    return { label: axis.label, values: axis.values };
  }
  const last = axis.categories.length - 1;
  return {
    label: axis.label,
    values: axis.values,
    tickvals: axis.categories.map((_, i) => i),
    ticktext: axis.categories,
    range: [0, Math.max(last, 1)]
  };
}

/** Line colours: the runs' colours as a stepped scale, or a metric's values on a sequential one. */
function lineColor(
  runs: Run[],
  colors: string[],
  colorBy: string,
  theme: IThemeColors
): Record<string, unknown> {
  const n = runs.length;
  if (colorBy === COLOR_BY_RUN) {
    const colorscale: [number, string][] = [];
    colors.forEach((color, i) => {
      colorscale.push([i / n, color], [(i + 1) / n, color]);
    });
    return {
      color: runs.map((_, i) => (i + 0.5) / n),
      colorscale,
      cmin: 0,
      cmax: 1,
      showscale: false
    };
  }
  const values = metricAxis(runs, colorBy).values;
  const finite = values.filter(Number.isFinite);
  return {
    color: values.map(v => (Number.isFinite(v) ? v : Math.min(...finite))),
    colorscale: [
      [0, theme.scaleLow],
      [1, theme.scaleHigh]
    ],
    cmin: finite.length ? Math.min(...finite) : 0,
    cmax: finite.length ? Math.max(...finite) : 1,
    showscale: true,
    colorbar: {
      title: { text: colorBy, font: { color: theme.font } },
      tickfont: { color: theme.font }
    }
  };
}

/** A halo in the background colour keeps labels readable over lines, on light and dark themes. */
function halo(color: string): string {
  return [-1, 1]
    .flatMap(x => [-1, 1].map(y => `${x}px ${y}px 1px ${color}`))
    .join(', ');
}

/** Metrics every run has a finite last value of: plotly drops a line with any gap. */
export function completeMetrics(runs: Run[], metricKeys: string[]): string[] {
  return metricKeys.filter(key =>
    metricAxis(runs, key).values.every(Number.isFinite)
  );
}

export function ParallelCoordinates(
  props: IParallelCoordinatesProps
): JSX.Element {
  const { runs, paramKeys, metricKeys, themeVersion, trans } = props;
  const complete = React.useMemo(
    () => completeMetrics(runs, metricKeys),
    [runs, metricKeys]
  );
  const leftOut = metricKeys.filter(key => !complete.includes(key));
  const colorBy =
    props.colorBy === null
      ? (preferredMetric(complete) ?? COLOR_BY_RUN)
      : complete.includes(props.colorBy)
        ? props.colorBy
        : COLOR_BY_RUN;
  const axes = React.useMemo(
    () =>
      [
        ...paramKeys.map(key => paramAxis(runs, key)),
        ...complete.map(key => metricAxis(runs, key))
      ].slice(0, MAX_DIMENSIONS),
    [runs, paramKeys, complete]
  );
  const { data, layout } = React.useMemo(() => {
    const theme = themeColors();
    const font = (size: number) => ({
      color: theme.font,
      size,
      shadow: halo(theme.paper)
    });
    const trace = {
      type: 'parcoords',
      dimensions: axes.map(dimension),
      line: lineColor(runs, props.colors, colorBy, theme),
      labelangle: -20,
      labelside: 'top',
      labelfont: font(12),
      tickfont: font(11),
      rangefont: font(10)
    };
    const layout: Partial<Plotly.Layout> = {
      height: 380,
      margin: { l: 70, r: 70, t: 90, b: 30 },
      paper_bgcolor: theme.paper,
      plot_bgcolor: theme.plot,
      font: { color: theme.font, family: theme.fontFamily }
    };
    return { data: [trace as unknown as Plotly.Data], layout };
  }, [runs, props.colors, axes, colorBy, themeVersion]);
  const ref = usePlot(data, layout);

  return (
    <div className="jp-Studio-compareSection">
      <div className="jp-Studio-sectionHeader">
        <h3>{trans.__('Params and metrics')}</h3>
        <label className="jp-Studio-toggle">
          {trans.__('Colour by')}
          <select
            data-testid="studio-parallel-color"
            value={colorBy}
            onChange={event => props.onColorByChange(event.target.value)}
          >
            <option value={COLOR_BY_RUN}>{trans.__('run')}</option>
            {complete.map(key => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </select>
        </label>
        {leftOut.length > 0 && (
          <span
            className="jp-Studio-hint"
            data-testid="studio-parallel-left-out"
          >
            {trans.__('Not in every run, so not drawn: %1', leftOut.join(', '))}
          </span>
        )}
      </div>
      <div
        ref={ref}
        className="jp-Studio-plot"
        data-testid="studio-parallel-coordinates"
        data-dimensions={axes.length}
      />
    </div>
  );
}
