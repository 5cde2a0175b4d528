/**
 * The exchange of one request with the app, and what it reports to whoever answers the
 * client (a `ServerResponse` in forward.ts, or any writer of raw bytes). No I/O here beyond
 * the connection the pool hands it; the pool (upstream-pool.ts) keeps the connections.
 *
 * An exchange writes its request head (and a small body with it, in one write), reads the
 * answer with node's llhttp, and delivers per read of the socket: the head once, the body
 * pieces that read brought, and whether the answer is complete. A sink that cannot take more
 * returns false and the connection is not read again until `resume()`: backpressure reaches
 * the app through TCP.
 */

/** What the app answered, as its parser read it. */
export interface UpstreamHead {
  status: number;
  reason: string;
  /** Header names and values as received, [name, value, ...] (latin1 strings). */
  raw: string[];
}

/** Where the app's answer goes. */
export interface UpstreamSink {
  /**
   * What one read of the app's connection brought: the head (on the first delivery only),
   * body pieces (null: none), and whether the answer is now complete. Return false when no
   * more can be taken now: nothing more is read until `exchange.resume()`.
   */
  deliver(head: UpstreamHead | null, body: Buffer[] | null, complete: boolean): boolean;
  /** The exchange failed; `delivered` says whether a head was delivered first. Never after `complete`. */
  fail(err: Error, delivered: boolean): void;
}

/** The request body, pulled once the request holds a connection. */
export interface BodySource {
  /** Send the body: `out.write(chunk)` (false: wait for `drained()`), then `out.end()`. */
  start(out: BodyOut): void;
  /** The socket took what was queued: write more. */
  drained(): void;
  /** The exchange is over (answered, failed, aborted): stop reading the client's body. */
  stop(): void;
}

export interface BodyOut {
  write(chunk: Buffer): boolean;
  end(): void;
}

/** A failure of the exchange; `code` names it for upstreamFailure (forward.ts). */
export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type UpstreamErrorCode =
  | 'UPSTREAM_CONNECT_TIMEOUT'
  | 'UPSTREAM_HEADERS_TIMEOUT'
  | 'UPSTREAM_BODY_TIMEOUT'
  | 'UPSTREAM_CLOSED'
  | 'UPSTREAM_HEADERS_OVERFLOW'
  | 'UPSTREAM_LENGTH_MISMATCH'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_POOL_CLOSED';

/** Where an exchange is. */
export const Phase = {
  /** Waiting for a connection (queued or connecting). */
  Connecting: 0,
  /** Request written (its body perhaps still being sent); no head read yet. */
  Waiting: 1,
  /** Head read; body being read. */
  Body: 2,
  /** Complete, failed or aborted. */
  Done: 3,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** How the request body is framed on the way to the app. */
export type RequestFraming = 'none' | 'length' | 'chunked';

export interface ExchangeRequest {
  /** Request line, headers and blank line, latin1 text (http/proxy-head.ts). */
  head: string;
  method: string;
  framing: RequestFraming;
  body: BodySource | null;
}

const NULL_SINK: UpstreamSink = { deliver: () => true, fail: () => {} };

/** The connection side an exchange talks to (upstream-pool.ts's Conn). */
export interface ExchangeConn {
  /** Write bytes of this exchange's request; false when the socket's buffer is full. */
  write(data: string | Buffer): boolean;
  cork(): void;
  uncork(): void;
  /** Read again after a pause. */
  resumeReading(): void;
  /** The exchange is over: reuse the connection when it can be, or close it. */
  release(x: Exchange, reusable: boolean): void;
  /** Requests this connection answered before the current one. */
  readonly served: number;
}

export class Exchange implements BodyOut {
  phase: Phase = Phase.Connecting;
  conn: ExchangeConn | null = null;
  /** performance.now(): when the connection was asked for, the last request byte written, the last response byte read. */
  startedAt = performance.now();
  sentAt = 0;
  lastRead = 0;
  /** Reading paused because the sink is full. */
  paused = false;
  /** The whole request body (or none) is written. */
  bodyDone = false;
  /** Waiting for the socket to drain before more body is written. */
  blocked = false;
  /** Response bytes read for this exchange (a dead connection shows none). */
  readAny = false;
  /** Retried once already, or must not be (a body, a method that is not safe). */
  retried: boolean;
  /** Ask the pool for a new connection rather than an idle one (the retry). */
  fresh = false;
  /** What the current read brought. */
  head: UpstreamHead | null = null;
  chunks: Buffer[] | null = null;
  complete = false;
  private delivered = false;
  private corked = false;

  constructor(
    readonly req: ExchangeRequest,
    public sink: UpstreamSink,
  ) {
    this.retried = req.body !== null || (req.method !== 'GET' && req.method !== 'HEAD');
  }

  /** The response to this request has no body whatever its headers say. */
  get bodiless(): boolean {
    return this.req.method === 'HEAD';
  }

  /** The pool gave this exchange a connection: write the request. */
  attach(conn: ExchangeConn): void {
    this.conn = conn;
    this.phase = Phase.Waiting;
    this.sentAt = performance.now();
    const body = this.req.body;
    if (body === null) {
      this.bodyDone = true;
      conn.write(this.req.head);
      return;
    }
    // head and the first piece of the body in one write; the head goes out alone should the body be slow to come
    conn.cork();
    this.corked = true;
    conn.write(this.req.head);
    setImmediate(() => this.flushCork());
    body.start(this);
  }

  private flushCork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.conn?.uncork();
  }

  /** BodyOut: a piece of the request body. */
  write(chunk: Buffer): boolean {
    const conn = this.conn;
    if (conn === null || this.phase === Phase.Done || chunk.length === 0) return true;
    this.sentAt = performance.now();
    let ok: boolean;
    if (this.req.framing === 'chunked') {
      if (!this.corked) conn.cork();
      conn.write(`${chunk.length.toString(16)}\r\n`);
      conn.write(chunk);
      ok = conn.write('\r\n');
      if (!this.corked) conn.uncork();
    } else ok = conn.write(chunk);
    this.flushCork();
    this.blocked = !ok;
    return ok;
  }

  /** BodyOut: the request body is complete. */
  end(): void {
    const conn = this.conn;
    if (conn === null || this.phase === Phase.Done) return;
    if (this.req.framing === 'chunked') conn.write('0\r\n\r\n');
    this.flushCork();
    this.bodyDone = true;
    this.blocked = false;
    this.sentAt = performance.now();
  }

  /** The socket drained. */
  drained(): void {
    if (!this.blocked || this.phase === Phase.Done) return;
    this.blocked = false;
    this.sentAt = performance.now();
    this.req.body?.drained();
  }

  /** After a read of the socket was parsed: deliver what it brought. */
  afterRead(): void {
    if (this.phase !== Phase.Body && this.phase !== Phase.Waiting) return;
    const head = this.head;
    const chunks = this.chunks;
    if (head === null && chunks === null && !this.complete) return;
    this.head = null;
    this.chunks = null;
    this.lastRead = performance.now();
    if (head !== null) this.delivered = true;
    let more: boolean;
    try {
      more = this.sink.deliver(head, chunks, this.complete);
    } catch (e) {
      // inside the parser's callback: an exception here would end the process
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if ((this.phase as Phase) === Phase.Done) return; // the sink aborted the exchange
    if (this.complete) {
      // an answer before the whole body was sent: the rest is not sent, and the connection,
      // left in the middle of a request, is not reused
      this.finish(this.bodyDone);
      return;
    }
    if (!more) this.paused = true;
  }

  private finish(reusable: boolean): void {
    this.phase = Phase.Done;
    this.req.body?.stop();
    const conn = this.conn;
    this.conn = null;
    conn?.release(this, reusable);
  }

  /** The sink can take more again. */
  resume(): void {
    if (!this.paused || this.phase === Phase.Done) return;
    this.paused = false;
    this.lastRead = performance.now();
    this.conn?.resumeReading();
  }

  /** The sink no longer wants the body (an X-Accel-Redirect answer): it is read and dropped. */
  discard(): void {
    this.sink = NULL_SINK;
    this.resume();
  }

  /** The exchange failed: the sink is told once, the connection closed. */
  fail(err: Error): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.req.body?.stop();
    const conn = this.conn;
    this.conn = null;
    conn?.release(this, false);
    this.sink.fail(err, this.delivered);
  }

  /** The client went away: nothing is told, the connection (if any) is closed. */
  abort(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.sink = NULL_SINK;
    this.req.body?.stop();
    const conn = this.conn;
    this.conn = null;
    conn?.release(this, false);
  }

  /** Whether a failure on a reused connection before any answer may be retried once on a new one. */
  retryable(): boolean {
    return !this.retried && !this.readAny && this.phase === Phase.Waiting && this.conn !== null && this.conn.served > 0;
  }

  /** Back to the start for the retry: the pool dispatches it again on a new connection. */
  rewind(): void {
    this.retried = true;
    this.fresh = true;
    this.phase = Phase.Connecting;
    this.conn = null;
    this.startedAt = performance.now();
  }
}
