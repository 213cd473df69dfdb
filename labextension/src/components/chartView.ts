/**
 * What a metric chart's note says about the points it draws: the whole series or a zoomed
 * range, every point or downsampled by the server. Shared by the run and compare panels.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { IStepSpan, IZoomView } from '../models/zoom';

/**
 * A panel's zoom: the views by metric key, and what a drag or a double click asks. Left out,
 * a drag zooms into the points the chart already has (nothing is fetched).
 */
export interface IZoomProps {
  zooms?: ReadonlyMap<string, IZoomView>;
  /** Fetch these step ranges (by run id) of a metric, at most `maxPoints` points a line. */
  onZoom?: (
    key: string,
    spans: Record<string, IStepSpan>,
    maxPoints: number
  ) => void;
  onZoomOut?: (key: string) => void;
}

/** One drawn line's resolution. */
export interface ILineResolution {
  /** Points drawn. */
  points: number;
  /** Points stored in the whole series. */
  total: number;
  downsampled: boolean;
}

/** What the chart shows, for its note and its data attributes. */
export interface IChartView {
  zoomed: boolean;
  downsampled: boolean;
  /** Points drawn, every line together. */
  points: number;
  pending: boolean;
  /** Said under the chart, translated. */
  note: string;
}

/**
 * The view of a chart drawing `lines`: zoomed when they are a zoom's lines, `zoom` the chart's
 * zoom if any (its fetch may still be in flight, its error to tell).
 */
export function chartView(
  lines: ILineResolution[],
  zoomed: boolean,
  zoom: IZoomView | null,
  trans: TranslationBundle
): IChartView {
  const points = lines.reduce((sum, line) => sum + line.points, 0);
  const total = lines.reduce((sum, line) => sum + line.total, 0);
  const downsampled = lines.some(line => line.downsampled);
  const pointsText = points.toLocaleString();
  let note: string;
  if (zoomed) {
    note = downsampled
      ? trans.__(
          'zoomed in, downsampled: %1 points drawn (extremes kept); double-click to zoom out',
          pointsText
        )
      : trans._n(
          'zoomed in, every point: %1 point; double-click to zoom out',
          'zoomed in, every point: %1 points; double-click to zoom out',
          points
        );
  } else {
    note = downsampled
      ? trans.__(
          'downsampled: %1 of %2 points drawn (extremes kept); drag to zoom in',
          pointsText,
          total.toLocaleString()
        )
      : trans._n('every point: %1 point', 'every point: %1 points', points);
  }
  const pending = !!zoom?.pending;
  if (pending) {
    note = `${note} ${trans.__('(loading the range…)')}`;
  }
  if (zoom?.error) {
    note = `${note} ${zoom.error}`;
  }
  return { zoomed, downsampled, points, pending, note };
}
