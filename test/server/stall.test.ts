import t from 'tap';
import fc from 'fast-check';
import { look, lookInterval, type Stall } from '../../src/server/stall.js';

t.test('look: nothing waiting on the client is never a stall', async (t) => {
  t.equal(look(null, 0, 100, 5000, 1000), null);
  t.equal(look({ flushed: 100, since: 0 }, 0, 100, 5000, 1000), null, 'a record is dropped once nothing waits');
  t.equal(look({ flushed: 100, since: 0 }, 10, 100, 5000, 0), null, 'limit 0: never');
});

t.test('look: bytes waiting and none taken for the whole limit is a cut; any progress starts over', async (t) => {
  const first = look(null, 10, 100, 1000, 500);
  t.same(first, { flushed: 100, since: 1000 }, 'first sight of waiting bytes');
  t.equal(look(first as Stall, 10, 100, 1499, 500), first, 'not yet');
  t.equal(look(first as Stall, 10, 100, 1500, 500), 'cut', 'the limit reached');
  t.same(look(first as Stall, 10, 101, 1500, 500), { flushed: 101, since: 1500 }, 'one byte taken: a new period');
  t.same(look(first as Stall, 20, 100, 1200, 500), first, 'more queued but nothing taken: still the same stall');
});

/**
 * Looks at one socket with bytes always waiting, `gaps` ms apart; `takes`: the client takes a
 * byte between every two looks. The time of the cut counted from the first look, or -1.
 */
function cutAfter(limit: number, gaps: number[], takes: boolean): number {
  let rec: Stall | null = null;
  let now = 0;
  let flushed = 0;
  for (const g of gaps) {
    if (takes) flushed++;
    const r = look(rec, 1, flushed, now, limit);
    if (r === 'cut') return now;
    rec = r;
    now += g;
  }
  return -1;
}

const limits = fc.integer({ min: 1, max: 10_000 });
const gapList = fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 200 });

t.test('look: a client that takes a byte between every two looks is never cut, however far apart the looks', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(limits, gapList, (limit, gaps) => cutAfter(limit, gaps, true) === -1), { numRuns: 500 }));
});

t.test('look: a client that takes nothing is cut at the first look at or past the limit', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(limits, gapList, (limit, gaps) => {
        const cut = cutAfter(limit, gaps, false);
        const times = gaps.map((_, i) => gaps.slice(0, i).reduce((a, g) => a + g, 0));
        const first = times.find((x) => x >= limit);
        return cut === (first ?? -1);
      }),
      { numRuns: 500 },
    ),
  );
});

t.test('lookInterval: a few looks per period, at most one a second, at least 100 ms apart', async (t) => {
  t.equal(lookInterval(60_000), 1000);
  t.equal(lookInterval(2000), 500);
  t.equal(lookInterval(100), 100);
});
