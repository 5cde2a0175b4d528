import { UserError } from '../errors.js';
import type { Manifest } from './types.js';

/**
 * Django's ManifestStaticFilesStorage manifest (`staticfiles.json`):
 * `{"paths": {"admin/css/base.css": "admin/css/base.5af66c1b1797.css"}, "version": "1.0"}`;
 * version 1.1 (Django >= 4.2) adds a `"hash"` key.
 */
export function isDjangoManifest(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const o = data as Record<string, unknown>;
  return typeof o.paths === 'object' && o.paths !== null && !Array.isArray(o.paths) && 'version' in o;
}

export function parseDjangoManifest(data: unknown, file: string, _opts?: unknown): Manifest {
  if (!isDjangoManifest(data)) throw new UserError(`${file}: not a Django staticfiles manifest (no "paths" object and "version")`);
  const o = data as { paths: Record<string, unknown>; version: unknown };
  if (o.version !== '1.0' && o.version !== '1.1') {
    throw new UserError(`${file}: unsupported Django manifest version ${JSON.stringify(o.version)} (expected "1.0" or "1.1")`);
  }
  const names = new Map<string, string>();
  for (const [name, hashed] of Object.entries(o.paths)) {
    if (typeof hashed !== 'string') throw new UserError(`${file}: "paths" entry ${JSON.stringify(name)} is not a string`);
    names.set(stripSlash(name), stripSlash(hashed));
  }
  return { format: 'django', file, names, hashed: new Set(names.values()) };
}

function stripSlash(s: string): string {
  return s.startsWith('/') ? s.slice(1) : s;
}
