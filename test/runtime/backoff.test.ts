import t from 'tap';
import fc from 'fast-check';
import { DEFAULT_BACKOFF, recordCrash, restartDelay } from '../../src/runtime/backoff.js';

const policy = { baseMs: 100, capMs: 1000, windowMs: 10_000 };

t.test('first crash restarts at once, then the delay doubles up to the cap', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 50].map((n) => restartDelay(n, policy)), [0, 100, 200, 400, 800, 1000, 1000]);
  t.equal(restartDelay(2), DEFAULT_BACKOFF.baseMs);
  t.equal(restartDelay(1000), DEFAULT_BACKOFF.capMs, 'no overflow for long crash loops');
});

t.test('crashes older than the window are forgotten', async (t) => {
  let h: number[] = [];
  h = recordCrash(h, 0, policy);
  h = recordCrash(h, 5_000, policy);
  t.same(h, [0, 5_000]);
  h = recordCrash(h, 12_000, policy);
  t.same(h, [5_000, 12_000], 'the crash at 0 left the window');
  h = recordCrash(h, 30_000, policy);
  t.same(h, [30_000], 'a worker that stayed up a while starts over');
  t.equal(restartDelay(h.length, policy), 0);
});

t.test('delay is monotonic in the crash count and never above the cap', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000 }), (n) => {
      const a = restartDelay(n, policy);
      const b = restartDelay(n + 1, policy);
      return a <= b && b <= policy.capMs && a >= 0;
    }),
  );
});
