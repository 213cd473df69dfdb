import { toNumber } from '../api/types';
import { apiUrl } from '../handler';

describe('apiUrl', () => {
  const settings = { baseUrl: 'http://localhost:8888/lab-base/' } as any;

  it('puts the route under /studio/api and drops empty query values', () => {
    expect(apiUrl('runs/search', { a: 1, b: '', c: undefined }, settings)).toBe(
      'http://localhost:8888/lab-base/studio/api/runs/search?a=1'
    );
  });

  it('repeats list parameters and encodes keys with slashes', () => {
    expect(
      apiUrl(
        'runs/x/metrics/history',
        { key: 'train/loss', id: [1, 2] },
        settings
      )
    ).toBe(
      'http://localhost:8888/lab-base/studio/api/runs/x/metrics/history?key=train%2Floss&id=1&id=2'
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
