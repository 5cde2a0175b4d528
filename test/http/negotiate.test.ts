import t from 'tap';
import fc from 'fast-check';
import { AcceptCache, BR, choose, GZIP, IDENTITY, parseAcceptEncoding, ZSTD } from '../../src/http/negotiate.js';

t.test('no header or empty header: identity only', async (t) => {
  t.equal(parseAcceptEncoding(undefined), IDENTITY);
  t.equal(parseAcceptEncoding(''), IDENTITY);
  t.equal(parseAcceptEncoding('   '), IDENTITY);
});

t.test('listed codings are accepted, q=0 refuses', async (t) => {
  t.equal(parseAcceptEncoding('br, gzip'), IDENTITY | BR | GZIP);
  t.equal(parseAcceptEncoding('gzip, deflate, br, zstd'), IDENTITY | BR | GZIP | ZSTD);
  t.equal(parseAcceptEncoding('br;q=0, gzip'), IDENTITY | GZIP);
  t.equal(parseAcceptEncoding('br;q=0.000, gzip;q=0.001'), IDENTITY | GZIP);
  t.equal(parseAcceptEncoding('BR;Q=1.0'), IDENTITY | BR, 'case-insensitive names and q');
  t.equal(parseAcceptEncoding('x-gzip'), IDENTITY | GZIP, 'x-gzip is gzip');
  t.equal(parseAcceptEncoding('br ; q=0.5 , gzip ;q=1'), IDENTITY | BR | GZIP, 'whitespace around parameters');
});

t.test('star and identity', async (t) => {
  t.equal(parseAcceptEncoding('*'), IDENTITY | BR | GZIP | ZSTD);
  t.equal(parseAcceptEncoding('*;q=0'), 0, 'everything refused');
  t.equal(parseAcceptEncoding('*;q=0, identity'), IDENTITY);
  t.equal(parseAcceptEncoding('*, br;q=0'), IDENTITY | GZIP | ZSTD);
  t.equal(parseAcceptEncoding('identity;q=0, gzip'), GZIP);
  t.equal(parseAcceptEncoding('gzip, *;q=0'), GZIP, 'identity refused by star when not named');
});

t.test('malformed q-values are never taken as acceptance', async (t) => {
  t.equal(parseAcceptEncoding('br;q=2'), IDENTITY);
  t.equal(parseAcceptEncoding('br;q=abc'), IDENTITY);
  t.equal(parseAcceptEncoding('br;q=0.0001'), IDENTITY, 'more than three decimals');
  t.equal(parseAcceptEncoding('br;q=-1'), IDENTITY);
  t.equal(parseAcceptEncoding('br;q='), IDENTITY);
  t.equal(parseAcceptEncoding('br;foo=bar'), IDENTITY | BR, 'unknown parameters ignored');
  t.equal(parseAcceptEncoding(',,,br,,,'), IDENTITY | BR);
  t.equal(parseAcceptEncoding('compress, deflate'), IDENTITY, 'unknown codings ignored');
});

t.test('thousands of entries parse quickly and correctly', async (t) => {
  const many = Array.from({ length: 5000 }, (_, i) => `x${i};q=0.5`).join(', ') + ', gzip';
  t.equal(parseAcceptEncoding(many), IDENTITY | GZIP);
});

t.test('choose picks the first (smallest) acceptable option', async (t) => {
  const opts = [
    { bit: BR, name: 'br' },
    { bit: GZIP, name: 'gz' },
    { bit: IDENTITY, name: 'id' },
  ];
  t.equal(choose(opts, IDENTITY | BR | GZIP)?.name, 'br');
  t.equal(choose(opts, IDENTITY | GZIP)?.name, 'gz');
  t.equal(choose(opts, IDENTITY)?.name, 'id');
  t.equal(choose(opts, 0), undefined);
});

t.test('the cache gives the same answers as the parser and stays bounded', async (t) => {
  const c = new AcceptCache(4);
  for (const h of ['br', 'gzip', 'br, gzip', '*;q=0', 'identity;q=0', 'br', 'zstd']) t.equal(c.get(h), parseAcceptEncoding(h), h);
  t.equal(c.get(undefined), IDENTITY);
});

t.test('property: a chosen representation is always acceptable', async (t) => {
  const coding = fc.constantFrom('br', 'gzip', 'x-gzip', 'zstd', 'identity', '*', 'deflate', 'BR', 'Gzip');
  const q = fc.oneof(fc.constant(''), fc.constantFrom(';q=0', ';q=1', ';q=0.5', ';q=0.000', ';q=2', ';q=x', ' ; q=0 '));
  const header = fc.array(fc.tuple(coding, q).map(([c, v]) => c + v), { maxLength: 8 }).map((a) => a.join(', '));
  fc.assert(
    fc.property(header, (h) => {
      const set = parseAcceptEncoding(h);
      const lower = h.toLowerCase();
      // a coding explicitly refused with q=0 (and not also accepted earlier) is never in the set
      for (const [name, bit] of [['br', BR], ['zstd', ZSTD]] as const) {
        const items = lower.split(',').map((s) => s.trim());
        const refused = items.some((s) => s.replace(/\s/g, '') === `${name};q=0` || s.replace(/\s/g, '') === `${name};q=0.000`);
        if (refused && (set & bit) !== 0) return false;
        const mentioned = items.some((s) => s.split(';')[0].trim() === name || s.split(';')[0].trim() === '*');
        if (!mentioned && (set & bit) !== 0) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 generated headers checked');
});
