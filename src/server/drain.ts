/**
 * Graceful drain of an HTTP server. While the requests that were in flight when it began
 * run, and for at least `delayMs`, the server keeps accepting (new answers close their
 * connection, and the health path says 503, so balancers and probes see the drain); idle
 * keep-alive connections are closed at once, and each busy one as its response ends. Then it
 * stops accepting and ends when the last connection does, or cuts the rest at `graceMs`.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';

export type DrainResult = 'drained' | 'timeout';

export interface DrainOptions {
  /** From the start of the drain: whatever is still open then is cut. */
  graceMs: number;
  /** Keep accepting at least this long (within graceMs), even with nothing in flight. */
  delayMs: number;
}

/** node's private link from a socket to the response being written on it. */
type WithResponse = { _httpMessage?: unknown };

/** Connections held below node:http (the fast lane), closed with node's own. */
export interface OtherConnections {
  closeIdle(): void;
  closeAll(): void;
}

/** Call once per server, with its open client sockets. */
export function drainServer(server: http.Server, sockets: Iterable<Socket>, opts: DrainOptions, other?: OtherConnections): Promise<DrainResult> {
  const closeIdle = () => {
    server.closeIdleConnections();
    other?.closeIdle();
  };
  return new Promise((resolve) => {
    let done = false;
    let closing = false;
    let delayOver = opts.delayMs <= 0;
    closeIdle();
    // the answers under way now: the listener stays open until they are given
    const busy = new Set<Socket>();
    for (const s of sockets) if (!s.destroyed && (s as WithResponse)._httpMessage != null) busy.add(s);
    const finish = (r: DrainResult) => {
      if (done) return;
      done = true;
      clearInterval(sweep);
      clearTimeout(delay);
      clearTimeout(timer);
      resolve(r);
    };
    const stopAccepting = () => {
      if (closing) return;
      closing = true;
      // resolves once every connection has ended (at once when the server was not listening)
      server.close(() => finish('drained'));
      closeIdle();
    };
    const maybeStop = () => {
      if (delayOver && busy.size === 0) stopAccepting();
    };
    for (const s of busy) {
      s.once('close', () => {
        busy.delete(s);
        maybeStop();
      });
    }
    // A connection whose response ends during the drain becomes idle: close it then.
    const sweep = setInterval(closeIdle, 50);
    const delay = setTimeout(() => {
      delayOver = true;
      maybeStop();
    }, Math.max(0, opts.delayMs));
    const timer = setTimeout(() => {
      stopAccepting();
      server.closeAllConnections();
      other?.closeAll();
      finish('timeout');
    }, opts.graceMs);
    maybeStop();
  });
}
