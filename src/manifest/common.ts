/** Helpers shared by the manifest readers. Pure. */
import type { Manifest, ManifestFormat } from './types.js';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface NameOptions {
  /** The mount's URL prefix: a value written as a URL under it is made relative to the root. */
  prefix?: string;
}

/**
 * A name as written in a manifest, made relative to the mount root: an origin, the mount
 * prefix or a leading "/" is dropped ("/static/app.1a2b.js" -> "app.1a2b.js" under /static/).
 */
export function rootRelative(name: string, opts: NameOptions = {}): string {
  let s = name.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+/i, '');
  if (opts.prefix && s.startsWith(opts.prefix)) s = s.slice(opts.prefix.length);
  return s.replace(/^\/+/, '').replace(/^\.\//, '');
}

/** Build a Manifest; a name mapped to itself is not hashed and so is not immutable. */
export function buildManifest(format: ManifestFormat, file: string, pairs: [string, string][], extraHashed: string[] = []): Manifest {
  const names = new Map<string, string>();
  const hashed = new Set<string>();
  for (const [orig, h] of pairs) {
    names.set(orig, h);
    if (h !== orig && h !== '') hashed.add(h);
  }
  for (const h of extraHashed) if (h !== '' && !names.has(h)) hashed.add(h);
  return { format, file, names, hashed };
}

/** The last path segment has an extension: "main.js", "img/logo.png". */
export function looksLikeFileName(s: string): boolean {
  return /\.[A-Za-z0-9]+$/.test(s.slice(s.lastIndexOf('/') + 1));
}
