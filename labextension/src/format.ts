/**
 * Formatting shared by every Studio view, so that a duration reads the same everywhere.
 */

/** A duration such as "850 ms", "12.3 s", "4 min 5 s", "2 h 10 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '';
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const seconds = ms / 1000;
  if (seconds < 60) {
    return `${Number(seconds.toFixed(1))} s`;
  }
  const pair = (
    big: number,
    bigUnit: string,
    small: number,
    smallUnit: string
  ) =>
    small ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
  const whole = Math.round(seconds);
  if (whole < 3600) {
    return pair(Math.floor(whole / 60), 'min', whole % 60, 's');
  }
  if (whole < 86400) {
    return pair(
      Math.floor(whole / 3600),
      'h',
      Math.floor((whole % 3600) / 60),
      'min'
    );
  }
  return pair(
    Math.floor(whole / 86400),
    'd',
    Math.floor((whole % 86400) / 3600),
    'h'
  );
}
