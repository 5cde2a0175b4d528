/**
 * When to restart a worker that exited unexpectedly: at once the first time, then with a
 * doubling delay while it keeps crashing, capped; crashes older than the window are forgotten.
 * Pure: the supervisor passes the clock.
 */

export interface BackoffPolicy {
  /** Delay after the second crash within the window (the first restarts at once). */
  baseMs: number;
  capMs: number;
  /** Crashes older than this no longer count. */
  windowMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 30_000, windowMs: 60_000 };

/** Crash times still inside the window, with `now` added. */
export function recordCrash(history: readonly number[], now: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number[] {
  return [...history.filter((t) => now - t < policy.windowMs), now];
}

/** Delay before the next restart, given the crashes in the window (including the latest). */
export function restartDelay(crashesInWindow: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (crashesInWindow <= 1) return 0;
  const exp = Math.min(crashesInWindow - 2, 30);
  return Math.min(policy.capMs, policy.baseMs * 2 ** exp);
}
