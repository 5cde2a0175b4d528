import t from 'tap';
import fc from 'fast-check';
import { parseRange } from '../../src/http/range.js';

t.test('single ranges', async (t) => {
  t.same(parseRange('bytes=0-0', 100), { kind: 'single', start: 0, end: 0 });
  t.same(parseRange('bytes=0-99', 100), { kind: 'single', start: 0, end: 99 });
  t.same(parseRange('bytes=10-', 100), { kind: 'single', start: 10, end: 99 });
  t.same(parseRange('bytes=50-1000', 100), { kind: 'single', start: 50, end: 99 }, 'end clamped');
  t.same(parseRange('bytes=-1', 100), { kind: 'single', start: 99, end: 99 });
  t.same(parseRange('bytes=-100', 100), { kind: 'single', start: 0, end: 99 });
  t.same(parseRange('bytes=-1000', 100), { kind: 'single', start: 0, end: 99 }, 'suffix longer than the file: whole file');
  t.same(parseRange('Bytes = 1-2', 100), { kind: 'single', start: 1, end: 2 }, 'unit is case-insensitive');
  t.same(parseRange('bytes=0-99999999999999999999999', 100), { kind: 'single', start: 0, end: 99 }, 'huge end clamped');
});

t.test('unsatisfiable', async (t) => {
  t.same(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
  t.same(parseRange('bytes=100-200', 100), { kind: 'unsatisfiable' });
  t.same(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
  t.same(parseRange('bytes=0-0', 0), { kind: 'unsatisfiable' }, 'nothing is satisfiable in an empty file');
  t.same(parseRange('bytes=-5', 0), { kind: 'unsatisfiable' });
  t.same(parseRange('bytes=99999999999999999999999-', 100), { kind: 'unsatisfiable' });
});

t.test('ignored: malformed, other units, several ranges', async (t) => {
  for (const h of ['bytes=', 'bytes', 'bytes=5-1', 'bytes=a-b', 'bytes=1-2-3', 'items=0-1', 'bytes=--1', 'bytes=0-1,2-3', 'bytes=0-0,0-0,0-0', 'bytes=1.5-2', 'bytes= - ', 'bytes=-', '=0-1']) {
    t.same(parseRange(h, 100), { kind: 'ignore' }, h);
  }
  const thousands = 'bytes=' + Array.from({ length: 2000 }, (_, i) => `${i}-${i}`).join(',');
  t.same(parseRange(thousands, 100000), { kind: 'ignore' }, 'thousands of ranges are not amplified');
});

t.test('property: a range never leaves the file', async (t) => {
  const num = fc.oneof(fc.nat(200), fc.constant(''), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String));
  fc.assert(
    fc.property(num, num, fc.nat(150), (a, b, size) => {
      const r = parseRange(`bytes=${a}-${b}`, size);
      if (r.kind !== 'single') return true;
      return r.start >= 0 && r.end < size && r.start <= r.end;
    }),
    { numRuns: 5000 },
  );
  t.pass('5000 generated ranges stayed inside the file');
});
