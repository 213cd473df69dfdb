/**
 * The endpoint panel's live charts as plotly figures: requests per second, latency
 * percentiles and errors over time, one line per variant (a shadow's dotted), in the run
 * colours. Pure: the metrics route's answer in, traces out.
 */
import type Plotly from 'plotly.js-dist-min';

import type { EndpointMetrics, VariantSeries } from '../api/serving';

export type EndpointChart = 'rps' | 'latency' | 'errors';

export const ENDPOINT_CHARTS: readonly EndpointChart[] = [
  'rps',
  'latency',
  'errors'
];

const PERCENTILES = [
  { key: 'p50', dash: 'solid' },
  { key: 'p95', dash: 'dash' },
  { key: 'p99', dash: 'dot' }
] as const;

/** The times of a series as dates (the x axis). */
function times(series: VariantSeries): Date[] {
  return series.t.map(seconds => new Date(seconds * 1000));
}

/** One chart's traces: a line per variant (per percentile for latency). */
export function chartTraces(
  metrics: EndpointMetrics,
  chart: EndpointChart,
  color: (variantIndex: number) => string
): Plotly.Data[] {
  const traces: Plotly.Data[] = [];
  Object.entries(metrics.variants).forEach(([name, series], index) => {
    const label = series.shadow ? `${name} (shadow)` : name;
    const line = { color: color(index), width: 2 };
    const x = times(series);
    if (chart === 'latency') {
      for (const { key, dash } of PERCENTILES) {
        // Markers too: a percentile of a step with no request is a gap, which would hide a
        // lone step's value.
        traces.push({
          type: 'scatter',
          mode: 'lines+markers',
          marker: { size: 4, color: line.color },
          name: `${label} ${key}`,
          x,
          y: series[key],
          connectgaps: false,
          line: { ...line, dash }
        });
      }
      return;
    }
    traces.push({
      type: 'scatter',
      mode: 'lines',
      name: label,
      x,
      y: chart === 'rps' ? series.rps : series.errors,
      line: { ...line, dash: series.shadow ? 'dot' : 'solid' }
    });
  });
  return traces;
}

/** Whether any request was seen in the window (else the charts say so instead of drawing). */
export function hasTraffic(metrics: EndpointMetrics | null): boolean {
  if (!metrics) {
    return false;
  }
  return Object.values(metrics.variants).some(series =>
    series.requests.some(count => count > 0)
  );
}

/** Whether the window has any step to draw (an endpoint never served has none). */
export function hasSteps(metrics: EndpointMetrics | null): boolean {
  return (
    metrics !== null &&
    Object.values(metrics.variants).some(series => series.t.length > 0)
  );
}
