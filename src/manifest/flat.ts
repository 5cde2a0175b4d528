/**
 * A flat map from name to hashed name: webpack-manifest-plugin's `manifest.json`
 * (`{"main.js": "/static/main.1a2b3c.js"}`), webpack-assets-manifest, and Rails Propshaft's
 * `.manifest.json` (`{"application.css": "application-6b2f1a9c.css"}`, or since Propshaft 1.0
 * `{"application.css": {"digested_path": "application-6b2f1a9c.css", "integrity": ...}}`). Pure.
 */
import { UserError } from '../errors.js';
import { buildManifest, isObject, looksLikeFileName, rootRelative, type NameOptions } from './common.js';
import type { Manifest } from './types.js';

function valueOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.digested_path === 'string') return v.digested_path;
  return undefined;
}

/**
 * Is this a flat manifest? Every value is a name; and, since the generic name manifest.json
 * is also used by web-app manifests, every key must look like a file name.
 */
export function isFlatManifest(data: unknown): boolean {
  if (!isObject(data)) return false;
  const entries = Object.entries(data);
  return entries.length > 0 && entries.every(([k, v]) => valueOf(v) !== undefined && looksLikeFileName(k));
}

export function parseFlatManifest(data: unknown, file: string, opts: NameOptions = {}): Manifest {
  if (!isObject(data)) throw new UserError(`${file}: not a flat manifest (expected an object of name: hashed name)`);
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(data)) {
    const h = valueOf(v);
    if (h === undefined) throw new UserError(`${file}: entry ${JSON.stringify(k)} is not a name (expected a string or {"digested_path": ...})`);
    pairs.push([rootRelative(k, opts), rootRelative(h, opts)]);
  }
  return buildManifest('flat', file, pairs);
}
