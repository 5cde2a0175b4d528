import t from 'tap';
import fc from 'fast-check';
import { clientAddress, clientResponseHeaders, connectionTokens, isHopByHop, relayedResponseHeaders, UNTRUSTED_FORWARDING_HEADERS, upstreamRequestHeaders, type ForwardInfo } from '../../src/http/hop-by-hop.js';

const info: ForwardInfo = { clientIp: '10.0.0.7', proto: 'http', keepHost: true, upstreamHost: '127.0.0.1:8000' };

/** Values of a header in a flat list, case-insensitively. */
function values(flat: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === name) out.push(flat[i + 1]);
  return out;
}

t.test('connection tokens are split, trimmed and lower-cased', async (t) => {
  t.same([...connectionTokens(['keep-alive, X-Foo', ' x-bar ,,Upgrade'])], ['keep-alive', 'x-foo', 'x-bar', 'upgrade']);
  t.same([...connectionTokens([])], []);
});

t.test('the fixed hop-by-hop set and Proxy-*', async (t) => {
  for (const n of ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-connection', 'proxy']) t.ok(isHopByHop(n), n);
  for (const n of ['content-length', 'cookie', 'set-cookie', 'host', 'x-proxy', 'authorization']) t.notOk(isHopByHop(n), n);
});

t.test('request: hop-by-hop and Connection-listed headers are dropped, the rest kept in order', async (t) => {
  const raw = [
    'Host', 'example.com',
    'Connection', 'keep-alive, X-Secret',
    'X-Secret', 'hop',
    'Keep-Alive', 'timeout=5',
    'TE', 'trailers',
    'Trailer', 'X-T',
    'Transfer-Encoding', 'chunked',
    'Upgrade', 'websocket',
    'Proxy-Authorization', 'Basic xyz',
    'Proxy', 'http://evil',
    'Expect', '100-continue',
    'Cookie', 'a=1',
    'Cookie', 'b=2',
    'Authorization', 'Bearer t',
    'Content-Type', 'text/plain',
  ];
  const out = upstreamRequestHeaders(raw, info);
  for (const n of ['connection', 'x-secret', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy', 'expect']) {
    t.same(values(out, n), [], `${n} dropped`);
  }
  t.same(values(out, 'cookie'), ['a=1', 'b=2'], 'repeated headers kept separately, in order');
  t.same(values(out, 'authorization'), ['Bearer t']);
  t.same(values(out, 'content-type'), ['text/plain']);
  t.same(values(out, 'host'), ['example.com'], "the client's Host is kept");
  t.same(values(out, 'x-forwarded-host'), ['example.com']);
  t.same(values(out, 'x-forwarded-proto'), ['http']);
  t.same(values(out, 'x-forwarded-for'), ['10.0.0.7']);
});

t.test('request: X-Forwarded-For is appended to, X-Forwarded-Proto/Host are replaced', async (t) => {
  const raw = ['Host', 'shop.test', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2, 3.3.3.3', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'forged'];
  const out = upstreamRequestHeaders(raw, { ...info, proto: 'https' });
  t.same(values(out, 'x-forwarded-for'), ['1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.7']);
  t.same(values(out, 'x-forwarded-proto'), ['https']);
  t.same(values(out, 'x-forwarded-host'), ['shop.test']);
});

t.test('request: names with an underscore are dropped, so X_Forwarded_Proto cannot merge into X-Forwarded-Proto', async (t) => {
  const raw = ['Host', 'shop.test', 'X_Forwarded_Proto', 'https', 'x_forwarded_for', '6.6.6.6', 'X_Real_IP', '6.6.6.6', 'My_Header', 'v', '_', 'x', 'X-Kept-Name', 'k'];
  const out = upstreamRequestHeaders(raw, info);
  for (let i = 0; i < out.length; i += 2) t.notOk(out[i].includes('_'), `${out[i]} has no underscore`);
  t.same(values(out, 'x-forwarded-proto'), ['http']);
  t.same(values(out, 'x-forwarded-for'), ['10.0.0.7']);
  t.same(values(out, 'x-kept-name'), ['k'], 'hyphenated names pass');
});

t.test('request: the client\'s forwarding headers are stripped, whatever their case', async (t) => {
  const names = ['Forwarded', 'X-Real-IP', 'X-Forwarded-Port', 'X-Forwarded-Prefix', 'X-Forwarded-Ssl', 'Front-End-Https', 'X-Forwarded-Protocol', 'X-Forwarded-Scheme', 'X-Url-Scheme'];
  for (const n of names) t.ok(UNTRUSTED_FORWARDING_HEADERS.has(n.toLowerCase()), `${n} is in the list`);
  const raw = ['Host', 'shop.test'];
  for (const n of names) raw.push(n, 'spoofed', n.toUpperCase(), 'spoofed', n.toLowerCase(), 'spoofed');
  raw.push('X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil.example');
  const out = upstreamRequestHeaders(raw, info);
  t.notOk(out.includes('spoofed'), 'no spoofed value reaches the app');
  for (const n of names) t.same(values(out, n.toLowerCase()), [], `${n} stripped`);
  t.same(out, ['Host', 'shop.test', 'X-Forwarded-For', '10.0.0.7', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Host', 'shop.test'], 'only what this server sets');
});

t.test('request: keepHost false sends the upstream host; a request without Host gets it too', async (t) => {
  const out = upstreamRequestHeaders(['Host', 'shop.test'], { ...info, keepHost: false });
  t.same(values(out, 'host'), ['127.0.0.1:8000']);
  t.same(values(out, 'x-forwarded-host'), ['shop.test'], 'the client host still travels in X-Forwarded-Host');
  const none = upstreamRequestHeaders(['Accept', '*/*'], info);
  t.same(values(none, 'host'), ['127.0.0.1:8000']);
  t.same(values(none, 'x-forwarded-host'), []);
});

t.test('request: an Upgrade keeps Connection: upgrade and Upgrade, and nothing else hop-by-hop', async (t) => {
  const raw = ['Host', 'h', 'Connection', 'Upgrade, X-Foo', 'X-Foo', '1', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k', 'Sec-WebSocket-Version', '13'];
  const out = upstreamRequestHeaders(raw, { ...info, upgrade: true });
  t.same(values(out, 'connection'), ['upgrade']);
  t.same(values(out, 'upgrade'), ['websocket']);
  t.same(values(out, 'x-foo'), []);
  t.same(values(out, 'sec-websocket-key'), ['k']);
  const plain = upstreamRequestHeaders(raw, info);
  t.same(values(plain, 'upgrade'), [], 'without the upgrade flag Upgrade is dropped');
});

t.test('response: hop-by-hop, Connection-listed and X-Accel-* dropped; every Set-Cookie kept', async (t) => {
  const out = clientResponseHeaders({
    'content-type': 'text/html',
    connection: 'close, x-internal',
    'x-internal': 'secret',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    trailer: 'x-t',
    upgrade: 'h2c',
    'proxy-authenticate': 'Basic',
    'x-accel-buffering': 'no',
    'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly', 'c=3, with comma'],
    'cache-control': 'private',
    'x-nothing': undefined,
  });
  t.same(out, ['content-type', 'text/html', 'set-cookie', 'a=1; Path=/', 'set-cookie', 'b=2; HttpOnly', 'set-cookie', 'c=3, with comma', 'cache-control', 'private']);
});

t.test('upgrade answer: a 101 keeps Upgrade and one Connection: Upgrade; a refusal keeps no hop-by-hop header', async (t) => {
  const raw = ['Upgrade', 'websocket', 'Connection', 'Upgrade, X-Hop', 'connection', 'keep-alive', 'X-Hop', '1', 'Sec-WebSocket-Accept', 'acc', 'Keep-Alive', 'timeout=5', 'X-Accel-Redirect', '/p/x', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'];
  t.same(relayedResponseHeaders(raw, true), ['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'acc', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  t.same(relayedResponseHeaders(raw, false), ['Sec-WebSocket-Accept', 'acc', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  t.same(relayedResponseHeaders(['Content-Length', '3', 'Transfer-Encoding', 'chunked', 'Content-Type', 'text/plain'], false), ['Content-Length', '3', 'Content-Type', 'text/plain']);
});

t.test('client address: IPv4-mapped IPv6 becomes IPv4', async (t) => {
  t.equal(clientAddress('::ffff:192.0.2.1'), '192.0.2.1');
  t.equal(clientAddress('::1'), '::1');
  t.equal(clientAddress('127.0.0.1'), '127.0.0.1');
  t.equal(clientAddress(undefined), 'unknown');
});

t.test('property: no hop-by-hop, underscored or client forwarding header ever reaches the upstream, end-to-end headers always do', async (t) => {
  const hop = fc.constantFrom('Connection', 'Keep-Alive', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'Proxy-Authorization', 'Proxy-Foo');
  const e2e = fc.constantFrom('Accept', 'Cookie', 'X-Custom', 'Authorization', 'Content-Type', 'If-None-Match');
  const dropped = fc.constantFrom('X_Forwarded_Proto', 'x_custom', 'Forwarded', 'X-Real-IP', 'X-Forwarded-Port', 'x-forwarded-ssl', 'X-Forwarded-Proto', 'X-Forwarded-Host');
  const value = fc.stringMatching(/^[a-z0-9=;, ]{0,12}$/);
  const list = fc.array(fc.tuple(fc.oneof(hop, e2e, dropped), value), { maxLength: 12 });
  fc.assert(
    fc.property(list, fc.boolean(), (pairs, upgrade) => {
      const raw = ['Host', 'shop.test', ...pairs.flat()];
      const out = upstreamRequestHeaders(raw, { ...info, upgrade });
      const listed = connectionTokens(pairs.filter(([n]) => n === 'Connection').map(([, v]) => v));
      for (let i = 0; i < out.length; i += 2) {
        const n = out[i].toLowerCase();
        if (n === 'connection' || n === 'upgrade') {
          if (!upgrade) return false;
          continue;
        }
        if (isHopByHop(n)) return false;
        if (listed.has(n)) return false;
        if (n.includes('_')) return false;
        if ((n === 'x-forwarded-proto' || n === 'x-forwarded-host') && out[i + 1] !== (n === 'x-forwarded-proto' ? info.proto : 'shop.test')) return false;
        if (n !== 'x-forwarded-proto' && n !== 'x-forwarded-host' && UNTRUSTED_FORWARDING_HEADERS.has(n)) return false;
      }
      for (const [n, v] of pairs) {
        const lower = n.toLowerCase();
        if (isHopByHop(lower) || listed.has(lower) || lower.includes('_') || UNTRUSTED_FORWARDING_HEADERS.has(lower)) continue;
        if (!values(out, lower).includes(v)) return false;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 generated header lists checked');
});
