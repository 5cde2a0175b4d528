/**
 * Whole responses of the static index for the fast lane: the keep-alive 200 (head and held
 * body in one buffer) and 304 of a representation, byte for byte what node:http writes for
 * the same answer (http/response-head.ts), made on first use and kept on the representation.
 * Only the Date changes: when the second turns, the next answer copies the buffer and writes
 * the new Date into the copy, so a write still queued on a slow socket keeps the bytes it was
 * given (a Date patched under it could mix two seconds); at most one copy a second per wire.
 */
import { responseHead } from '../http/index.js';
import type { Clock } from '../respond/index.js';
import { raw200, raw304, type Representation, type Wire } from './entry.js';

/** Bodies up to this size are copied after their head, so an answer is one write; larger ones go as a second buffer. */
export const WIRE_INLINE = 64 * 1024;

/** A wire from a head (its Date as of `clock`) and a body. */
export function makeWire(head: string, body: Buffer | undefined, clock: Clock): Wire {
  const headLen = Buffer.byteLength(head, 'latin1');
  const dateAt = head.indexOf('\r\nDate: ') + 8;
  const inline = body !== undefined && body.length <= WIRE_INLINE;
  const buf = Buffer.allocUnsafe(headLen + (inline ? body.length : 0));
  buf.write(head, 0, 'latin1');
  if (inline) body.copy(buf, headLen);
  return { buf, headLen, dateAt, second: clock.second, body: inline ? undefined : body };
}

/** The Date of a wire brought to the clock's second (in a new buffer: the old one may still be queued). */
export function stamp(w: Wire, clock: Clock): Wire {
  if (w.second !== clock.second) {
    const buf = Buffer.allocUnsafe(w.buf.length);
    w.buf.copy(buf);
    clock.bytes.copy(buf, w.dateAt);
    w.buf = buf;
    w.second = clock.second;
  }
  return w;
}

/** The keep-alive 200 of a representation held in memory. */
export function wire200(rep: Representation, keepAliveTimeout: number, clock: Clock): Wire {
  const r = raw200(rep);
  return stamp((rep.w200 ??= makeWire(responseHead(200, r.framing, r.tail, { keepAlive: true, keepAliveTimeout, date: clock.date }), rep.body, clock)), clock);
}

/** The keep-alive 304 of a representation. */
export function wire304(rep: Representation, keepAliveTimeout: number, clock: Clock): Wire {
  const r = raw304(rep);
  return stamp((rep.w304 ??= makeWire(responseHead(304, r.framing, r.tail, { keepAlive: true, keepAliveTimeout, date: clock.date }), undefined, clock)), clock);
}
