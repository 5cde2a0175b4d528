/**
 * Forwarding a request to the app server, from node:http's request and response: the pool
 * of kept-alive connections (upstream-pool.ts) carries it, the request body streams to the
 * app as the client sends it and the answer to the client as the app sends it, each side
 * held back when the other is slow. Hop-by-hop headers are dropped (http/proxy-head.ts),
 * failures mapped to 502/504 with one log line, X-Accel-Redirect answers served from a mount.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Config } from '../config/index.js';
import { accelOverrides, accelPath, sourceFor, type AccelSource } from './accel.js';
import { hasBody, IdleWatch } from './body-timeout.js';
import { clientAddress, clientHead, headerRecord, relayedResponseHeaders, SPLICE, upstreamRequestHead, type HeaderRecord } from '../http/index.js';
import { logError } from '../log.js';
import { setUpstreamTime } from '../observe/index.js';
import { canned, NOT_FOUND, SERVER_ERROR, sendCanned } from '../respond/index.js';
import { oneLine } from '../errors.js';
import { originForm, parseUpstream, type UpstreamTarget } from '../http/index.js';
import { Exchange, type BodyOut, type BodySource, type RequestFraming, type UpstreamHead, type UpstreamSink } from './upstream.js';
import { createPool } from './upstream-pool.js';

export const BAD_GATEWAY = canned(502, 'Bad Gateway: the app server could not be reached');
export const GATEWAY_TIMEOUT = canned(504, 'Gateway Timeout: the app server did not answer in time');
export const PAYLOAD_TOO_LARGE = canned(413, 'Payload Too Large', ['Connection', 'close']);
export const REQUEST_TIMEOUT = canned(408, 'Request Timeout: the request body stopped arriving', ['Connection', 'close']);
const CONNECT_REFUSED = canned(405, 'Method Not Allowed', ['Allow', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS']);

/** The path of a request target as sent upstream: origin-form, query kept. */
export function upstreamPath(url: string): string {
  return originForm(url) ?? url;
}

/** A short phrase for an upstream failure, and the status it maps to. */
export function upstreamFailure(err: unknown, timeouts: { headers: number; connect: number }): { status: 502 | 504; what: string } {
  const code = (err as { code?: string } | null)?.code ?? '';
  switch (code) {
    case 'UPSTREAM_HEADERS_TIMEOUT':
      return { status: 504, what: `no response headers within ${timeouts.headers} ms` };
    case 'UPSTREAM_BODY_TIMEOUT':
      return { status: 504, what: 'body stalled past the body timeout' };
    case 'UPSTREAM_CONNECT_TIMEOUT':
      return { status: 502, what: `no connection within ${timeouts.connect} ms` };
    case 'ECONNREFUSED':
      return { status: 502, what: 'connection refused' };
    case 'ENOENT':
      return { status: 502, what: 'no such socket' };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UPSTREAM_CLOSED':
      return { status: 502, what: 'connection closed by the app server' };
    case 'UPSTREAM_HEADERS_OVERFLOW':
      return { status: 502, what: 'response headers too large' };
    case 'UPSTREAM_LENGTH_MISMATCH':
      return { status: 502, what: 'response body length does not match its Content-Length' };
    case 'UPSTREAM_BAD_RESPONSE':
      return { status: 502, what: `not a valid HTTP response (${(err as Error).message})` };
    case 'UPSTREAM_POOL_CLOSED':
      return { status: 502, what: 'the server is shutting down' };
  }
  const message = ((err as Error | null)?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  return { status: 502, what: `${code || 'error'}: ${message}` };
}

export interface Proxy {
  target: UpstreamTarget;
  /** Send the request to the app and its answer to the client. */
  forward(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Send a request without a body to the app, from a parsed request head rather than a
   * node:http request, the answer going to `sink` (a writer of raw bytes). The caller routes
   * first (this is for requests the app answers), answers X-Accel-Redirect heads itself or
   * hands them over, and calls `abort()` on the exchange should its client go away.
   */
  send(req: BodilessRequest, sink: UpstreamSink): Exchange;
  close(): Promise<void>;
}

/** A request head as a parser hands it over: what `send` needs. */
export interface BodilessRequest {
  method: string;
  /** The request target as received (absolute-form is sent in origin-form). */
  url: string;
  rawHeaders: readonly string[];
  /** The client connection's address (socket.remoteAddress) and whether it is TLS. */
  remoteAddress: string | undefined;
  encrypted: boolean;
}

export interface ProxyOptions {
  /** Mounts an X-Accel-Redirect answer may name (read per answer, so index swaps apply). */
  accelSources: () => readonly AccelSource[];
}

/** A node:http response head, as writeHead builds it, with the app's headers spliced in as checked text. */
type WithHeader = { _header?: string | null };

/**
 * The request body from node:http's request, sent as it arrives: paused while the app's
 * socket is full, cut at maxBodySize, reported to the idle watch chunk by chunk.
 */
class ClientBody implements BodySource {
  private seen = 0;
  private out: BodyOut | null = null;
  private stopped = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
    private readonly touch: () => void,
    private readonly tooLarge: () => void,
  ) {
    // not read before the app is reached: time waiting for a connection is not the client's
    req.pause();
    req.on('error', () => {});
  }

  start(out: BodyOut): void {
    if (this.stopped) return;
    this.out = out;
    this.req.on('data', this.onData);
    this.req.on('end', this.onEnd);
    this.req.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.touch();
    this.seen += chunk.length;
    if (this.limit > 0 && this.seen > this.limit) return this.tooLarge();
    if (!this.out!.write(chunk)) this.req.pause();
  };

  private readonly onEnd = (): void => this.out?.end();

  drained(): void {
    if (!this.stopped) this.req.resume();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.req.removeListener('data', this.onData);
    this.req.removeListener('end', this.onEnd);
    // what the client still sends is read and dropped (node's own rule once the answer is out)
    this.req.resume();
  }
}

export function createProxy(config: Config, opts: ProxyOptions): Proxy {
  const parsed = parseUpstream(config.upstream ?? '');
  if (!parsed.ok) throw new Error(`upstream: ${parsed.why}`);
  const target = parsed.target;
  const pool = createPool({
    target,
    connections: config.upstreamConnections,
    connectTimeout: config.upstreamConnectTimeout,
    headersTimeout: config.upstreamHeadersTimeout,
    bodyTimeout: config.upstreamBodyTimeout,
    keepAliveTimeout: 4_000,
    maxHeaderSize: http.maxHeaderSize,
  });
  const upstreamHost = target.hostHeader;
  const timeouts = { headers: config.upstreamHeadersTimeout, connect: config.upstreamConnectTimeout };
  const limit = config.maxBodySize;

  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    const { status, what } = upstreamFailure(err, timeouts);
    const sent = res.headersSent;
    logError(`upstream ${target.label}: ${req.method} ${upstreamPath(req.url ?? '/')}: ${what}; ${sent ? 'client connection closed' : `answered ${status}`}`);
    if (sent || res.destroyed) res.destroy();
    else sendCanned(req, res, status === 504 ? GATEWAY_TIMEOUT : BAD_GATEWAY);
  };

  const accel = async (req: IncomingMessage, res: ServerResponse, value: string, headers: HeaderRecord): Promise<void> => {
    const where = `X-Accel-Redirect "${value}" from upstream ${target.label} for ${req.method} ${upstreamPath(req.url ?? '/')}`;
    const p = accelPath(value);
    if (!p.ok) {
      logError(`${where}: refused (${p.why}); answered 404`);
      sendCanned(req, res, NOT_FOUND);
      return;
    }
    const source = sourceFor(opts.accelSources(), p.path);
    if (source === undefined) {
      logError(`${where}: outside every mount; answered 404`);
      sendCanned(req, res, NOT_FOUND);
      return;
    }
    let serve: Awaited<ReturnType<AccelSource['open']>>;
    try {
      serve = await source.open(p.path);
    } catch (e) {
      // the file is there but cannot be opened or checked (EACCES, EMFILE...): this server's fault, not the app's
      logError(`${where}: ${oneLine(e)}; answered 500`);
      if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
      return;
    }
    if (serve === undefined) {
      logError(`${where}: no such file under ${source.prefix}; answered 404`);
      sendCanned(req, res, NOT_FOUND);
      return;
    }
    if (res.destroyed) return;
    // The app has handled the request; the file is then fetched as by a GET (a download after a POST form).
    if (req.method !== 'HEAD') req.method = 'GET';
    serve(req, res, accelOverrides(headers));
  };

  /** The app's answer on its way to one node:http response. */
  class ClientAnswer implements UpstreamSink {
    x!: Exchange;
    constructor(
      private readonly req: IncomingMessage,
      private readonly res: ServerResponse,
      private readonly t0: number,
    ) {}

    deliver(head: UpstreamHead | null, body: Buffer[] | null, complete: boolean): boolean {
      const res = this.res;
      if (res.destroyed) {
        // the client is gone; its 'close' aborts the exchange, should it not have yet
        this.x.abort();
        return true;
      }
      if (head !== null && !this.head(head)) return true;
      if (body !== null) {
        if (complete && body.length === 1) {
          res.end(body[0]);
          return true;
        }
        let more = true;
        for (const b of body) more = res.write(b);
        if (complete) res.end();
        else if (!more) {
          res.once('drain', this.drained);
          return false;
        }
        return true;
      }
      if (complete) res.end();
      return true;
    }

    /** The app's status and headers to the client; false when the answer goes no further this way. */
    private head(head: UpstreamHead): boolean {
      const { req, res } = this;
      setUpstreamTime(res, performance.now() - this.t0);
      const h = clientHead(head.raw);
      if (h.accel !== undefined) {
        this.x.discard();
        accel(req, res, h.accel, headerRecord(head.raw)).catch((e) => fail(req, res, e));
        return false;
      }
      try {
        if (SPLICE) {
          if (h.date) res.sendDate = false;
          res.writeHead(head.status, head.reason || undefined, h.contentLength !== undefined ? ['Content-Length', h.contentLength] : undefined);
          const r = res as unknown as WithHeader;
          r._header = r._header!.slice(0, -2) + h.tail + '\r\n';
        } else {
          res.writeHead(head.status, head.reason || undefined, relayedResponseHeaders(head.raw, false));
        }
      } catch (e) {
        this.x.abort();
        fail(req, res, new Error(`unusable response headers (${(e as Error).message})`));
        return false;
      }
      return true;
    }

    private readonly drained = (): void => this.x.resume();

    fail(err: Error): void {
      fail(this.req, this.res, err);
    }
  }

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'CONNECT') {
      sendCanned(req, res, CONNECT_REFUSED);
      return;
    }
    const cl = req.headers['content-length'];
    if (limit > 0 && cl !== undefined && Number(cl) > limit) {
      logError(`${req.method} ${upstreamPath(req.url ?? '/')}: request body of ${cl} bytes is over maxBodySize (${limit}); answered 413`);
      sendCanned(req, res, PAYLOAD_TOO_LARGE);
      return;
    }
    const method = req.method ?? 'GET';
    const path = upstreamPath(req.url ?? '/');
    let body: ClientBody | null = null;
    let framing: RequestFraming = 'none';
    const answer = new ClientAnswer(req, res, performance.now());
    if (hasBody(req)) {
      framing = cl !== undefined ? 'length' : 'chunked';
      let watch: IdleWatch | undefined;
      if (config.bodyTimeout > 0) {
        watch = new IdleWatch(config.bodyTimeout, () => !req.isPaused(), () => {
          // the request body went idle past bodyTimeout: the app's request is aborted, the client answered 408 (or cut off)
          const sent = res.headersSent || res.destroyed;
          logError(`${req.method} ${path}: request body idle for ${config.bodyTimeout} ms (bodyTimeout); upstream request aborted; ${sent ? 'client connection closed' : 'answered 408'}`);
          answer.x.abort();
          if (sent) res.destroy();
          else sendCanned(req, res, REQUEST_TIMEOUT);
        });
        // watched until the whole body is in (or the connection is gone), even after the app answered
        req.once('close', () => watch!.stop());
      }
      body = new ClientBody(req, limit, () => watch?.touch(), () => {
        logError(`${req.method} ${path}: request body over maxBodySize (${limit}); answered 413`);
        answer.x.abort();
        if (!res.headersSent) sendCanned(req, res, PAYLOAD_TOO_LARGE);
        else res.destroy();
      });
    }
    const head = requestHead(method, path, req.rawHeaders, req.socket.remoteAddress, (req.socket as { encrypted?: boolean }).encrypted === true, framing, cl);
    const x = new Exchange({ head, method, framing, body }, answer);
    answer.x = x;
    res.once('close', () => {
      if (!res.writableFinished) x.abort();
    });
    pool.dispatch(x);
  };

  const requestHead = (method: string, path: string, raw: readonly string[], remote: string | undefined, encrypted: boolean, framing: RequestFraming, length: string | undefined): string =>
    upstreamRequestHead(method, path, raw, { clientIp: clientAddress(remote), proto: encrypted ? 'https' : 'http', keepHost: config.upstreamKeepHost, upstreamHost }, framing, length);

  const send = (req: BodilessRequest, sink: UpstreamSink): Exchange => {
    const head = requestHead(req.method, upstreamPath(req.url), req.rawHeaders, req.remoteAddress, req.encrypted, 'none', undefined);
    const x = new Exchange({ head, method: req.method, framing: 'none', body: null }, sink);
    pool.dispatch(x);
    return x;
  };

  return {
    target,
    forward,
    send,
    close: () => pool.close(),
  };
}
