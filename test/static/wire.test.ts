/** Whole answers of the fast lane: head and held body in one buffer, its Date brought to the second. */
import t from 'tap';
import { makeWire, stamp, WIRE_INLINE } from '../../src/static/wire.js';
import type { Clock } from '../../src/respond/clock.js';

const clockAt = (second: number): Clock => {
  const date = new Date(second * 1000).toUTCString();
  return { second, date, bytes: Buffer.from(date, 'latin1') };
};
const head = (date: string) => `HTTP/1.1 200 OK\r\nContent-Length: 4\r\nDate: ${date}\r\nConnection: keep-alive\r\n\r\n`;

t.test('a small body follows its head in the same buffer; a large one goes apart', async (t) => {
  const c = clockAt(1_000_000);
  const small = makeWire(head(c.date), Buffer.from('body'), c);
  t.equal(small.buf.toString('latin1'), head(c.date) + 'body');
  t.equal(small.headLen, head(c.date).length);
  t.equal(small.body, undefined);
  const big = Buffer.alloc(WIRE_INLINE + 1, 7);
  const w = makeWire(head(c.date), big, c);
  t.equal(w.buf.length, w.headLen, 'the head alone');
  t.equal(w.body, big, 'the body written after it, not copied');
  t.equal(w.buf.toString('latin1', w.dateAt, w.dateAt + 29), c.date, 'dateAt points at the Date value');
});

t.test('a new second: a new buffer with the new Date, the old one left as it was', async (t) => {
  const c1 = clockAt(1_000_000);
  const w = makeWire(head(c1.date), Buffer.from('body'), c1);
  const old = w.buf;
  const oldBytes = Buffer.from(old);
  t.equal(stamp(w, c1).buf, old, 'the same second: the same buffer');
  const c2 = clockAt(1_000_061);
  stamp(w, c2);
  t.not(w.buf, old);
  t.equal(w.buf.toString('latin1'), head(c2.date) + 'body');
  t.same(old, oldBytes, 'a write still queued keeps the bytes it was given');
  t.equal(w.second, c2.second);
});
