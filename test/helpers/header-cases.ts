/**
 * Malformed and extreme request headers. Each row names the target, the header lines, the
 * RFC section that decides the answer, and the one status it gives; `check` adds what the
 * answer must contain.
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
  /** The section that decides the answer (and, where it leaves a choice, which one assetd makes). */
  rfc: string;
  target: string;
  method?: string;
  headers: (ctx: HeaderContext) => [string, string][];
  /** Host header to send (null: none). */
  host?: string | null;
  /** The one status the RFC (or assetd's choice where it allows several) gives. */
  status: number;
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
  // Range (RFC 9110 §14): assetd answers one range of the identity representation, and ignores
  // what §14.2 lets a server ignore (an invalid or multiple-range ranges-specifier)
  { name: 'Range: bytes=', rfc: 'RFC 9110 §14.2: an invalid ranges-specifier may be ignored', target: CSS, headers: () => [['Range', 'bytes=']], status: 200, check: whole },
  { name: 'Range: reversed 5-1', rfc: 'RFC 9110 §14.1.2: last-pos below first-pos is invalid; §14.2: ignored', target: CSS, headers: () => [['Range', 'bytes=5-1']], status: 200, check: whole },
  { name: 'Range: end past 2^53', rfc: 'RFC 9110 §14.1.2: a last-pos at or past the length means the remainder', target: CSS, headers: () => [['Range', 'bytes=0-99999999999999999999999999']], status: 206, check: (r, c) => contentRange(`bytes 0-${c.size - 1}/${c.size}`)(r) },
  { name: 'Range: start past 2^53', rfc: 'RFC 9110 §14.1.1: a first-pos at or past the length is unsatisfiable; §15.5.17, §14.4: 416 with bytes */length', target: CSS, headers: () => [['Range', 'bytes=99999999999999999999999-']], status: 416, check: (r, c) => contentRange(`bytes */${c.size}`)(r) },
  { name: 'Range: huge suffix', rfc: 'RFC 9110 §14.1.2: a suffix longer than the representation is all of it', target: CSS, headers: () => [['Range', 'bytes=-99999999999999999999']], status: 206, check: whole },
  { name: 'Range: suffix 0', rfc: 'RFC 9110 §14.1.1: a suffix-range of length zero is unsatisfiable; §15.5.17', target: CSS, headers: () => [['Range', 'bytes=-0']], status: 416 },
  { name: 'Range: 3000 ranges', rfc: 'RFC 9110 §14.2: a server may ignore many small or unordered ranges', target: CSS, headers: () => [['Range', 'bytes=' + repeat(3000, (i) => `${i % 20}-${i % 20}`, ',')]], status: 200, check: whole },
  { name: 'Range: overlapping pair', rfc: 'RFC 9110 §14.2: a server may ignore overlapping ranges (assetd serves single ranges only)', target: BIG, headers: () => [['Range', 'bytes=0-0,0-0']], status: 200, check: whole },
  { name: 'Range: two headers', rfc: 'RFC 9110 §5.3: Range is not a list, so the combined value is invalid; §14.2: ignored', target: CSS, headers: () => [['Range', 'bytes=0-1'], ['Range', 'bytes=2-3']], status: 200, check: whole },
  { name: 'Range: not a number', rfc: 'RFC 9110 §14.1.2: positions are 1*DIGIT; §14.2: invalid, ignored', target: CSS, headers: () => [['Range', 'bytes=abc-def']], status: 200, check: whole },
  { name: 'Range: decimal', rfc: 'RFC 9110 §14.1.2: positions are 1*DIGIT; §14.2: invalid, ignored', target: CSS, headers: () => [['Range', 'bytes=1.5-2']], status: 200, check: whole },
  { name: 'Range: hex', rfc: 'RFC 9110 §14.1.2: positions are 1*DIGIT; §14.2: invalid, ignored', target: CSS, headers: () => [['Range', 'bytes=0x10-0x20']], status: 200, check: whole },
  { name: 'Range: exponent', rfc: 'RFC 9110 §14.1.2: positions are 1*DIGIT; §14.2: invalid, ignored', target: CSS, headers: () => [['Range', 'bytes=1e3-']], status: 200, check: whole },
  { name: 'Range: negative both', rfc: 'RFC 9110 §14.1.2: no such range-spec form; §14.2: invalid, ignored', target: CSS, headers: () => [['Range', 'bytes=-1-2']], status: 200, check: whole },
  { name: 'Range: only dash', rfc: 'RFC 9110 §14.1.2: a suffix-range needs 1*DIGIT; §14.2: invalid, ignored', target: CSS, headers: () => [['Range', 'bytes=-']], status: 200, check: whole },
  { name: 'Range: other unit', rfc: 'RFC 9110 §14.2: an origin server MUST ignore a range unit it does not understand', target: CSS, headers: () => [['Range', 'items=0-1']], status: 200, check: whole },
  { name: 'Range: no equals', rfc: 'RFC 9110 §14.1.1: ranges-specifier is unit "=" ranges; §14.2: invalid, ignored', target: CSS, headers: () => [['Range', 'bytes 0-1']], status: 200, check: whole },
  { name: 'Range: last byte of a streamed file', rfc: 'RFC 9110 §14.1.2: suffix-range; §14.4: Content-Range', target: BIG, headers: () => [['Range', 'bytes=-1']], status: 206, check: (r, c) => contentRange(`bytes ${c.size - 1}-${c.size - 1}/${c.size}`)(r) },
  { name: 'Range: start at the size', rfc: 'RFC 9110 §14.1.1: a first-pos at the length is unsatisfiable; §15.5.17', target: BIG, headers: (c) => [['Range', `bytes=${c.size}-`]], status: 416 },
  { name: 'Range with a stale If-Range', rfc: 'RFC 9110 §13.1.5: a validator that does not match MUST make the server ignore Range', target: BIG, headers: () => [['Range', 'bytes=0-9'], ['If-Range', '"stale"']], status: 200, check: whole },
  { name: 'Range with a garbage If-Range', rfc: 'RFC 9110 §13.1.5: a weak or invalid validator never matches: Range MUST be ignored', target: BIG, headers: () => [['Range', 'bytes=0-9'], ['If-Range', 'W/'.repeat(500)]], status: 200, check: whole },
  // Accept-Encoding (RFC 9110 §12.5.3)
  { name: 'Accept-Encoding: odd q-values', rfc: 'RFC 9110 §12.4.2: invalid weights; only identity;q=0.5 is a valid acceptable entry', target: VARIED, headers: () => [['Accept-Encoding', 'gzip;q=;q=x, br;q=1.0001, zstd;q=-0, identity;q=0.5']], status: 200, check: encoding(undefined) },
  { name: 'Accept-Encoding: many q parameters', rfc: 'RFC 9110 §12.5.3, §12.4.2', target: VARIED, headers: () => [['Accept-Encoding', 'gzip' + ';q=0.5'.repeat(1000)]], status: 200, check: encoding('gzip') },
  { name: 'Accept-Encoding: 2000 unknown entries then br', rfc: 'RFC 9110 §12.5.3: unknown codings are not acceptable and change nothing else', target: VARIED, headers: () => [['Accept-Encoding', repeat(2000, (i) => `x${i}`, ',') + ',br']], status: 200, check: encoding('br') },
  { name: 'Accept-Encoding: 5000 commas', rfc: 'RFC 9110 §5.6.1: empty list elements are ignored; §12.5.3: then identity', target: VARIED, headers: () => [['Accept-Encoding', ','.repeat(5000)]], status: 200, check: encoding(undefined) },
  { name: 'Accept-Encoding: everything refused', rfc: 'RFC 9110 §12.5.3 (identity;q=0 excludes it), §15.5.7: assetd honours the field with 406', target: VARIED, headers: () => [['Accept-Encoding', 'br;q=0, gzip;q=0, zstd;q=0, identity;q=0']], status: 406 },
  { name: 'Accept-Encoding: star refused', rfc: 'RFC 9110 §12.5.3: *;q=0 without an identity entry excludes identity too; §15.5.7', target: VARIED, headers: () => [['Accept-Encoding', '*;q=0']], status: 406 },
  { name: 'Accept-Encoding: identity refused', rfc: 'RFC 9110 §12.5.3', target: VARIED, headers: () => [['Accept-Encoding', 'identity;q=0, gzip']], status: 200, check: encoding('gzip') },
  { name: 'Accept-Encoding: empty', rfc: 'RFC 9110 §12.5.3: an empty value asks for no content coding', target: VARIED, headers: () => [['Accept-Encoding', '']], status: 200, check: encoding(undefined) },
  { name: 'Accept-Encoding: two headers', rfc: 'RFC 9110 §5.3: two lines of a list field are one list; §12.5.3: the smallest accepted representation', target: VARIED, headers: () => [['Accept-Encoding', 'gzip'], ['Accept-Encoding', 'br']], status: 200, check: encoding('br') },
  { name: 'Accept-Encoding: Unicode', rfc: 'RFC 9110 §5.5: obs-text is a valid field value; §12.5.3: "gzip\xff" is no known coding, so identity', target: VARIED, headers: () => [['Accept-Encoding', 'gzip\u00ff;q=1']], status: 200, check: encoding(undefined) },
  // conditionals (RFC 9110 §13)
  { name: 'If-None-Match: 1000 tags, none match', rfc: 'RFC 9110 §13.1.2', target: CSS, headers: () => [['If-None-Match', repeat(1000, (i) => `"tag-${i}"`, ', ')]], status: 200, check: whole },
  { name: 'If-None-Match: 1000 tags, the last matches', rfc: 'RFC 9110 §13.1.2: weak comparison; §15.4.5', target: CSS, headers: (c) => [['If-None-Match', repeat(1000, (i) => `W/"tag-${i}"`, ', ') + ', ' + c.etag]], status: 304 },
  { name: 'If-None-Match: 2000 weak prefixes', rfc: 'RFC 9110 §13.1.2, §8.8.3: no entity-tag, nothing matches', target: CSS, headers: () => [['If-None-Match', 'W/'.repeat(2000)]], status: 200 },
  { name: 'If-None-Match: unterminated quote', rfc: 'RFC 9110 §8.8.3: the quoted tag never closes, so it is not this ETag', target: CSS, headers: (c) => [['If-None-Match', `"abc, ${c.etag}`]], status: 200 },
  { name: 'If-None-Match: only commas', rfc: 'RFC 9110 §5.6.1: empty list elements; §13.1.2: nothing matches', target: CSS, headers: () => [['If-None-Match', ','.repeat(3000)]], status: 200 },
  { name: 'If-None-Match: star', rfc: 'RFC 9110 §13.1.2: "*" matches any current representation', target: CSS, headers: () => [['If-None-Match', '*']], status: 304 },
  { name: 'If-Match: 1000 tags, none match', rfc: 'RFC 9110 §13.1.1, §15.5.13', target: CSS, headers: () => [['If-Match', repeat(1000, (i) => `"tag-${i}"`, ',')]], status: 412 },
  { name: 'If-Modified-Since: garbage', rfc: 'RFC 9110 §13.1.3: a value that is not a valid HTTP-date MUST be ignored', target: CSS, headers: () => [['If-Modified-Since', 'yesterday'.repeat(100)]], status: 200 },
  { name: 'If-Modified-Since: year 275760', rfc: 'RFC 9110 §5.6.7: the year is 4DIGIT, so not an HTTP-date; §13.1.3: MUST be ignored', target: CSS, headers: () => [['If-Modified-Since', 'Sat, 13 Sep 275760 00:00:00 GMT']], status: 200 },
  { name: 'If-Unmodified-Since: epoch', rfc: 'RFC 9110 §13.1.4, §15.5.13', target: CSS, headers: () => [['If-Unmodified-Since', 'Thu, 01 Jan 1970 00:00:00 GMT']], status: 412 },
  // sizes, duplicates and malformed lines
  { name: 'one 20 KiB header', rfc: 'RFC 9110 §5.4, RFC 6585 §5: over maxHeaderSize (16 KiB)', target: CSS, headers: () => [['X-Big', 'a'.repeat(20 * 1024)]], status: 431 },
  { name: '400 headers of 60 bytes', rfc: 'RFC 9110 §5.4, RFC 6585 §5: over maxHeaderSize (16 KiB)', target: CSS, headers: () => Array.from({ length: 400 }, (_, i) => [`X-H${i}`, 'v'.repeat(60)] as [string, string]), status: 431 },
  { name: '1500 tiny headers', rfc: 'RFC 9110 §5.4: within maxHeaderSize, so served', target: CSS, headers: () => Array.from({ length: 1500 }, () => ['X', '1'] as [string, string]), status: 200 },
  { name: '10 KiB cookie', rfc: 'RFC 9110 §5.4: within maxHeaderSize, so served', target: CSS, headers: () => [['Cookie', 'a=' + 'b'.repeat(10 * 1024)]], status: 200 },
  { name: 'duplicate Host', rfc: 'RFC 9112 §3.2: more than one Host field line MUST get 400', target: CSS, headers: () => [['Host', 'evil.example']], status: 400 },
  { name: 'duplicate Host, same value, other case', rfc: 'RFC 9112 §3.2: more than one Host field line MUST get 400', target: CSS, headers: () => [['host', '127.0.0.1']], status: 400 },
  { name: 'no Host (HTTP/1.1)', rfc: 'RFC 9112 §3.2: an HTTP/1.1 request without Host MUST get 400', target: CSS, host: null, headers: () => [], status: 400 },
  { name: 'Host with a path', rfc: 'RFC 9112 §3.2: an invalid Host value MUST get 400 (RFC 9110 §7.2: uri-host [":" port])', target: CSS, host: '../../etc/passwd', headers: () => [], status: 400 },
  { name: 'Host with a space', rfc: 'RFC 9112 §3.2, RFC 3986 §3.2.2: no space in a reg-name', target: CSS, host: 'a b.example', headers: () => [], status: 400 },
  { name: 'Host that is an IPv6 literal', rfc: 'RFC 9110 §7.2, RFC 3986 §3.2.2: IP-literal', target: CSS, host: '[::1]:8080', headers: () => [], status: 200 },
  { name: 'Host with a bracketed non-address', rfc: 'RFC 9112 §3.2, RFC 3986 §3.2.2: an IP-literal must be an IPv6 address', target: CSS, host: '[::1::2]', headers: () => [], status: 400 },
  { name: 'empty Host', rfc: 'RFC 9112 §3.2: an empty Host is valid (a target without an authority)', target: CSS, host: '', headers: () => [], status: 200 },
  { name: 'header name with a space', rfc: 'RFC 9112 §5.1: whitespace before the colon MUST get 400; RFC 9110 §5.1: a name is a token', target: CSS, headers: () => [['Bad Name', 'x']], status: 400 },
  { name: 'header value with a control character', rfc: 'RFC 9110 §5.5: a CTL is not a field-vchar; the message may be rejected', target: CSS, headers: () => [['X-Ctl', 'a\x01b']], status: 400 },
  { name: 'obsolete line folding', rfc: 'RFC 9112 §5.2: a server MUST reject obs-fold with 400 or replace it (node rejects)', target: CSS, headers: () => [['X-Fold', 'a\r\n folded']], status: 400 },
  { name: 'Content-Length and Transfer-Encoding (smuggling)', rfc: 'RFC 9112 §6.1: a server may reject a request with both (node does); §11.2', target: CSS, method: 'POST', headers: () => [['Content-Length', '4'], ['Transfer-Encoding', 'chunked']], status: 400 },
  { name: 'two different Content-Lengths', rfc: 'RFC 9112 §6.3 (5): an invalid Content-Length MUST get 400', target: CSS, method: 'POST', headers: () => [['Content-Length', '1'], ['Content-Length', '2']], status: 400 },
  { name: 'Transfer-Encoding: garbage', rfc: 'RFC 9112 §6.3 (4): chunked not last in a request MUST get 400', target: CSS, headers: () => [['Transfer-Encoding', 'gzip, chunked, x']], status: 400 },
  { name: 'Expect: something unknown', rfc: 'RFC 9110 §10.1.1: an expectation other than 100-continue may get 417', target: CSS, headers: () => [['Expect', 'teapot']], status: 417 },
  { name: 'Upgrade: websocket on a file', rfc: 'RFC 9110 §7.8: a server may ignore Upgrade (nothing to upgrade to without an upstream)', target: CSS, headers: () => [['Upgrade', 'websocket'], ['Connection', 'Upgrade, close']], status: 200, check: whole },
  { name: '1 KiB method', rfc: 'RFC 9112 §3: a method longer than any implemented SHOULD get 501; RFC 9110 §9.1', target: CSS, method: 'G'.repeat(1024), headers: () => [], status: 501 },
  { name: 'unknown short method', rfc: 'RFC 9110 §9.1: an unrecognised method SHOULD get 501', target: CSS, method: 'BREW', headers: () => [], status: 501 },
  { name: 'a method that is not a token', rfc: 'RFC 9112 §3: an invalid request-line SHOULD get 400', target: CSS, method: 'GE(T', headers: () => [], status: 400 },
];

/** What the app behind the proxy received for one request. */
export interface AppSaw {
  method: string;
  url: string;
  /** Header lines as received, names in their case. */
  rawHeaders: string[];
  body: Buffer;
}

/** Values of one header (case-insensitive) in a flat raw list. */
export function valuesOf(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) out.push(raw[i + 1]);
  return out;
}

/**
 * Header cases that matter to the proxy, sent to a server whose upstream records every
 * request. `check` sees the answer and what the app received (empty when nothing reached it).
 */
export interface ProxyHeaderCase {
  name: string;
  method?: string;
  /** Path under the app (default /app/echo). */
  target?: string;
  headers: [string, string][];
  /** The request body, sent as is after the head (lengths are the row's business). */
  body?: string;
  host?: string | null;
  /** The section that decides the answer. */
  rfc: string;
  /** The status the app's answer or this server's own must have. */
  status: number;
  check?: (res: RawResponse, seen: AppSaw[]) => string | undefined;
  /** Read one response instead of reading until the server closes (a kept-open connection). */
  readOne?: boolean;
}

const one = (seen: AppSaw[]): AppSaw | string => (seen.length === 1 ? seen[0] : `the app received ${seen.length} requests`);

/** Every check on the single request the app received; the first failure wins. */
const app =
  (...checks: ((s: AppSaw) => string | undefined)[]) =>
  (_res: RawResponse, seen: AppSaw[]) => {
    const s = one(seen);
    if (typeof s === 'string') return s;
    for (const c of checks) {
      const why = c(s);
      if (why !== undefined) return why;
    }
    return undefined;
  };

const lacks = (...names: string[]) => (s: AppSaw) => {
  const present = names.filter((n) => valuesOf(s.rawHeaders, n).length > 0);
  return present.length === 0 ? undefined : `the app received ${present.join(', ')}`;
};
const has = (name: string, want: string[]) => (s: AppSaw) => {
  const got = valuesOf(s.rawHeaders, name);
  return JSON.stringify(got) === JSON.stringify(want) ? undefined : `${name}: the app received ${JSON.stringify(got).slice(0, 200)}, wanted ${JSON.stringify(want).slice(0, 200)}`;
};
const bodyIs = (want: string) => (s: AppSaw) => (s.body.toString('latin1') === want ? undefined : `the app received a body of ${s.body.length} bytes, wanted ${want.length}`);
/** The last X-Forwarded-For entry is the address this server saw, whatever the client claimed. */
const forwardedForEndsWithClient = (s: AppSaw) => {
  const v = valuesOf(s.rawHeaders, 'x-forwarded-for');
  if (v.length !== 1) return `${v.length} X-Forwarded-For headers reached the app`;
  const last = v[0].split(',').pop()!.trim();
  return last === '127.0.0.1' ? undefined : `X-Forwarded-For ends with ${JSON.stringify(last)}`;
};
/** The Connection header of the upstream hop is this server's own: it names none of the client's tokens. */
const noConnectionToken = (token: string) => (s: AppSaw) =>
  valuesOf(s.rawHeaders, 'connection').some((v) => v.toLowerCase().includes(token)) ? `the app's Connection header names ${token}` : undefined;
const nothingReached = (_res: RawResponse, seen: AppSaw[]) => (seen.length === 0 ? undefined : `the app received ${seen.map((s) => `${s.method} ${s.url}`).join(', ')}`);

const chain = (n: number) => Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join(', ');

export const PROXY_HEADER_CASES: ProxyHeaderCase[] = [
  // hop-by-hop smuggling: a header named in Connection is dropped, the ones this server sets are not
  { name: 'Connection: close, X-Secret drops X-Secret', rfc: 'RFC 9110 §7.6.1: a proxy MUST remove the fields the Connection header names', headers: [['Connection', 'close, X-Secret'], ['X-Secret', '1']], status: 200, check: app(lacks('x-secret'), noConnectionToken('x-secret')) },
  { name: 'Connection tokens with odd case, spaces and empty items', rfc: 'RFC 9110 §7.6.1 (names are case-insensitive), §5.6.1 (empty list elements)', headers: [['Connection', ' ,, x-SECRET ,close,'], ['X-Secret', '1'], ['X-Kept', 'k']], status: 200, check: app(lacks('x-secret'), has('x-kept', ['k'])) },
  { name: 'two Connection headers each naming a header', rfc: 'RFC 9110 §5.3: two lines of a list field are one list; §7.6.1', headers: [['Connection', 'X-A'], ['Connection', 'close, X-B'], ['X-A', '1'], ['X-B', '2']], status: 200, check: app(lacks('x-a', 'x-b')) },
  { name: 'Connection naming X-Forwarded-For cannot hide the client', rfc: 'RFC 9110 §7.6.1; RFC 7239 §5.2 (the de-facto X-Forwarded-For is its "for")', headers: [['Connection', 'close, X-Forwarded-For'], ['X-Forwarded-For', '203.0.113.7']], status: 200, check: app(has('x-forwarded-for', ['203.0.113.7, 127.0.0.1'])) },
  { name: 'Connection naming Host and X-Forwarded-* changes nothing this server sets', rfc: 'RFC 9110 §7.6.1, §7.2: Host is not hop-by-hop; a proxy sets its own forwarding fields', headers: [['Connection', 'close, Host, X-Forwarded-Proto, X-Forwarded-Host'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'evil.example']], host: 'shop.example', status: 200, check: app(has('host', ['shop.example']), has('x-forwarded-proto', ['http']), has('x-forwarded-host', ['shop.example'])) },
  { name: 'Connection naming Content-Length on a POST keeps the body whole', rfc: 'RFC 9112 §6.2: the framing of the forwarded message is this hop\'s own', method: 'POST', headers: [['Connection', 'close, Content-Length'], ['Content-Length', '11']], body: 'hello world', status: 200, check: app(bodyIs('hello world')) },
  { name: 'Connection naming Authorization and Cookie drops them (as RFC 9110 asks)', rfc: 'RFC 9110 §7.6.1: whatever the Connection header names is removed', headers: [['Connection', 'close, Authorization, Cookie'], ['Authorization', 'Bearer t'], ['Cookie', 'a=1']], status: 200, check: app(lacks('authorization', 'cookie')) },
  { name: 'every fixed hop-by-hop header dropped', rfc: 'RFC 9110 §7.6.1: Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade are hop-by-hop; §11.7.2', headers: [['Keep-Alive', 'timeout=5'], ['TE', 'trailers'], ['Trailer', 'X-T'], ['Proxy-Authorization', 'Basic eA=='], ['Proxy-Connection', 'keep-alive'], ['Proxy', 'http://evil.example']], status: 200, check: app(lacks('keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection', 'proxy')) },
  { name: 'spoofed X-Forwarded-Proto and X-Forwarded-Host replaced', rfc: 'RFC 7239 §5.3-5.4 (the standard form of X-Forwarded-Host/-Proto): set by the proxy, not the client', headers: [['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'ftp']], status: 200, check: app(has('x-forwarded-proto', ['http']), has('x-forwarded-host', ['127.0.0.1'])) },
  // framing: Node's parser refuses ambiguous bodies before anything is forwarded
  { name: 'Transfer-Encoding and Content-Length together', rfc: 'RFC 9112 §6.1: a server may reject both together (node does); §11.2: nothing forwarded', method: 'POST', headers: [['Content-Length', '4'], ['Transfer-Encoding', 'chunked']], body: '0\r\n\r\nGET /app/smuggled HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, check: nothingReached },
  { name: 'two different Content-Lengths', rfc: 'RFC 9112 §6.3 (5): an invalid Content-Length MUST get 400', method: 'POST', headers: [['Content-Length', '4'], ['Content-Length', '40']], body: 'abcd', status: 400, check: nothingReached },
  { name: 'Transfer-Encoding: chunked, identity', rfc: 'RFC 9112 §6.3 (4): chunked not last in a request MUST get 400', method: 'POST', headers: [['Transfer-Encoding', 'chunked, identity']], body: '4\r\nabcd\r\n0\r\n\r\n', status: 400, check: nothingReached },
  { name: 'Transfer-Encoding with a space before the colon', rfc: 'RFC 9112 §5.1: whitespace before the colon MUST get 400', method: 'POST', headers: [['Transfer-Encoding ', 'chunked'], ['Content-Length', '4']], body: 'abcd', status: 400, check: nothingReached },
  { name: 'a body pipelined with a second request is two requests', rfc: 'RFC 9112 §6.3 (6), §9.3.2: Content-Length ends the body; the rest is the next request', method: 'POST', headers: [['Content-Length', '5'], ['Connection', 'keep-alive']], body: 'helloGET /app/second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', status: 200, check: (_r, seen) => (JSON.stringify(seen.map((s) => [s.url, s.body.toString()])) === JSON.stringify([['/app/echo', 'hello'], ['/app/second', '']]) ? undefined : `the app received ${JSON.stringify(seen.map((s) => [s.url, s.body.toString()]))}`) },
  { name: 'chunked body with extensions and trailers', rfc: 'RFC 9112 §7.1.1 (extensions ignored), §7.1.2 (trailers may be discarded)', method: 'POST', headers: [['Transfer-Encoding', 'chunked']], body: '5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n', status: 200, check: app(bodyIs('hello'), lacks('x-trailer', 'trailer')) },
  { name: 'Expect: 100-continue with a body', rfc: 'RFC 9110 §10.1.1: Expect is answered by this hop, not forwarded', method: 'POST', headers: [['Expect', '100-continue'], ['Content-Length', '2']], body: 'ok', status: 200, check: app(bodyIs('ok'), lacks('expect')) },
  // Host
  { name: 'duplicate Host', rfc: 'RFC 9112 §3.2: more than one Host field line MUST get 400; nothing forwarded', headers: [['Host', 'evil.example']], status: 400, check: nothingReached },
  { name: 'no Host (HTTP/1.1)', rfc: 'RFC 9112 §3.2: an HTTP/1.1 request without Host MUST get 400', host: null, headers: [], status: 400, check: nothingReached },
  { name: 'Host with a path and a port', rfc: 'RFC 9112 §3.2: an invalid Host value MUST get 400 (RFC 9110 §7.2: uri-host [":" port])', host: 'a.example:99/../../x', headers: [], status: 400, check: nothingReached },
  // X-Forwarded-For chains
  { name: 'X-Forwarded-For chain of 1000 addresses', rfc: 'RFC 7239 §5.2: a proxy appends the address it saw', headers: [['X-Forwarded-For', chain(1000)]], status: 200, check: app(forwardedForEndsWithClient, (s) => (valuesOf(s.rawHeaders, 'x-forwarded-for')[0].startsWith('10.0.0.0, 10.0.0.1, ') ? undefined : 'the chain was not kept')) },
  { name: '300 X-Forwarded-For headers joined into one', rfc: 'RFC 9110 §5.3: several lines of a list field are one list; RFC 7239 §5.2', headers: Array.from({ length: 300 }, (_, i) => ['X-Forwarded-For', `192.0.2.${i % 256}`] as [string, string]), status: 200, check: app(forwardedForEndsWithClient) },
  { name: 'X-Forwarded-For that is not an address list', rfc: 'RFC 7239 §5.2: the appended entry is the one this proxy can vouch for', headers: [['X-Forwarded-For', 'unknown, <script>, ' + ','.repeat(500)]], status: 200, check: app(forwardedForEndsWithClient) },
  { name: 'X-Forwarded-For of 13 KiB, under the header limit', rfc: 'RFC 9110 §5.4: within maxHeaderSize (16 KiB), so forwarded; RFC 7239 §5.2', headers: [['X-Forwarded-For', chain(1000) + ', ' + chain(20).repeat(8)]], status: 200, check: app(forwardedForEndsWithClient) },
  { name: 'X-Forwarded-For over the header limit', rfc: 'RFC 9110 §5.4, RFC 6585 §5: over maxHeaderSize, 431 and nothing forwarded', headers: [['X-Forwarded-For', chain(1500)]], status: 431, check: nothingReached },
  // bytes outside ASCII pass through unchanged
  { name: 'Latin-1 byte in a header value', rfc: 'RFC 9110 §5.5: obs-text is passed on unchanged', headers: [['X-Name', 'caf\xe9']], status: 200, check: app(has('x-name', ['caf\xe9'])) },
  { name: 'UTF-8 bytes in a header value', rfc: 'RFC 9110 §5.5: obs-text is passed on unchanged', headers: [['X-Name', Buffer.from('café 日本', 'utf8').toString('latin1')]], status: 200, check: app(has('x-name', [Buffer.from('café 日本', 'utf8').toString('latin1')])) },
  // an Upgrade the app does not speak still gets an answer
  { name: 'Upgrade: h2c on a plain GET', rfc: 'RFC 9110 §7.8: the app may ignore Upgrade and answer as usual (RFC 9113 §3.1: h2c is obsolete)', headers: [['Connection', 'Upgrade, HTTP2-Settings'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA']], status: 200, readOne: true, check: (_r, seen) => (seen.every((s) => s.url === '/app/echo') ? undefined : 'another path reached the app') },
];
