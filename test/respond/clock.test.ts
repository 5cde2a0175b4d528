import t from 'tap';
import { now } from '../../src/respond/clock.js';

t.test('the current second as an IMF-fixdate, text and bytes alike', async (t) => {
  const before = Math.floor(Date.now() / 1000);
  const c = now();
  const after = Math.floor(Date.now() / 1000);
  t.ok(c.second >= before && c.second <= after);
  t.equal(c.date, new Date(c.second * 1000).toUTCString());
  t.equal(c.date.length, 29);
  t.equal(c.bytes.toString('latin1'), c.date);
  t.equal(now(), c, 'one clock, brought forward in place');
});
