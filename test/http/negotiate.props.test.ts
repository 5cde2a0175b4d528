/**
 * Properties of Accept-Encoding negotiation against an independent model of RFC 9110
 * §12.5.3: the chosen representation's coding is always one the header accepts.
 */
import t from 'tap';
import fc from 'fast-check';
import { BR, choose, CODING_BIT, GZIP, IDENTITY, parseAcceptEncoding, ZSTD, type Coding } from '../../src/http/negotiate.js';

const CODINGS: Coding[] = ['identity', 'gzip', 'br', 'zstd'];
const ALIASES: Record<string, Coding> = { identity: 'identity', gzip: 'gzip', 'x-gzip': 'gzip', br: 'br', zstd: 'zstd' };

interface Item {
  name: string;
  q: string | null;
}

const VALID_Q = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/;

/** Is `coding` acceptable? Named entries decide (all must have q > 0); else `*`; else only identity. */
function model(items: Item[], coding: Coding): boolean {
  const valid = items.filter((i) => i.q === null || VALID_Q.test(i.q.trim()));
  const q = (i: Item) => (i.q === null ? 1 : Number(i.q.trim()));
  const named = valid.filter((i) => ALIASES[i.name.trim().toLowerCase()] === coding);
  if (named.length > 0) return named.every((i) => q(i) > 0);
  const stars = valid.filter((i) => i.name.trim() === '*');
  if (stars.length > 0) return q(stars[stars.length - 1]) > 0;
  return coding === 'identity';
}

const item = fc.record({
  name: fc.constantFrom('identity', 'gzip', 'x-gzip', 'br', 'zstd', '*', 'deflate', 'compress', 'BR', 'GZip', ' br ', 'x', ''),
  q: fc.option(fc.constantFrom('0', '1', '0.5', '0.000', '0.001', '1.000', '1.0001', '2', '-1', '', 'x', ' 0 ', '0.'), { nil: null }),
});
const header = fc.array(item, { maxLength: 10 });
const render = (items: Item[]) => items.map((i) => (i.q === null ? i.name : `${i.name};q=${i.q}`)).join(', ');

t.test('the parsed set is exactly what the model accepts', async (t) => {
  fc.assert(
    fc.property(header, (items) => {
      const set = parseAcceptEncoding(render(items));
      return CODINGS.every((c) => ((set & CODING_BIT[c]) !== 0) === model(items, c));
    }),
    { numRuns: 20000 },
  );
  t.pass('20000 generated headers');
});

t.test('choose never picks an unaccepted coding, and takes the first accepted one', async (t) => {
  const options = fc.uniqueArray(fc.constantFrom<Coding>(...CODINGS), { minLength: 1, maxLength: 4 }).map((cs) => cs.map((c) => ({ coding: c, bit: CODING_BIT[c] })));
  let refused = 0;
  fc.assert(
    fc.property(header, options, (items, opts) => {
      const picked = choose(opts, parseAcceptEncoding(render(items)));
      const firstOk = opts.find((o) => model(items, o.coding));
      if (picked === undefined) refused++;
      return picked === firstOk && (picked === undefined || model(items, picked.coding));
    }),
    { numRuns: 20000 },
  );
  t.ok(refused > 0, `${refused} generated cases had no acceptable option (406)`);
});

t.test('bits are distinct', async (t) => {
  t.same(new Set([IDENTITY, GZIP, BR, ZSTD]).size, 4);
});
