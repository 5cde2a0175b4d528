import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { NameOptions } from './common.js';
import { isDjangoManifest, parseDjangoManifest } from './django.js';
import { isFlatManifest, parseFlatManifest } from './flat.js';
import { isSprocketsManifest, parseSprocketsManifest, SPROCKETS_NAME } from './sprockets.js';
import type { Manifest, ManifestFormat } from './types.js';
import { isViteManifest, parseViteManifest } from './vite.js';

export type { Manifest, ManifestFormat } from './types.js';

/**
 * Manifests looked for in a root, in order, when none is named. `generic` names are used by
 * other files too (a web-app manifest.json): one that is not a known format is passed over.
 */
export const AUTO_MANIFESTS: { name: string | RegExp; formats: ManifestFormat[]; generic: boolean }[] = [
  { name: 'staticfiles.json', formats: ['django'], generic: false },
  { name: '.vite/manifest.json', formats: ['vite'], generic: false },
  { name: '.manifest.json', formats: ['flat'], generic: false },
  { name: SPROCKETS_NAME, formats: ['sprockets'], generic: false },
  { name: 'manifest.json', formats: ['vite', 'flat'], generic: true },
  { name: 'assets-manifest.json', formats: ['flat'], generic: true },
];

const DETECT: { format: ManifestFormat; is: (d: unknown) => boolean; parse: (d: unknown, file: string, o: NameOptions) => Manifest }[] = [
  { format: 'django', is: isDjangoManifest, parse: parseDjangoManifest },
  { format: 'sprockets', is: isSprocketsManifest, parse: parseSprocketsManifest },
  { format: 'vite', is: isViteManifest, parse: parseViteManifest },
  { format: 'flat', is: isFlatManifest, parse: parseFlatManifest },
];

/** The format of already-read JSON, or undefined. */
export function detectFormat(data: unknown): ManifestFormat | undefined {
  return DETECT.find((d) => d.is(data))?.format;
}

/** Parse already-read JSON as the given format, or detect the format. */
export function parseManifest(data: unknown, file: string, format?: ManifestFormat, opts: NameOptions = {}): Manifest {
  const f = format ?? detectFormat(data);
  const d = DETECT.find((x) => x.format === f);
  if (!d) throw new UserError(`${file}: not a known manifest format (expected Django's staticfiles.json, a Vite, flat (webpack, Propshaft) or Sprockets manifest)`);
  return d.parse(data, file, opts);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read manifest (${code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: manifest is not valid JSON (${(e as Error).message})`);
  }
}

/** Read and parse one manifest file; every problem is a one-line UserError naming the file. */
export function readManifest(file: string, format?: ManifestFormat, opts: NameOptions = {}): Manifest {
  return parseManifest(readJson(file), file, format, opts);
}

function candidates(root: string, name: string | RegExp): string[] {
  if (typeof name === 'string') {
    const file = path.join(root, name);
    return fs.existsSync(file) ? [file] : [];
  }
  let entries: string[];
  try {
    entries = fs.readdirSync(root);
  } catch {
    return [];
  }
  const hits = entries.filter((e) => name.test(e)).sort();
  if (hits.length > 1) throw new UserError(`${root}: several manifests (${hits.join(', ')}); name one with --manifest`);
  return hits.map((h) => path.join(root, h));
}

/**
 * The manifest of a mount: the named file (relative to the root unless absolute), or the
 * first known manifest found in the root (of the given format, if one is given), or none.
 */
export function findManifest(root: string, named: string | undefined, format?: ManifestFormat, opts: NameOptions = {}): Manifest | undefined {
  if (named) return readManifest(path.resolve(root, named), format, opts);
  for (const auto of AUTO_MANIFESTS) {
    if (format && !auto.formats.includes(format)) continue;
    for (const file of candidates(root, auto.name)) {
      const data = readJson(file);
      const detected = detectFormat(data);
      const chosen = format ?? (detected && auto.formats.includes(detected) ? detected : undefined);
      if (chosen === undefined) {
        if (auto.generic) continue;
        throw new UserError(`${file}: not a ${auto.formats.join(' or ')} manifest`);
      }
      return parseManifest(data, file, chosen, opts);
    }
  }
  return undefined;
}
