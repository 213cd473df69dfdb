import {
  commonColumns,
  defaultColumns,
  filterColumns,
  withFilterColumns
} from '../models/columns';
import { makeRun } from './fakeRuns';

describe('commonColumns', () => {
  it('puts the keys most runs have first, so that default columns are not empty', () => {
    // A grid search: every candidate has the scores and two params; one has an extra score.
    const runs = [0, 1, 2, 3].map(index =>
      makeRun(
        index,
        {},
        index === 0
          ? { a_rare: 1, mean_test_score: 0.9, std_test_score: 0.1 }
          : { mean_test_score: 0.8, std_test_score: 0.2, rank_test_score: 1 },
        index === 0
          ? { alpha: '1', zeta: '2', extra: 'x' }
          : { alpha: '1', zeta: '2' }
      )
    );
    expect(commonColumns(runs)).toEqual([
      'metrics.mean_test_score',
      'metrics.std_test_score',
      'metrics.rank_test_score',
      'params.alpha',
      'params.zeta'
    ]);
  });

  it('is empty for runs without params or metrics', () => {
    expect(commonColumns([makeRun(0)])).toEqual([]);
  });
});

describe('defaultColumns', () => {
  const seen = new Set(['metrics.loss', 'params.C']);

  it('keeps the preferred columns the runs have, in the given order', () => {
    expect(
      defaultColumns(['params.C', 'metrics.accuracy', 'metrics.loss'], seen, [])
    ).toEqual(['params.C', 'metrics.loss']);
  });

  it("falls back on the runs' common columns when none of them is there", () => {
    expect(
      defaultColumns(['metrics.accuracy'], seen, ['metrics.loss'])
    ).toEqual(['metrics.loss']);
    expect(defaultColumns([], seen, ['params.C'])).toEqual(['params.C']);
  });

  it('keeps every preferred column while no run is known', () => {
    expect(defaultColumns(['metrics.accuracy'], new Set(), [])).toEqual([
      'metrics.accuracy'
    ]);
  });
});

describe('filterColumns', () => {
  it('finds the metrics and params a filter compares', () => {
    expect(
      filterColumns("metrics.accuracy > 0.9 and params.max_depth = '3'")
    ).toEqual(['metrics.accuracy', 'params.max_depth']);
    expect(filterColumns('metrics.accuracy>0.9')).toEqual(['metrics.accuracy']);
  });

  it('reads the singular prefixes, any case, and quoted keys', () => {
    expect(
      filterColumns(
        'Metric.loss < 1 or param.`max depth` = 3 or metrics."val/acc" > 0'
      )
    ).toEqual(['metrics.loss', 'params.max depth', 'metrics.val/acc']);
  });

  it('skips values, tags and attributes, and names a key once', () => {
    expect(
      filterColumns(
        "tags.team = 'metrics.fake' and status = 'RUNNING' and params.C = '1' or params.C = '2'"
      )
    ).toEqual(['params.C']);
    expect(filterColumns('')).toEqual([]);
  });
});

describe('withFilterColumns', () => {
  it('puts the columns a filter names, not shown yet, before those shown', () => {
    expect(
      withFilterColumns(
        ['metrics.loss'],
        'metrics.loss < 1 and params.max_depth = 3'
      )
    ).toEqual(['params.max_depth', 'metrics.loss']);
  });
});
