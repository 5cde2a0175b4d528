/**
 * The Date header, refreshed once a second as nginx does (RFC 9110 §6.6.1: every response
 * carries one): the current IMF-fixdate as text and bytes, remade only when the second
 * turns. Precomputed responses patch their Date in place from it (static/wire.ts).
 */
export interface Clock {
  /** Whole seconds since the epoch of `date`. */
  second: number;
  /** The IMF-fixdate of that second: 29 characters. */
  date: string;
  /** The same, as bytes. */
  bytes: Buffer;
}

const clock: Clock = { second: -1, date: '', bytes: Buffer.alloc(29) };

/** The clock, brought to the current second. */
export function now(): Clock {
  const second = Math.floor(Date.now() / 1000);
  if (second !== clock.second) {
    clock.second = second;
    clock.date = new Date(second * 1000).toUTCString();
    clock.bytes.write(clock.date, 0, 'latin1');
  }
  return clock;
}
