import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen } from '@testing-library/react';
import Plotly from 'plotly.js-dist-min';
import * as React from 'react';
import uPlot from 'uplot';

import { AlertsSection } from '../components/debugger/AlertsSection';
import {
  DebuggerView,
  IDebuggerViewProps
} from '../components/debugger/DebuggerView';
import { binCentres, byBin } from '../components/debugger/HistogramHeatmap';
import { groupTensors, IStatLine } from '../models/debuggerTensors';
import { alert, finding, histograms, RULES, TENSORS } from './debuggerFixtures';

jest.mock('@jupyterlab/ui-components', () => ({
  downloadIcon: { react: () => null }
}));

const trans = nullTranslator.load('jupyter-studio');
const plotly = Plotly as unknown as {
  __calls: { data: Plotly.Data[]; layout: Partial<Plotly.Layout> }[];
};
const uplot = uPlot as unknown as {
  __calls: {
    kind: string;
    plot: { opts: uPlot.Options };
    data: uPlot.AlignedData;
  }[];
};

function line(tensor: string, values: number[]): IStatLine {
  const steps = values.map((_, i) => i * 10);
  return {
    key: `train/${tensor}/l2`,
    tensor,
    steps,
    timestamps: steps,
    values,
    total: steps.length,
    downsampled: false,
    error: null,
    pending: false
  };
}

function props(change: Partial<IDebuggerViewProps> = {}): IDebuggerViewProps {
  const train = TENSORS.filter(t => t.mode === 'train');
  return {
    groups: groupTensors(train, 'module'),
    tensorCount: train.length,
    grouping: 'module',
    filter: '',
    modes: ['train', 'eval'],
    mode: 'train',
    stats: ['mean', 'l2', 'nan'],
    stat: 'l2',
    selected: ['gradients/fc2.weight'],
    lines: [line('gradients/fc2.weight', [1, 2, NaN, 4])],
    zoom: null,
    histograms: histograms('gradients/fc2.weight'),
    rules: RULES,
    findings: [finding(7)],
    focusStep: null,
    focusFindingId: null,
    loading: false,
    error: null,
    live: false,
    trans,
    onSelect: jest.fn(),
    onFilter: jest.fn(),
    onGrouping: jest.fn(),
    onMode: jest.fn(),
    onStat: jest.fn(),
    onFinding: jest.fn(),
    onZoom: jest.fn(),
    onZoomOut: jest.fn(),
    ...change
  };
}

beforeEach(() => {
  plotly.__calls.length = 0;
  uplot.__calls.length = 0;
});

describe('DebuggerView', () => {
  it('lists the tensors by module, flags those a rule fired on, and selects on click', () => {
    const p = props();
    render(<DebuggerView {...p} />);
    const items = screen.getAllByTestId('studio-tensor-item');
    expect(items.map(item => item.dataset.tensor)).toEqual([
      'gradients/fc1.weight',
      'weights/fc1.weight',
      'gradients/fc2.weight',
      'weights/fc2.weight',
      'losses/loss'
    ]);
    const flagged = items.find(
      i => i.dataset.tensor === 'gradients/fc2.weight'
    )!;
    expect(flagged.dataset.selected).toBe('true');
    expect(flagged.querySelector('.jp-Studio-tensorFlag')).not.toBeNull();
    fireEvent.click(screen.getByText('weights/fc1.weight'));
    expect(p.onSelect).toHaveBeenLastCalledWith('weights/fc1.weight', false);
    fireEvent.click(screen.getByText('weights/fc1.weight'), { ctrlKey: true });
    expect(p.onSelect).toHaveBeenLastCalledWith('weights/fc1.weight', true);
    fireEvent.change(screen.getByTestId('studio-tensor-filter'), {
      target: { value: 'fc2' }
    });
    expect(p.onFilter).toHaveBeenCalledWith('fc2');
    fireEvent.click(screen.getByTestId('studio-group-by-collection'));
    expect(p.onGrouping).toHaveBeenCalledWith('collection');
    fireEvent.change(screen.getByTestId('studio-debugger-stat'), {
      target: { value: 'nan' }
    });
    expect(p.onStat).toHaveBeenCalledWith('nan');
  });

  it('shows each rule’s state and the findings, a click selecting one', () => {
    const p = props({ focusFindingId: 7 });
    render(<DebuggerView {...p} />);
    const rules = screen.getAllByTestId('studio-rule');
    expect(rules.map(r => [r.dataset.rule, r.dataset.status])).toEqual([
      ['ExplodingTensor', 'firing'],
      ['VanishingGradient', 'ok'],
      ['StalledTraining', 'not_evaluated']
    ]);
    expect(rules.map(r => r.children[1].textContent)).toEqual([
      'firing',
      'ok',
      'not evaluated'
    ]);
    const item = screen.getByTestId('studio-finding');
    expect(item.dataset.step).toBe('40');
    expect(item.className).toContain('jp-mod-selected');
    expect(item.textContent).toContain('gradients/fc2.weight has NaN values');
    fireEvent.click(item);
    expect(p.onFinding).toHaveBeenCalledWith(finding(7));
  });

  it('charts the statistic of every chosen tensor, with the marked step', () => {
    render(
      <DebuggerView
        {...props({
          selected: ['gradients/fc2.weight', 'weights/fc2.weight'],
          lines: [
            line('gradients/fc2.weight', [1, 2, NaN, 4]),
            line('weights/fc2.weight', [5, 6, 7, 8])
          ],
          focusStep: 20
        })}
      />
    );
    const chart = screen.getByTestId('studio-debugger-chart');
    expect(chart.dataset.metric).toBe('l2');
    expect(chart.dataset.markers).toBe('20');
    const created = uplot.__calls
      .filter(call => call.kind === 'create')
      .at(-1)!;
    expect(created.data).toEqual([
      [0, 10, 20, 30],
      [1, 2, null, 4],
      [5, 6, 7, 8]
    ]);
    expect(created.plot.opts.hooks?.draw).toHaveLength(1);
    expect(screen.getByTestId('studio-debugger-focus').textContent).toBe(
      'step 20 marked'
    );
  });

  it('draws the zoomed points in place of the whole line', () => {
    const zoomed = line('gradients/fc2.weight', [9, 9]);
    render(
      <DebuggerView
        {...props({
          zoom: {
            ranges: { 'train/gradients/fc2.weight/l2': { min: 0, max: 10 } },
            maxPoints: 100,
            lines: { 'train/gradients/fc2.weight/l2': zoomed },
            pending: false,
            error: null
          }
        })}
      />
    );
    const chart = screen.getByTestId('studio-debugger-chart');
    expect(chart.dataset.zoomed).toBe('true');
    expect(uplot.__calls.at(-1)!.data).toEqual([
      [0, 10],
      [9, 9]
    ]);
    // The heatmap shows the same steps.
    const layout = plotly.__calls.at(-1)!.layout;
    expect(layout.xaxis?.range).toEqual([0, 10]);
  });

  it('draws the histograms as a heatmap: steps on x, bins on y, counts as colour', () => {
    render(<DebuggerView {...props({ focusStep: 10 })} />);
    const heatmap = screen.getByTestId('studio-debugger-heatmap');
    expect(heatmap.dataset.steps).toBe('3');
    expect(heatmap.dataset.bins).toBe('2');
    const { data, layout } = plotly.__calls.at(-1)!;
    const trace = data[0] as Plotly.PlotData;
    expect(trace.type).toBe('heatmap');
    expect(trace.x).toEqual([0, 10, 20]);
    expect(trace.y).toEqual([-0.5, 0.5]);
    expect(trace.z).toEqual([
      [1, 3, 5],
      [2, 4, 6]
    ]);
    expect(layout.shapes?.[0]).toMatchObject({ x0: 10, x1: 10 });
  });

  it('says how to watch a training when the run has no debugger data', () => {
    render(
      <DebuggerView
        {...props({ groups: [], tensorCount: 0, rules: [], findings: [] })}
      />
    );
    expect(screen.getByTestId('studio-debugger-empty').textContent).toContain(
      'TorchHook'
    );
  });
});

describe('binCentres and byBin', () => {
  it('give the bins’ middles and the counts by bin', () => {
    expect(binCentres([0, 2, 6])).toEqual([1, 4]);
    expect(byBin([[1, 2], [3]], 2)).toEqual([
      [1, 3],
      [2, 0]
    ]);
  });
});

describe('AlertsSection', () => {
  it('lists the recent findings across runs and opens one on click', () => {
    const onOpenAlert = jest.fn();
    render(
      <AlertsSection
        alerts={[alert(2, { step: 55 }), alert(1)]}
        error={null}
        loaded={true}
        trans={trans}
        onOpenAlert={onOpenAlert}
      />
    );
    const items = screen.getAllByTestId('studio-alert');
    expect(items.map(item => item.dataset.runId)).toEqual(['run-2', 'run-1']);
    expect(items[0].textContent).toContain('ExplodingTensor');
    expect(items[0].textContent).toContain('training-2 · step 55');
    fireEvent.click(items[0]);
    expect(onOpenAlert).toHaveBeenCalledWith(alert(2, { step: 55 }));
  });

  it('says when no rule has fired', () => {
    render(
      <AlertsSection
        alerts={[]}
        error={null}
        loaded={true}
        trans={trans}
        onOpenAlert={jest.fn()}
      />
    );
    expect(screen.getByTestId('studio-alerts').textContent).toContain(
      'No debugger rule has fired.'
    );
  });
});
