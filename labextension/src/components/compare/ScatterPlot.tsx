/**
 * Any param or metric against another, one labelled point per run in the run's colour.
 */
import * as React from 'react';
import type Plotly from 'plotly.js-dist-min';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../../api/types';
import { axisById, IAxis } from './compareData';
import { runLabel } from './RunLegend';
import { themeColors } from '../theme';
import { usePlot } from '../usePlot';

export interface IScatterPlotProps {
  runs: Run[];
  colors: string[];
  paramKeys: string[];
  metricKeys: string[];
  /** Axis ids: "params.<key>" or "metrics.<key>". */
  x: string;
  y: string;
  onXChange: (id: string) => void;
  onYChange: (id: string) => void;
  themeVersion: number;
  trans: TranslationBundle;
}

/** A run's position on an axis: a category name, a number, or null when it has none. */
function position(axis: IAxis, i: number): string | number | null {
  const value = axis.values[i];
  if (axis.categories) {
    return axis.categories[value];
  }
  return Number.isFinite(value) ? value : null;
}

/**
 * Positive numbers spanning two decades or more (learning rates, regularisation) read best on
 * a log axis.
 */
export function wantsLogAxis(axis: IAxis): boolean {
  const values = axis.values.filter(Number.isFinite);
  if (axis.categories || values.length < 2 || values.some(v => v <= 0)) {
    return false;
  }
  return Math.max(...values) / Math.min(...values) >= 100;
}

function axisLayout(
  axis: IAxis | null,
  grid: string
): Partial<Plotly.LayoutAxis> {
  const log = axis !== null && wantsLogAxis(axis);
  return {
    title: { text: axis ? `${axis.label}${log ? ' (log)' : ''}` : '' },
    gridcolor: grid,
    zerolinecolor: grid,
    linecolor: grid,
    automargin: true,
    ...(axis?.categories
      ? {
          type: 'category',
          categoryorder: 'array',
          categoryarray: axis.categories
        }
      : {
          type: log ? 'log' : 'linear',
          exponentformat: 'e',
          ...(log ? { dtick: 1 } : {})
        })
  };
}

export function ScatterPlot(props: IScatterPlotProps): JSX.Element {
  const { runs, colors, x, y, themeVersion, trans } = props;
  const { data, layout, count } = React.useMemo(() => {
    const theme = themeColors();
    const xAxis = axisById(runs, x);
    const yAxis = axisById(runs, y);
    const shown: number[] = [];
    const points: { x: (string | number)[]; y: (string | number)[] } = {
      x: [],
      y: []
    };
    runs.forEach((_, i) => {
      const px = xAxis ? position(xAxis, i) : null;
      const py = yAxis ? position(yAxis, i) : null;
      if (px !== null && py !== null) {
        shown.push(i);
        points.x.push(px);
        points.y.push(py);
      }
    });
    const trace: Partial<Plotly.PlotData> = {
      type: 'scatter',
      mode: 'text+markers',
      x: points.x,
      y: points.y,
      text: shown.map(i => runLabel(runs[i])),
      customdata: shown.map(i => runs[i].id),
      textposition: 'top center',
      cliponaxis: false,
      textfont: { color: theme.font },
      marker: {
        color: shown.map(i => colors[i]),
        size: 11,
        line: { width: 1, color: theme.paper }
      },
      hovertemplate: '%{text}<br>%{x}, %{y}<extra></extra>'
    };
    const layout: Partial<Plotly.Layout> = {
      height: 360,
      margin: { l: 60, r: 40, t: 30, b: 50 },
      paper_bgcolor: theme.paper,
      plot_bgcolor: theme.plot,
      font: { color: theme.font, family: theme.fontFamily },
      xaxis: axisLayout(xAxis, theme.grid),
      yaxis: axisLayout(yAxis, theme.grid),
      showlegend: false
    };
    return { data: [trace as Plotly.Data], layout, count: shown.length };
  }, [runs, colors, x, y, themeVersion]);
  const ref = usePlot(data, layout);

  const options = (
    <>
      <optgroup label={trans.__('Params')}>
        {props.paramKeys.map(key => (
          <option key={key} value={`params.${key}`}>
            {key}
          </option>
        ))}
      </optgroup>
      <optgroup label={trans.__('Metrics (last value)')}>
        {props.metricKeys.map(key => (
          <option key={key} value={`metrics.${key}`}>
            {key}
          </option>
        ))}
      </optgroup>
    </>
  );
  return (
    <div className="jp-Studio-compareSection">
      <div className="jp-Studio-sectionHeader">
        <h3>{trans.__('Scatter')}</h3>
        <label className="jp-Studio-toggle">
          {trans.__('x')}
          <select
            data-testid="studio-scatter-x"
            value={x}
            onChange={event => props.onXChange(event.target.value)}
          >
            {options}
          </select>
        </label>
        <label className="jp-Studio-toggle">
          {trans.__('y')}
          <select
            data-testid="studio-scatter-y"
            value={y}
            onChange={event => props.onYChange(event.target.value)}
          >
            {options}
          </select>
        </label>
      </div>
      <div
        ref={ref}
        className="jp-Studio-plot"
        data-testid="studio-scatter"
        data-points={count}
      />
    </div>
  );
}
