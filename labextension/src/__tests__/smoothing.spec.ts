import { emaSmooth } from '../chart/smoothing';

describe('emaSmooth', () => {
  it('returns a copy of the values when the weight is 0', () => {
    const values = [1, 5, 2];
    const smoothed = emaSmooth(values, 0);
    expect(smoothed).toEqual(values);
    expect(smoothed).not.toBe(values);
  });

  it('is debiased: the first point is the first value, a constant stays constant', () => {
    expect(
      emaSmooth([3, 3, 3, 3], 0.9).every(v => Math.abs(v - 3) < 1e-9)
    ).toBe(true);
    expect(emaSmooth([10, 0], 0.5)[0]).toBeCloseTo(10);
  });

  it('follows the debiased moving average of TensorBoard', () => {
    // last1 = 0.5*1 = 0.5 -> /(1-0.5) = 1; last2 = 0.25 + 0.5*3 = 1.75 -> /(1-0.25) = 2.333...
    const [a, b] = emaSmooth([1, 3], 0.5);
    expect(a).toBeCloseTo(1);
    expect(b).toBeCloseTo(7 / 3);
  });

  it('keeps NaN and infinities as they are, without letting them into the average', () => {
    const smoothed = emaSmooth([1, NaN, Infinity, 3], 0.5);
    expect(smoothed[0]).toBeCloseTo(1);
    expect(Number.isNaN(smoothed[1])).toBe(true);
    expect(smoothed[2]).toBe(Infinity);
    expect(smoothed[3]).toBeCloseTo(7 / 3);
  });

  it('smooths a noisy series towards its mean and clamps out-of-range weights', () => {
    const noisy = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : -1));
    const smoothed = emaSmooth(noisy, 0.95);
    expect(Math.abs(smoothed[199])).toBeLessThan(0.1);
    expect(emaSmooth([1, 2], -1)).toEqual([1, 2]);
    expect(emaSmooth([1, 2], 5).every(Number.isFinite)).toBe(true);
    expect(emaSmooth([], 0.6)).toEqual([]);
  });
});
