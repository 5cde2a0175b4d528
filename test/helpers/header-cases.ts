/**
 * Malformed and extreme request headers. Each row names the target, the header lines and
 * the statuses a correct server may answer; `check` adds what the answer must contain.
 * The site is the one from site.ts: /static/app.css (in memory, no variants),
 * /static/css/site.css (gzip and brotli variants), /static/big.bin (streamed).
 */
import type { RawResponse } from './raw-http.js';

export interface HeaderContext {
  /** ETag of the identity representation of the target, fetched before the case runs. */
  etag: string;
  lastModified: string;
  size: number;
}

export interface HeaderCase {
  name: string;
  target: string;
  method?: string;
  headers: (ctx: HeaderContext) => [string, string][];
  /** Host header to send (null: none). */
  host?: string | null;
  status: number[];
  check?: (res: RawResponse, ctx: HeaderContext) => string | undefined;
}

const CSS = '/static/app.css';
const VARIED = '/static/css/site.css';
const BIG = '/static/big.bin';

const repeat = (n: number, f: (i: number) => string, sep: string) => Array.from({ length: n }, (_, i) => f(i)).join(sep);

const encoding = (want: string | undefined) => (res: RawResponse) =>
  res.headers['content-encoding'] === want ? undefined : `Content-Encoding ${res.headers['content-encoding']}, wanted ${want}`;

const contentRange = (want: string) => (res: RawResponse) => (res.headers['content-range'] === want ? undefined : `Content-Range ${res.headers['content-range']}, wanted ${want}`);

const whole = (res: RawResponse, ctx: HeaderContext) => (res.body.length === ctx.size ? undefined : `body ${res.body.length} bytes, wanted the whole ${ctx.size}`);

export const HEADER_CASES: HeaderCase[] = [
  // Range
  { name: 'Range: bytes=', target: CSS, headers: () => [['Range', 'bytes=']], status: [200], check: whole },
  { name: 'Range: reversed 5-1', target: CSS, headers: () => [['Range', 'bytes=5-1']], status: [200], check: whole },
  { name: 'Range: end past 2^53', target: CSS, headers: () => [['Range', 'bytes=0-99999999999999999999999999']], status: [206], check: (r, c) => contentRange(`bytes 0-${c.size - 1}/${c.size}`)(r) },
  { name: 'Range: start past 2^53', target: CSS, headers: () => [['Range', 'bytes=99999999999999999999999-']], status: [416], check: (r, c) => contentRange(`bytes */${c.size}`)(r) },
  { name: 'Range: huge suffix', target: CSS, headers: () => [['Range', 'bytes=-99999999999999999999']], status: [206], check: whole },
  { name: 'Range: suffix 0', target: CSS, headers: () => [['Range', 'bytes=-0']], status: [416] },
  { name: 'Range: 3000 ranges', target: CSS, headers: () => [['Range', 'bytes=' + repeat(3000, (i) => `${i % 20}-${i % 20}`, ',')]], status: [200], check: whole },
  { name: 'Range: overlapping pair', target: BIG, headers: () => [['Range', 'bytes=0-0,0-0']], status: [200], check: whole },
  { name: 'Range: two headers', target: CSS, headers: () => [['Range', 'bytes=0-1'], ['Range', 'bytes=2-3']], status: [200, 206, 400] },
  { name: 'Range: not a number', target: CSS, headers: () => [['Range', 'bytes=abc-def']], status: [200], check: whole },
  { name: 'Range: decimal', target: CSS, headers: () => [['Range', 'bytes=1.5-2']], status: [200], check: whole },
  { name: 'Range: hex', target: CSS, headers: () => [['Range', 'bytes=0x10-0x20']], status: [200], check: whole },
  { name: 'Range: exponent', target: CSS, headers: () => [['Range', 'bytes=1e3-']], status: [200], check: whole },
  { name: 'Range: negative both', target: CSS, headers: () => [['Range', 'bytes=-1-2']], status: [200], check: whole },
  { name: 'Range: only dash', target: CSS, headers: () => [['Range', 'bytes=-']], status: [200], check: whole },
  { name: 'Range: other unit', target: CSS, headers: () => [['Range', 'items=0-1']], status: [200], check: whole },
  { name: 'Range: no equals', target: CSS, headers: () => [['Range', 'bytes 0-1']], status: [200], check: whole },
  { name: 'Range: last byte of a streamed file', target: BIG, headers: () => [['Range', 'bytes=-1']], status: [206], check: (r, c) => contentRange(`bytes ${c.size - 1}-${c.size - 1}/${c.size}`)(r) },
  { name: 'Range: start at the size', target: BIG, headers: (c) => [['Range', `bytes=${c.size}-`]], status: [416] },
  { name: 'Range with a stale If-Range', target: BIG, headers: () => [['Range', 'bytes=0-9'], ['If-Range', '"stale"']], status: [200], check: whole },
  { name: 'Range with a garbage If-Range', target: BIG, headers: () => [['Range', 'bytes=0-9'], ['If-Range', 'W/'.repeat(500)]], status: [200], check: whole },
  // Accept-Encoding
  { name: 'Accept-Encoding: odd q-values', target: VARIED, headers: () => [['Accept-Encoding', 'gzip;q=;q=x, br;q=1.0001, zstd;q=-0, identity;q=0.5']], status: [200], check: encoding(undefined) },
  { name: 'Accept-Encoding: many q parameters', target: VARIED, headers: () => [['Accept-Encoding', 'gzip' + ';q=0.5'.repeat(1000)]], status: [200], check: encoding('gzip') },
  { name: 'Accept-Encoding: 2000 unknown entries then br', target: VARIED, headers: () => [['Accept-Encoding', repeat(2000, (i) => `x${i}`, ',') + ',br']], status: [200], check: encoding('br') },
  { name: 'Accept-Encoding: 5000 commas', target: VARIED, headers: () => [['Accept-Encoding', ','.repeat(5000)]], status: [200], check: encoding(undefined) },
  { name: 'Accept-Encoding: everything refused', target: VARIED, headers: () => [['Accept-Encoding', 'br;q=0, gzip;q=0, zstd;q=0, identity;q=0']], status: [406] },
  { name: 'Accept-Encoding: star refused', target: VARIED, headers: () => [['Accept-Encoding', '*;q=0']], status: [406] },
  { name: 'Accept-Encoding: identity refused', target: VARIED, headers: () => [['Accept-Encoding', 'identity;q=0, gzip']], status: [200], check: encoding('gzip') },
  { name: 'Accept-Encoding: empty', target: VARIED, headers: () => [['Accept-Encoding', '']], status: [200], check: encoding(undefined) },
  { name: 'Accept-Encoding: two headers', target: VARIED, headers: () => [['Accept-Encoding', 'gzip'], ['Accept-Encoding', 'br']], status: [200], check: (r) => (r.headers['content-encoding'] === 'br' || r.headers['content-encoding'] === 'gzip' ? undefined : 'an accepted coding') },
  { name: 'Accept-Encoding: Unicode', target: VARIED, headers: () => [['Accept-Encoding', 'gzip\u00ff;q=1']], status: [200, 400], check: encoding(undefined) },
  // conditionals
  { name: 'If-None-Match: 1000 tags, none match', target: CSS, headers: () => [['If-None-Match', repeat(1000, (i) => `"tag-${i}"`, ', ')]], status: [200], check: whole },
  { name: 'If-None-Match: 1000 tags, the last matches', target: CSS, headers: (c) => [['If-None-Match', repeat(1000, (i) => `W/"tag-${i}"`, ', ') + ', ' + c.etag]], status: [304] },
  { name: 'If-None-Match: 2000 weak prefixes', target: CSS, headers: () => [['If-None-Match', 'W/'.repeat(2000)]], status: [200] },
  { name: 'If-None-Match: unterminated quote', target: CSS, headers: (c) => [['If-None-Match', `"abc, ${c.etag}`]], status: [200] },
  { name: 'If-None-Match: only commas', target: CSS, headers: () => [['If-None-Match', ','.repeat(3000)]], status: [200] },
  { name: 'If-None-Match: star', target: CSS, headers: () => [['If-None-Match', '*']], status: [304] },
  { name: 'If-Match: 1000 tags, none match', target: CSS, headers: () => [['If-Match', repeat(1000, (i) => `"tag-${i}"`, ',')]], status: [412] },
  { name: 'If-Modified-Since: garbage', target: CSS, headers: () => [['If-Modified-Since', 'yesterday'.repeat(100)]], status: [200] },
  { name: 'If-Modified-Since: year 275760', target: CSS, headers: () => [['If-Modified-Since', 'Sat, 13 Sep 275760 00:00:00 GMT']], status: [200, 304] },
  { name: 'If-Unmodified-Since: epoch', target: CSS, headers: () => [['If-Unmodified-Since', 'Thu, 01 Jan 1970 00:00:00 GMT']], status: [412] },
  // sizes, duplicates and malformed lines
  { name: 'one 20 KiB header', target: CSS, headers: () => [['X-Big', 'a'.repeat(20 * 1024)]], status: [431] },
  { name: '400 headers of 60 bytes', target: CSS, headers: () => Array.from({ length: 400 }, (_, i) => [`X-H${i}`, 'v'.repeat(60)] as [string, string]), status: [431] },
  { name: '1500 tiny headers', target: CSS, headers: () => Array.from({ length: 1500 }, () => ['X', '1'] as [string, string]), status: [200] },
  { name: '10 KiB cookie', target: CSS, headers: () => [['Cookie', 'a=' + 'b'.repeat(10 * 1024)]], status: [200] },
  { name: 'duplicate Host', target: CSS, headers: () => [['Host', 'evil.example']], status: [200, 400] },
  { name: 'no Host (HTTP/1.1)', target: CSS, host: null, headers: () => [], status: [400] },
  { name: 'Host with a path', target: CSS, host: '../../etc/passwd', headers: () => [], status: [200, 400] },
  { name: 'header name with a space', target: CSS, headers: () => [['Bad Name', 'x']], status: [400] },
  { name: 'header value with a control character', target: CSS, headers: () => [['X-Ctl', 'a\x01b']], status: [400] },
  { name: 'obsolete line folding', target: CSS, headers: () => [['X-Fold', 'a\r\n folded']], status: [200, 400] },
  { name: 'Content-Length and Transfer-Encoding (smuggling)', target: CSS, method: 'POST', headers: () => [['Content-Length', '4'], ['Transfer-Encoding', 'chunked']], status: [400] },
  { name: 'two different Content-Lengths', target: CSS, method: 'POST', headers: () => [['Content-Length', '1'], ['Content-Length', '2']], status: [400] },
  { name: 'Transfer-Encoding: garbage', target: CSS, headers: () => [['Transfer-Encoding', 'gzip, chunked, x']], status: [400, 501] },
  { name: 'Expect: something unknown', target: CSS, headers: () => [['Expect', 'teapot']], status: [417] },
  { name: 'Upgrade: websocket on a file', target: CSS, headers: () => [['Upgrade', 'websocket'], ['Connection', 'Upgrade, close']], status: [200, 400, 404, 426] },
  { name: '1 KiB method', target: CSS, method: 'G'.repeat(1024), headers: () => [], status: [400, 405, 501] },
];
