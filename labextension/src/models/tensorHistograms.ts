/**
 * The Debugger tab's heatmap data: one tensor's histograms over the steps the statistic chart
 * shows (every step, or the zoomed range at full resolution). The latest request wins: an
 * answer to an older one (another tensor, another range) is dropped.
 */
import type { Histograms, IDebuggerAPI, TensorInfo } from '../api/debugger';
import type { IStepSpan } from './zoom';

/** About how many histogram steps the heatmap asks for. */
export const HISTOGRAM_MAX_STEPS = 200;

export class TensorHistograms {
  constructor(api: Pick<IDebuggerAPI, 'getHistograms'>, runId: string) {
    this._api = api;
    this._runId = runId;
  }

  /** The histograms last loaded; null for a tensor without any. */
  get current(): Histograms | null {
    return this._current;
  }

  /**
   * Load `tensor`'s histograms over `range` (null: every step); true once they are
   * `current`, false when a later load came meanwhile.
   */
  async load(
    tensor: TensorInfo | undefined,
    range: IStepSpan | null
  ): Promise<boolean> {
    const ticket = ++this._ticket;
    this._range = rangeKey(range);
    let found: Histograms | null = null;
    if (tensor?.histogram) {
      try {
        found = await this._api.getHistograms(this._runId, {
          tensor: tensor.name,
          mode: tensor.mode,
          maxSteps: HISTOGRAM_MAX_STEPS,
          minStep: range?.min,
          maxStep: range?.max
        });
      } catch {
        // The heatmap says there are none; the statistic chart shows the server's message.
      }
    }
    if (ticket !== this._ticket) {
      return false;
    }
    this._current = found;
    return true;
  }

  /** Whether the histograms were last asked for over `range`. */
  isOver(range: IStepSpan | null): boolean {
    return this._range === rangeKey(range);
  }

  private readonly _api: Pick<IDebuggerAPI, 'getHistograms'>;
  private readonly _runId: string;
  private _current: Histograms | null = null;
  private _range = '';
  private _ticket = 0;
}

function rangeKey(range: IStepSpan | null): string {
  return range ? `${range.min}:${range.max}` : '';
}
