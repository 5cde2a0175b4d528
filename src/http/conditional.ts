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

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MON = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d\\d) ${MON} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d\\d)-${MON}-(\\d\\d) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MON} ( \\d|\\d\\d) ${TIME} (\\d{4})$`);

function utcSeconds(year: number, month: string, day: number, h: number, m: number, sec: number): number {
  const mon = MONTHS.indexOf(month) / 3;
  if (day < 1 || h > 23 || m > 59 || sec > 60) return NaN;
  const d = new Date(Date.UTC(2000, 0, 1, h, m, Math.min(sec, 59)));
  d.setUTCFullYear(year, mon, day); // not Date.UTC's year argument, which reads 0-99 as 1900-1999
  // a day past the end of its month (31 Feb) rolls over: not a date
  return d.getUTCDate() === day ? Math.floor(d.getTime() / 1000) + (sec === 60 ? 1 : 0) : NaN;
}

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms
 * every recipient must accept) in whole seconds since the epoch, or NaN for anything else:
 * a field that is not a valid HTTP-date is ignored (§13.1.3, §13.1.4), never guessed at.
 */
export function httpDateSeconds(s: string): number {
  let m = IMF_FIXDATE.exec(s);
  if (m) return utcSeconds(Number(m[3]), m[2], Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850_DATE.exec(s);
  if (m) {
    // a two-digit year more than 50 years in the future is the most recent past year with those digits
    const now = new Date().getUTCFullYear();
    let year = now - (now % 100) + Number(m[3]);
    if (year > now + 50) year -= 100;
    return utcSeconds(year, m[2], Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME_DATE.exec(s);
  if (m) return utcSeconds(Number(m[6]), m[1], Number(m[2].trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  return NaN;
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
