/**
 * Vite's build manifest (`.vite/manifest.json` since Vite 5, `manifest.json` before):
 * `{"src/main.ts": {"file": "assets/main-4f3a2b1c.js", "css": ["assets/main-9d8e.css"],
 * "assets": ["assets/logo-77aa.svg"], "isEntry": true}}`. Every `file`, `css` and `assets`
 * name is a hashed output file. Pure.
 */
import { UserError } from '../errors.js';
import { buildManifest, isObject, rootRelative, type NameOptions } from './common.js';
import type { Manifest } from './types.js';

export function isViteManifest(data: unknown): boolean {
  if (!isObject(data)) return false;
  const values = Object.values(data);
  return values.length > 0 && values.every((v) => isObject(v) && typeof v.file === 'string');
}

function stringList(v: unknown, file: string, key: string, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UserError(`${file}: entry ${JSON.stringify(key)}: "${field}" is not a list of names`);
  return v as string[];
}

export function parseViteManifest(data: unknown, file: string, opts: NameOptions = {}): Manifest {
  if (!isObject(data)) throw new UserError(`${file}: not a Vite manifest (expected an object of entries)`);
  const pairs: [string, string][] = [];
  const extra: string[] = [];
  for (const [key, entry] of Object.entries(data)) {
    if (!isObject(entry) || typeof entry.file !== 'string') throw new UserError(`${file}: entry ${JSON.stringify(key)} has no "file" name, so this is not a Vite manifest`);
    pairs.push([rootRelative(key, opts), rootRelative(entry.file, opts)]);
    for (const f of [...stringList(entry.css, file, key, 'css'), ...stringList(entry.assets, file, key, 'assets')]) extra.push(rootRelative(f, opts));
  }
  return buildManifest('vite', file, pairs, extra);
}
