import { EvaluationModel } from '../models/evaluationModel';
import { settingsHolder } from './debuggerFixtures';
import {
  cvEvaluation,
  FakeEvaluationAPI,
  holdoutEvaluation
} from './evaluationFixtures';

function model(api: FakeEvaluationAPI): EvaluationModel {
  return new EvaluationModel({
    api,
    runId: 'r1',
    settings: settingsHolder()
  });
}

describe('EvaluationModel', () => {
  it('shows the newest evaluation until another is chosen', async () => {
    const api = new FakeEvaluationAPI({
      r1: [holdoutEvaluation(), cvEvaluation()]
    });
    const evaluations = model(api);
    expect(evaluations.loading).toBe(true);
    expect(evaluations.selected).toBeNull();
    let changes = 0;
    evaluations.stateChanged.connect(() => changes++);
    await evaluations.refresh();
    expect(api.calls).toEqual(['r1']);
    expect(evaluations.loading).toBe(false);
    expect(evaluations.evaluations.map(e => e.label)).toEqual([
      'holdout',
      'cv'
    ]);
    expect(evaluations.selected!.label).toBe('holdout');
    evaluations.select('cv');
    expect(evaluations.selected!.label).toBe('cv');
    expect(changes).toBe(2);
    evaluations.select('cv');
    expect(changes).toBe(2);
    evaluations.dispose();
  });

  it('keeps the choice and the unchanged evaluations’ objects across refreshes', async () => {
    const api = new FakeEvaluationAPI({
      r1: [holdoutEvaluation(), cvEvaluation()]
    });
    const evaluations = model(api);
    await evaluations.refresh();
    evaluations.select('cv');
    const [holdout, cv] = evaluations.evaluations;

    // The holdout is evaluated again (a new record), the CV is as it was.
    api.evaluations.r1 = [
      holdoutEvaluation({ created_at: holdout.created_at + 1 }),
      cvEvaluation()
    ];
    await evaluations.refresh();
    expect(evaluations.selected).toBe(cv);
    expect(evaluations.evaluations[1]).toBe(cv);
    expect(evaluations.evaluations[0]).not.toBe(holdout);

    // The chosen one is gone: the newest shows.
    api.evaluations.r1 = [holdoutEvaluation()];
    await evaluations.refresh();
    expect(evaluations.selected!.label).toBe('holdout');
    evaluations.dispose();
  });

  it('keeps what it showed and says why when a load fails', async () => {
    const api = new FakeEvaluationAPI({ r1: [cvEvaluation()] });
    const evaluations = model(api);
    await evaluations.refresh();
    api.failNext = 'The server is gone.';
    await expect(evaluations.refresh()).rejects.toThrow('The server is gone.');
    expect(evaluations.error).toBe('The server is gone.');
    expect(evaluations.selected!.label).toBe('cv');
    await evaluations.refresh();
    expect(evaluations.error).toBeNull();
    evaluations.dispose();
  });

  it('loads once more when the run ends', async () => {
    const api = new FakeEvaluationAPI({ r1: [] });
    const evaluations = model(api);
    await evaluations.refresh();
    evaluations.setLive(true);
    expect(evaluations.isLive).toBe(true);
    api.evaluations.r1 = [cvEvaluation()];
    const changed = new Promise<void>(resolve =>
      evaluations.stateChanged.connect(() => resolve())
    );
    evaluations.setLive(false);
    await changed;
    expect(api.calls).toHaveLength(2);
    expect(evaluations.selected!.label).toBe('cv');
    evaluations.dispose();
  });
});
