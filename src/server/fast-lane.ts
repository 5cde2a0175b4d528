/**
 * The fast lane: static answers written straight to the socket, below node:http. Each
 * connection is read by node's own HTTP parser (llhttp, through the binding node:http uses,
 * configured as node:http configures it: strict, the same maxHeaderSize), and a request the
 * index answers from memory (200, HEAD, 304, 412, 406, 405, 206/416 from held bytes, 404/405
 * under a static prefix, directory redirects) gets its precomputed bytes in one write. The
 * decision is the same one node:http's handler asks (server/route.ts, http/file-answer.ts),
 * so the two paths cannot answer differently.
 *
 * Everything else (a body, Upgrade, Expect, HTTP/1.0, Connection: close, the app, media,
 * files streamed from disk, health and metrics, a bad Host, the drain) is handed to the
 * http.Server for good: the connection's unread bytes, from the start of that request, are
 * put back on the socket and node's own connection listener takes it, so node parses the
 * same bytes again from there. A parse error is node's clientError, with node's error.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import { readFields, type AcceptCache } from '../http/index.js';
import { logInfo } from '../log.js';
import type { Observer } from '../observe/index.js';
import { BAD_REQUEST, METHOD_NOT_ALLOWED, NOT_FOUND } from '../respond/index.js';
import { laneAnswers, type LaneOut, type LaneRequest } from './lane-answers.js';
import { loadBinding, type LaneParser, type ParseError } from './llhttp.js';
import { route, type RouteTable } from './route.js';

export interface FastLaneDeps {
  table: () => RouteTable;
  accept: AcceptCache;
  keepAliveTimeout: number;
  headersTimeout: number;
  maxHeaderSize: number;
  draining: () => boolean;
  observer: Observer | undefined;
}

export interface FastLane {
  /** Close the lane's connections that are between requests (a drain). */
  closeIdle(): void;
  /** Close every connection the lane holds. */
  closeAll(): void;
  /** The connections the lane holds now. */
  readonly size: number;
  stop(): void;
}

const CRLF2 = Buffer.from('\r\n\r\n');
/** What the parser callbacks return: go on, or stop after these headers (the "upgrade" return of llhttp's on_headers_complete). */
const GO_ON = 0;
const STOP = 2;
/** Queued bytes past which the lane stops reading a client until it takes them. */
const WRITE_HIGH_WATER = 256 * 1024;

/** One connection held by the lane. */
class Conn implements LaneOut {
  /** Chunks since the start of the request still being read, and where it starts in the first one. */
  carry: Buffer[] | null = null;
  carryStart = 0;
  /** A request the lane does not answer: hand the connection over when this chunk is parsed. */
  handing = false;
  /** Headers and target flushed before headers-complete (more than 32 header lines). */
  extra: string[] | null = null;
  extraUrl = '';
  /** Writes of this chunk after its first answer are corked until it is parsed (pipelined answers in one writev; node:http queues them behind the first alike). */
  corked = false;
  /** Reading stopped until the client takes what is queued. */
  paused = false;
  /** performance.now() of the last bytes read, and when the request being read began (0: none). */
  lastActive = performance.now();
  requestStart = 0;
  /** Requests answered: a connection that has answered none is not idle (node's rule too). */
  served = 0;
  /** Requests answered from the chunk being parsed. */
  servedNow = 0;
  onData: ((chunk: Buffer) => void) | null = null;
  private addr: string | undefined;

  constructor(
    readonly socket: Socket,
    readonly parser: LaneParser,
    /** Consumed in C++ (parser.consume) rather than through 'data' events. */
    readonly consumed: boolean,
    readonly onClose: () => void,
  ) {}

  write(buf: Buffer): void {
    // as node:http: the first answer of a chunk goes out at once when nothing is queued; the
    // ones after it (pipelined) wait, corked, until the chunk is parsed: then one writev
    if (!this.corked && (this.servedNow > 0 || this.socket.writableLength > 0)) {
      this.socket.cork();
      this.corked = true;
    }
    this.socket.write(buf);
  }

  uncork(): void {
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  remote(): string {
    return (this.addr ??= this.socket.remoteAddress ?? '-');
  }

  answered(): void {
    this.served++;
    this.servedNow++;
  }
}

export function installFastLane(server: http.Server, deps: FastLaneDeps): FastLane | undefined {
  const loaded = loadBinding();
  if (!('binding' in loaded)) {
    logInfo(`fast lane off: ${loaded.why}; every request goes through node:http`);
    return undefined;
  }
  const { HTTPParser, methods } = loaded.binding;
  const nodeListener = server.listeners('connection')[0] as ((socket: Socket) => void) | undefined;
  if (nodeListener === undefined || nodeListener.name !== 'connectionListener') {
    logInfo("fast lane off: node:http's connection listener is not where it is expected; every request goes through node:http");
    return undefined;
  }
  server.removeListener('connection', nodeListener);
  const conns = new Set<Conn>();
  const free: LaneParser[] = [];
  const resource = {};
  const { keepAliveTimeout, observer } = deps;
  const answers = laneAnswers({ keepAliveTimeout, accept: deps.accept, observer });
  /** The parser's on_headers_complete: answer from memory and go on, or stop here and hand over. */
  function onHeadersComplete(this: LaneParser, major: number, minor: number, raw: string[] | undefined, methodCode: number, url: string | undefined, _s: unknown, _m: unknown, upgrade: boolean, keepAlive: boolean): number {
    const c = this.conn as Conn;
    if (raw === undefined) {
      raw = c.extra ?? [];
      url = c.extraUrl;
    }
    c.extra = null;
    c.extraUrl = '';
    c.requestStart = 0;
    if (major !== 1 || minor !== 1 || upgrade || !keepAlive || deps.draining()) return handOver(c);
    const fields = readFields(raw);
    if (fields.other) return handOver(c);
    const r: LaneRequest = { method: methods[methodCode], url: url ?? '', fields, t0: observer !== undefined ? performance.now() : 0 };
    const to = route({ method: r.method, url: r.url, rawHeaders: raw }, deps.table());
    switch (to.kind) {
      case 'file':
        return answers.file(c, to, r) ? GO_ON : handOver(c);
      case 'redirect':
        answers.redirect(c, to, r);
        return GO_ON;
      case 'not-found':
        answers.canned(c, NOT_FOUND, to.metric, r);
        return GO_ON;
      case 'method-not-allowed':
        answers.canned(c, METHOD_NOT_ALLOWED, to.metric, r);
        return GO_ON;
      case 'bad-request':
        if (to.close) return handOver(c);
        answers.canned(c, BAD_REQUEST, to.metric, r);
        return GO_ON;
      default:
        return handOver(c);
    }
  }

  function handOver(c: Conn): number {
    c.handing = true;
    return STOP;
  }

  function onHeaders(this: LaneParser, raw: string[], url: string): void {
    const c = this.conn as Conn;
    (c.extra ??= []).push(...raw);
    c.extraUrl += url;
  }

  /** After a chunk is parsed (`chunk` null: consumed in C++, fetched only when needed). */
  const afterExecute = (c: Conn, ret: number | ParseError, chunk: Buffer | null): void => {
    const servedNow = c.servedNow;
    c.servedNow = 0;
    if (typeof ret !== 'number') return clientError(c, ret, chunk ?? c.parser.getCurrentBuffer(), servedNow > 0);
    if (c.handing) return transfer(c, chunk ?? c.parser.getCurrentBuffer(), ret);
    c.uncork();
    c.lastActive = performance.now();
    if (c.parser.headersCompleted()) c.carry = null;
    else keepCarry(c, chunk ?? c.parser.getCurrentBuffer());
    if (c.socket.writableLength > WRITE_HIGH_WATER) pauseReading(c);
  };

  /** A request is still being read: keep its bytes, from its first one, for a hand-over. */
  const keepCarry = (c: Conn, chunk: Buffer): void => {
    if (c.requestStart === 0) c.requestStart = c.lastActive;
    const tail = c.carry !== null ? lastBytes(c.carry, 3) : EMPTY;
    const joined = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    const end = joined.lastIndexOf(CRLF2);
    if (end !== -1) {
      // a request ended in this chunk; the one being read starts after it
      c.carry = [chunk];
      c.carryStart = end + 4 - tail.length;
    } else if (c.carry !== null) {
      c.carry.push(chunk);
    } else {
      c.carry = [chunk];
      c.carryStart = 0;
    }
  };

  const pauseReading = (c: Conn): void => {
    if (c.paused) return;
    const handle = (c.socket as unknown as { _handle?: { readStop?(): number } })._handle;
    if (c.consumed) handle?.readStop?.();
    else c.socket.pause();
    c.paused = true;
    c.socket.once('drain', () => resumeReading(c));
  };

  const resumeReading = (c: Conn): void => {
    if (!c.paused || c.socket.destroyed) return;
    c.paused = false;
    const handle = (c.socket as unknown as { _handle?: { readStart?(): number } })._handle;
    if (c.consumed) handle?.readStart?.();
    else c.socket.resume();
  };

  /** Stop reading with the lane; what has not been read stays in the kernel for node. */
  const detach = (c: Conn): void => {
    conns.delete(c);
    if (c.consumed) c.parser.unconsume();
    else if (c.onData) c.socket.removeListener('data', c.onData);
    c.socket.removeListener('error', onSocketError);
    c.socket.removeListener('close', c.onClose);
    c.parser.conn = null;
    // never freed inside its own callback: node's binding still uses it when the callback returns
    const p = c.parser;
    setImmediate(() => (free.length < 64 ? free.push(p) : p.close()));
  };

  /** Give the connection to node:http, with the request just read (and all after it) put back. */
  const transfer = (c: Conn, chunk: Buffer, endOfHeaders: number): void => {
    let all = chunk;
    let at = endOfHeaders;
    if (c.carry !== null) {
      const parts = c.carry.map((b, i) => (i === 0 ? b.subarray(c.carryStart) : b));
      all = Buffer.concat([...parts, chunk]);
      at = all.length - chunk.length + endOfHeaders;
    }
    // every request before this one was answered here and had no body: the last blank line
    // before this request's own ends the one before it
    const prev = at >= 5 ? all.lastIndexOf(CRLF2, at - 5) : -1;
    const rest = all.subarray(prev === -1 ? 0 : prev + 4);
    c.uncork();
    detach(c);
    if (c.paused) resumeReading(c);
    c.socket.setTimeout(deps.headersTimeout);
    c.socket.unshift(rest);
    nodeListener.call(server, c.socket);
  };

  /**
   * A request the parser refuses: node:http's clientError, as node raises it. node writes its
   * 400 only when no answer is still being written on the connection; one answered from the
   * same chunk always is, and node then destroys the connection: the first answer of the
   * chunk has gone out, the ones queued behind it are lost; the lane's, corked, alike.
   */
  const clientError = (c: Conn, err: ParseError, chunk: Buffer, answeringNow: boolean): void => {
    err.rawPacket = chunk;
    if (typeof err.reason === 'string') err.message = `Parse Error: ${err.reason}`;
    detach(c);
    c.socket.on('error', () => {});
    if (answeringNow) {
      c.socket.destroy();
      return;
    }
    c.uncork();
    if (!server.emit('clientError', err, c.socket)) c.socket.destroy(err);
  };

  function onExecute(this: LaneParser, ret: number | ParseError): void {
    const c = this.conn as Conn | null;
    if (c !== null) afterExecute(c, ret, null);
  }

  function onSocketError(this: Socket): void {
    this.destroy();
  }

  server.prependListener('connection', (socket: Socket) => {
    const parser = free.pop() ?? new HTTPParser();
    parser.initialize(HTTPParser.REQUEST, resource, deps.maxHeaderSize, 0);
    parser[HTTPParser.kOnHeaders] = onHeaders;
    parser[HTTPParser.kOnHeadersComplete] = onHeadersComplete;
    parser[HTTPParser.kOnExecute] = onExecute;
    const handle = (socket as unknown as { _handle?: { isStreamBase?: boolean; _consumed?: boolean } })._handle;
    const consumed = handle?.isStreamBase === true && handle._consumed !== true;
    const c: Conn = new Conn(socket, parser, consumed, () => {
      if (conns.has(c)) detach(c);
    });
    parser.conn = c;
    conns.add(c);
    socket.setNoDelay(true);
    socket.setTimeout(0);
    socket.on('error', onSocketError);
    socket.once('close', c.onClose);
    if (consumed) {
      parser.consume(handle);
    } else {
      c.onData = (chunk: Buffer) => afterExecute(c, parser.execute(chunk), chunk);
      socket.on('data', c.onData);
    }
  });

  // The timeouts node:http would apply, looked at a few times a second: a connection that
  // sends nothing, or not its whole head within headersTimeout, is closed (node's 408 when a
  // head was begun); one idle between requests past keepAliveTimeout is closed.
  const sweep = setInterval(
    () => {
      const t = performance.now();
      for (const c of conns) {
        if (c.socket.writableLength > 0) continue;
        if (c.requestStart !== 0) {
          if (t - c.requestStart >= deps.headersTimeout) {
            detach(c);
            c.socket.end(REQUEST_TIMEOUT);
            c.socket.destroySoon();
          }
        } else if (t - c.lastActive >= (c.carry === null && c.parser.headersCompleted() ? keepAliveTimeout : deps.headersTimeout)) {
          detach(c);
          c.socket.destroy();
        }
      }
    },
    Math.max(50, Math.min(1000, Math.floor(Math.min(keepAliveTimeout || 1000, deps.headersTimeout) / 4))),
  );
  sweep.unref();

  return {
    closeIdle() {
      for (const c of conns) {
        // between two requests; a connection that has sent no request yet is not idle
        if (c.requestStart !== 0 || c.served === 0 || c.carry !== null) continue;
        detach(c);
        if (c.socket.writableLength > 0) c.socket.end();
        else c.socket.destroy();
      }
    },
    closeAll() {
      for (const c of conns) {
        detach(c);
        c.socket.destroy();
      }
    },
    get size() {
      return conns.size;
    },
    stop() {
      clearInterval(sweep);
    },
  };
}

const EMPTY = Buffer.alloc(0);
/** node:http's answer to a request whose head took longer than headersTimeout. */
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';

/** The last `n` bytes of a list of chunks. */
function lastBytes(chunks: Buffer[], n: number): Buffer {
  const last = chunks[chunks.length - 1];
  if (last.length >= n || chunks.length === 1) return last.subarray(Math.max(0, last.length - n));
  return Buffer.concat(chunks).subarray(-n);
}

