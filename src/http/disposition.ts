/**
 * Content-Disposition (RFC 6266) for a file name that comes from a user. Pure.
 * The name is sent twice: `filename*` carries it exactly (UTF-8, percent-encoded per
 * RFC 8187, so no byte of it can end the header or start another), and `filename` is an
 * ASCII fallback for old clients with every risky character replaced by '_'.
 */

export type DispositionType = 'attachment' | 'inline';

/** RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" */
function isAttrChar(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x21 || b === 0x23 || b === 0x24 || b === 0x26 || b === 0x2b || b === 0x2d ||
    b === 0x2e || b === 0x5e || b === 0x5f || b === 0x60 || b === 0x7c || b === 0x7e
  );
}

const HEX = '0123456789ABCDEF';

/** RFC 8187 value-chars of a string's UTF-8 bytes (lone surrogates become U+FFFD). */
export function encodeExtValue(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += isAttrChar(b) ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/**
 * The ASCII fallback: printable ASCII kept, except '"' and '\' (quoted-string escapes),
 * '%' (some clients decode it) and '/'; anything else (controls, CR, LF, non-ASCII) is '_'.
 * Never empty.
 */
export function asciiFallback(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c >= 0x20 && c < 0x7f && ch !== '"' && ch !== '\\' && ch !== '%' && ch !== '/' ? ch : '_';
  }
  return out === '' ? 'download' : out;
}

/** `attachment; filename="..."; filename*=UTF-8''...` for a file's base name. */
export function contentDisposition(type: DispositionType, filename: string): string {
  return `${type}; filename="${asciiFallback(filename)}"; filename*=UTF-8''${encodeExtValue(filename)}`;
}
