/**
 * Forwarding a request to the app server: an undici Pool with keep-alive connections,
 * bodies streamed both ways with backpressure, hop-by-hop headers dropped, failures
 * mapped to 502/504, X-Accel-Redirect answers served from a mount.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { Pool } from 'undici';
import type { Config } from '../config/index.js';
import { accelOverrides, accelPath, sourceFor, type AccelSource } from './accel.js';
import { hasBody, IdleWatch } from './body-timeout.js';
import { clientAddress, clientResponseHeaders, firstHeader, upstreamRequestHeaders, type HeaderRecord } from '../http/index.js';
import { logError } from '../log.js';
import { setUpstreamTime } from '../observe/index.js';
import { canned, NOT_FOUND, SERVER_ERROR, sendCanned } from '../respond/index.js';
import { oneLine } from '../errors.js';
import { originForm, parseUpstream, type UpstreamTarget } from '../http/index.js';

export const BAD_GATEWAY = canned(502, 'Bad Gateway: the app server could not be reached');
export const GATEWAY_TIMEOUT = canned(504, 'Gateway Timeout: the app server did not answer in time');
export const PAYLOAD_TOO_LARGE = canned(413, 'Payload Too Large', ['Connection', 'close']);
export const REQUEST_TIMEOUT = canned(408, 'Request Timeout: the request body stopped arriving', ['Connection', 'close']);
const CONNECT_REFUSED = canned(405, 'Method Not Allowed', ['Allow', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS']);

/** Thrown into the request body stream when it grows past maxBodySize. */
class BodyTooLarge extends Error {
  readonly code = 'ASSETD_BODY_TOO_LARGE';
}

/** The request body on its way to the app: fails past `limit` bytes (0: no limit) and reports each chunk's arrival. */
class BodyStream extends Transform {
  private seen = 0;
  constructor(
    private readonly limit: number,
    private readonly onChunk: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.onChunk();
    this.seen += chunk.length;
    if (this.limit > 0 && this.seen > this.limit) cb(new BodyTooLarge(`request body over ${this.limit} bytes`));
    else cb(null, chunk);
  }
}

/** The path of a request target as sent upstream: origin-form, query kept. */
export function upstreamPath(url: string): string {
  return originForm(url) ?? url;
}

/** A short phrase for an upstream failure, and the status it maps to. */
export function upstreamFailure(err: unknown, timeouts: { headers: number; connect: number }): { status: 502 | 504; what: string } {
  const code = (err as { code?: string } | null)?.code ?? '';
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { status: 504, what: `no response headers within ${timeouts.headers} ms` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { status: 504, what: 'body stalled past the body timeout' };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { status: 502, what: `no connection within ${timeouts.connect} ms` };
    case 'ECONNREFUSED':
      return { status: 502, what: 'connection refused' };
    case 'ENOENT':
      return { status: 502, what: 'no such socket' };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return { status: 502, what: 'connection closed by the app server' };
    case 'UND_ERR_HEADERS_OVERFLOW':
      return { status: 502, what: 'response headers too large' };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return { status: 502, what: 'response body length does not match its Content-Length' };
  }
  const message = ((err as Error | null)?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  if ((err as Error | null)?.name === 'HTTPParserError') {
    // "Response does not match the HTTP/1.1 protocol (Invalid status code)": keep the reason
    const reason = /\(([^)]*)\)\s*$/.exec(message)?.[1] ?? message;
    return { status: 502, what: `not a valid HTTP response (${reason})` };
  }
  return { status: 502, what: `${code || 'error'}: ${message}` };
}

const RETRYABLE = new Set(['ECONNRESET', 'UND_ERR_SOCKET']);

export interface Proxy {
  target: UpstreamTarget;
  /** Send the request to the app and its answer to the client. */
  forward(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Mounts an X-Accel-Redirect answer may name (read per answer, so index swaps apply). */
  accelSources: () => readonly AccelSource[];
}

export function createProxy(config: Config, opts: ProxyOptions): Proxy {
  const parsed = parseUpstream(config.upstream ?? '');
  if (!parsed.ok) throw new Error(`upstream: ${parsed.why}`);
  const target = parsed.target;
  const pool = new Pool(target.origin, {
    connections: config.upstreamConnections,
    headersTimeout: config.upstreamHeadersTimeout,
    bodyTimeout: config.upstreamBodyTimeout,
    connectTimeout: config.upstreamConnectTimeout,
    keepAliveTimeout: 4_000,
    ...(target.socketPath ? { socketPath: target.socketPath } : {}),
  });
  const upstreamHost = target.hostHeader;
  const timeouts = { headers: config.upstreamHeadersTimeout, connect: config.upstreamConnectTimeout };

  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    const { status, what } = upstreamFailure(err, timeouts);
    const sent = res.headersSent;
    logError(`upstream ${target.label}: ${req.method} ${upstreamPath(req.url ?? '/')}: ${what}; ${sent ? 'client connection closed' : `answered ${status}`}`);
    if (sent || res.destroyed) res.destroy();
    else sendCanned(req, res, status === 504 ? GATEWAY_TIMEOUT : BAD_GATEWAY);
  };

  /** The request body went idle past bodyTimeout: the app's request is aborted, the client answered 408 (or cut off). */
  const bodyIdle = (req: IncomingMessage, res: ServerResponse, path: string, ac: AbortController): void => {
    const sent = res.headersSent || res.destroyed;
    logError(`${req.method} ${path}: request body idle for ${config.bodyTimeout} ms (bodyTimeout); upstream request aborted; ${sent ? 'client connection closed' : 'answered 408'}`);
    ac.abort(new Error('request body idle'));
    if (sent) res.destroy();
    else sendCanned(req, res, REQUEST_TIMEOUT);
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

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'CONNECT') {
      sendCanned(req, res, CONNECT_REFUSED);
      return;
    }
    const limit = config.maxBodySize;
    const cl = req.headers['content-length'];
    if (limit > 0 && cl !== undefined && Number(cl) > limit) {
      logError(`${req.method} ${upstreamPath(req.url ?? '/')}: request body of ${cl} bytes is over maxBodySize (${limit}); answered 413`);
      sendCanned(req, res, PAYLOAD_TOO_LARGE);
      return;
    }
    const ac = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) ac.abort(new Error('client closed the connection'));
    });
    const path = upstreamPath(req.url ?? '/');
    let body: BodyStream | null = null;
    if (hasBody(req)) {
      const watch = config.bodyTimeout > 0 ? new IdleWatch(config.bodyTimeout, () => !req.isPaused(), () => bodyIdle(req, res, path, ac)) : undefined;
      body = new BodyStream(limit, () => watch?.touch());
      // pipe, not pipeline: a body the app stops reading (413, 408, an abort) must not destroy the
      // client connection before the answer is out; node discards the rest of the body then.
      req.pipe(body);
      req.on('error', () => {});
      body.on('error', () => {}); // undici reports it with the request
      // watched until the whole body is in (or the connection is gone), even after the app answered
      if (watch !== undefined) req.once('close', () => watch.stop());
    }
    const headers = upstreamRequestHeaders(req.rawHeaders, {
      clientIp: clientAddress(req.socket.remoteAddress),
      proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
      keepHost: config.upstreamKeepHost,
      upstreamHost,
    });
    const attempt = (retriesLeft: number): void => {
      const sent = performance.now();
      pool
        .request({ path, method: req.method as 'GET', headers, body, signal: ac.signal, highWaterMark: 64 * 1024 })
        .then(
          ({ statusCode, statusText, headers: upHeaders, body: upBody }) => {
            setUpstreamTime(res, performance.now() - sent);
            const accelValue = firstHeader(upHeaders, 'x-accel-redirect');
            if (accelValue !== undefined) {
              upBody.dump().catch(() => {});
              accel(req, res, accelValue, upHeaders).catch((e) => fail(req, res, e));
              return;
            }
            if (res.destroyed) {
              upBody.destroy();
              return;
            }
            try {
              if (statusText) res.statusMessage = statusText;
              res.writeHead(statusCode, clientResponseHeaders(upHeaders));
            } catch (e) {
              upBody.destroy();
              fail(req, res, new Error(`unusable response headers (${(e as Error).message})`));
              return;
            }
            pipeline(upBody, res, (err) => {
              if (err && !ac.signal.aborted) fail(req, res, err);
            });
          },
          (err: unknown) => {
            if (ac.signal.aborted) return;
            if (err instanceof BodyTooLarge || (err as { cause?: unknown })?.cause instanceof BodyTooLarge) {
              logError(`${req.method} ${path}: request body over maxBodySize (${limit}); answered 413`);
              if (!res.headersSent) sendCanned(req, res, PAYLOAD_TOO_LARGE);
              else res.destroy();
              return;
            }
            // A kept-alive connection the app closed just as it was reused: try once more when safe.
            const code = (err as { code?: string }).code ?? '';
            if (retriesLeft > 0 && body === null && RETRYABLE.has(code) && (req.method === 'GET' || req.method === 'HEAD')) {
              attempt(retriesLeft - 1);
              return;
            }
            fail(req, res, err);
          },
        );
    };
    attempt(1);
  };

  return {
    target,
    forward,
    close: () => pool.close().catch(() => {}),
  };
}
