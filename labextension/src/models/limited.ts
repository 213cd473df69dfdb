/**
 * Requests in flight at once: a run or a comparison with many metrics asks for their histories
 * a few at a time, so that one panel never fills the browser's connections to the server.
 */

/** How many history requests one panel keeps in flight. */
export const HISTORY_CONCURRENCY = 6;

/**
 * Run `jobs` with at most `limit` of them in flight; once `stopped()` says so (the panel was
 * closed), the jobs not yet started are dropped.
 */
export async function runLimited(
  jobs: (() => Promise<void>)[],
  limit: number,
  stopped: () => boolean = () => false
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && !stopped()) {
      await jobs[next++]();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, worker)
  );
}
