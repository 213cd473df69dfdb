import type { IStepRange } from '../api/tracking';
import type { MetricHistory } from '../api/types';
import {
  ChartZooms,
  IZoomAPI,
  stepSpanOf,
  zoomMaxPoints,
  zoomSpans
} from '../models/zoom';

interface ICall {
  runId: string;
  key: string;
  maxPoints?: number;
  steps: IStepRange;
  resolve: (history: MetricHistory) => void;
  reject: (error: Error) => void;
}

/** A server whose answers the test gives, in any order. */
class ManualAPI implements IZoomAPI {
  calls: ICall[] = [];

  getMetricHistory(
    runId: string,
    key: string,
    maxPoints?: number,
    steps: IStepRange = {}
  ): Promise<MetricHistory> {
    return new Promise((resolve, reject) => {
      this.calls.push({ runId, key, maxPoints, steps, resolve, reject });
    });
  }
}

/** Every point of [min, max], or every other one when `downsampled`. */
function history(min: number, max: number, downsampled = false): MetricHistory {
  const steps: number[] = [];
  for (let step = min; step <= max; step += downsampled ? 2 : 1) {
    steps.push(step);
  }
  return {
    key: 'loss',
    steps,
    timestamps: steps.map(step => 1000 + step),
    values: steps.map(step => (step === min ? 'NaN' : step / 10)),
    total: 1_000_000,
    downsampled,
    next_page_token: null
  };
}

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('zoom spans', () => {
  it('asks for four points a pixel, never fewer than the floor', () => {
    expect(zoomMaxPoints(600)).toBe(2400);
    expect(zoomMaxPoints(612.4)).toBe(2450);
    expect(zoomMaxPoints(1)).toBe(16);
  });

  it('by step: the whole steps inside the selection', () => {
    const steps = [0, 10, 20, 30];
    expect(stepSpanOf({ min: 4.2, max: 17.9 }, steps, steps, true)).toEqual({
      min: 5,
      max: 17
    });
    expect(stepSpanOf({ min: 4.2, max: 4.9 }, steps, steps, true)).toBeNull();
  });

  it('by time: from the drawn point before the selection to the one after', () => {
    const times = [100, 200, 300, 400, 500];
    const steps = [0, 1000, 2000, 3000, 4000];
    expect(stepSpanOf({ min: 250, max: 350 }, times, steps, false)).toEqual({
      min: 1000,
      max: 3000
    });
    expect(stepSpanOf({ min: 50, max: 150 }, times, steps, false)).toEqual({
      min: 0,
      max: 1000
    });
    expect(stepSpanOf({ min: 600, max: 700 }, times, steps, false)).toBeNull();
  });

  it('one span per line the drag crosses', () => {
    const spans = zoomSpans(
      [
        { runId: 'a', x: [100, 200, 300], steps: [0, 1, 2] },
        { runId: 'b', x: [1000, 2000], steps: [0, 1] }
      ],
      { min: 150, max: 250 },
      false
    );
    expect(spans).toEqual({ a: { min: 0, max: 2 } });
  });
});

describe('ChartZooms', () => {
  it('fetches each line of the range at the chart resolution, then shows it', async () => {
    const api = new ManualAPI();
    const zooms = new ChartZooms(api);
    const changed: string[] = [];
    zooms.changed.connect((_, key) => changed.push(key));

    const done = zooms.zoom(
      'loss',
      { a: { min: 100, max: 300 }, b: { min: 90, max: 310 } },
      2400
    );

    expect(zooms.view('loss')).toMatchObject({ pending: true, lines: null });
    expect(api.calls.map(c => [c.runId, c.key, c.maxPoints, c.steps])).toEqual([
      ['a', 'loss', 2400, { min: 100, max: 300 }],
      ['b', 'loss', 2400, { min: 90, max: 310 }]
    ]);
    api.calls[0].resolve(history(100, 300));
    api.calls[1].resolve(history(90, 310, true));
    await done;

    const view = zooms.view('loss')!;
    expect(view.pending).toBe(false);
    expect(view.lines!.a.steps).toHaveLength(201);
    expect(view.lines!.a.downsampled).toBe(false);
    expect(Number.isNaN(view.lines!.a.values[0])).toBe(true);
    expect(view.lines!.a.values[1]).toBe(10.1);
    expect(view.lines!.b.downsampled).toBe(true);
    expect(zooms.views.get('loss')).toBe(view);
    expect(changed).toEqual(['loss', 'loss']);
  });

  it('drops an answer that a later zoom of the same chart overtook', async () => {
    const api = new ManualAPI();
    const zooms = new ChartZooms(api);

    const first = zooms.zoom('loss', { a: { min: 0, max: 1000 } }, 2400);
    const second = zooms.zoom('loss', { a: { min: 400, max: 500 } }, 2400);
    api.calls[1].resolve(history(400, 500));
    await second;
    api.calls[0].resolve(history(0, 1000, true));
    await first;

    const view = zooms.view('loss')!;
    expect(view.ranges).toEqual({ a: { min: 400, max: 500 } });
    expect(view.lines!.a.steps[0]).toBe(400);
    expect(view.lines!.a.steps).toHaveLength(101);
  });

  it('keeps the previous zoom drawn while the next one loads', async () => {
    const api = new ManualAPI();
    const zooms = new ChartZooms(api);
    const first = zooms.zoom('loss', { a: { min: 0, max: 1000 } }, 2400);
    api.calls[0].resolve(history(0, 1000, true));
    await first;
    const before = zooms.view('loss')!.lines;

    void zooms.zoom('loss', { a: { min: 400, max: 500 } }, 2400);

    expect(zooms.view('loss')).toMatchObject({ pending: true, lines: before });
  });

  it('zooms out without fetching, and ignores the answer still in flight', async () => {
    const api = new ManualAPI();
    const zooms = new ChartZooms(api);
    const views = zooms.views;
    const done = zooms.zoom('loss', { a: { min: 0, max: 10 } }, 2400);

    zooms.reset('loss');
    api.calls[0].resolve(history(0, 10));
    await done;

    expect(zooms.view('loss')).toBeNull();
    expect(zooms.views).not.toBe(views);
    expect(zooms.views.size).toBe(0);
    expect(api.calls).toHaveLength(1);
  });

  it('says which lines failed, and shows the others', async () => {
    const api = new ManualAPI();
    const zooms = new ChartZooms(api);
    const done = zooms.zoom(
      'loss',
      { a: { min: 0, max: 10 }, b: { min: 0, max: 10 } },
      2400
    );
    api.calls[0].resolve(history(0, 10));
    api.calls[1].reject(new Error('No run has id b'));
    await done;

    const view = zooms.view('loss')!;
    expect(Object.keys(view.lines!)).toEqual(['a']);
    expect(view.error).toBe('b: No run has id b');
  });

  it('fetches a zoom again on a live tick only when new points may fall in it', async () => {
    const api = new ManualAPI();
    const zooms = new ChartZooms(api);
    const done = zooms.zoom('loss', { a: { min: 0, max: 500 } }, 2400);
    api.calls[0].resolve(history(0, 500));
    await done;

    // The run logged past step 900: the zoom ends at 500, before the new points.
    await zooms.grew('loss', 'a', 900);
    await zooms.grew('other', 'a', 0);
    expect(api.calls).toHaveLength(1);

    // The zoom reached past the last step drawn (400): the tick may have added to it.
    const again = zooms.grew('loss', 'a', 400);
    expect(zooms.view('loss')!.pending).toBe(true);
    expect(api.calls).toHaveLength(2);
    expect(api.calls[1].steps).toEqual({ min: 0, max: 500 });
    api.calls[1].resolve(history(0, 500));
    await again;
    expect(zooms.view('loss')!.pending).toBe(false);
  });

  it('drops answers once disposed', async () => {
    const api = new ManualAPI();
    const zooms = new ChartZooms(api);
    const done = zooms.zoom('loss', { a: { min: 0, max: 10 } }, 2400);
    zooms.dispose();
    api.calls[0].resolve(history(0, 10));
    await done;
    await flush();
    expect(zooms.view('loss')!.pending).toBe(true);
  });
});
