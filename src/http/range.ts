/**
 * Range requests (RFC 9110 §14). Pure.
 * One byte range gives 206; a range that starts past the end gives 416. A Range that is
 * malformed, in another unit, or that lists more than one range is ignored and the whole
 * representation is sent with 200 (RFC 9110 lets a server ignore Range; multipart/byteranges
 * is not produced, so many tiny or overlapping ranges can never amplify a response).
 */

export type RangeResult =
  | { kind: 'ignore' }
  | { kind: 'unsatisfiable' }
  | { kind: 'single'; start: number; end: number };

const IGNORE: RangeResult = { kind: 'ignore' };
const UNSATISFIABLE: RangeResult = { kind: 'unsatisfiable' };

const DIGITS = /^\d+$/;

export function parseRange(header: string, size: number): RangeResult {
  const eq = header.indexOf('=');
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return IGNORE;
  const spec = header.slice(eq + 1).trim();
  if (spec === '' || spec.includes(',')) return IGNORE;
  const dash = spec.indexOf('-');
  if (dash === -1) return IGNORE;
  const a = spec.slice(0, dash).trim();
  const b = spec.slice(dash + 1).trim();
  if (a === '') {
    // suffix range: the last b bytes
    if (!DIGITS.test(b)) return IGNORE;
    const n = Number(b);
    if (n === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'single', start: Math.max(0, size - n), end: size - 1 };
  }
  if (!DIGITS.test(a)) return IGNORE;
  const start = Number(a);
  let end: number;
  if (b === '') end = size - 1;
  else {
    if (!DIGITS.test(b)) return IGNORE;
    end = Number(b);
    if (end < start) return IGNORE; // invalid range-spec
    if (end > size - 1) end = size - 1;
  }
  if (start >= size) return UNSATISFIABLE;
  return { kind: 'single', start, end };
}
