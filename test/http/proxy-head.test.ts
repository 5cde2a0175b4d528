import t from 'tap';
import fc from 'fast-check';
import { upstreamRequestHeaders, type ForwardInfo } from '../../src/http/hop-by-hop.js';
import { clientHead, headerRecord, keepAliveHint, upstreamRequestHead } from '../../src/http/proxy-head.js';

const info: ForwardInfo = { clientIp: '10.0.0.7', proto: 'http', keepHost: true, upstreamHost: '127.0.0.1:8000' };

/** The header lines of a head, as a flat list. */
function lines(head: string): string[] {
  const out: string[] = [];
  for (const l of head.split('\r\n').slice(1, -2)) {
    const at = l.indexOf(': ');
    out.push(l.slice(0, at), l.slice(at + 2));
  }
  return out;
}

t.test('the request head: request line, the same headers upstreamRequestHeaders lists, framing of its own', async (t) => {
  const raw = [
    'Host', 'shop.example',
    'Connection', 'keep-alive, X-Secret',
    'X-Secret', 'hop',
    'Keep-Alive', 'timeout=5',
    'Content-Length', '3',
    'Expect', '100-continue',
    'X_Under', 'dropped',
    'X-Forwarded-Proto', 'https',
    'X-Forwarded-For', '203.0.113.9',
    'Cookie', 'a=1',
    'Cookie', 'b=2',
    'X-Custom', 'caf\xe9',
  ];
  const head = upstreamRequestHead('POST', '/a?b=1', raw, info, 'length', '3');
  t.match(head, /^POST \/a\?b=1 HTTP\/1\.1\r\n/);
  t.ok(head.endsWith('\r\n\r\n'));
  const got = lines(head);
  const want = upstreamRequestHeaders(raw, info).filter((_, i, a) => (i % 2 === 0 ? a[i].toLowerCase() !== 'content-length' : a[i - 1].toLowerCase() !== 'content-length'));
  const withoutLength = got.filter((_, i, a) => (i % 2 === 0 ? a[i] !== 'Content-Length' : a[i - 1] !== 'Content-Length'));
  t.same(withoutLength, want, 'the same headers in the same order');
  t.same(got.slice(got.indexOf('Content-Length'), got.indexOf('Content-Length') + 2), ['Content-Length', '3']);
  t.match(upstreamRequestHead('POST', '/', ['Host', 'h', 'Transfer-Encoding', 'chunked'], info, 'chunked', undefined), /\r\nTransfer-Encoding: chunked\r\n/);
  t.match(upstreamRequestHead('POST', '/', ['Host', 'h'], info, 'none', undefined), /\r\nContent-Length: 0\r\n/, 'a POST without a body says so');
  t.notMatch(upstreamRequestHead('GET', '/', ['Host', 'h'], info, 'none', undefined), /Content-Length/i, 'a GET without a body has no length');
  t.match(upstreamRequestHead('GET', '/', ['Host', 'h', 'Connection', 'Content-Length', 'Content-Length', '5'], info, 'length', '5'), /\r\nContent-Length: 5\r\n/, 'a length Connection names is still the framing');
  t.match(upstreamRequestHead('GET', '/', [], { ...info, keepHost: false }, 'none', undefined), /^GET \/ HTTP\/1\.1\r\nHost: 127\.0\.0\.1:8000\r\n/);
});

t.test('the request head lists what upstreamRequestHeaders lists, for any headers', async (t) => {
  const name = fc.constantFrom('Host', 'Connection', 'X-A', 'x-b', 'Cookie', 'TE', 'Keep-Alive', 'X-Forwarded-For', 'Forwarded', 'X_Y', 'Proxy-Auth', 'Upgrade', 'Expect', 'Accept');
  const value = fc.constantFrom('v', 'x-a', 'keep-alive, X-A', 'close', 'X-B, Cookie', '1.2.3.4');
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value), { maxLength: 12 }), (pairs) => {
      const raw = pairs.flat();
      const got = lines(upstreamRequestHead('GET', '/', raw, info, 'none', undefined));
      t.same(got, upstreamRequestHeaders(raw, info));
    }),
    { numRuns: 300 },
  );
});

t.test("the client's head: framing apart, hop-by-hop and X-Accel-* dropped, the rest as text", async (t) => {
  const h = clientHead([
    'Content-Type', 'text/html',
    'Content-Length', '42',
    'Connection', 'keep-alive, X-Private',
    'X-Private', 'hop',
    'Keep-Alive', 'timeout=5',
    'Transfer-Encoding', 'chunked',
    'Set-Cookie', 'a=1',
    'Set-Cookie', 'b=2',
    'X-Accel-Redirect', '/protected/a.pdf',
    'X-Accel-Buffering', 'no',
    'Date', 'Tue, 01 Dec 2026 10:00:00 GMT',
  ]);
  t.equal(h.contentLength, '42');
  t.equal(h.accel, '/protected/a.pdf');
  t.equal(h.date, true);
  t.equal(h.tail, 'Content-Type: text/html\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\n');
  t.same(clientHead([]), { contentLength: undefined, tail: '', date: false, accel: undefined });
});

t.test('a Keep-Alive timeout and a header record', async (t) => {
  t.equal(keepAliveHint(['Keep-Alive', 'timeout=5, max=100']), 5000);
  t.equal(keepAliveHint(['keep-alive', 'max=3']), undefined);
  t.equal(keepAliveHint(['X-Other', 'timeout=5']), undefined);
  t.same(headerRecord(['Set-Cookie', 'a', 'set-cookie', 'b', 'Vary', 'Accept', 'X', '1', 'x', '2', 'X', '3']), { 'set-cookie': ['a', 'b'], vary: 'Accept', x: ['1', '2', '3'] });
});
