/**
 * The answer to a request for a file, decided once for every kind of file (static from the
 * index, media from disk, the target of an X-Accel-Redirect). Pure: the method, the
 * request's headers, the file's representations and validators in; the status and what to
 * send out. The order is RFC 9110's: method, negotiation (406), preconditions (412/304,
 * §13.2.2), then Range (§14, If-Range §13.1.5) on the identity representation only.
 */
import { evaluateRequest, ifRangeHolds } from './conditional.js';
import { choose } from './negotiate.js';
import { parseRange } from './range.js';

/** What the decision needs of one representation. */
export interface RepFacts {
  /** Negotiation bit of its content coding (negotiate.ts). */
  bit: number;
  size: number;
  etag: string;
}

/** What the decision needs of a file. */
export interface FileFacts<R extends RepFacts> {
  /** Representations, smallest first: the first acceptable one is sent. */
  reps: readonly R[];
  identity: R;
  /** More than one representation: answers carry Vary: Accept-Encoding. */
  varies: boolean;
  /** Last-Modified in whole seconds, and as sent. */
  lastModified: number;
  lastModifiedHttp: string;
}

/** The request headers the decision reads, named as node names them (lower case). */
export interface FileRequestHeaders {
  'if-match'?: string;
  'if-none-match'?: string;
  'if-modified-since'?: string;
  'if-unmodified-since'?: string;
  range?: string;
  'if-range'?: string;
}

export type FileAnswer<R> =
  | { status: 405 | 406 | 412 }
  | { status: 416; size: number }
  | { status: 304 | 200; rep: R }
  | { status: 206; rep: R; start: number; end: number };

const METHOD: FileAnswer<never> = { status: 405 };
const UNACCEPTABLE: FileAnswer<never> = { status: 406 };
const FAILED: FileAnswer<never> = { status: 412 };

/**
 * Decide. `accepted` is the set of content codings the client accepts (negotiate.ts bits);
 * a file that does not vary is sent as its identity whatever the client accepts.
 */
export function answerFile<R extends RepFacts>(method: string | undefined, h: FileRequestHeaders, f: FileFacts<R>, accepted: number): FileAnswer<R> {
  if (method !== 'GET' && method !== 'HEAD') return METHOD;
  const rep = f.varies ? choose(f.reps, accepted) : f.identity;
  if (rep === undefined) return UNACCEPTABLE;
  const outcome = evaluateRequest(h, rep.etag, f.lastModified);
  if (outcome === 304) return { status: 304, rep };
  if (outcome === 412) return FAILED;
  const range = h.range;
  if (range !== undefined && method === 'GET' && (f.identity.bit & accepted) !== 0 && ifRangeHolds(h['if-range'], f.identity.etag, f.lastModifiedHttp)) {
    const r = parseRange(range, f.identity.size);
    if (r.kind === 'unsatisfiable') return { status: 416, size: f.identity.size };
    if (r.kind === 'single') return { status: 206, rep: f.identity, start: r.start, end: r.end };
  }
  return { status: 200, rep };
}

/** The headers of a 206: the representation's own (without length), then Content-Range and Content-Length. */
export function partialHeaders(h206: readonly string[], start: number, end: number, size: number): string[] {
  return h206.concat('Content-Range', `bytes ${start}-${end}/${size}`, 'Content-Length', String(end - start + 1));
}
