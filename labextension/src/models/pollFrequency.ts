/**
 * How often a panel's model refreshes: the refresh interval of Studio's settings, backing off
 * (up to a minute, or the interval if longer) while the server fails.
 */
import type { IPoll } from '@lumino/polling';

export function pollFrequency(refreshIntervalSeconds: number): IPoll.Frequency {
  const interval = Math.max(1, refreshIntervalSeconds) * 1000;
  return { interval, backoff: true, max: Math.max(interval, 60 * 1000) };
}
