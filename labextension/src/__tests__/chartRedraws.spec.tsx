/**
 * What uPlot is asked to redraw (a new chart or new data for one): only the charts whose data changed on a live tick, and no
 * request to the server when the smoothing slider moves.
 */
import { act, fireEvent, render } from '@testing-library/react';
import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';
import uPlot from 'uplot';

import type { Run } from '../api/types';
import { CompareView } from '../components/CompareView';
import { RunView } from '../components/RunView';
import { CompareModel } from '../models/compareModel';
import type { IMetricSeries } from '../models/runModel';
import { FakeAPI, makeRun, summary } from './compareFixtures';

interface ICall {
  kind: 'create' | 'setData';
  element: HTMLElement;
  data: uPlot.AlignedData;
}
// The mock (test/uplotMock.js) records every new chart and every setData.
const uplot = uPlot as unknown as { __calls: ICall[] };
const trans = nullTranslator.load('jupyter-studio');

/** The metrics whose chart uPlot was asked to draw, in call order. */
function redrawn(from: number): string[] {
  return uplot.__calls
    .slice(from)
    .map(call => call.element.closest<HTMLElement>('[data-metric]'))
    .filter((chart): chart is HTMLElement => chart !== null)
    .map(chart => chart.dataset.metric ?? '');
}

function running(): Run[] {
  return ['a', 'b'].map(id =>
    makeRun(
      id,
      { lr: id === 'a' ? '0.1' : '0.01' },
      { accuracy: [0.5, 0.6], loss: [1, 0.8], lr_now: [0.1, 0.1] },
      'RUNNING'
    )
  );
}

function CompareOf(props: { model: CompareModel }): JSX.Element {
  const { model } = props;
  const [, setVersion] = React.useState(0);
  React.useEffect(() => {
    const update = () => setVersion(v => v + 1);
    model.stateChanged.connect(update);
    return () => void model.stateChanged.disconnect(update);
  }, [model]);
  return (
    <CompareView
      runs={model.runs}
      paramKeys={model.paramKeys}
      differingParams={model.differingParams}
      metricKeys={model.metricKeys}
      histories={model.histories}
      loading={model.loading}
      error={model.error}
      defaultSmoothing={0}
      onOpenRun={() => undefined}
      trans={trans}
    />
  );
}

async function loadedCompare(): Promise<{
  api: FakeAPI;
  model: CompareModel;
  view: ReturnType<typeof render>;
}> {
  const api = new FakeAPI(running());
  const model = new CompareModel({
    api,
    runIds: ['a', 'b'],
    refreshInterval: 3600
  });
  await model.refresh();
  const view = render(<CompareOf model={model} />);
  // The live refresh's first tick (the runs are running) lands here.
  await act(() => new Promise(resolve => setTimeout(resolve, 20)));
  return { api, model, view };
}

beforeEach(() => {
  uplot.__calls.length = 0;
});

describe('compare panel redraws', () => {
  it('redraws only the chart whose history grew on a live tick', async () => {
    const { api, model, view } = await loadedCompare();
    expect(redrawn(0).sort()).toEqual(['accuracy', 'loss', 'lr_now']);
    const before = uplot.__calls.length;

    // Run a logs one more loss point; nothing else moved.
    const a = api.runs.get('a')!;
    a.metrics.loss = summary('loss', [1, 0.8, 0.7]);
    await act(() => model.refreshRunning());

    expect(redrawn(before)).toEqual(['loss']);
    // Two loss histories at first, then a's again; no other history was asked for twice.
    expect(api.historyCalls.filter(call => call.key === 'loss')).toHaveLength(
      3
    );
    view.unmount();
    model.dispose();
  });

  it('redraws every chart on a smoothing step without asking the server again', async () => {
    const { api, model, view } = await loadedCompare();
    const requests = api.getRunCalls.length + api.historyCalls.length;
    const before = uplot.__calls.length;

    await act(async () => {
      fireEvent.change(view.getByTestId('studio-smoothing'), {
        target: { value: '0.5' }
      });
    });

    // The three metric charts, once each (the scatter and parallel coordinates are plotly's).
    expect(uplot.__calls.length - before).toBe(3);
    expect(redrawn(before).sort()).toEqual(['accuracy', 'loss', 'lr_now']);
    // Smoothed: x, then a faint raw line and the smoothed line per run.
    expect(uplot.__calls[uplot.__calls.length - 1].data).toHaveLength(5);
    const afterFirstStep = uplot.__calls.length;

    // The next step: new data for the same charts, no new chart.
    await act(async () => {
      fireEvent.change(view.getByTestId('studio-smoothing'), {
        target: { value: '0.51' }
      });
    });
    const step = uplot.__calls.slice(afterFirstStep);
    expect(step.map(call => call.kind)).toEqual([
      'setData',
      'setData',
      'setData'
    ]);
    expect(api.getRunCalls.length + api.historyCalls.length).toBe(requests);
    view.unmount();
    model.dispose();
  });
});

describe('run panel redraws', () => {
  function series(key: string, values: number[]): IMetricSeries {
    return {
      key,
      steps: values.map((_, i) => i),
      timestamps: values.map((_, i) => 1000 * i),
      values,
      total: values.length,
      downsampled: false,
      error: null,
      pending: false
    };
  }

  function view(run: Run, metrics: IMetricSeries[]): JSX.Element {
    return (
      <RunView
        run={run}
        parent={null}
        children={[]}
        childrenTotal={0}
        metrics={metrics}
        folders={new Map([['', []]])}
        expanded={new Set()}
        loading={false}
        error={null}
        artifactsError={null}
        sourcePath={null}
        defaultSmoothing={0}
        now={0}
        downloadUrl={path => path}
        onOpenRun={() => undefined}
        onOpenSource={() => undefined}
        onToggleFolder={() => undefined}
        trans={trans}
      />
    );
  }

  it('redraws only the series the model replaced', () => {
    const values = { accuracy: [0.5, 0.6], loss: [1, 0.8] };
    const run = makeRun('a', {}, values, 'RUNNING');
    const accuracy = series('accuracy', values.accuracy);
    const { rerender } = render(
      view(run, [accuracy, series('loss', [1, 0.8])])
    );
    const before = uplot.__calls.length;

    // A tick: the run is reloaded (a new object) and loss grew; accuracy keeps its identity.
    const next = makeRun(
      'a',
      {},
      { accuracy: values.accuracy, loss: [1, 0.8, 0.7] },
      'RUNNING'
    );
    rerender(view(next, [accuracy, series('loss', [1, 0.8, 0.7])]));

    expect(redrawn(before)).toEqual(['loss']);
  });
});
