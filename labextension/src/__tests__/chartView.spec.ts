import { nullTranslator } from '@jupyterlab/translation';

import { chartView } from '../components/chartView';
import type { IZoomView } from '../models/zoom';

const trans = nullTranslator.load('jupyter-studio');

describe('chartView', () => {
  it('says a whole series is downsampled, with the points drawn of those stored', () => {
    const view = chartView(
      [{ points: 1000, total: 1_000_000, downsampled: true }],
      false,
      null,
      trans
    );
    expect(view).toMatchObject({
      zoomed: false,
      downsampled: true,
      points: 1000
    });
    expect(view.note).toBe(
      `downsampled: ${(1000).toLocaleString()} of ${(1_000_000).toLocaleString()} points drawn (extremes kept); drag to zoom in`
    );
  });

  it('says a zoom draws every point once every line does', () => {
    const lines = [
      { points: 201, total: 1_000_000, downsampled: false },
      { points: 150, total: 500, downsampled: false }
    ];
    const zoom: IZoomView = {
      ranges: {},
      maxPoints: 2400,
      lines: {},
      pending: false,
      error: null
    };
    const every = chartView(lines, true, zoom, trans);
    expect(every).toMatchObject({
      zoomed: true,
      downsampled: false,
      points: 351
    });
    expect(every.note).toBe(
      'zoomed in, every point: 351 points; double-click to zoom out'
    );

    lines[1].downsampled = true;
    const coarse = chartView(lines, true, { ...zoom, pending: true }, trans);
    expect(coarse.downsampled).toBe(true);
    expect(coarse.pending).toBe(true);
    expect(coarse.note).toContain('zoomed in, downsampled: 351 points drawn');
    expect(coarse.note).toContain('(loading the range…)');
  });

  it('tells the error of a zoom that failed', () => {
    const view = chartView(
      [{ points: 2, total: 2, downsampled: false }],
      false,
      {
        ranges: {},
        maxPoints: 16,
        lines: {},
        pending: false,
        error: 'a: gone'
      },
      trans
    );
    expect(view.note).toBe('every point: 2 points a: gone');
  });
});
