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
  /** Acceptable statuses (0: the connection closed without an answer). */
  status: number[];
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
  { name: 'Connection: close, X-Secret drops X-Secret', headers: [['Connection', 'close, X-Secret'], ['X-Secret', '1']], status: [200], check: app(lacks('x-secret'), noConnectionToken('x-secret')) },
  { name: 'Connection tokens with odd case, spaces and empty items', headers: [['Connection', ' ,, x-SECRET ,close,'], ['X-Secret', '1'], ['X-Kept', 'k']], status: [200], check: app(lacks('x-secret'), has('x-kept', ['k'])) },
  { name: 'two Connection headers each naming a header', headers: [['Connection', 'X-A'], ['Connection', 'close, X-B'], ['X-A', '1'], ['X-B', '2']], status: [200], check: app(lacks('x-a', 'x-b')) },
  { name: 'Connection naming X-Forwarded-For cannot hide the client', headers: [['Connection', 'close, X-Forwarded-For'], ['X-Forwarded-For', '203.0.113.7']], status: [200], check: app(has('x-forwarded-for', ['203.0.113.7, 127.0.0.1'])) },
  { name: 'Connection naming Host and X-Forwarded-* changes nothing this server sets', headers: [['Connection', 'close, Host, X-Forwarded-Proto, X-Forwarded-Host'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'evil.example']], host: 'shop.example', status: [200], check: app(has('host', ['shop.example']), has('x-forwarded-proto', ['http']), has('x-forwarded-host', ['shop.example'])) },
  { name: 'Connection naming Content-Length on a POST keeps the body whole', method: 'POST', headers: [['Connection', 'close, Content-Length'], ['Content-Length', '11']], body: 'hello world', status: [200], check: app(bodyIs('hello world')) },
  { name: 'Connection naming Authorization and Cookie drops them (as RFC 9110 asks)', headers: [['Connection', 'close, Authorization, Cookie'], ['Authorization', 'Bearer t'], ['Cookie', 'a=1']], status: [200], check: app(lacks('authorization', 'cookie')) },
  { name: 'every fixed hop-by-hop header dropped', headers: [['Keep-Alive', 'timeout=5'], ['TE', 'trailers'], ['Trailer', 'X-T'], ['Proxy-Authorization', 'Basic eA=='], ['Proxy-Connection', 'keep-alive'], ['Proxy', 'http://evil.example']], status: [200], check: app(lacks('keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection', 'proxy')) },
  { name: 'spoofed X-Forwarded-Proto and X-Forwarded-Host replaced', headers: [['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'ftp']], status: [200], check: app(has('x-forwarded-proto', ['http']), has('x-forwarded-host', ['127.0.0.1'])) },
  // framing: Node's parser refuses ambiguous bodies before anything is forwarded
  { name: 'Transfer-Encoding and Content-Length together', method: 'POST', headers: [['Content-Length', '4'], ['Transfer-Encoding', 'chunked']], body: '0\r\n\r\nGET /app/smuggled HTTP/1.1\r\nHost: x\r\n\r\n', status: [400], check: nothingReached },
  { name: 'two different Content-Lengths', method: 'POST', headers: [['Content-Length', '4'], ['Content-Length', '40']], body: 'abcd', status: [400], check: nothingReached },
  { name: 'Transfer-Encoding: chunked, identity', method: 'POST', headers: [['Transfer-Encoding', 'chunked, identity']], body: '4\r\nabcd\r\n0\r\n\r\n', status: [400, 501], check: nothingReached },
  { name: 'Transfer-Encoding with a space before the colon', method: 'POST', headers: [['Transfer-Encoding ', 'chunked'], ['Content-Length', '4']], body: 'abcd', status: [400], check: nothingReached },
  { name: 'a body pipelined with a second request is two requests', method: 'POST', headers: [['Content-Length', '5'], ['Connection', 'keep-alive']], body: 'helloGET /app/second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', status: [200], check: (_r, seen) => (JSON.stringify(seen.map((s) => [s.url, s.body.toString()])) === JSON.stringify([['/app/echo', 'hello'], ['/app/second', '']]) ? undefined : `the app received ${JSON.stringify(seen.map((s) => [s.url, s.body.toString()]))}`) },
  { name: 'chunked body with extensions and trailers', method: 'POST', headers: [['Transfer-Encoding', 'chunked']], body: '5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n', status: [200], check: app(bodyIs('hello'), lacks('x-trailer', 'trailer')) },
  { name: 'Expect: 100-continue with a body', method: 'POST', headers: [['Expect', '100-continue'], ['Content-Length', '2']], body: 'ok', status: [200], check: app(bodyIs('ok'), lacks('expect')) },
  // Host
  { name: 'duplicate Host', headers: [['Host', 'evil.example']], status: [200, 400], check: (r, seen) => (r.status === 400 ? nothingReached(r, seen) : app(has('host', ['127.0.0.1']), has('x-forwarded-host', ['127.0.0.1']))(r, seen)) },
  { name: 'no Host (HTTP/1.1)', host: null, headers: [], status: [400], check: nothingReached },
  { name: 'Host with a path and a port', host: 'a.example:99/../../x', headers: [], status: [200, 400], check: (r, seen) => (r.status === 400 ? nothingReached(r, seen) : app(has('host', ['a.example:99/../../x']))(r, seen)) },
  // X-Forwarded-For chains
  { name: 'X-Forwarded-For chain of 1000 addresses', headers: [['X-Forwarded-For', chain(1000)]], status: [200], check: app(forwardedForEndsWithClient, (s) => (valuesOf(s.rawHeaders, 'x-forwarded-for')[0].startsWith('10.0.0.0, 10.0.0.1, ') ? undefined : 'the chain was not kept')) },
  { name: '300 X-Forwarded-For headers joined into one', headers: Array.from({ length: 300 }, (_, i) => ['X-Forwarded-For', `192.0.2.${i % 256}`] as [string, string]), status: [200], check: app(forwardedForEndsWithClient) },
  { name: 'X-Forwarded-For that is not an address list', headers: [['X-Forwarded-For', 'unknown, <script>, ' + ','.repeat(500)]], status: [200], check: app(forwardedForEndsWithClient) },
  { name: 'X-Forwarded-For near the header limit', headers: [['X-Forwarded-For', chain(1000) + ', ' + chain(20).repeat(8)]], status: [200, 431], check: (r, seen) => (r.status === 431 ? undefined : app(forwardedForEndsWithClient)(r, seen)) },
  // bytes outside ASCII pass through unchanged
  { name: 'Latin-1 byte in a header value', headers: [['X-Name', 'caf\xe9']], status: [200], check: app(has('x-name', ['caf\xe9'])) },
  { name: 'UTF-8 bytes in a header value', headers: [['X-Name', Buffer.from('café 日本', 'utf8').toString('latin1')]], status: [200], check: app(has('x-name', [Buffer.from('café 日本', 'utf8').toString('latin1')])) },
  // an Upgrade the app does not speak still gets an answer
  { name: 'Upgrade: h2c on a plain GET', headers: [['Connection', 'Upgrade, HTTP2-Settings'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA']], status: [0, 200, 400, 426, 502], readOne: true, check: (_r, seen) => (seen.every((s) => s.url === '/app/echo') ? undefined : 'another path reached the app') },
];
