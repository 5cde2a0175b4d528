/**
 * Header lists with an app's headers laid over them (X-Accel-Redirect answers): the same
 * names replaced, some dropped, Vary merged. Pure.
 */

/** Overrides from an X-Accel-Redirect answer: the app's headers replace ours. */
export interface HeaderOverrides {
  /** Flat [name, value, ...]; a name given here replaces the same precomputed header, except Vary, which is merged. */
  headers: string[];
  /** Lower-case names of precomputed headers removed without a replacement. */
  drop?: readonly string[];
}

/** Two Vary values as one: every field name once, in order; `*` stands alone. Pure. */
export function mergeVary(a: string, b: string): string {
  const seen = new Map<string, string>();
  for (const t of `${a},${b}`.split(',')) {
    const name = t.trim();
    if (name !== '' && !seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  }
  return seen.has('*') ? '*' : [...seen.values()].join(', ');
}

/** The precomputed headers with the overrides applied: same names replaced, `drop` removed, Vary merged. Pure. */
export function withOverrides(base: string[], o: HeaderOverrides | undefined): string[] {
  if (!o || (o.headers.length === 0 && !o.drop?.length)) return base;
  const names = new Set<string>(o.drop);
  for (let i = 0; i < o.headers.length; i += 2) names.add(o.headers[i].toLowerCase());
  const out: string[] = [];
  let baseVary: string | undefined;
  for (let i = 0; i < base.length; i += 2) {
    const lower = base[i].toLowerCase();
    if (lower === 'vary') baseVary = baseVary === undefined ? base[i + 1] : mergeVary(baseVary, base[i + 1]);
    if (!names.has(lower)) out.push(base[i], base[i + 1]);
  }
  for (let i = 0; i < o.headers.length; i += 2) {
    const vary = baseVary !== undefined && o.headers[i].toLowerCase() === 'vary';
    out.push(o.headers[i], vary ? mergeVary(baseVary!, o.headers[i + 1]) : o.headers[i + 1]);
  }
  return out;
}
