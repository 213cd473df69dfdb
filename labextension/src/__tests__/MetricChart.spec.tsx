import { act, render } from '@testing-library/react';
import Plotly from 'plotly.js-dist-min';
import * as React from 'react';

import {
  IMetricChartProps,
  localDate,
  MetricChart
} from '../components/MetricChart';

interface ICall {
  element: HTMLElement;
  data: Array<Record<string, any>>;
  layout: Record<string, any>;
}

// The mock (test/plotlyMock.js) records what the chart hands to plotly.
const plotly = Plotly as unknown as { __calls: ICall[] };

function lastCall(): ICall {
  return plotly.__calls[plotly.__calls.length - 1];
}

const base: IMetricChartProps = {
  metricKey: 'loss',
  series: [{ name: 'run-a', x: [0, 1, 2, 3], y: [4, NaN, 2, 1], runId: 'a' }],
  xAxis: 'step',
  xAxisTitle: 'step',
  logScale: false,
  smoothing: 0
};

beforeEach(() => {
  plotly.__calls.length = 0;
  document.body.style.setProperty('--jp-ui-font-color1', 'rgb(1, 2, 3)');
  document.body.style.setProperty('--jp-layout-color1', 'rgb(10, 20, 30)');
  document.body.style.setProperty('--jp-border-color2', 'rgb(7, 7, 7)');
});

describe('MetricChart', () => {
  it('draws one raw line per series, NaN as a gap, and counts the points', () => {
    const { getByTestId } = render(<MetricChart {...base} />);
    const wrapper = getByTestId('studio-metric-chart');
    expect(wrapper.getAttribute('data-metric')).toBe('loss');
    expect(wrapper.getAttribute('data-points')).toBe('4');
    expect(wrapper.textContent).toContain('loss');
    const { data, layout } = lastCall();
    expect(data).toHaveLength(1);
    expect(data[0].x).toEqual([0, 1, 2, 3]);
    expect(data[0].y).toEqual([4, null, 2, 1]);
    expect(data[0].connectgaps).toBe(false);
    expect(layout.yaxis.type).toBe('linear');
    expect(layout.xaxis.type).toBe('linear');
  });

  it('takes its colours from the theme variables', () => {
    render(<MetricChart {...base} />);
    const { layout } = lastCall();
    expect(layout.font.color).toBe('rgb(1, 2, 3)');
    expect(layout.paper_bgcolor).toBe('rgb(10, 20, 30)');
    expect(layout.xaxis.gridcolor).toBe('rgb(7, 7, 7)');
  });

  it('draws the smoothed line over a faint raw line when smoothing is on', () => {
    render(<MetricChart {...base} smoothing={0.5} />);
    const { data } = lastCall();
    expect(data).toHaveLength(2);
    expect(data[0].opacity).toBeLessThan(1);
    expect(data[1].y[0]).toBeCloseTo(4);
    expect(data[1].y[1]).toBeNull();
    expect(data[1].y[2]).toBeCloseTo((0.25 * 4 + 0.5 * 2) / 0.75);
  });

  it('switches to a log y axis and a date x axis, and redraws on change', () => {
    const { rerender } = render(<MetricChart {...base} />);
    const before = plotly.__calls.length;
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
    const series = [{ name: 'r', x: [ms], y: [1] }];
    rerender(
      <MetricChart {...base} series={series} xAxis="time" logScale={true} />
    );
    expect(plotly.__calls.length).toBe(before + 1);
    const { data, layout } = lastCall();
    expect(layout.yaxis.type).toBe('log');
    expect(layout.xaxis.type).toBe('date');
    expect(data[0].x).toEqual([localDate(ms)]);
    expect(data[0].mode).toBe('markers');
  });

  it('overlays several series without a legend of its own and counts every raw point', () => {
    const series = [
      { name: 'a', x: [0, 1], y: [1, 2], runId: 'a' },
      { name: 'b', x: [0, 1, 2], y: [3, 2, 1], runId: 'b' }
    ];
    const { getByTestId } = render(
      <MetricChart
        {...base}
        series={series}
        smoothing={0.6}
        testId="studio-compare-chart"
      />
    );
    expect(
      getByTestId('studio-compare-chart').getAttribute('data-points')
    ).toBe('5');
    const { data, layout } = lastCall();
    expect(data).toHaveLength(4);
    // The compare panel names its runs once, above every chart.
    expect(layout.showlegend).toBe(false);
    expect(data[0].line.color).not.toBe(data[2].line.color);
  });

  it('draws a series in the colour it brings', () => {
    const series = [{ name: 'a', x: [0, 1], y: [1, 2], color: 'rgb(9, 9, 9)' }];
    render(<MetricChart {...base} series={series} smoothing={0.5} />);
    const { data } = lastCall();
    expect(data.map(trace => trace.line.color)).toEqual([
      'rgb(9, 9, 9)',
      'rgb(9, 9, 9)'
    ]);
  });

  it('redraws when the theme changes and purges on unmount', async () => {
    const purge = jest.spyOn(Plotly, 'purge');
    const { unmount } = render(<MetricChart {...base} />);
    const before = plotly.__calls.length;
    await act(async () => {
      document.body.style.setProperty('--jp-layout-color1', 'rgb(0, 0, 0)');
      document.body.setAttribute('data-jp-theme-name', 'JupyterLab Dark');
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    expect(plotly.__calls.length).toBe(before + 1);
    expect(lastCall().layout.paper_bgcolor).toBe('rgb(0, 0, 0)');
    unmount();
    expect(purge).toHaveBeenCalled();
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

  it('waits to be seen before drawing, then marks itself drawn', async () => {
    plotly.__calls.length = 0;
    const { getByTestId } = render(<MetricChart {...base} />);
    expect(plotly.__calls).toHaveLength(0);
    expect(getByTestId('studio-metric-chart').getAttribute('data-points')).toBe(
      '4'
    );
    await act(async () => {
      observers[0].callback(
        [{ isIntersecting: true } as IntersectionObserverEntry],
        {} as IntersectionObserver
      );
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    expect(plotly.__calls).toHaveLength(1);
    expect(
      getByTestId('studio-metric-chart')
        .querySelector('.jp-Studio-metricChart-plot')!
        .getAttribute('data-drawn')
    ).toBe('true');
  });
});

describe('localDate', () => {
  it('writes local time to the millisecond', () => {
    const d = new Date(2024, 4, 6, 7, 8, 9, 10);
    expect(localDate(d.getTime())).toBe('2024-05-06 07:08:09.010');
  });
});
