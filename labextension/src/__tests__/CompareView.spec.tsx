import { act, fireEvent, render, within } from '@testing-library/react';
import { nullTranslator } from '@jupyterlab/translation';
import Plotly from 'plotly.js-dist-min';
import * as React from 'react';
import uPlot from 'uplot';

import type { Run } from '../api/types';
import { CompareView, ICompareViewProps } from '../components/CompareView';
import { metricSeries } from '../components/compare/MetricCharts';
import { runColor } from '../components/theme';
import { CompareModel } from '../models/compareModel';
import { FakeAPI, makeRun, threeRuns } from './compareFixtures';

interface ITrace {
  type: string;
  [key: string]: any;
}
interface ICall {
  element: HTMLElement;
  data: ITrace[];
  layout: Record<string, any>;
}

// The mocks (test/plotlyMock.js, test/uplotMock.js) record what the components hand to
// plotly (parallel coordinates, scatter) and to uPlot (the metric charts).
const plotly = Plotly as unknown as { __calls: ICall[] };
const uplot = uPlot as unknown as {
  __calls: { element: HTMLElement; plot: { opts: uPlot.Options } }[];
};

/** The uPlot options of a metric's chart, as last drawn. */
function chartOptions(metric: string): uPlot.Options {
  const calls = uplot.__calls.filter(c =>
    c.element.closest(`[data-metric="${metric}"]`)
  );
  return calls[calls.length - 1].plot.opts;
}

function lastTrace(type: string, testId: string): ITrace {
  const calls = plotly.__calls.filter(
    call =>
      call.data[0]?.type === type &&
      call.element.getAttribute('data-testid') === testId
  );
  expect(calls.length).toBeGreaterThan(0);
  return calls[calls.length - 1].data[0];
}

const trans = nullTranslator.load('jupyter-studio');

/** The props a ComparePanel passes, from a model loaded from the fake API. */
async function loadedProps(
  runs: Run[] = threeRuns()
): Promise<ICompareViewProps> {
  const model = new CompareModel({
    api: new FakeAPI(runs),
    runIds: runs.map(run => run.id),
    refreshInterval: 5
  });
  await model.refresh();
  const props: ICompareViewProps = {
    runs: model.runs,
    paramKeys: model.paramKeys,
    differingParams: model.differingParams,
    metricKeys: model.metricKeys,
    histories: model.histories,
    loading: model.loading,
    error: model.error,
    defaultSmoothing: 0,
    onOpenRun: jest.fn(),
    trans
  };
  model.dispose();
  return props;
}

function paramRows(container: HTMLElement): HTMLElement[] {
  return Array.from(
    container.querySelectorAll('[data-testid="studio-compare-param-row"]')
  );
}

beforeEach(() => {
  plotly.__calls.length = 0;
  uplot.__calls.length = 0;
});

describe('CompareView params', () => {
  it('highlights the params whose values differ, a missing value included', async () => {
    const { container } = render(<CompareView {...await loadedProps()} />);
    const rows = paramRows(container);
    expect(rows.map(row => row.dataset.param)).toEqual([
      'lr',
      'max_depth',
      'seed',
      'solver'
    ]);
    const differing = rows.filter(row =>
      row.classList.contains('jp-Studio-differs')
    );
    expect(differing.map(row => row.dataset.param)).toEqual([
      'lr',
      'max_depth',
      'solver'
    ]);
    const solver = rows[3];
    expect(
      Array.from(solver.querySelectorAll('td')).map(td => td.textContent)
    ).toEqual(['adam', 'sgd', '—']);
  });

  it('shows only the differing params when "only differences" is checked', async () => {
    const { container, getByTestId } = render(
      <CompareView {...await loadedProps()} />
    );
    const toggle = getByTestId('studio-only-differences') as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    fireEvent.click(toggle);
    expect(toggle.checked).toBe(true);
    expect(paramRows(container).map(row => row.dataset.param)).toEqual([
      'lr',
      'max_depth',
      'solver'
    ]);
    fireEvent.click(toggle);
    expect(paramRows(container)).toHaveLength(4);
  });
});

describe('CompareView metrics table', () => {
  function cells(
    container: HTMLElement,
    metric: string,
    stat: string
  ): HTMLElement[] {
    const row = container.querySelector(
      `[data-testid="studio-compare-metrics"] tbody[data-metric="${metric}"] ` +
        `tr[data-stat="${stat}"]`
    )!;
    return Array.from(row.querySelectorAll('td[data-run-id]'));
  }

  function starred(container: HTMLElement, metric: string): HTMLElement[] {
    return Array.from(
      container.querySelectorAll(
        `tbody[data-metric="${metric}"] td.jp-Studio-best`
      )
    );
  }

  it("gives last, min and max per run, written as the runs table writes numbers, and stars the best run in its direction's row", async () => {
    const { container } = render(<CompareView {...await loadedProps()} />);
    // No "best" row: it would repeat min or max.
    const statRows = container.querySelectorAll('tbody[data-metric="loss"] tr');
    expect(
      Array.from(statRows).map(row => (row as HTMLElement).dataset.stat)
    ).toEqual(['last', 'min', 'max']);
    expect(container.querySelector('tr[data-stat="best"]')).toBeNull();
    // accuracy: higher is better; b reached 0.9, starred in the max row.
    expect(
      cells(container, 'accuracy', 'last').map(td => td.textContent)
    ).toEqual(['0.8', '0.85', '0.6']);
    expect(
      cells(container, 'accuracy', 'max').map(td => td.textContent)
    ).toEqual(['0.8', '0.9', '0.6']);
    expect(starred(container, 'accuracy')).toEqual([
      cells(container, 'accuracy', 'max')[1]
    ]);
    // loss: lower is better; b went down to 0.3, starred in the min row.
    expect(cells(container, 'loss', 'min').map(td => td.textContent)).toEqual([
      '0.4',
      '0.3',
      '0.9'
    ]);
    expect(starred(container, 'loss')).toEqual([
      cells(container, 'loss', 'min')[1]
    ]);
    // test_score, logged once per run: one row; c has none.
    expect(
      container.querySelectorAll('tbody[data-metric="test_score"] tr')
    ).toHaveLength(1);
    expect(
      cells(container, 'test_score', 'last').map(td => td.textContent)
    ).toEqual(['0.75', '0.8', '—']);
    expect(
      starred(container, 'test_score').map(td => td.dataset.runId)
    ).toEqual(['b']);
  });

  it('switches which way is better per metric', async () => {
    const { container } = render(<CompareView {...await loadedProps()} />);
    const toggle = container.querySelector(
      '[data-testid="studio-metric-direction"][data-metric="loss"]'
    ) as HTMLElement;
    expect(toggle.dataset.direction).toBe('min');
    fireEvent.click(toggle);
    expect(toggle.dataset.direction).toBe('max');
    // Higher loss "better" now: c's max of 1.2, starred in the max row.
    expect(starred(container, 'loss')).toEqual([
      cells(container, 'loss', 'max')[2]
    ]);
    expect(starred(container, 'loss')[0].textContent).toBe('1.2');
  });

  it('stars the lowest std_test_score and the highest mean_test_score', async () => {
    // A grid search's candidates, each logging scikit-learn's cv_results_ once. b is the
    // noisiest (highest std): it must not get the std star.
    const candidate = (
      id: string,
      mean: number,
      std: number,
      rank: number,
      fit: number
    ): Run =>
      makeRun(
        id,
        { C: id },
        {
          mean_test_score: [mean],
          std_test_score: [std],
          rank_test_score: [rank],
          mean_fit_time: [fit]
        }
      );
    const runs = [
      candidate('a', 0.81, 0.02, 2, 0.5),
      candidate('b', 0.84, 0.09, 1, 0.9),
      candidate('c', 0.7, 0.01, 3, 0.2)
    ];
    const { container } = render(<CompareView {...await loadedProps(runs)} />);
    const direction = (metric: string): string | undefined =>
      (
        container.querySelector(
          `[data-testid="studio-metric-direction"][data-metric="${metric}"]`
        ) as HTMLElement
      ).dataset.direction;
    expect(direction('std_test_score')).toBe('min');
    expect(direction('mean_test_score')).toBe('max');
    expect(
      starred(container, 'std_test_score').map(td => td.dataset.runId)
    ).toEqual(['c']);
    expect(
      starred(container, 'mean_test_score').map(td => td.dataset.runId)
    ).toEqual(['b']);
    expect(
      starred(container, 'rank_test_score').map(td => td.dataset.runId)
    ).toEqual(['b']);
    expect(
      starred(container, 'mean_fit_time').map(td => td.dataset.runId)
    ).toEqual(['c']);
  });
});

describe('CompareView charts', () => {
  it('overlays one chart per metric with more than one point, a line per run', async () => {
    const { getAllByTestId } = render(<CompareView {...await loadedProps()} />);
    const charts = getAllByTestId('studio-compare-chart');
    expect(charts.map(chart => chart.dataset.metric)).toEqual([
      'accuracy',
      'loss'
    ]);
    expect(
      chartOptions('loss')
        .series.slice(1)
        .map(s => s.label)
    ).toEqual(['run-a', 'run-b', 'run-c']);
  });

  it('draws parallel coordinates of differing params and last metric values', async () => {
    const { getByTestId } = render(<CompareView {...await loadedProps()} />);
    const trace = lastTrace('parcoords', 'studio-parallel-coordinates');
    const labels = trace.dimensions.map((d: { label: string }) => d.label);
    // seed is the same everywhere: no axis for it. c has no test_score, and plotly would drop
    // c's whole line for the gap: that axis is left out, and said so.
    expect(labels).toEqual(['lr', 'max_depth', 'solver', 'accuracy', 'loss']);
    expect(getByTestId('studio-parallel-left-out').textContent).toContain(
      'test_score'
    );
    const lr = trace.dimensions[0];
    expect(lr.values).toEqual([0.1, 0.01, 0.001]);
    expect(lr.tickvals).toBeUndefined();
    // max_depth has "None": a categorical axis, numbers first.
    const depth = trace.dimensions[1];
    expect(depth.ticktext).toEqual(['3', '5', 'None']);
    expect(depth.tickvals).toEqual([0, 1, 2]);
    expect(depth.values).toEqual([0, 1, 2]);
    expect(trace.dimensions[2].ticktext).toEqual(['(none)', 'adam', 'sgd']);
    expect(trace.dimensions[4].values).toEqual([0.4, 0.35, 0.9]);
    // Coloured by the first metric by default, then by another.
    expect(trace.line.color).toEqual([0.8, 0.85, 0.6]);
    expect(trace.line.showscale).toBe(true);
    await act(async () => {
      fireEvent.change(getByTestId('studio-parallel-color'), {
        target: { value: 'loss' }
      });
    });
    expect(
      lastTrace('parcoords', 'studio-parallel-coordinates').line.color
    ).toEqual([0.4, 0.35, 0.9]);
  });

  it('scatters any param or metric against another, points named by run', async () => {
    const { getByTestId } = render(<CompareView {...await loadedProps()} />);
    let trace = lastTrace('scatter', 'studio-scatter');
    expect(trace.x).toEqual([0.1, 0.01, 0.001]);
    expect(trace.y).toEqual([0.8, 0.85, 0.6]);
    expect(trace.text).toEqual(['run-a', 'run-b', 'run-c']);
    expect(trace.marker.color).toHaveLength(3);
    expect((getByTestId('studio-scatter-x') as HTMLSelectElement).value).toBe(
      'params.lr'
    );
    // lr spans two decades: a log axis.
    let layout = plotly.__calls
      .filter(c => c.data[0]?.type === 'scatter')
      .pop()!.layout;
    expect(layout.xaxis.type).toBe('log');
    expect(layout.yaxis.type).toBe('linear');
    await act(async () => {
      fireEvent.change(getByTestId('studio-scatter-x'), {
        target: { value: 'params.solver' }
      });
      fireEvent.change(getByTestId('studio-scatter-y'), {
        target: { value: 'metrics.test_score' }
      });
    });
    trace = lastTrace('scatter', 'studio-scatter');
    // c has no test_score: left out.
    expect(trace.x).toEqual(['adam', 'sgd']);
    expect(trace.y).toEqual([0.75, 0.8]);
    expect(trace.text).toEqual(['run-a', 'run-b']);
    expect(getByTestId('studio-scatter').dataset.points).toBe('2');
    layout = plotly.__calls.filter(c => c.data[0]?.type === 'scatter').pop()!
      .layout;
    expect(layout.xaxis.type).toBe('category');
    expect(layout.xaxis.categoryarray).toEqual(['(none)', 'adam', 'sgd']);
  });

  it('gives each run one colour in the legend, the scatter and the metric charts', async () => {
    const props = await loadedProps();
    const { getAllByTestId } = render(<CompareView {...props} />);
    const swatches = getAllByTestId('studio-compare-legend-item').map(
      item =>
        (item.querySelector('.jp-Studio-swatch') as HTMLElement).style
          .backgroundColor
    );
    expect(new Set(swatches).size).toBe(3);
    const scatter = lastTrace('scatter', 'studio-scatter');
    const toRgb = (color: string) => {
      const probe = document.createElement('span');
      probe.style.backgroundColor = color;
      return probe.style.backgroundColor;
    };
    expect(scatter.marker.color.map(toRgb)).toEqual(swatches);
    expect(
      chartOptions('loss')
        .series.slice(1)
        .map(s => toRgb(String(s.stroke)))
    ).toEqual(swatches);
    // A run without the metric keeps its colour: the others do not shift.
    const colors = props.runs.map((_, i) => runColor(i));
    const series = metricSeries(
      props.runs,
      colors,
      props.histories,
      'test_score',
      'step'
    );
    expect(series.map(s => s.runId)).toEqual(['a', 'b']);
    expect(series.map(s => toRgb(s.color))).toEqual(swatches.slice(0, 2));
  });
});

describe('CompareView states', () => {
  it('opens a run from the legend', async () => {
    const props = await loadedProps();
    const { getAllByTestId } = render(<CompareView {...props} />);
    fireEvent.click(
      within(getAllByTestId('studio-compare-legend-item')[1]).getByRole(
        'button'
      )
    );
    expect(props.onOpenRun).toHaveBeenCalledWith('b');
  });

  it("shows the server's message", async () => {
    const props = await loadedProps();
    const { getByTestId } = render(
      <CompareView
        {...props}
        error={"missing: Run 'missing' does not exist."}
      />
    );
    expect(getByTestId('studio-compare-error').textContent).toContain(
      'does not exist'
    );
  });
});
