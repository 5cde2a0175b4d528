/**
 * The request body idle timeout (`bodyTimeout`, nginx's client_body_timeout): the time
 * allowed between two successive reads of a request body, not a limit on the whole body.
 * A slow upload that keeps sending is never cut; one that stops is.
 */
import type { IncomingMessage } from 'node:http';
import { logError } from '../log.js';

/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Calls `onIdle` once when `ms` pass without `touch()` while `reading()` holds. Time while
 * this server is not reading (backpressure from the app) does not count against the client.
 */
export class IdleWatch {
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly reading: () => boolean,
    private readonly onIdle: () => void,
  ) {
    this.arm(ms);
  }

  /** A chunk of the body arrived. */
  touch(): void {
    this.last = performance.now();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delay: number): void {
    this.timer = setTimeout(this.check, Math.min(Math.max(1, delay), MAX_DELAY));
    this.timer.unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    const now = performance.now();
    if (!this.reading()) this.last = now;
    const idle = now - this.last;
    if (idle < this.ms) return this.arm(this.ms - idle);
    this.onIdle();
  };
}

/** True when a request announces a body. */
export function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return cl !== undefined ? cl !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/**
 * A request body nothing here reads (a static, media or error answer): it is read and
 * dropped, and the connection is closed should the body go idle past `ms`, so a client
 * cannot hold a connection by never finishing a body nobody wants.
 */
export function discardBody(req: IncomingMessage, ms: number): void {
  if (ms === 0 || req.complete || !hasBody(req)) return;
  const watch = new IdleWatch(ms, () => true, () => {
    logError(`${req.method} ${JSON.stringify((req.url ?? '').slice(0, 200))}: request body idle for ${ms} ms (bodyTimeout); connection closed`);
    req.socket.destroy();
  });
  req.on('data', () => watch.touch());
  req.once('close', () => watch.stop());
}
