/**
 * The endpoint panel's live charts (plotly, through usePlot): requests per second, latency
 * p50/p95/p99 and errors, one line per variant, in the theme's colours.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type Plotly from 'plotly.js-dist-min';
import * as React from 'react';

import type { EndpointMetrics } from '../../api/serving';
import {
  ENDPOINT_CHARTS,
  EndpointChart,
  chartTraces,
  hasSteps,
  hasTraffic
} from '../../models/endpointCharts';
import { runColor, themeColors, useThemeVersion } from '../theme';
import { usePlot } from '../usePlot';

export interface IEndpointChartsProps {
  metrics: EndpointMetrics | null;
  trans: TranslationBundle;
}

export function EndpointCharts(props: IEndpointChartsProps): JSX.Element {
  const { trans, metrics } = props;
  const titles: Record<EndpointChart, string> = {
    rps: trans.__('Requests per second'),
    latency: trans.__('Latency (ms): p50, p95, p99'),
    errors: trans.__('Errors per step')
  };
  return (
    <div
      className="jp-Studio-endpoint-charts"
      data-testid="studio-endpoint-charts"
    >
      {!hasTraffic(metrics) && (
        <p className="jp-Studio-endpoint-muted">
          {trans.__(
            'No request in the last five minutes: try it below, or send traffic to the endpoint.'
          )}
        </p>
      )}
      {metrics !== null &&
        hasSteps(metrics) &&
        ENDPOINT_CHARTS.map(chart => (
          <EndpointChartView
            key={chart}
            chart={chart}
            title={titles[chart]}
            metrics={metrics}
          />
        ))}
    </div>
  );
}

function EndpointChartView(props: {
  chart: EndpointChart;
  title: string;
  metrics: EndpointMetrics;
}): JSX.Element {
  const themeVersion = useThemeVersion();
  const data = React.useMemo(
    () => chartTraces(props.metrics, props.chart, runColor),
    [props.metrics, props.chart, themeVersion]
  );
  const layout = React.useMemo((): Partial<Plotly.Layout> => {
    const colors = themeColors();
    return {
      title: { text: props.title, font: { size: 13 } },
      height: 220,
      margin: { l: 48, r: 12, t: 32, b: 32 },
      paper_bgcolor: colors.paper,
      plot_bgcolor: colors.plot,
      font: { color: colors.font, family: colors.fontFamily, size: 11 },
      xaxis: { type: 'date', gridcolor: colors.grid },
      yaxis: { rangemode: 'tozero', gridcolor: colors.grid },
      showlegend: true,
      legend: { orientation: 'h', y: -0.25 },
      uirevision: props.chart
    };
  }, [props.title, props.chart, themeVersion]);
  const ref = usePlot(data, layout);
  return (
    <div
      ref={ref}
      className="jp-Studio-endpoint-chart"
      data-testid={`studio-endpoint-chart-${props.chart}`}
    />
  );
}
