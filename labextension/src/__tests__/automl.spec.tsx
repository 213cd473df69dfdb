/**
 * AutoML's dialog form, the panel's model (the newest search shown, polled while it runs and
 * no longer once it is over, the leaderboard in rank order, the budget spent) and its view
 * (score ± std, notebooks, "Deploy best").
 */
import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import { AutoMLView, IAutoMLViewProps } from '../components/automl/AutoMLView';
import { scoreText } from '../components/automl/Leaderboard';
import {
  AutoMLFormModel,
  automlBody,
  automlProblems,
  emptyAutoMLForm,
  metricsFor
} from '../models/automlForm';
import {
  AutoMLModel,
  budgetSpent,
  orderedLeaderboard
} from '../models/automlModel';
import { settingsHolder } from './debuggerFixtures';
import {
  FakeAutoMLAPI,
  FakeTrainingAPI,
  automl,
  candidate
} from './trainingFixtures';

const trans = nullTranslator.load('jupyter-studio');

describe('the AutoML form', () => {
  it('leaves empty choices to the server and checks the budget and the metric', () => {
    const form = {
      ...emptyAutoMLForm('data/fish.csv'),
      target: 'species',
      timeBudget: '30'
    };
    expect(automlBody(form)).toEqual({
      path: 'data/fish.csv',
      target: 'species',
      task: null,
      metric: null,
      time_budget: 30,
      experiment: null,
      register_as: null,
      seed: 0
    });
    expect(automlProblems(form, 'binary', trans)).toEqual([]);
    expect(
      automlProblems(
        { ...form, timeBudget: '2', metric: 'rmse' },
        'binary',
        trans
      )
    ).toEqual([
      'The time budget must be whole seconds from 5 to 86400.',
      'rmse does not measure a binary task.'
    ]);
    expect(metricsFor('regression')).toEqual(['mae', 'rmse', 'r2', 'mape']);
  });

  it('preselects the last column, and drops a metric the new target’s task cannot use', async () => {
    const api = new FakeTrainingAPI();
    const model = new AutoMLFormModel({
      api,
      form: emptyAutoMLForm('data/fish.csv'),
      trans
    });
    await model.load();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.form.target).toBe('species');
    expect(model.task).toBe('binary');
    model.update({ metric: 'f1_macro' });
    expect(model.form.metric).toBe('f1_macro');
    model.update({ task: 'regression' });
    expect(model.form.metric).toBe('');
    expect(model.problems()).toEqual([]);
    model.dispose();
  });
});

describe('orderedLeaderboard and budgetSpent', () => {
  it('puts ranked candidates in rank order, then the rest best first', () => {
    const ordered = orderedLeaderboard(
      [
        candidate('p1', null, 0.4),
        candidate('c2', 2, 0.8),
        candidate('f1', null, null, { state: 'failed' }),
        candidate('c1', 1, 0.9),
        candidate('p2', null, 0.6)
      ],
      true
    );
    expect(ordered.map(c => c.run_id)).toEqual(['c1', 'c2', 'p2', 'p1', 'f1']);
    const lowerIsBetter = orderedLeaderboard(
      [candidate('a', null, 3), candidate('b', null, 1)],
      false
    );
    expect(lowerIsBetter.map(c => c.run_id)).toEqual(['b', 'a']);
  });

  it('measures the budget by the clock while searching, full once the search is over', () => {
    const running = automl('r', {
      status: 'RUNNING',
      phase: 'searching',
      search_seconds: null,
      time_budget: 60
    });
    expect(budgetSpent(running, running.started_at + 15_000)).toBeCloseTo(0.25);
    expect(budgetSpent(running, running.started_at + 600_000)).toBe(1);
    expect(budgetSpent(automl('d'), Date.now())).toBe(1);
  });
});

describe('AutoMLModel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shows the newest search, polls while it runs and stops once it is done', async () => {
    const api = new FakeAutoMLAPI();
    api.searches = [
      automl('new', {
        status: 'RUNNING',
        phase: 'searching',
        search_seconds: null
      }),
      automl('old')
    ];
    const model = new AutoMLModel({
      api,
      settings: settingsHolder({ refreshInterval: 2 })
    });
    await model.refresh();
    expect(model.selectedRunId).toBe('new');
    expect(model.detail?.run_id).toBe('new');
    expect(model.leaderboard.map(c => c.rank)).toEqual([1, 2, null]);
    expect(model.isLive).toBe(true);
    const gets = () => api.calls.filter(call => call === 'get new').length;
    const first = gets();
    await jest.advanceTimersByTimeAsync(2_100);
    expect(gets()).toBe(first + 1);

    api.searches[0] = automl('new');
    await jest.advanceTimersByTimeAsync(2_000);
    expect(model.isLive).toBe(false);
    const done = gets();
    await jest.advanceTimersByTimeAsync(20_000);
    expect(gets()).toBe(done);

    await model.select('old');
    expect(model.detail?.run_id).toBe('old');
    model.dispose();
  });

  it('polls for the search a job starts, and shows it once listed', async () => {
    const api = new FakeAutoMLAPI();
    api.searches = [automl('old', { job_run_id: 3 })];
    const model = new AutoMLModel({
      api,
      settings: settingsHolder({ refreshInterval: 1 })
    });
    await model.awaitJob(8);
    expect(model.awaitedJobRunId).toBe(8);
    expect(model.isLive).toBe(true);
    const lists = () => api.calls.filter(call => call === 'list').length;
    const before = lists();
    await jest.advanceTimersByTimeAsync(1_100);
    expect(lists()).toBe(before + 1);
    api.searches.unshift(automl('new', { job_run_id: 8 }));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(model.awaitedJobRunId).toBeNull();
    expect(model.selectedRunId).toBe('new');
    expect(model.detail?.run_id).toBe('new');
    // Finished, and nothing awaited: no more polling.
    expect(model.isLive).toBe(false);
    model.dispose();
  });

  it('keeps the server’s message when a search cannot be read', async () => {
    const api = new FakeAutoMLAPI();
    api.searches = [automl('a')];
    const model = new AutoMLModel({ api, settings: settingsHolder() });
    await expect(model.select('gone')).rejects.toThrow('No AutoML run gone');
    expect(model.error).toBe('No AutoML run gone');
    model.dispose();
  });
});

describe('AutoMLView', () => {
  function props(change: Partial<IAutoMLViewProps> = {}): IAutoMLViewProps {
    const detail = automl('a');
    return {
      automls: [detail],
      selectedRunId: 'a',
      awaitedJobRunId: null,
      detail,
      leaderboard: orderedLeaderboard(detail.leaderboard, true),
      error: null,
      loaded: true,
      now: Date.now(),
      trans,
      onSelect: jest.fn(),
      onOpenRun: jest.fn(),
      onOpenNotebook: jest.fn(),
      onOpenJob: jest.fn(),
      onDeploy: jest.fn(),
      ...change
    };
  }

  it('shows the leaderboard with score ± std, and opens notebooks, runs and the deploy dialog', () => {
    const given = props();
    render(<AutoMLView {...given} />);
    const rows = screen.getAllByTestId('studio-automl-candidate');
    expect(rows.map(row => row.dataset.runId)).toEqual(['c1', 'c2', 'c3']);
    expect(screen.getAllByTestId('studio-automl-score')[0].textContent).toBe(
      '0.93 ± 0.01'
    );
    expect(scoreText(candidate('x', 1, 0.875, { std: 0.041833 }))).toBe(
      '0.875 ± 0.042'
    );
    expect(
      screen.getAllByTestId('studio-automl-rank').map(c => c.textContent)
    ).toEqual(['1', '2', '']);
    expect(screen.getByTestId('studio-automl-phase').textContent).toBe('Done');
    fireEvent.click(screen.getByTestId('studio-automl-notebook-exploration'));
    expect(given.onOpenNotebook).toHaveBeenCalledWith(
      'data/fish.automl/exploration.ipynb'
    );
    fireEvent.click(screen.getByTestId('studio-automl-best-run'));
    expect(given.onOpenRun).toHaveBeenCalledWith('c1');
    fireEvent.click(screen.getByTestId('studio-automl-deploy'));
    expect(given.onDeploy).toHaveBeenCalledWith('fish-automl', 2);
  });

  it('shows the phase of a running search and offers no deploy before a model is registered', () => {
    const running = automl('r', {
      status: 'RUNNING',
      phase: 'searching',
      search_seconds: null,
      model_name: null,
      model_version: null
    });
    render(
      <AutoMLView
        {...props({ automls: [running], selectedRunId: 'r', detail: running })}
      />
    );
    expect(screen.getByTestId('studio-automl-phase').textContent).toBe(
      'Searching'
    );
    expect(screen.queryByTestId('studio-automl-deploy')).toBeNull();
  });
});
