import { toNumber } from '../api/types';
import { apiUrl } from '../handler';

describe('apiUrl', () => {
  const settings = { baseUrl: 'http://localhost:8888/lab-base/' } as any;

  it('fills the path parameters under the base URL and drops absent query values', () => {
    expect(
      apiUrl(
        '/studio/api/runs/{run_id}/artifacts',
        { path: { run_id: 'a b' }, query: { path: undefined } },
        settings
      )
    ).toBe('http://localhost:8888/lab-base/studio/api/runs/a%20b/artifacts');
  });

  it('repeats list parameters and encodes keys with slashes', () => {
    expect(
      apiUrl(
        '/studio/api/runs',
        { query: { filter: 'params.a/b = 1', experiment_id: [1, 2] } },
        settings
      )
    ).toBe(
      'http://localhost:8888/lab-base/studio/api/runs?filter=params.a%2Fb%20%3D%201&experiment_id=1&experiment_id=2'
    );
  });
});

describe('toNumber', () => {
  it('reads the wire strings for NaN and infinities', () => {
    expect(toNumber(2.5)).toBe(2.5);
    expect(toNumber('Infinity')).toBe(Infinity);
    expect(toNumber('-Infinity')).toBe(-Infinity);
    expect(Number.isNaN(toNumber('NaN'))).toBe(true);
    expect(Number.isNaN(toNumber(null))).toBe(true);
  });
});
