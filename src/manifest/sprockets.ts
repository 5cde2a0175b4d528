/**
 * Rails Sprockets' manifest (`.sprockets-manifest-<hex>.json`, `manifest-<hex>.json` before
 * Sprockets 3): `{"files": {"application-9f8e.js": {"logical_path": "application.js", ...}},
 * "assets": {"application.js": "application-9f8e.js"}}`. Every key of `files` and value of
 * `assets` is a digested file. Pure.
 */
import { UserError } from '../errors.js';
import { buildManifest, isObject, rootRelative, type NameOptions } from './common.js';
import type { Manifest } from './types.js';

/** File names Sprockets gives its manifest. */
export const SPROCKETS_NAME = /^(\.sprockets-manifest-[0-9a-f]+|manifest-[0-9a-f]{32})\.json$/;

export function isSprocketsManifest(data: unknown): boolean {
  return isObject(data) && isObject(data.files) && isObject(data.assets);
}

export function parseSprocketsManifest(data: unknown, file: string, opts: NameOptions = {}): Manifest {
  if (!isSprocketsManifest(data)) throw new UserError(`${file}: not a Sprockets manifest (expected "files" and "assets" objects)`);
  const o = data as { files: Record<string, unknown>; assets: Record<string, unknown> };
  const pairs: [string, string][] = [];
  for (const [logical, digested] of Object.entries(o.assets)) {
    if (typeof digested !== 'string') throw new UserError(`${file}: "assets" entry ${JSON.stringify(logical)} is not a string`);
    pairs.push([rootRelative(logical, opts), rootRelative(digested, opts)]);
  }
  for (const [digested, info] of Object.entries(o.files)) {
    if (!isObject(info)) throw new UserError(`${file}: "files" entry ${JSON.stringify(digested)} is not an object`);
  }
  return buildManifest('sprockets', file, pairs, Object.keys(o.files).map((f) => rootRelative(f, opts)));
}
