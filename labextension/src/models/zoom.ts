/**
 * Zoom of a panel's metric charts: the step range a chart was dragged to, and the points of
 * that range fetched from the server at the chart's resolution (every point where the range
 * holds few enough). A run panel and a comparison each own one `ChartZooms`; the charts draw a
 * zoomed view in place of the whole series until it is reset (a double click).
 *
 * Live ticks keep the zoom, as the range a user chose in W&B or TensorBoard stays put while the
 * run logs: a zoomed range is fetched again only when new points may fall in it (its upper end
 * is past the last step drawn before the tick), so zooming into the start of a long run stays
 * still while the run goes on.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IStepRange, TrackingAPI } from '../api/tracking';
import { toNumber } from '../api/types';

/** Points asked for per CSS pixel of the plot's width (first, min, max and last a bucket). */
export const POINTS_PER_PIXEL = 4;

/** The fewest points a zoom asks for (the server's floor), whatever the chart's width. */
const MIN_ZOOM_POINTS = 16;

/** A closed range of steps. */
export interface IStepSpan {
  min: number;
  max: number;
}

/** One line's points in a zoomed range, values as numbers (NaN and infinities kept). */
export interface IZoomedLine {
  steps: number[];
  timestamps: number[];
  values: number[];
  /** False when these are every point stored in the range. */
  downsampled: boolean;
}

/** What a zoomed chart shows. */
export interface IZoomView {
  /** The step range asked for, by line (run id). */
  ranges: Record<string, IStepSpan>;
  maxPoints: number;
  /** The fetched points by line (run id); the previous zoom's until the first answer. */
  lines: Record<string, IZoomedLine> | null;
  /** True while a fetch of this view is in flight. */
  pending: boolean;
  /** The server's messages for the lines that could not be fetched, or null. */
  error: string | null;
}

/** The part of the tracking API a zoom uses. */
export type IZoomAPI = Pick<TrackingAPI, 'getMetricHistory'>;

/** How many points a zoom asks for a plot this many CSS pixels wide. */
export function zoomMaxPoints(plotWidth: number): number {
  return Math.max(MIN_ZOOM_POINTS, Math.round(POINTS_PER_PIXEL * plotWidth));
}

/**
 * The steps a drag over [selection.min, selection.max] of the x axis covers, for a line drawn
 * at `x` whose points have `steps`. By step, the whole steps inside the selection; by time,
 * from the last drawn point before the selection to the first after it (the line between them
 * crosses the selection, and a downsampled line may hide points there). Null when no step is
 * covered.
 */
export function stepSpanOf(
  selection: IStepSpan,
  x: number[],
  steps: number[],
  byStep: boolean
): IStepSpan | null {
  if (byStep) {
    const min = Math.ceil(selection.min);
    const max = Math.floor(selection.max);
    return min <= max ? { min, max } : null;
  }
  if (x.length === 0) {
    return null;
  }
  let first = x.findIndex(value => value >= selection.min);
  // The line ends before the selection, or starts after it.
  if (first < 0 || (first === 0 && x[0] > selection.max)) {
    return null;
  }
  first = Math.max(0, first - 1);
  let last = first;
  while (last < x.length - 1 && x[last] <= selection.max) {
    last++;
  }
  const spanned = steps.slice(first, last + 1);
  return { min: Math.min(...spanned), max: Math.max(...spanned) };
}

/** A line as drawn: its x values (steps or times) and the steps of its points. */
export interface IDrawnLine {
  runId: string;
  x: number[];
  steps: number[];
}

/** The step range to fetch for each line a drag over `selection` crosses, by run id. */
export function zoomSpans(
  lines: IDrawnLine[],
  selection: IStepSpan,
  byStep: boolean
): Record<string, IStepSpan> {
  const spans: Record<string, IStepSpan> = {};
  for (const line of lines) {
    const span = stepSpanOf(selection, line.x, line.steps, byStep);
    if (span) {
      spans[line.runId] = span;
    }
  }
  return spans;
}

/** Every zoomed chart of one panel, by metric key; `changed` names the key that changed. */
export class ChartZooms implements IDisposable {
  constructor(api: IZoomAPI) {
    this._api = api;
  }

  get changed(): ISignal<this, string> {
    return this._changed;
  }

  /** A chart's zoom, or null when it shows the whole series. */
  view(key: string): IZoomView | null {
    return this._views.get(key) ?? null;
  }

  /** Every zoomed chart's view, by metric key: a new map after each change, views kept. */
  get views(): ReadonlyMap<string, IZoomView> {
    if (!this._snapshot) {
      this._snapshot = new Map(this._views);
    }
    return this._snapshot;
  }

  /**
   * Show `ranges` (by run id) of a metric, fetched at `maxPoints` a line. A zoom answered
   * after a later zoom (or a reset) of the same chart is dropped.
   */
  async zoom(
    key: string,
    ranges: Record<string, IStepSpan>,
    maxPoints: number
  ): Promise<void> {
    const previous = this._views.get(key);
    this._views.set(key, {
      ranges,
      maxPoints,
      lines: previous?.lines ?? null,
      pending: true,
      error: null
    });
    this._emit(key);
    await this._fetch(key);
  }

  /** Back to the whole series (the panel's model still holds it: nothing is fetched). */
  reset(key: string): void {
    if (!this._views.delete(key)) {
      return;
    }
    this._tickets.set(key, (this._tickets.get(key) ?? 0) + 1);
    this._emit(key);
  }

  /**
   * A live tick reloaded `runId`'s history of `key`, whose last step was `lastStep` before:
   * fetch the zoomed range again when new points may fall in it.
   */
  async grew(key: string, runId: string, lastStep: number): Promise<void> {
    const view = this._views.get(key);
    const range = view?.ranges[runId];
    if (!view || !range || range.max <= lastStep) {
      return;
    }
    this._views.set(key, { ...view, pending: true });
    this._emit(key);
    await this._fetch(key);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private async _fetch(key: string): Promise<void> {
    const ticket = (this._tickets.get(key) ?? 0) + 1;
    this._tickets.set(key, ticket);
    const view = this._views.get(key)!;
    const runIds = Object.keys(view.ranges);
    const answers = await Promise.allSettled(
      runIds.map(runId => {
        const span: IStepRange = view.ranges[runId];
        return this._api.getMetricHistory(runId, key, view.maxPoints, span);
      })
    );
    if (this._isDisposed || this._tickets.get(key) !== ticket) {
      return;
    }
    const lines: Record<string, IZoomedLine> = {};
    const errors: string[] = [];
    answers.forEach((answer, i) => {
      if (answer.status === 'fulfilled') {
        lines[runIds[i]] = {
          steps: answer.value.steps,
          timestamps: answer.value.timestamps,
          values: answer.value.values.map(toNumber),
          downsampled: answer.value.downsampled
        };
      } else {
        errors.push(`${runIds[i]}: ${messageOf(answer.reason)}`);
      }
    });
    this._views.set(key, {
      ...view,
      lines,
      pending: false,
      error: errors.length ? errors.join('\n') : null
    });
    this._emit(key);
  }

  private _emit(key: string): void {
    this._snapshot = null;
    if (!this._isDisposed) {
      this._changed.emit(key);
    }
  }

  private readonly _api: IZoomAPI;
  private readonly _views = new Map<string, IZoomView>();
  /** The latest fetch of each chart: an answer to an older one is stale. */
  private readonly _tickets = new Map<string, number>();
  private readonly _changed = new Signal<this, string>(this);
  private _snapshot: ReadonlyMap<string, IZoomView> | null = null;
  private _isDisposed = false;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
