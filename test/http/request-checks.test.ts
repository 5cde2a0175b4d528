import t from 'tap';
import fc from 'fast-check';
import { hostLinesOk, parseErrorAnswer, validHostValue } from '../../src/http/request-checks.js';

t.test('Host values: uri-host [":" port] (RFC 9110 §7.2, RFC 3986 §3.2.2)', async (t) => {
  for (const ok of ['example.com', 'example.com:8080', 'EXAMPLE.com', '127.0.0.1', '127.0.0.1:80', '[::1]', '[::1]:8080', '[2001:db8::7]', '[::ffff:192.0.2.1]', '[v1.fe80::a+en1]', 'a-b_c~d', 'x:', '', 'a%20b', "!$&'()*+,;=", 'localhost']) {
    t.ok(validHostValue(ok), `valid: ${JSON.stringify(ok)}`);
  }
  for (const bad of ['../../etc/passwd', 'a.example:99/../../x', 'a b', 'a\tb', 'a/b', 'a?b', 'a#b', 'a@b', 'a\\b', '[::1', '::1', '[::1::2]', '[xyz]', '[::1]x', 'a:b', 'a:80:80', '%zz', '%2', 'café', 'a"b', 'a<b', '[v1.]', 'h\u0000']) {
    t.notOk(validHostValue(bad), `invalid: ${JSON.stringify(bad)}`);
  }
});

t.test('Host values: any reg-name of the allowed characters with any port is valid; one other character makes it invalid', async (t) => {
  const allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=";
  const regName = fc.array(fc.constantFrom(...allowed.split('')), { maxLength: 40 }).map((a) => a.join(''));
  const port = fc.option(fc.integer({ min: 0, max: 99999 }).map(String), { nil: undefined });
  t.doesNotThrow(() =>
    fc.assert(fc.property(regName, port, (h, p) => validHostValue(p === undefined ? h : `${h}:${p}`)), { numRuns: 3000 }),
  );
  const forbidden = fc.constantFrom(...' /?#@"<>\\^`{|}\t\u00e9\u0000'.split(''));
  t.doesNotThrow(() =>
    fc.assert(fc.property(regName, forbidden, regName, (a, c, b) => !validHostValue(a + c + b)), { numRuns: 3000 }),
  );
});

t.test('hostLinesOk: exactly one valid Host line (or none), in any case and position', async (t) => {
  t.ok(hostLinesOk(['Host', 'example.com', 'Accept', '*/*']));
  t.ok(hostLinesOk(['Accept', '*/*']), 'none: node refuses HTTP/1.1 without Host itself; HTTP/1.0 may omit it');
  t.ok(hostLinesOk([]));
  t.notOk(hostLinesOk(['Host', 'a', 'Host', 'a']), 'the same value twice');
  t.notOk(hostLinesOk(['Host', 'a', 'X-A', '1', 'host', 'b']), 'another case, further down');
  t.notOk(hostLinesOk(['X-A', '1', 'HOST', 'a', 'hOsT', 'a']));
  t.ok(hostLinesOk(['Hostname', 'a', 'Host', 'b', 'X-Host', 'c', 'Hos', 'd']), 'other names that contain "host" do not count');
  t.ok(hostLinesOk(['Date', 'x', 'From', 'y', 'Host', 'a.example']), 'four-letter names that are not Host');
  t.notOk(hostLinesOk(['Host', 'a.example/x']), 'an invalid value');
  // the one-entry cache of the last valid value never lets an invalid one through
  t.ok(hostLinesOk(['Host', 'cached.example']));
  t.notOk(hostLinesOk(['Host', 'cached.example/..']));
  t.notOk(hostLinesOk(['Host', 'cached.example', 'Host', 'cached.example']));
  t.ok(hostLinesOk(['Host', 'cached.example']));
});

t.test('parseErrorAnswer: node\'s own answers, and 501 for a method it does not know', async (t) => {
  const status = (code: string | undefined, packet?: string) => parseErrorAnswer(code, packet === undefined ? undefined : Buffer.from(packet, 'latin1')).split('\r\n')[0];
  t.equal(status('HPE_HEADER_OVERFLOW'), 'HTTP/1.1 431 Request Header Fields Too Large');
  t.equal(status('HPE_CHUNK_EXTENSIONS_OVERFLOW'), 'HTTP/1.1 413 Payload Too Large');
  t.equal(status('ERR_HTTP_REQUEST_TIMEOUT'), 'HTTP/1.1 408 Request Timeout');
  t.equal(status('HPE_INVALID_HEADER_TOKEN', 'GET / HTTP/1.1\r\nBad Name: x\r\n\r\n'), 'HTTP/1.1 400 Bad Request');
  t.equal(status(undefined), 'HTTP/1.1 400 Bad Request');
  t.equal(status('HPE_INVALID_METHOD', 'BREW /pot HTTP/1.1\r\n'), 'HTTP/1.1 501 Not Implemented', 'a token: a method not implemented (RFC 9110 §9.1)');
  t.equal(status('HPE_INVALID_METHOD', 'get / HTTP/1.1\r\n'), 'HTTP/1.1 501 Not Implemented', 'methods are case-sensitive');
  t.equal(status('HPE_INVALID_METHOD', '\r\nBREW / HTTP/1.1\r\n'), 'HTTP/1.1 501 Not Implemented', 'after the empty lines RFC 9112 §2.2 lets a server skip');
  t.equal(status('HPE_INVALID_METHOD', 'G'.repeat(1024) + ' / HTTP/1.1\r\n'), 'HTTP/1.1 501 Not Implemented', 'longer than any method (RFC 9112 §3)');
  t.equal(status('HPE_INVALID_METHOD', 'GE(T / HTTP/1.1\r\n'), 'HTTP/1.1 400 Bad Request', 'not a token: an invalid request-line');
  t.equal(status('HPE_INVALID_METHOD', '\x16\x03\x01\x02\x00'), 'HTTP/1.1 400 Bad Request', 'a TLS handshake on the plain port');
  t.equal(status('HPE_INVALID_METHOD', ' / HTTP/1.1\r\n'), 'HTTP/1.1 400 Bad Request', 'no method at all');
  t.equal(status('HPE_INVALID_METHOD'), 'HTTP/1.1 400 Bad Request', 'nothing to look at');
  for (const code of ['HPE_HEADER_OVERFLOW', 'HPE_INVALID_METHOD', 'HPE_INVALID_VERSION']) t.match(parseErrorAnswer(code, undefined), /\r\nConnection: close\r\n\r\n$/, `${code}: the connection is closed`);
});
