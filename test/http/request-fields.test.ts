/**
 * readFields reads raw header lines as node's IncomingMessage does: generated lists of
 * lines (names in any case, repeats, the fields a static answer reads and others) give the
 * same values as IncomingMessage's own `headers`, and the lane's `other` flag marks exactly
 * what the lane leaves to node:http.
 */
import t from 'tap';
import fc from 'fast-check';
import http from 'node:http';
import { Socket } from 'node:net';
import { readFields } from '../../src/http/request-fields.js';

const READ = ['accept-encoding', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'range', 'if-range', 'referer', 'user-agent'] as const;
const NAMES = [...READ, 'host', 'expect', 'upgrade', 'content-length', 'transfer-encoding', 'x-other', 'cookie', 'accept'];
const casing = (n: string) => fc.constantFrom(n, n.toUpperCase(), n.replace(/(^|-)([a-z])/g, (_, a, b) => a + b.toUpperCase()));
const line = fc.tuple(fc.constantFrom(...NAMES).chain(casing), fc.constantFrom('', 'br', 'gzip, br', '"a"', 'W/"b"', 'bytes=0-1', '0', '5', 'Thu, 01 Jan 1970 00:00:00 GMT', 'x y'));

/** What node's IncomingMessage makes of the same raw lines. */
function nodeHeaders(raw: string[]): http.IncomingHttpHeaders {
  const m = new http.IncomingMessage(new Socket());
  (m as unknown as { _addHeaderLines(h: string[], n: number): void })._addHeaderLines(raw, raw.length);
  return m.headers;
}

t.test('the same values as IncomingMessage.headers', async (t) => {
  let runs = 0;
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      runs++;
      const raw = lines.flat();
      const mine = readFields(raw);
      const theirs = nodeHeaders(raw);
      for (const k of READ) if (mine[k] !== theirs[k]) return false;
      return true;
    }),
    { numRuns: 2000 },
  );
  t.equal(runs, 2000);
});

t.test('other: what the lane leaves to node:http', async (t) => {
  t.equal(readFields(['Host', 'a']).other, false, 'a plain GET');
  t.equal(readFields(['Host', 'a', 'Content-Length', '0']).other, false, 'an empty body');
  t.equal(readFields(['Host', 'a', 'Content-Length', '3']).other, true, 'a body');
  t.equal(readFields(['Host', 'a', 'transfer-encoding', 'chunked']).other, true, 'a chunked body');
  t.equal(readFields(['Host', 'a', 'EXPECT', '100-continue']).other, true, 'Expect');
  t.equal(readFields(['Host', 'a', 'Upgrade', 'websocket']).other, true, 'Upgrade');
  t.equal(readFields([]).other, true, 'no Host');
  t.equal(readFields(['host', 'a']).host, true);
});
