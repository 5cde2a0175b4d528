import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { isDjangoManifest, parseDjangoManifest } from './django.js';
import type { Manifest, ManifestFormat } from './types.js';

export type { Manifest, ManifestFormat } from './types.js';

/** File names looked for in a root, in order, when no manifest is named. */
export const AUTO_MANIFESTS = ['staticfiles.json'];

/** Parse already-read JSON as the given format, or detect the format. */
export function parseManifest(data: unknown, file: string, format?: ManifestFormat): Manifest {
  if (format === 'django' || (format === undefined && isDjangoManifest(data))) return parseDjangoManifest(data, file);
  if (format !== undefined) throw new UserError(`${file}: manifest format "${format}" is not supported`);
  throw new UserError(`${file}: not a known manifest format (expected Django's staticfiles.json)`);
}

/** Read and parse one manifest file; every problem is a one-line UserError naming the file. */
export function readManifest(file: string, format?: ManifestFormat): Manifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read manifest (${code ?? 'error'})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: manifest is not valid JSON (${(e as Error).message})`);
  }
  return parseManifest(data, file, format);
}

/**
 * The manifest of a mount: the named file (relative to the root unless absolute),
 * or the first known manifest found in the root, or none.
 */
export function findManifest(root: string, named: string | undefined, format?: ManifestFormat): Manifest | undefined {
  if (named) return readManifest(path.resolve(root, named), format);
  for (const name of AUTO_MANIFESTS) {
    const file = path.join(root, name);
    if (fs.existsSync(file)) return readManifest(file, format);
  }
  return undefined;
}
