/**
 * The per-response hook: when a response ends (or its client goes away) it is counted in
 * the metrics and written to the access log. With both off it is never installed.
 * Route handlers tell the hook their kind through `track()`; a proxy reports the time its
 * upstream took with `setUpstreamTime()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestFacts } from './access-log.js';
import { LogBuffer } from './access-log.js';
import type { Metrics, RouteKind } from './metrics.js';

const upstreamTimes = new WeakMap<ServerResponse, number>();

/** Record how long the upstream took for this response (ms); shown in the log and the histogram (kind 'proxy'). */
export function setUpstreamTime(res: ServerResponse, ms: number): void {
  upstreamTimes.set(res, ms);
}

const CONTENT_ENCODING = /\r\ncontent-encoding:[ \t]*([^\r\n]*)/i;

const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

/** The body length a header block announced (0 without Content-Length). */
export function sentLength(headerBlock: string | null | undefined): number {
  if (!headerBlock) return 0;
  // the spelling node and this server write, found without a case-insensitive scan
  const at = headerBlock.indexOf('\r\nContent-Length: ');
  if (at !== -1) return parseInt(headerBlock.slice(at + 18, headerBlock.indexOf('\r', at + 18)), 10) || 0;
  const m = CONTENT_LENGTH.exec(headerBlock);
  return m ? Number(m[1]) : 0;
}

/** The content coding of a response, read from the header block it sent. */
export function sentEncoding(headerBlock: string | null | undefined): string {
  if (!headerBlock) return 'identity';
  const at = headerBlock.indexOf('\r\nContent-Encoding: ');
  if (at !== -1) return headerBlock.slice(at + 20, headerBlock.indexOf('\r', at + 20)).trim().toLowerCase() || 'identity';
  if (headerBlock.indexOf('ncoding') === -1 && headerBlock.indexOf('NCODING') === -1) return 'identity';
  const m = CONTENT_ENCODING.exec(headerBlock);
  return m ? m[1].trim().toLowerCase() || 'identity' : 'identity';
}

export class Observer {
  readonly buffer: LogBuffer | undefined;

  constructor(
    readonly metrics: Metrics | undefined,
    private readonly format: ((f: RequestFacts) => string) | undefined,
    write: (chunk: string) => void,
  ) {
    this.buffer = format ? new LogBuffer(write) : undefined;
  }

  /**
   * Count and log this response; `t0` is performance.now() when the request reached the
   * handler. Called after the handler: a response that already ended (every answer from
   * memory) is recorded at once, with no listener; one still under way (a file streamed from
   * disk, media, the proxy) is recorded when it closes.
   */
  track(req: IncomingMessage, res: ServerResponse, kind: RouteKind, t0: number): void {
    if (res.writableEnded) {
      const header = (res as unknown as { _header?: string | null })._header;
      const bytes = req.method === 'HEAD' ? 0 : sentLength(header);
      this.record(req, res, req.socket, kind, t0, header, bytes, true);
      return;
    }
    const socket = req.socket;
    const before = socket.bytesWritten;
    res.once('close', () => {
      // the header block is internal to node:http but stable; it tells what went out
      const header = (res as unknown as { _header?: string | null })._header;
      const headerLen = header ? header.length : 0;
      this.record(req, res, socket, kind, t0, header, Math.max(0, socket.bytesWritten - before - headerLen), res.writableFinished);
    });
  }

  /** `socket` is taken while the request holds it: by the time a response closes, node may have detached it. */
  private record(req: IncomingMessage, res: ServerResponse, socket: Socket, kind: RouteKind, t0: number, header: string | null | undefined, bytes: number, finished: boolean): void {
    // nginx's 499: the client closed the connection before any response went out
    const status = header ? res.statusCode : 499;
    const encoding = sentEncoding(header);
    const upstreamMs = kind === 'proxy' ? upstreamTimes.get(res) : undefined;
    if (this.metrics !== undefined) {
      this.metrics.count(kind, status, bytes, encoding);
      if (upstreamMs !== undefined) this.metrics.observeUpstream(upstreamMs / 1000);
    }
    if (this.format === undefined) return;
    this.buffer!.add(
      this.format({
        time: Date.now(),
        remote: socket.remoteAddress ?? '-',
        method: req.method ?? '-',
        target: req.url ?? '-',
        httpVersion: req.httpVersion,
        status,
        bytes,
        encoding,
        durationMs: performance.now() - t0,
        upstreamMs,
        referer: req.headers.referer,
        userAgent: req.headers['user-agent'],
        kind,
        aborted: !finished,
      }),
    );
  }

  /** Does an answer need its request's Referer and User-Agent (the access log is on)? */
  get logs(): boolean {
    return this.format !== undefined;
  }

  /**
   * Count and log an answer written whole by the fast lane (no request and response objects):
   * the same counters and the same line as `track` gives the node:http path.
   */
  recordAnswer(a: LaneAnswer): void {
    this.metrics?.count(a.kind, a.status, a.bytes, a.encoding);
    if (this.format === undefined) return;
    this.buffer!.add(
      this.format({
        time: Date.now(),
        remote: a.remote,
        method: a.method,
        target: a.target,
        httpVersion: '1.1',
        status: a.status,
        bytes: a.bytes,
        encoding: a.encoding,
        durationMs: performance.now() - a.t0,
        upstreamMs: undefined,
        referer: a.referer,
        userAgent: a.userAgent,
        kind: a.kind,
        aborted: false,
      }),
    );
  }

  flush(): void {
    this.buffer?.flush();
  }
}

/** One answer of the fast lane, as the observer records it. */
export interface LaneAnswer {
  kind: RouteKind;
  status: number;
  /** Body bytes sent (0 for HEAD and bodiless answers). */
  bytes: number;
  encoding: string;
  method: string;
  target: string;
  remote: string;
  referer: string | undefined;
  userAgent: string | undefined;
  /** performance.now() when the request's head was read (0 without an observer). */
  t0: number;
}
