/**
 * Which way a metric improves, guessed from its name where the user has not said.
 *
 * One function, so that every view that marks a best run or picks a metric to show first
 * agrees. It matches whole words of the name, not substrings: `lossless` is not a loss and
 * `timeline` is not a time, which a substring test got wrong.
 */

/** Which way a metric improves: 'min' when lower is better, 'max' when higher is. */
export type Direction = 'max' | 'min';

/** Words that make a metric better low wherever they stand in its name. */
const LOWER_WORDS = new Set([
  'loss',
  'losses',
  'error',
  'errors',
  'mse',
  'mae',
  'rmse'
]);

/**
 * The words of a metric's name, lower-cased: split on anything but letters and digits (so on
 * `_`, `/`, `.`, `-`), and between a lower-case letter or digit and a capital (`valLoss`).
 */
export function metricWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(word => word !== '');
}

/**
 * The direction a metric's name suggests. Lower is better for losses and errors (`loss`,
 * `error`, `mse`, `mae`, `rmse` as words) and for scikit-learn's search results that are
 * spreads, ranks and times (`std_test_score`, `rank_test_score`, `mean_fit_time`).
 * scikit-learn's negated scorers (`neg_mean_squared_error`) are better high although they
 * name an error. Anything else is better high.
 */
export function guessDirection(name: string): Direction {
  const words = metricWords(name);
  if (words.length === 0) {
    return 'max';
  }
  // Position first: `std_test_neg_log_loss` is a spread (better small) of a negated score.
  const first = words[0];
  if (
    first === 'std' ||
    first === 'rank' ||
    words[words.length - 1] === 'time'
  ) {
    return 'min';
  }
  if (words.includes('neg')) {
    return 'max';
  }
  return words.some(word => LOWER_WORDS.has(word)) ? 'min' : 'max';
}
