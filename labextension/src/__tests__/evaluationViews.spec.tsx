// jsdom lacks DragEvent (touched by @lumino/dragdrop on import) and requestIdleCallback (Lumino).
const jsdomGlobals = globalThis as {
  DragEvent?: unknown;
  requestIdleCallback?: unknown;
};
jsdomGlobals.DragEvent ??= class extends MouseEvent {};
jsdomGlobals.requestIdleCallback ??= (callback: () => void) =>
  setTimeout(callback, 0);

import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { act, fireEvent, render } from '@testing-library/react';
import Plotly from 'plotly.js-dist-min';
import * as React from 'react';

import { DATASETS_TAG, type Evaluation } from '../api/evaluation';
import type { TrackingAPI } from '../api/tracking';
import {
  EvaluationView,
  IEvaluationViewProps
} from '../components/evaluation/EvaluationView';
import { runColor } from '../components/theme';
import type { IPanelContext } from '../tokens';
import { RunPanel } from '../widgets/runPanel';
import { makeRun, RunPanelAPI } from './compareFixtures';
import { settingsHolder } from './debuggerFixtures';
import {
  CLASSIFICATION_FIGURES,
  cvEvaluation,
  FakeEvaluationAPI,
  holdoutEvaluation
} from './evaluationFixtures';

interface ICall {
  element: HTMLElement;
  data: Record<string, unknown>[];
  layout: Record<string, any>;
}
// The mock (test/plotlyMock.js) records what the figures hand to plotly.
const plotly = Plotly as unknown as { __calls: ICall[] };

const trans = nullTranslator.load('jupyter-studio');

function props(
  change: Partial<IEvaluationViewProps> = {}
): IEvaluationViewProps {
  const evaluations = [cvEvaluation(), holdoutEvaluation()];
  return {
    runId: 'r1',
    evaluations,
    selected: evaluations[0],
    loading: false,
    error: null,
    onSelect: jest.fn(),
    trans,
    ...change
  };
}

function cells(row: Element): string[] {
  return [...row.querySelectorAll('th, td')].map(
    cell => cell.textContent ?? ''
  );
}

function drawn(): Record<string, ICall> {
  return Object.fromEntries(
    plotly.__calls.map(call => [call.element.dataset.figure, call])
  );
}

function setTheme(paper: string, font: string, accent: string): void {
  document.body.style.setProperty('--jp-layout-color1', paper);
  document.body.style.setProperty('--jp-ui-font-color1', font);
  document.body.style.setProperty('--jp-brand-color1', accent);
}

async function settle(ms = 20): Promise<void> {
  await act(async () => {
    await new Promise(resolve => setTimeout(resolve, ms));
  });
}

beforeEach(() => {
  plotly.__calls.length = 0;
  setTheme('#ffffff', '#212121', '#1976d2');
});

describe('EvaluationView', () => {
  it('shows each metric beside the baseline, the folds’ spread and the thresholds', () => {
    const { getByTestId, getAllByTestId } = render(
      <EvaluationView {...props()} />
    );
    const rows = getByTestId('studio-evaluation-metrics').querySelectorAll(
      'tbody tr'
    );
    expect([...rows].map(cells)).toEqual([
      ['accuracy', '0.95', '± 0.0158', '0.6274', '>= 0.9 pass'],
      ['roc_auc', '0.991', '± 0.004', '0.5', '>= 0.995 fail'],
      ['log_loss', '0.1234', '± 0.02', '0.6607', '']
    ]);
    const badges = getAllByTestId('studio-evaluation-threshold');
    expect(badges.map(badge => badge.dataset.passed)).toEqual([
      'true',
      'false'
    ]);
    expect(getByTestId('studio-evaluation-passed').dataset.passed).toBe(
      'false'
    );
    const folds = getByTestId('studio-evaluation-folds').querySelectorAll(
      'tbody tr'
    );
    expect([...folds].map(row => cells(row).slice(0, 2))).toEqual([
      ['0', '0.93'],
      ['1', '0.95'],
      ['2', '0.96'],
      ['3', '0.94'],
      ['4', '0.97']
    ]);
    expect(getByTestId('studio-evaluation-summary').textContent).toContain(
      '5-fold CV'
    );
  });

  it('has no spread, folds or verdict for a holdout without thresholds', () => {
    const evaluation = holdoutEvaluation();
    const { getByTestId, queryByTestId } = render(
      <EvaluationView
        {...props({ evaluations: [evaluation], selected: evaluation })}
      />
    );
    const header = getByTestId('studio-evaluation-metrics').querySelector(
      'thead tr'
    )!;
    expect(cells(header)).toEqual(['Metric', 'Model', 'Baseline']);
    expect(queryByTestId('studio-evaluation-folds')).toBeNull();
    expect(queryByTestId('studio-evaluation-passed')).toBeNull();
  });

  it('lists a threshold on a metric that was not computed', () => {
    const evaluation = holdoutEvaluation({
      thresholds: [
        { metric: 'roc_auc', condition: '>= 0.8', value: null, passed: false }
      ],
      passed: false
    });
    const { getByTestId } = render(
      <EvaluationView
        {...props({ evaluations: [evaluation], selected: evaluation })}
      />
    );
    const row = getByTestId('studio-evaluation-metrics').querySelector(
      '[data-metric="roc_auc"]'
    )!;
    expect(cells(row)).toEqual(['roc_auc', '—', '—', '>= 0.8 fail']);
  });

  it('shows autolog’s evaluation of the training data without a baseline', () => {
    const evaluation = cvEvaluation({
      label: 'training',
      validation: 'training data',
      std: {},
      baseline: {},
      baseline_model: '',
      folds: [],
      thresholds: [],
      passed: null
    });
    const { getByTestId } = render(
      <EvaluationView
        {...props({ evaluations: [evaluation], selected: evaluation })}
      />
    );
    const table = getByTestId('studio-evaluation-metrics');
    expect(cells(table.querySelector('thead tr')!)).toEqual([
      'Metric',
      'Model'
    ]);
    expect(cells(table.querySelector('tbody tr')!)).toEqual([
      'accuracy',
      '0.95'
    ]);
    const summary = getByTestId('studio-evaluation-summary').textContent!;
    expect(summary).toContain('training data');
    expect(summary).not.toContain('Baseline');
  });

  it('says so when an evaluation has no metrics', () => {
    const evaluation = holdoutEvaluation({ metrics: {}, baseline: {} });
    const { getByTestId } = render(
      <EvaluationView
        {...props({ evaluations: [evaluation], selected: evaluation })}
      />
    );
    expect(getByTestId('studio-evaluation-metrics').textContent).toBe(
      'No metrics'
    );
  });

  it('draws the figures in order, in the theme’s colours, leaving the stored ones as they were', async () => {
    setTheme('#111111', '#eeeeee', '#42a5f5');
    const stored = JSON.stringify(CLASSIFICATION_FIGURES);
    render(<EvaluationView {...props()} />);
    await settle();
    expect(plotly.__calls.map(call => call.element.dataset.figure)).toEqual([
      'confusion_matrix',
      'roc',
      'pr',
      'calibration',
      'permutation_importance'
    ]);
    for (const call of plotly.__calls) {
      expect(call.layout.template).toBeUndefined();
      expect(call.layout.paper_bgcolor).toBe('#111111');
      expect(call.layout.font.color).toBe('#eeeeee');
      expect(call.layout.xaxis.gridcolor).toBeDefined();
    }
    const figures = drawn();
    // Stored as "Blues", white at zero: the theme's scale instead.
    expect(figures.confusion_matrix.data[0].colorscale).toEqual([
      [0, '#111111'],
      [1, '#42a5f5']
    ]);
    // Its own axis settings stay: the true classes read downwards.
    expect(figures.confusion_matrix.layout.yaxis.autorange).toBe('reversed');
    expect(figures.roc.layout.title.text).toBe('ROC curve');
    // The chance diagonal is a faint line in the text colour, the curve the cycle's first.
    const [curve, chance] = figures.roc.data as {
      line?: { color?: string };
      opacity?: number;
    }[];
    expect(curve.line?.color).toBeUndefined();
    expect(figures.roc.layout.colorway[0]).toBe(runColor(0));
    expect(chance.line?.color).toBe('#eeeeee');
    expect(chance.opacity).toBeLessThan(1);
    expect(JSON.stringify(CLASSIFICATION_FIGURES)).toBe(stored);
  });

  it('draws the figures again when the theme changes', async () => {
    render(<EvaluationView {...props()} />);
    await settle();
    expect(drawn().roc.layout.paper_bgcolor).toBe('#ffffff');
    plotly.__calls.length = 0;
    setTheme('#111111', '#eeeeee', '#42a5f5');
    await act(async () => {
      document.body.setAttribute('data-jp-theme-light', 'false');
    });
    await settle();
    expect(drawn().roc.layout.paper_bgcolor).toBe('#111111');
    await act(async () => {
      document.body.removeAttribute('data-jp-theme-light');
    });
  });

  it('tells which evaluation is chosen and asks for another', () => {
    const onSelect = jest.fn();
    const { getAllByTestId } = render(
      <EvaluationView {...props({ onSelect })} />
    );
    const labels = getAllByTestId('studio-evaluation-label');
    expect(labels.map(label => label.getAttribute('aria-selected'))).toEqual([
      'true',
      'false'
    ]);
    fireEvent.click(labels[1]);
    expect(onSelect).toHaveBeenCalledWith('holdout');
  });

  it('says how to evaluate into the run when it has no evaluation', () => {
    const { getByTestId } = render(
      <EvaluationView {...props({ evaluations: [], selected: null })} />
    );
    expect(getByTestId('studio-evaluation-empty').textContent).toContain(
      'studio.evaluate(model, X, y, cv=5, run="r1"'
    );
  });
});

function context(evaluation?: FakeEvaluationAPI): IPanelContext {
  const run = makeRun('r1', {}, { accuracy: [0.9] });
  run.tags = {
    [DATASETS_TAG]: JSON.stringify([
      {
        name: 'X',
        digest: 'aaaabbbbccccdddd',
        context: 'train',
        rows: 455,
        columns: 30
      },
      {
        name: 'X_test',
        digest: 'eeeeffff00001111',
        context: 'eval',
        rows: 114,
        columns: 30
      }
    ])
  };
  return {
    api: new RunPanelAPI([run]) as unknown as TrackingAPI,
    commands: new CommandRegistry(),
    settings: settingsHolder(),
    translator: nullTranslator,
    evaluation
  };
}

async function shown(ctx: IPanelContext): Promise<RunPanel> {
  const panel = new RunPanel(ctx, 'r1');
  await act(async () => {
    Widget.attach(panel, document.body);
    MessageLoop.sendMessage(panel.content, Widget.Msg.UpdateRequest);
  });
  await settle();
  return panel;
}

function tab(panel: RunPanel, name: string): HTMLElement | null {
  return panel.node.querySelector(`[data-testid="studio-run-tab-${name}"]`);
}

describe('RunPanel’s Evaluation tab', () => {
  it('loads the evaluations when its tab is first shown, and again on refresh', async () => {
    const api = new FakeEvaluationAPI({
      r1: [cvEvaluation(), holdoutEvaluation()]
    });
    const panel = await shown(context(api));
    expect(panel.content.evaluationModel).toBeNull();
    expect(api.calls).toEqual([]);

    act(() => tab(panel, 'evaluation')!.click());
    await settle();
    expect(api.calls).toEqual(['r1']);
    const figures = panel.node.querySelectorAll(
      '[data-testid="studio-evaluation-figure"]'
    );
    expect(figures).toHaveLength(5);

    act(() =>
      (
        panel.node.querySelector('[data-label="holdout"]') as HTMLElement
      ).click()
    );
    expect(panel.content.evaluationModel!.selected!.label).toBe('holdout');
    expect(
      panel.node.querySelector('[data-figure="residuals"]')
    ).not.toBeNull();

    await act(() => panel.refresh());
    expect(api.calls).toEqual(['r1', 'r1']);
    act(() => panel.dispose());
  });

  it('has no Evaluation tab without the evaluation routes', async () => {
    const panel = await shown(context());
    expect(tab(panel, 'evaluation')).toBeNull();
    act(() => panel.dispose());
  });

  it('lists the run’s datasets in its overview', async () => {
    const panel = await shown(context(new FakeEvaluationAPI()));
    const rows = panel.node.querySelectorAll(
      '[data-testid="studio-datasets"] tbody tr'
    );
    expect([...rows].map(cells)).toEqual([
      ['X', 'train', '455 × 30', 'aaaabbbbccccdddd'],
      ['X_test', 'eval', '114 × 30', 'eeeeffff00001111']
    ]);
    act(() => panel.dispose());
  });
});
