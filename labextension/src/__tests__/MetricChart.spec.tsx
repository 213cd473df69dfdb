import { act, fireEvent, render } from '@testing-library/react';
import * as React from 'react';
import uPlot from 'uplot';

import {
  IMetricChartProps,
  localDate,
  MetricChart
} from '../components/MetricChart';

interface IPlot {
  opts: uPlot.Options;
  setScale: (key: string, limits: { min: number; max: number }) => void;
  data: uPlot.AlignedData;
  destroyed: boolean;
}

interface ICall {
  kind: 'create' | 'setData';
  plot: IPlot;
  data: uPlot.AlignedData;
  resetScales?: boolean;
}

// The mock (test/uplotMock.js) records what the chart hands to uPlot.
const uplot = uPlot as unknown as { __calls: ICall[] };

function lastCall(): ICall {
  return uplot.__calls[uplot.__calls.length - 1];
}

const base: IMetricChartProps = {
  metricKey: 'loss',
  series: [{ name: 'run-a', x: [0, 1, 2, 3], y: [4, NaN, 2, 1], runId: 'a' }],
  xAxis: 'step',
  xAxisTitle: 'step',
  logScale: false,
  smoothing: 0,
  downloadTitle: 'Download as PNG'
};

beforeEach(() => {
  uplot.__calls.length = 0;
  document.body.style.setProperty('--jp-ui-font-color1', 'rgb(1, 2, 3)');
  document.body.style.setProperty('--jp-layout-color1', 'rgb(10, 20, 30)');
  document.body.style.setProperty('--jp-border-color2', 'rgb(7, 7, 7)');
});

describe('MetricChart', () => {
  it('draws one raw line per series, NaN as a gap, with axis titles', () => {
    const { getByTestId } = render(<MetricChart {...base} />);
    const wrapper = getByTestId('studio-metric-chart');
    expect(wrapper.getAttribute('data-metric')).toBe('loss');
    expect(wrapper.textContent).toContain('loss');
    const { kind, data, plot } = lastCall();
    expect(kind).toBe('create');
    expect(data).toEqual([
      [0, 1, 2, 3],
      [4, null, 2, 1]
    ]);
    expect(plot.opts.series).toHaveLength(2);
    expect(plot.opts.series[1].spanGaps).toBe(false);
    expect(plot.opts.scales!.y.distr).toBe(1);
    expect(plot.opts.scales!.x.time).toBe(false);
    expect(plot.opts.axes!.map(axis => axis.label)).toEqual(['step', 'loss']);
    expect(plot.opts.legend!.show).toBe(false);
  });

  it('takes its colours from the theme variables', () => {
    render(<MetricChart {...base} />);
    const { axes } = lastCall().plot.opts;
    expect(axes![0].stroke).toBe('rgb(1, 2, 3)');
    expect((axes![1].grid as uPlot.Axis.Grid).stroke).toBe('rgb(7, 7, 7)');
  });

  it('draws the smoothed line over a faint raw line when smoothing is on', () => {
    render(<MetricChart {...base} smoothing={0.5} />);
    const { data, plot } = lastCall();
    expect(data).toHaveLength(3);
    expect(plot.opts.series[1].alpha).toBeLessThan(1);
    expect(plot.opts.series[2].alpha).toBeUndefined();
    const smoothed = data[2] as (number | null)[];
    expect(smoothed[0]).toBeCloseTo(4);
    expect(smoothed[1]).toBeNull();
    expect(smoothed[2]).toBeCloseTo((0.25 * 4 + 0.5 * 2) / 0.75);
  });

  it('a smoothing step gives the same chart new data, no new chart', () => {
    const { rerender } = render(<MetricChart {...base} smoothing={0.5} />);
    const chart = lastCall().plot;
    rerender(<MetricChart {...base} smoothing={0.6} />);
    expect(lastCall().kind).toBe('setData');
    expect(lastCall().plot).toBe(chart);
    expect(uplot.__calls).toHaveLength(2);
  });

  it('keeps the range the user zoomed to when new data comes', () => {
    const { rerender } = render(<MetricChart {...base} />);
    const grown = [
      { ...base.series[0], x: [0, 1, 2, 3, 4], y: [4, 3, 2, 1, 0] }
    ];
    rerender(<MetricChart {...base} series={grown} />);
    expect(lastCall().resetScales).toBe(true);

    const plot = lastCall().plot;
    plot.setScale('x', { min: 1, max: 2 });
    const setScale = jest.spyOn(plot, 'setScale');
    const more = [
      { ...base.series[0], x: [0, 1, 2, 3, 4, 5], y: [4, 3, 2, 1, 0, 0] }
    ];
    rerender(<MetricChart {...base} series={more} />);
    expect(lastCall().kind).toBe('setData');
    expect(lastCall().resetScales).toBe(false);
    // Without a reset uPlot draws nothing: the kept range is set again, which draws.
    expect(setScale).toHaveBeenCalledWith('x', { min: 1, max: 2 });
  });

  it('tells of a drag (the range and the plot width) and of a double click', () => {
    const onZoom = jest.fn();
    const onZoomOut = jest.fn();
    render(<MetricChart {...base} onZoom={onZoom} onZoomOut={onZoomOut} />);
    const { hooks } = lastCall().plot.opts;
    const over = document.createElement('div');
    Object.defineProperty(over, 'clientWidth', { value: 600 });
    const u = {
      select: { left: 30, width: 60 },
      posToVal: (px: number) => px / 10,
      over
    } as unknown as uPlot;

    hooks!.setSelect!.forEach(hook => hook!(u));
    hooks!.ready!.forEach(hook => hook!(u));
    fireEvent.doubleClick(over);

    expect(onZoom).toHaveBeenCalledWith({ min: 3, max: 9 }, 600);
    expect(onZoomOut).toHaveBeenCalledTimes(1);
  });

  it('says what it draws under the plot and in data attributes', () => {
    const view = {
      zoomed: true,
      downsampled: false,
      points: 4,
      pending: false,
      note: 'zoomed in, every point: 4 points'
    };
    const { getByTestId } = render(<MetricChart {...base} view={view} />);
    const wrapper = getByTestId('studio-metric-chart');
    expect(wrapper.dataset.zoomed).toBe('true');
    expect(wrapper.dataset.downsampled).toBe('false');
    expect(wrapper.dataset.points).toBe('4');
    expect(getByTestId('studio-chart-view').textContent).toBe(view.note);
  });

  it('switches to a log y axis and a time x axis, drawing what is not positive as a gap', () => {
    const { rerender } = render(<MetricChart {...base} />);
    const first = lastCall().plot;
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
    const series = [{ name: 'r', x: [ms, ms + 1000], y: [1, 0] }];
    rerender(
      <MetricChart {...base} series={series} xAxis="time" logScale={true} />
    );
    const { kind, plot, data } = lastCall();
    expect(kind).toBe('create');
    expect(first.destroyed).toBe(true);
    expect(plot.opts.scales!.y.distr).toBe(3);
    expect(plot.opts.scales!.x.time).toBe(true);
    expect(plot.opts.ms).toBe(1);
    expect(data).toEqual([
      [ms, ms + 1000],
      [1, null]
    ]);
  });

  it('overlays several series, joined on their steps, each in its own colour', () => {
    const series = [
      { name: 'a', x: [0, 1], y: [1, 2], runId: 'a' },
      { name: 'b', x: [0, 1, 2], y: [3, 2, 1], runId: 'b' }
    ];
    render(
      <MetricChart
        {...base}
        series={series}
        smoothing={0.6}
        testId="studio-compare-chart"
      />
    );
    const { data, plot } = lastCall();
    expect(data).toHaveLength(5);
    expect(data[0]).toEqual([0, 1, 2]);
    // A step a run has not logged is no gap: its line goes on.
    expect(data[1][2]).toBeUndefined();
    expect(plot.opts.series[1].stroke).not.toBe(plot.opts.series[3].stroke);
  });

  it('draws a series in the colour it brings', () => {
    const series = [{ name: 'a', x: [0, 1], y: [1, 2], color: 'rgb(9, 9, 9)' }];
    render(<MetricChart {...base} series={series} smoothing={0.5} />);
    const { plot } = lastCall();
    expect(plot.opts.series.slice(1).map(s => s.stroke)).toEqual([
      'rgb(9, 9, 9)',
      'rgb(9, 9, 9)'
    ]);
  });

  it('draws again when the theme changes, and is destroyed on unmount', async () => {
    const { unmount } = render(<MetricChart {...base} />);
    const first = lastCall().plot;
    await act(async () => {
      document.body.style.setProperty('--jp-ui-font-color1', 'rgb(0, 0, 0)');
      document.body.setAttribute('data-jp-theme-name', 'JupyterLab Dark');
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    expect(first.destroyed).toBe(true);
    expect(lastCall().plot.opts.axes![0].stroke).toBe('rgb(0, 0, 0)');
    const second = lastCall().plot;
    unmount();
    expect(second.destroyed).toBe(true);
  });

  it('downloads its canvas as a PNG named after the metric', () => {
    const { getByTestId, container } = render(<MetricChart {...base} />);
    const canvas = document.createElement('canvas');
    container.querySelector('.uplot')!.appendChild(canvas);
    const toBlob = jest.fn();
    canvas.toBlob = toBlob;
    fireEvent.click(getByTestId('studio-chart-download'));
    expect(toBlob).toHaveBeenCalledWith(expect.any(Function), 'image/png');
  });
});

describe('MetricChart out of sight', () => {
  const observers: {
    callback: IntersectionObserverCallback;
    disconnected: boolean;
  }[] = [];
  beforeAll(() => {
    (window as any).IntersectionObserver = class {
      constructor(callback: IntersectionObserverCallback) {
        observers.push({ callback, disconnected: false });
      }
      observe(): void {}
      disconnect(): void {
        observers[observers.length - 1].disconnected = true;
      }
    };
  });
  afterAll(() => {
    delete (window as any).IntersectionObserver;
  });

  it('waits to be seen before drawing', async () => {
    uplot.__calls.length = 0;
    const { container } = render(<MetricChart {...base} />);
    expect(uplot.__calls).toHaveLength(0);
    await act(async () => {
      observers[0].callback(
        [{ isIntersecting: true } as IntersectionObserverEntry],
        {} as IntersectionObserver
      );
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    expect(uplot.__calls).toHaveLength(1);
    const node = container.querySelector('.jp-Studio-metricChart-plot')!;
    expect((node as any).__uplot).toBe(lastCall().plot);
    expect(Object.keys(node)).not.toContain('__uplot');
  });
});

describe('localDate', () => {
  it('writes local time to the millisecond', () => {
    const d = new Date(2024, 4, 6, 7, 8, 9, 10);
    expect(localDate(d.getTime())).toBe('2024-05-06 07:08:09.010');
  });
});
