/**
 * One connection to the app, read by node's llhttp in RESPONSE mode (consumed in C++ like
 * node:http's server sockets, or fed from 'data' events where the handle cannot be), with the
 * parser callbacks that fill in the exchange it carries. upstream-pool.ts owns connections.
 */
import type net from 'node:net';
import { keepAliveHint } from '../http/index.js';
import { loadResponseParser, type ParseError, type ParserClass, type ResponseParser } from './response-parser.js';
import { Phase, UpstreamError, type Exchange, type ExchangeConn } from './upstream.js';

/** What a connection needs of its pool. */
export interface ConnOwner {
  readonly o: { keepAliveTimeout: number; maxHeaderSize: number };
  /** A released connection, alive and reusable. */
  idle(c: Conn): void;
}

/** What llhttp's on_headers_complete is told: read the body, skip it, or stop (a switch of protocols). */
const READ_BODY = 0;
const SKIP_BODY = 1;
const STOP = 2;
/** The app's Keep-Alive timeout is trusted less this much, so that it cannot close a connection being reused. */
const KEEP_ALIVE_MARGIN = 1000;

let parserClass: ParserClass | undefined;

export function theParser(): ParserClass {
  if (parserClass !== undefined) return parserClass;
  const loaded = loadResponseParser();
  if (!('HTTPParser' in loaded)) throw new Error(`the proxy cannot start: ${loaded.why}`);
  return (parserClass = loaded.HTTPParser);
}

const RESOURCE = {};

export class Conn implements ExchangeConn {
  exchange: Exchange | null;
  served = 0;
  idleSince = 0;
  /** The app's answers allow reuse (llhttp's should_keep_alive of the last one). */
  keepAlive = true;
  keepAliveMs: number;
  /** Bytes came that belong to no request (an unasked answer, a protocol switch): never reused. */
  broken = false;
  switched = false;
  connecting = true;
  readonly createdAt = performance.now();
  /** Header lines flushed before headers-complete (more than 32 of them). */
  extra: string[] = [];
  parser: ResponseParser | null = null;
  private consumed = false;
  private readingPaused = false;

  constructor(
    readonly pool: ConnOwner,
    readonly socket: net.Socket,
    first: Exchange,
  ) {
    this.exchange = first;
    this.keepAliveMs = pool.o.keepAliveTimeout;
  }

  /** Connected: read with the parser, and send the waiting request. */
  start(): void {
    this.connecting = false;
    const P = theParser();
    const parser = new P();
    parser.initialize(P.RESPONSE, RESOURCE, this.pool.o.maxHeaderSize, 0);
    parser.conn = this;
    parser[P.kOnHeaders] = onHeaders;
    parser[P.kOnHeadersComplete] = onHeadersComplete;
    parser[P.kOnBody] = onBody;
    parser[P.kOnMessageComplete] = onMessageComplete;
    parser[P.kOnExecute] = onExecute;
    this.parser = parser;
    const handle = (this.socket as unknown as { _handle?: { isStreamBase?: boolean; _consumed?: boolean } })._handle;
    if (handle?.isStreamBase === true && handle._consumed !== true) {
      parser.consume(handle);
      this.consumed = true;
    } else {
      this.socket.on('data', (chunk: Buffer) => afterRead(this, parser.execute(chunk)));
    }
    const x = this.exchange;
    if (x !== null && x.phase === Phase.Connecting) x.attach(this);
    else this.pool.idle(this);
  }

  write(data: string | Buffer): boolean {
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  pauseReading(): void {
    if (this.readingPaused) return;
    this.readingPaused = true;
    if (this.consumed) (this.socket as unknown as { _handle?: { readStop?(): number } })._handle?.readStop?.();
    else this.socket.pause();
  }

  resumeReading(): void {
    if (!this.readingPaused || this.socket.destroyed) return;
    this.readingPaused = false;
    if (this.consumed) (this.socket as unknown as { _handle?: { readStart?(): number } })._handle?.readStart?.();
    else this.socket.resume();
  }

  release(x: Exchange, reusable: boolean): void {
    if (this.exchange === x) this.exchange = null;
    if (!reusable || this.broken || !this.keepAlive || this.readingPaused || this.socket.destroyed) return this.destroy();
    this.served++;
    this.pool.idle(this);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The socket closed (by either side): let go of the parser. */
  closed(): void {
    const p = this.parser;
    if (p === null) return;
    this.parser = null;
    p.conn = null;
    if (this.consumed) p.unconsume();
    // never freed inside its own callback: the binding still uses it when the callback returns
    setImmediate(() => p.close());
  }
}

function onHeaders(this: ResponseParser, raw: string[]): void {
  const c = this.conn as Conn | null;
  if (c !== null) for (const v of raw) c.extra.push(v);
}

function onHeadersComplete(
  this: ResponseParser,
  _major: number,
  _minor: number,
  raw: string[] | undefined,
  _method: unknown,
  _url: unknown,
  status: number,
  reason: string | undefined,
  upgrade: boolean,
  keepAlive: boolean,
): number {
  const c = this.conn as Conn | null;
  if (c === null) return SKIP_BODY;
  if (raw === undefined) {
    raw = c.extra;
    c.extra = [];
  }
  const x = c.exchange;
  // an answer nobody asked for (a second one, or one on an idle connection): the connection is done for
  if (x === null || x.phase !== Phase.Waiting) {
    c.broken = true;
    return SKIP_BODY;
  }
  if (upgrade || status === 101) {
    c.broken = true;
    c.switched = true;
    return STOP;
  }
  // 100 Continue, 103 Early Hints...: the answer follows
  if (status >= 100 && status < 200) return SKIP_BODY;
  c.keepAlive = keepAlive;
  const hint = keepAliveHint(raw);
  if (hint !== undefined) c.keepAliveMs = Math.min(c.pool.o.keepAliveTimeout, hint - KEEP_ALIVE_MARGIN);
  x.phase = Phase.Body;
  x.head = { status, reason: reason ?? '', raw };
  return x.bodiless || status === 304 ? SKIP_BODY : READ_BODY;
}

function onBody(this: ResponseParser, chunk: Buffer): void {
  const x = (this.conn as Conn | null)?.exchange;
  if (x != null && x.phase === Phase.Body && !x.complete) (x.chunks ??= []).push(chunk);
}

function onMessageComplete(this: ResponseParser): void {
  const c = this.conn as Conn | null;
  if (c === null) return;
  // trailers of a chunked body come as header lines: dropped (node:http's client keeps them apart too)
  if (c.extra.length > 0) c.extra = [];
  const x = c.exchange;
  if (x !== null && x.phase === Phase.Body) x.complete = true;
}

function onExecute(this: ResponseParser, ret: number | ParseError): void {
  const c = this.conn as Conn | null;
  if (c !== null) afterRead(c, ret);
}

/** A read of the app's socket was parsed. */
function afterRead(c: Conn, ret: number | ParseError): void {
  const x = c.exchange;
  if (typeof ret !== 'number') {
    c.broken = true;
    if (x !== null) {
      if (x.complete) x.afterRead();
      else x.fail(parseFailure(ret));
    }
    return c.destroy();
  }
  if (x === null) return c.destroy(); // bytes on an idle connection
  if (ret > 0) x.readAny = true;
  if (c.switched) {
    x.fail(new UpstreamError('UPSTREAM_CLOSED', 'the app switched protocols on a request that asked for no upgrade'));
    return c.destroy();
  }
  x.afterRead();
  if (c.exchange === x && x.paused) c.pauseReading();
}

/** The parse error of an answer, as an UpstreamError. */
function parseFailure(e: ParseError): UpstreamError {
  const reason = e.reason ?? e.message;
  switch (e.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new UpstreamError('UPSTREAM_HEADERS_OVERFLOW', reason);
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new UpstreamError('UPSTREAM_LENGTH_MISMATCH', reason);
    case 'HPE_INVALID_TRANSFER_ENCODING':
      if (/content-length/i.test(reason)) return new UpstreamError('UPSTREAM_LENGTH_MISMATCH', reason);
  }
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', reason);
}

