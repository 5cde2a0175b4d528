/**
 * The fast lane's answers from memory, written whole: the static file's keep-alive 200 and 304
 * from its precomputed wires (static/wire.ts), 206/416/412/406/405 and the canned 404/405/400
 * and directory redirects, each head byte for byte what node:http writes for the same answer
 * (http/response-head.ts). What to answer is http/file-answer.ts's decision, as on node:http.
 */
import { answerFile, partialHeaders, responseHead, type AcceptCache, type RequestFields } from '../http/index.js';
import type { LaneAnswer, Observer } from '../observe/index.js';
import { METHOD_NOT_ALLOWED, NOT_ACCEPTABLE, now, PRECONDITION_FAILED, type Canned, type Clock } from '../respond/index.js';
import { makeWire, stamp, wire200, wire304, type FileEntry, type RedirectEntry, type Wire } from '../static/index.js';

/** Where an answer goes: the connection's writes, and what the access log wants of it. */
export interface LaneOut {
  write(buf: Buffer): void;
  /** The client's address, for the access log. */
  remote(): string;
  /** One more request answered on this connection. */
  answered(): void;
}

/** The request as the answers need it. */
export interface LaneRequest {
  method: string;
  url: string;
  fields: RequestFields;
  /** performance.now() when its head was read (0 without an observer). */
  t0: number;
}

export interface LaneAnswers {
  /** Answer a static file from memory; false when it needs node:http (a file streamed from disk). */
  file(out: LaneOut, entry: FileEntry, r: LaneRequest): boolean;
  redirect(out: LaneOut, entry: RedirectEntry, r: LaneRequest): void;
  canned(out: LaneOut, cn: Canned, kind: LaneAnswer['kind'], r: LaneRequest): void;
}

const RANGE_TEXT = Buffer.from('Range Not Satisfiable\n');

export function laneAnswers(o: { keepAliveTimeout: number; accept: AcceptCache; observer: Observer | undefined }): LaneAnswers {
  const { keepAliveTimeout, accept, observer } = o;
  const cannedWires = new Map<Canned, Wire>();
  const head = (status: number, list: string[], clock: Clock): Buffer => Buffer.from(responseHead(status, list, '', { keepAlive: true, keepAliveTimeout, date: clock.date }), 'latin1');

  /** A canned answer with keep-alive, whole (head and body), its Date as of now. */
  const cannedWire = (cn: Canned, clock: Clock): Wire => {
    let w = cannedWires.get(cn);
    if (w === undefined) cannedWires.set(cn, (w = makeWire(responseHead(cn.status, cn.raw.framing, cn.raw.tail, { keepAlive: true, keepAliveTimeout, date: clock.date }), cn.body, clock)));
    return stamp(w, clock);
  };

  /** A whole answer: all of it, or its head alone for HEAD. */
  const writeWire = (out: LaneOut, w: Wire, headOnly: boolean): void => out.write(headOnly ? w.buf.subarray(0, w.headLen) : w.buf);

  const done = (out: LaneOut, r: LaneRequest, kind: LaneAnswer['kind'], status: number, bytes: number, encoding: string): void => {
    out.answered();
    if (observer === undefined) return;
    observer.recordAnswer({ kind, status, bytes, encoding, method: r.method, target: r.url, remote: out.remote(), referer: r.fields.referer, userAgent: r.fields['user-agent'], t0: r.t0 });
  };

  /** A canned answer of a static file (405, 406, 412 without Vary): head and body, or the head for HEAD. */
  const cannedFor = (out: LaneOut, cn: Canned, headOnly: boolean, clock: Clock): number => {
    writeWire(out, cannedWire(cn, clock), headOnly);
    return headOnly ? 0 : cn.body.length;
  };

  return {
    file(out, entry, r) {
      const a = answerFile(r.method, r.fields, entry, accept.get(r.fields['accept-encoding']));
      const clock = now();
      const headOnly = r.method === 'HEAD';
      switch (a.status) {
        case 200: {
          if (a.rep.body === undefined) return false;
          const w = wire200(a.rep, keepAliveTimeout, clock);
          writeWire(out, w, headOnly);
          if (!headOnly && w.body !== undefined) out.write(w.body);
          done(out, r, 'static', 200, headOnly ? 0 : a.rep.size, a.rep.coding);
          return true;
        }
        case 304:
          // no body, so no Content-Encoding: the log and metrics say identity, as for node:http
          out.write(wire304(a.rep, keepAliveTimeout, clock).buf);
          done(out, r, 'static', 304, 0, 'identity');
          return true;
        case 206: {
          const body = a.rep.body;
          if (body === undefined) return false;
          out.write(head(206, partialHeaders(a.rep.h206, a.start, a.end, a.rep.size), clock));
          out.write(body.subarray(a.start, a.end + 1));
          done(out, r, 'static', 206, a.end - a.start + 1, 'identity');
          return true;
        }
        case 416: {
          const hs = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(RANGE_TEXT.length), 'Content-Range', `bytes */${a.size}`, 'X-Content-Type-Options', 'nosniff'];
          if (entry.varies) hs.push('Vary', 'Accept-Encoding');
          out.write(head(416, hs, clock));
          if (!headOnly) out.write(RANGE_TEXT);
          done(out, r, 'static', 416, headOnly ? 0 : RANGE_TEXT.length, 'identity');
          return true;
        }
        case 412: {
          let bytes: number;
          if (entry.varies) {
            out.write(head(412, [...PRECONDITION_FAILED.headers, 'Vary', 'Accept-Encoding'], clock));
            if (!headOnly) out.write(PRECONDITION_FAILED.body);
            bytes = headOnly ? 0 : PRECONDITION_FAILED.body.length;
          } else {
            bytes = cannedFor(out, PRECONDITION_FAILED, headOnly, clock);
          }
          done(out, r, 'static', 412, bytes, 'identity');
          return true;
        }
        default: {
          const cn = a.status === 405 ? METHOD_NOT_ALLOWED : NOT_ACCEPTABLE;
          done(out, r, 'static', cn.status, cannedFor(out, cn, headOnly, clock), 'identity');
          return true;
        }
      }
    },

    redirect(out, entry, r) {
      const q = r.url.indexOf('?');
      out.write(head(301, ['Location', entry.location + (q === -1 ? '' : r.url.slice(q)), 'Content-Length', '0', 'Cache-Control', entry.cacheControl], now()));
      done(out, r, 'static', 301, 0, 'identity');
    },

    canned(out, cn, kind, r) {
      done(out, r, kind, cn.status, cannedFor(out, cn, r.method === 'HEAD', now()), 'identity');
    },
  };
}
