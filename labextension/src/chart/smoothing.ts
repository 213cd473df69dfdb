/**
 * Smoothing of metric series, as TensorBoard draws it.
 */

/**
 * Exponential moving average, debiased (like TensorBoard's smoothing slider).
 *
 * `weight` is 0 (no smoothing) to just under 1. A plain EMA started at 0 drags the first points
 * towards 0; dividing by `1 - weight^n` (n = finite points seen so far) removes that bias, so the
 * smoothed line starts on the data. Non-finite values (NaN, ±Infinity) are returned as they are
 * and do not enter the average: a gap in the raw series stays a gap in the smoothed one.
 */
export function emaSmooth(values: number[], weight: number): number[] {
  const w = Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 0.999);
  if (w === 0) {
    return values.slice();
  }
  let last = 0;
  // w^n, n the finite points seen so far: kept as a product (no Math.pow per point).
  let weightPower = 1;
  return values.map(value => {
    if (!Number.isFinite(value)) {
      return value;
    }
    last = last * w + (1 - w) * value;
    weightPower *= w;
    return last / (1 - weightPower);
  });
}
