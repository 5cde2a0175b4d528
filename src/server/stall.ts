/**
 * The send timeout (nginx's send_timeout): a connection whose queued response bytes the
 * client has not taken for `limit` ms is given up. Pure: one look at one socket.
 */

/** Since when a socket has had bytes waiting, and how many it had taken by then. */
export interface Stall {
  flushed: number;
  since: number;
}

/**
 * One look at a socket at time `now`: `pending` bytes queued for the client, `flushed` bytes
 * it has taken so far. Returns the record to keep (null when nothing waits on the client),
 * or 'cut' once the client has taken nothing for `limit` ms while bytes waited (0: never).
 * A slow reader makes progress and is never cut; a response waiting on the app or the disk
 * queues nothing and is not the client's delay.
 */
export function look(prev: Stall | null, pending: number, flushed: number, now: number, limit: number): Stall | null | 'cut' {
  if (limit <= 0 || pending === 0) return null;
  if (prev === null || prev.flushed !== flushed) return { flushed, since: now };
  return now - prev.since >= limit ? 'cut' : prev;
}

/** How often sockets are looked at: often enough to cut close to the limit, at most once a second. */
export function lookInterval(limit: number): number {
  return Math.max(100, Math.min(1000, Math.floor(limit / 4)));
}
