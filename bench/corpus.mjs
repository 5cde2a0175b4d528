/**
 * What to request: the files a run measures, picked from a Django staticfiles.json manifest.
 * `pickFiles` is pure; `readManifestNames` and `localSizes` read the disk; `mediaTree` writes
 * the media folder of the media scenario.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BenchError } from './options.mjs';

/** Parse staticfiles.json text into [original, hashed] pairs (leading slashes dropped). */
export function manifestPairs(text, file) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BenchError(`${file}: not valid JSON (${e.message})`);
  }
  if (!data || typeof data !== 'object' || !data.paths || typeof data.paths !== 'object' || Array.isArray(data.paths)) {
    throw new BenchError(`${file}: not a Django staticfiles manifest (no "paths" object)`);
  }
  const strip = (s) => (s.startsWith('/') ? s.slice(1) : s);
  const pairs = [];
  for (const [orig, hashed] of Object.entries(data.paths)) {
    if (typeof hashed !== 'string') throw new BenchError(`${file}: "paths" entry ${JSON.stringify(orig)} is not a string`);
    pairs.push([strip(orig), strip(hashed)]);
  }
  if (pairs.length === 0) throw new BenchError(`${file}: the manifest lists no files`);
  return pairs;
}

export function readManifestNames(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new BenchError(`${file}: cannot read manifest (${e.code ?? e.message})`);
  }
  return manifestPairs(text, file);
}

/** Sizes of the hashed names under root; names missing on disk are left out. */
export function localSizes(root, names) {
  const sizes = new Map();
  for (const n of names) {
    try {
      const st = fs.statSync(path.join(root, n));
      if (st.isFile()) sizes.set(n, st.size);
    } catch {
      /* listed but not on disk: not requested */
    }
  }
  return sizes;
}

const SMALL_CSS_MAX = 32 * 1024;

/**
 * Pick the files of the scenarios from the manifest's hashed names and their sizes.
 * small: the hashed admin/css/base.css when listed, else the largest hashed .css up to 32 KiB
 * (else the smallest .css); largeJs: the largest hashed .js; largest: the largest hashed file;
 * missing: a hashed-looking name that is not listed; page: every hashed name on disk, sorted.
 * @param {[string, string][]} pairs
 * @param {Map<string, number>} sizes  hashed name -> bytes (names without a size are skipped)
 */
export function pickFiles(pairs, sizes) {
  const hashed = [...new Set(pairs.map(([, h]) => h))].filter((h) => sizes.has(h)).sort();
  if (hashed.length === 0) throw new BenchError('none of the files the manifest lists was found');
  const byExt = (ext) => hashed.filter((h) => h.endsWith(ext));
  const bySize = (a, b) => sizes.get(a) - sizes.get(b) || (a < b ? -1 : 1);
  const base = pairs.find(([o]) => o === 'admin/css/base.css')?.[1];
  let small;
  if (base && sizes.has(base)) small = base;
  else {
    const css = byExt('.css').sort(bySize);
    const fit = css.filter((c) => sizes.get(c) <= SMALL_CSS_MAX);
    small = fit.length > 0 ? fit[fit.length - 1] : css[0];
  }
  if (!small) throw new BenchError('the manifest lists no .css file for the small-file scenarios');
  const js = byExt('.js').sort(bySize);
  const all = [...hashed].sort(bySize);
  const dir = small.includes('/') ? small.slice(0, small.lastIndexOf('/') + 1) : '';
  let missing = `${dir}does-not-exist.0123456789ab.css`;
  for (let i = 0; hashed.includes(missing); i++) missing = `${dir}does-not-exist-${i}.0123456789ab.css`;
  return {
    small,
    largeJs: js.length > 0 ? js[js.length - 1] : null,
    largest: all[all.length - 1],
    missing,
    page: hashed,
    sizes: Object.fromEntries(hashed.map((h) => [h, sizes.get(h)])),
  };
}

/**
 * The media folder: `file` (--media-file) copied in under its own name, or a generated
 * 150 KiB JPEG; readable by nginx (nobody).
 */
export function mediaTree(dir, file) {
  const rel = file ? `uploads/${path.basename(file)}` : 'uploads/2024/photo.jpg';
  const dest = path.join(dir, rel);
  fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
  if (file) {
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) throw new BenchError(`--media-file: ${file} is not a file`);
    fs.copyFileSync(file, dest);
  } else {
    const size = 150 * 1024;
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 2654435761) >>> 24;
    fs.writeFileSync(dest, body);
  }
  fs.chmodSync(dest, 0o644);
  for (let d = path.dirname(dest); d.startsWith(dir); d = path.dirname(d)) fs.chmodSync(d, 0o755);
  return { root: dir, prefix: '/media/', file: rel, size: fs.statSync(dest).size };
}
