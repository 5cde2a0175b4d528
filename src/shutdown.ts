/**
 * Graceful drain of an HTTP server: stop accepting, close idle keep-alive connections
 * (and each busy one as soon as its response ends), let in-flight responses finish within
 * the grace period, then cut whatever is left.
 */
import type http from 'node:http';

export type DrainResult = 'drained' | 'timeout';

/** Call once per server; a server that is not listening resolves at once. */
export function drainServer(server: http.Server, graceMs: number): Promise<DrainResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: DrainResult) => {
      if (done) return;
      done = true;
      clearInterval(sweep);
      clearTimeout(timer);
      resolve(r);
    };
    // A connection whose response ends during the drain becomes idle: close it then.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const timer = setTimeout(() => {
      server.closeAllConnections();
      finish('timeout');
    }, graceMs);
    server.close(() => finish('drained'));
    server.closeIdleConnections();
  });
}
