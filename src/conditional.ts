/**
 * Conditional requests (RFC 9110 §13.2.2), evaluated in the RFC's order. Pure.
 * If-Match / If-Unmodified-Since can give 412; If-None-Match (weak comparison) wins over
 * If-Modified-Since and gives 304 for GET and HEAD.
 */

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export type Outcome = 200 | 304 | 412;

/** Split an entity-tag list (`"a", W/"b"`) into tags; commas inside quotes are kept. `*` is returned as is. */
export function parseEtagList(header: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = header.length;
  while (i < n) {
    const c = header.charCodeAt(i);
    if (c === 32 || c === 9 || c === 44) {
      i++;
      continue;
    }
    let start = i;
    if (header.startsWith('W/', i)) i += 2;
    if (header.charCodeAt(i) === 34) {
      const close = header.indexOf('"', i + 1);
      if (close === -1) return out; // unterminated: stop, keep what was well formed
      i = close + 1;
      out.push(header.slice(start, i));
    } else {
      // '*' or a malformed token: read to the next comma
      let comma = header.indexOf(',', i);
      if (comma === -1) comma = n;
      const tok = header.slice(start, comma).trim();
      if (tok === '*') out.push('*');
      i = comma;
      start = i;
    }
  }
  return out;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** Weak comparison: any of the listed tags has the same opaque-tag. */
export function matchesWeak(header: string, etag: string): boolean {
  if (header === etag) return true;
  const mine = opaque(etag);
  for (const tag of parseEtagList(header)) {
    if (tag === '*' || opaque(tag) === mine) return true;
  }
  return false;
}

/** Strong comparison: both tags strong and identical. `*` matches any current representation. */
export function matchesStrong(header: string, etag: string): boolean {
  if (header === etag) return !etag.startsWith('W/');
  if (etag.startsWith('W/')) return false;
  for (const tag of parseEtagList(header)) {
    if (tag === '*' || tag === etag) return true;
  }
  return false;
}

/** An HTTP-date in whole seconds since the epoch, or NaN. */
export function httpDateSeconds(s: string): number {
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? NaN : Math.floor(ms / 1000);
}

/**
 * Decide the status for a GET or HEAD (`safe` true) or another method, given the selected
 * representation's ETag and Last-Modified (seconds).
 */
export function evaluate(pre: Preconditions, etag: string, lastModified: number, safe = true): Outcome {
  if (pre.ifMatch !== undefined) {
    if (!matchesStrong(pre.ifMatch, etag)) return 412;
  } else if (pre.ifUnmodifiedSince !== undefined) {
    const since = httpDateSeconds(pre.ifUnmodifiedSince);
    if (!Number.isNaN(since) && lastModified > since) return 412;
  }
  if (pre.ifNoneMatch !== undefined) {
    if (matchesWeak(pre.ifNoneMatch, etag)) return safe ? 304 : 412;
  } else if (safe && pre.ifModifiedSince !== undefined) {
    const since = httpDateSeconds(pre.ifModifiedSince);
    if (!Number.isNaN(since) && lastModified <= since) return 304;
  }
  return 200;
}

/** The precondition headers of a request, as node parsed them. */
export interface PreconditionHeaders {
  'if-match'?: string;
  'if-none-match'?: string;
  'if-modified-since'?: string;
  'if-unmodified-since'?: string;
}

/** `evaluate` for a request's headers; 200 at once when it carries no precondition (the common case). */
export function evaluateRequest(h: PreconditionHeaders, etag: string, lastModified: number): Outcome {
  if (h['if-none-match'] === undefined && h['if-modified-since'] === undefined && h['if-match'] === undefined && h['if-unmodified-since'] === undefined) return 200;
  return evaluate({ ifMatch: h['if-match'], ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'], ifUnmodifiedSince: h['if-unmodified-since'] }, etag, lastModified);
}

/**
 * If-Range (RFC 9110 §13.1.5): the Range applies only when the validator matches the
 * current representation by strong comparison (an entity-tag) or exactly (a date).
 */
export function ifRangeHolds(ifRange: string | undefined, etag: string, lastModifiedHttp: string): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return !v.startsWith('W/') && !etag.startsWith('W/') && v === etag;
  return v === lastModifiedHttp;
}
