/**
 * The connections to the app: at most `connections` of them, kept alive and reused (the most
 * recently used first), each read by node's llhttp in RESPONSE mode, consumed in C++ like
 * node:http's server sockets. One exchange at a time per connection; requests beyond the
 * limit wait in order. The timeouts (connect, response headers, silence inside a body, idle
 * keep-alive) are looked at by one sweep a few times a second, not a timer per request.
 *
 * A request that finds its reused connection dead before any byte of an answer (the app
 * closed it as it was taken) is sent once more on a new connection when it is safe to:
 * GET or HEAD without a body.
 */
import net from 'node:net';
import type { UpstreamTarget } from '../http/index.js';
import { Conn, theParser } from './upstream-conn.js';
import { Exchange, Phase, UpstreamError } from './upstream.js';

export interface PoolOptions {
  target: UpstreamTarget;
  /** Most connections open at once. */
  connections: number;
  connectTimeout: number;
  /** 0: wait forever. */
  headersTimeout: number;
  /** 0: wait forever. */
  bodyTimeout: number;
  /** Longest an idle connection is kept (shortened by the app's own Keep-Alive timeout). */
  keepAliveTimeout: number;
  maxHeaderSize: number;
}

export interface UpstreamPool {
  /** Send the exchange's request (now, or once a connection is free). */
  dispatch(x: Exchange): void;
  /** Connections open now, idle ones among them. */
  stats(): { open: number; idle: number; queued: number };
  /** Close idle connections now and the others as their exchanges end. */
  close(): Promise<void>;
}

/** Errors that show a connection the app had closed: a reused one may be retried. */
const DEAD = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UPSTREAM_CLOSED']);

class Pool implements UpstreamPool {
  private readonly conns = new Set<Conn>();
  private readonly idleConns: Conn[] = [];
  private readonly queue: Exchange[] = [];
  private closing: (() => void) | null = null;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(readonly o: PoolOptions) {
    theParser();
    const limits = [o.connectTimeout, o.keepAliveTimeout, o.headersTimeout, o.bodyTimeout].filter((ms) => ms > 0);
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(10, Math.min(1000, Math.floor(Math.min(...limits) / 4))));
    this.sweepTimer.unref();
  }

  dispatch(x: Exchange): void {
    if (this.closing !== null) return x.fail(new UpstreamError('UPSTREAM_POOL_CLOSED', 'the server is shutting down'));
    if (!x.fresh) {
      const c = this.takeIdle();
      if (c !== undefined) {
        c.exchange = x;
        return x.attach(c);
      }
    } else if (this.conns.size >= this.o.connections && this.idleConns.length > 0) {
      // make room for the new connection the retry asks for: the oldest idle one goes
      const old = this.idleConns.shift()!;
      this.conns.delete(old);
      old.destroy();
    }
    if (this.conns.size < this.o.connections) return this.connect(x);
    this.queue.push(x);
  }

  /** The most recently used idle connection still inside its keep-alive time. */
  private takeIdle(): Conn | undefined {
    const now = performance.now();
    let c: Conn | undefined;
    while ((c = this.idleConns.pop()) !== undefined) {
      if (!c.socket.destroyed && now - c.idleSince < c.keepAliveMs) return c;
      c.destroy();
    }
    return undefined;
  }

  private connect(x: Exchange): void {
    const { target } = this.o;
    const socket = target.socketPath !== null ? net.connect({ path: target.socketPath }) : net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const c = new Conn(this, socket, x);
    this.conns.add(c);
    socket.once('connect', () => c.start());
    socket.on('drain', () => c.exchange?.drained());
    socket.on('error', (err: NodeJS.ErrnoException) => this.lost(c, err));
    socket.on('end', () => this.ended(c));
    socket.once('close', () => this.closed(c));
  }

  /** A released connection: the next waiting request takes it, or it waits for one. */
  idle(c: Conn): void {
    if (this.closing !== null) return c.destroy();
    let x: Exchange | undefined;
    while ((x = this.queue.shift()) !== undefined) {
      if (x.phase !== Phase.Connecting) continue; // gone while it waited
      c.exchange = x;
      return x.attach(c);
    }
    if (c.keepAliveMs <= 0) return c.destroy();
    c.idleSince = performance.now();
    this.idleConns.push(c);
  }

  /** The socket failed (a reset, a refused connection...). */
  private lost(c: Conn, err: NodeJS.ErrnoException): void {
    const x = c.exchange;
    if (x !== null && x.phase !== Phase.Done) this.failOrRetry(c, x, err);
    c.destroy();
  }

  /** The app closed its side. */
  private ended(c: Conn): void {
    const x = c.exchange;
    if (x !== null && x.phase === Phase.Body && !x.complete && c.parser !== null) {
      // a body that runs until the connection closes ends here; a shorter one than announced fails
      const r = c.parser.finish();
      if (r === undefined) x.afterRead();
    }
    if (x !== null && x.phase !== Phase.Done) this.failOrRetry(c, x, new UpstreamError('UPSTREAM_CLOSED', 'connection closed by the app server'));
    c.destroy();
  }

  private failOrRetry(c: Conn, x: Exchange, err: Error): void {
    const code = (err as { code?: string }).code ?? '';
    if (x.conn === c && DEAD.has(code) && x.retryable()) {
      c.exchange = null;
      x.rewind();
      this.dispatch(x);
      return;
    }
    if (c.exchange === x) c.exchange = null;
    x.fail(err);
  }

  private closed(c: Conn): void {
    this.conns.delete(c);
    const at = this.idleConns.indexOf(c);
    if (at !== -1) this.idleConns.splice(at, 1);
    const x = c.exchange;
    c.exchange = null;
    if (x !== null && x.phase !== Phase.Done) this.failOrRetry(c, x, new UpstreamError('UPSTREAM_CLOSED', 'connection closed by the app server'));
    c.closed();
    // a place freed: the next waiting request gets a connection of its own
    while (this.queue.length > 0 && this.conns.size < this.o.connections && this.closing === null) {
      const next = this.queue.shift()!;
      if (next.phase === Phase.Connecting) this.connect(next);
    }
    if (this.closing !== null && this.conns.size === 0) this.closing();
  }

  /** The timeouts, for every connection and waiting request. */
  private sweep(): void {
    const now = performance.now();
    const o = this.o;
    for (const c of this.conns) {
      const x = c.exchange;
      if (c.connecting) {
        if (now - c.createdAt >= o.connectTimeout) {
          if (x !== null && x.phase === Phase.Connecting) {
            c.exchange = null;
            x.fail(new UpstreamError('UPSTREAM_CONNECT_TIMEOUT', `no connection within ${o.connectTimeout} ms`));
          }
          c.destroy();
        }
        continue;
      }
      if (x === null) {
        if (now - c.idleSince >= c.keepAliveMs) c.destroy();
        continue;
      }
      if (x.phase === Phase.Waiting) {
        if (o.headersTimeout > 0 && (x.bodyDone || x.blocked) && now - x.sentAt >= o.headersTimeout) {
          x.fail(new UpstreamError('UPSTREAM_HEADERS_TIMEOUT', `no response headers within ${o.headersTimeout} ms`));
        }
      } else if (x.phase === Phase.Body && !x.complete) {
        if (o.bodyTimeout > 0 && !x.paused && now - x.lastRead >= o.bodyTimeout) {
          x.fail(new UpstreamError('UPSTREAM_BODY_TIMEOUT', `body stalled past ${o.bodyTimeout} ms`));
        }
      }
    }
    // requests waiting for a free connection get no longer than the app gets to answer
    if (o.headersTimeout > 0) {
      while (this.queue.length > 0 && (this.queue[0].phase !== Phase.Connecting || now - this.queue[0].startedAt >= o.headersTimeout)) {
        const x = this.queue.shift()!;
        if (x.phase === Phase.Connecting) x.fail(new UpstreamError('UPSTREAM_HEADERS_TIMEOUT', `no response headers within ${o.headersTimeout} ms`));
      }
    }
  }

  stats(): { open: number; idle: number; queued: number } {
    return { open: this.conns.size, idle: this.idleConns.length, queued: this.queue.length };
  }

  close(): Promise<void> {
    clearInterval(this.sweepTimer);
    return new Promise<void>((resolve) => {
      this.closing = resolve;
      for (const x of this.queue.splice(0)) x.fail(new UpstreamError('UPSTREAM_POOL_CLOSED', 'the server is shutting down'));
      for (const c of this.idleConns.splice(0)) c.destroy();
      if (this.conns.size === 0) resolve();
    });
  }
}

export function createPool(o: PoolOptions): UpstreamPool {
  return new Pool(o);
}
