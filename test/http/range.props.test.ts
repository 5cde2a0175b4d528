/** Properties of parseRange: whatever the header and size, a range never leaves [0, size). */
import t from 'tap';
import fc from 'fast-check';
import { parseRange } from '../../src/http/range.js';

const num = fc.oneof(fc.nat({ max: 2000 }).map(String), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String), fc.constantFrom('', ' ', '-1', '1.5', '0x10', '1e3', 'abc', '00'));
const header = fc.oneof(
  fc.tuple(fc.constantFrom('bytes', 'BYTES', ' bytes ', 'items', ''), num, num).map(([u, a, b]) => `${u}=${a}-${b}`),
  fc.array(fc.tuple(num, num).map(([a, b]) => `${a}-${b}`), { minLength: 1, maxLength: 5 }).map((a) => 'bytes=' + a.join(',')),
  fc.string({ maxLength: 30 }),
  fc.string({ maxLength: 30 }).map((s) => 'bytes=' + s),
);
const size = fc.oneof(fc.nat({ max: 2000 }), fc.constant(0), fc.nat());

t.test('a satisfiable range lies inside the file', async (t) => {
  const kinds = { single: 0, ignore: 0, unsatisfiable: 0 };
  fc.assert(
    fc.property(header, size, (h, n) => {
      const r = parseRange(h, n);
      kinds[r.kind]++;
      if (r.kind !== 'single') return true;
      return Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end < n;
    }),
    { numRuns: 30000 },
  );
  t.ok(kinds.single > 500 && kinds.ignore > 1000 && kinds.unsatisfiable > 100, `kinds seen: ${JSON.stringify(kinds)}`);
});

t.test('well-formed ranges match a direct model', async (t) => {
  fc.assert(
    fc.property(fc.nat({ max: 3000 }), fc.option(fc.nat({ max: 3000 })), fc.nat({ max: 2000 }), (a, b, n) => {
      const r = parseRange(`bytes=${a}-${b ?? ''}`, n);
      if (b !== null && b < a) return r.kind === 'ignore';
      if (a >= n) return r.kind === 'unsatisfiable';
      const end = b === null ? n - 1 : Math.min(b, n - 1);
      return r.kind === 'single' && r.start === a && r.end === end;
    }),
    { numRuns: 20000 },
  );
  fc.assert(
    fc.property(fc.nat({ max: 3000 }), fc.nat({ max: 2000 }), (k, n) => {
      const r = parseRange(`bytes=-${k}`, n);
      if (k === 0 || n === 0) return r.kind === 'unsatisfiable';
      return r.kind === 'single' && r.start === Math.max(0, n - k) && r.end === n - 1;
    }),
    { numRuns: 20000 },
  );
  t.pass('40000 generated ranges');
});
