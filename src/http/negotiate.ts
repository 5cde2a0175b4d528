/**
 * Accept-Encoding negotiation (RFC 9110 §12.5.3). Pure.
 * The header is reduced to a bit set of acceptable codings; a representation is chosen as
 * the smallest one whose coding is in the set. Relative q-values above 0 are not ranked:
 * like nginx and WhiteNoise, any accepted coding counts and the smallest body wins.
 */

export type Coding = 'br' | 'zstd' | 'gzip' | 'identity';

export const IDENTITY = 1;
export const GZIP = 2;
export const BR = 4;
export const ZSTD = 8;

/** Every coding: what a file that is never negotiated answers as if accepted. */
export const ALL_CODINGS = IDENTITY | GZIP | BR | ZSTD;

export const CODING_BIT: Record<Coding, number> = { identity: IDENTITY, gzip: GZIP, br: BR, zstd: ZSTD };

/** Without the header, or with an empty one, only identity is sent (what nginx and WhiteNoise do). */
export const ONLY_IDENTITY = IDENTITY;

const NAMES: Record<string, number> = { identity: IDENTITY, gzip: GZIP, 'x-gzip': GZIP, br: BR, zstd: ZSTD };

/** Parse a qvalue (`0`, `0.5`, `1.000`); NaN when malformed. */
function qvalue(s: string): number {
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(s)) return NaN;
  return Number(s);
}

/** The set of acceptable codings as bits. Malformed entries are skipped (never accepted). */
export function parseAcceptEncoding(header: string | undefined): number {
  if (header === undefined) return ONLY_IDENTITY;
  let yes = 0;
  let no = 0;
  let star = -1; // q of '*', -1 when absent
  let start = 0;
  const len = header.length;
  while (start <= len) {
    let comma = header.indexOf(',', start);
    if (comma === -1) comma = len;
    const item = header.slice(start, comma);
    start = comma + 1;
    const semi = item.indexOf(';');
    const name = (semi === -1 ? item : item.slice(0, semi)).trim().toLowerCase();
    if (name === '') continue;
    let q = 1;
    if (semi !== -1) {
      const params = item.slice(semi + 1).split(';');
      let seen = false;
      for (const param of params) {
        const eq = param.indexOf('=');
        if (eq === -1) continue;
        if (param.slice(0, eq).trim().toLowerCase() === 'q') {
          q = qvalue(param.slice(eq + 1).trim());
          seen = true;
        }
      }
      if (seen && Number.isNaN(q)) continue;
    }
    if (name === '*') {
      star = q;
      continue;
    }
    const bit = NAMES[name];
    if (bit === undefined) continue;
    if (q > 0) yes |= bit;
    else no |= bit;
  }
  let set = yes & ~no;
  if (star > 0) set |= ALL_CODINGS & ~no & ~yes;
  // identity is acceptable unless refused by name, or by '*;q=0' without being named.
  const identityRefused = (no & IDENTITY) !== 0 || (star === 0 && (yes & IDENTITY) === 0);
  if (!identityRefused) set |= IDENTITY;
  return set;
}

/**
 * A bounded cache of parsed headers: browsers send a handful of distinct values, so the
 * parse is done once per distinct string. Cleared when full, so hostile variety costs
 * only a re-parse.
 */
export class AcceptCache {
  private readonly map = new Map<string, number>();
  constructor(private readonly limit = 512) {}

  get(header: string | undefined): number {
    if (header === undefined) return ONLY_IDENTITY;
    let set = this.map.get(header);
    if (set === undefined) {
      set = parseAcceptEncoding(header);
      if (header.length <= 256) {
        if (this.map.size >= this.limit) this.map.clear();
        this.map.set(header, set);
      }
    }
    return set;
  }
}

/** The first of `options` (ordered smallest first) whose coding is acceptable, or undefined (406). */
export function choose<T extends { bit: number }>(options: readonly T[], accepted: number): T | undefined {
  for (let i = 0; i < options.length; i++) {
    if ((options[i].bit & accepted) !== 0) return options[i];
  }
  return undefined;
}
