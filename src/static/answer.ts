/**
 * Answering a request for an indexed static file: negotiate the representation, evaluate
 * the conditionals, honour a Range, then send precomputed headers and the bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { evaluateRequest, ifRangeHolds } from '../http/conditional.js';
import { AcceptCache, choose } from '../http/negotiate.js';
import { parseRange } from '../http/range.js';
import { writeHeadRaw } from '../http/raw-headers.js';
import { METHOD_NOT_ALLOWED, PRECONDITION_FAILED, sendCanned, sendFile, canned } from '../respond/send.js';
import { raw200, raw304, type FileEntry, type Representation } from './build.js';

const acceptCache = new AcceptCache();
const VARY = ['Vary', 'Accept-Encoding'];
const NOT_ACCEPTABLE = canned(406, 'Not Acceptable: no representation in an accepted content coding', ['Vary', 'Accept-Encoding']);
const RANGE_NOT_SATISFIABLE_TEXT = Buffer.from('Range Not Satisfiable\n');

/** Overrides from an X-Accel-Redirect answer: the app's headers replace ours. */
export interface HeaderOverrides {
  /** Flat [name, value, ...]; a name given here replaces the same precomputed header, except Vary, which is merged. */
  headers: string[];
  /** Lower-case names of precomputed headers removed without a replacement. */
  drop?: readonly string[];
}

/** Two Vary values as one: every field name once, in order; `*` stands alone. Pure. */
export function mergeVary(a: string, b: string): string {
  const seen = new Map<string, string>();
  for (const t of `${a},${b}`.split(',')) {
    const name = t.trim();
    if (name !== '' && !seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  }
  return seen.has('*') ? '*' : [...seen.values()].join(', ');
}

/** The precomputed headers with the overrides applied: same names replaced, `drop` removed, Vary merged. Pure. */
export function withOverrides(base: string[], o: HeaderOverrides | undefined): string[] {
  if (!o || (o.headers.length === 0 && !o.drop?.length)) return base;
  const names = new Set<string>(o.drop);
  for (let i = 0; i < o.headers.length; i += 2) names.add(o.headers[i].toLowerCase());
  const out: string[] = [];
  let baseVary: string | undefined;
  for (let i = 0; i < base.length; i += 2) {
    const lower = base[i].toLowerCase();
    if (lower === 'vary') baseVary = baseVary === undefined ? base[i + 1] : mergeVary(baseVary, base[i + 1]);
    if (!names.has(lower)) out.push(base[i], base[i + 1]);
  }
  for (let i = 0; i < o.headers.length; i += 2) {
    const vary = baseVary !== undefined && o.headers[i].toLowerCase() === 'vary';
    out.push(o.headers[i], vary ? mergeVary(baseVary!, o.headers[i + 1]) : o.headers[i + 1]);
  }
  return out;
}

export function serveFile(req: IncomingMessage, res: ServerResponse, entry: FileEntry, overrides?: HeaderOverrides): number {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') {
    sendCanned(req, res, METHOD_NOT_ALLOWED);
    return 405;
  }
  const h = req.headers;
  let rep: Representation | undefined = entry.varies ? choose(entry.reps, acceptCache.get(h['accept-encoding'])) : entry.identity;
  if (rep === undefined) {
    sendCanned(req, res, NOT_ACCEPTABLE);
    return 406;
  }
  const outcome = evaluateRequest(h, rep.etag, entry.lastModified);
  if (outcome === 304) {
    if (overrides === undefined) writeHeadRaw(res, 304, raw304(rep));
    else res.writeHead(304, withOverrides(rep.h304, overrides));
    res.end();
    return 304;
  }
  if (outcome === 412) {
    sendCanned(req, res, PRECONDITION_FAILED, entry.varies ? VARY : undefined);
    return 412;
  }
  const range = h.range;
  if (range !== undefined && method === 'GET' && (entry.identity.bit & acceptCache.get(h['accept-encoding'])) !== 0) {
    const id = entry.identity;
    if (ifRangeHolds(h['if-range'] as string | undefined, id.etag, entry.lastModifiedHttp)) {
      const r = parseRange(range, id.size);
      if (r.kind === 'unsatisfiable') {
        const hs = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(RANGE_NOT_SATISFIABLE_TEXT.length), 'Content-Range', `bytes */${id.size}`];
        if (entry.varies) hs.push('Vary', 'Accept-Encoding');
        res.writeHead(416, hs);
        res.end(RANGE_NOT_SATISFIABLE_TEXT);
        return 416;
      }
      if (r.kind === 'single') {
        const hs = withOverrides(id.h206, overrides).concat('Content-Range', `bytes ${r.start}-${r.end}/${id.size}`, 'Content-Length', String(r.end - r.start + 1));
        if (id.body) {
          res.writeHead(206, hs);
          res.end(id.body.subarray(r.start, r.end + 1));
        } else {
          sendFile(req, res, 206, hs, id.file, id.size, r.start, r.end);
        }
        return 206;
      }
    }
  }
  if (rep.body) {
    if (overrides === undefined) writeHeadRaw(res, 200, raw200(rep));
    else res.writeHead(200, withOverrides(rep.h200, overrides));
    res.end(method === 'HEAD' ? undefined : rep.body);
  } else {
    sendFile(req, res, 200, withOverrides(rep.h200, overrides), rep.file, rep.size, 0, rep.size - 1);
  }
  return 200;
}
