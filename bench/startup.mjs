/**
 * Startup benchmark: generated Django-like trees of N hashed files (three in four with .br and
 * .gz variants, plus a staticfiles.json), the index time assetd reports on its start line,
 * and its RSS once listening. `parseStartLine` and `treeLayout` are pure.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { rssKb, startAssetd, stopChild } from './processes.mjs';

/** '... 240 files indexed, 468 variants, 3.6 MiB in memory, ... 131 ms; listening on http://...' */
export function parseStartLine(line) {
  const m = /(\d+) files indexed, (\d+) variants, ([\d.]+ (?:B|KiB|MiB|GiB)) in memory.*?, (\d+) ms; (?:[^;]*; )?listening on (\S+)/.exec(line);
  if (!m) return null;
  return { files: Number(m[1]), variants: Number(m[2]), inMemory: m[3], ms: Number(m[4]), url: m[5] };
}

const KINDS = [
  { ext: 'css', variants: true },
  { ext: 'js', variants: true },
  { ext: 'svg', variants: true },
  { ext: 'png', variants: false },
];

/** Names of file i of a generated tree: 100 files per folder, Django's hashed names. */
export function treeLayout(i) {
  const kind = KINDS[i % KINDS.length];
  const hash = crypto.createHash('md5').update(String(i)).digest('hex').slice(0, 12);
  const dir = `app${Math.floor(i / 100)}`;
  return { original: `${dir}/f${i}.${kind.ext}`, hashed: `${dir}/f${i}.${hash}.${kind.ext}`, variants: kind.variants };
}

/** Write a tree of n files under dir; returns the number of files on disk (variants included). */
export function generateTree(dir, n) {
  const paths = {};
  let onDisk = 0;
  const made = new Set();
  for (let i = 0; i < n; i++) {
    const t = treeLayout(i);
    const d = path.join(dir, path.dirname(t.hashed));
    if (!made.has(d)) {
      fs.mkdirSync(d, { recursive: true });
      made.add(d);
    }
    const body = Buffer.from(`/* file ${i} */\n` + `.rule-${i} { color: #${(i % 4096).toString(16).padStart(3, '0')}; margin: 0 auto; }\n`.repeat(4 + (i % 24)));
    const file = path.join(dir, t.hashed);
    fs.writeFileSync(file, body);
    onDisk++;
    if (t.variants) {
      fs.writeFileSync(file + '.gz', zlib.gzipSync(body, { level: 1 }));
      fs.writeFileSync(file + '.br', zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }));
      onDisk += 2;
    }
    paths[t.original] = t.hashed;
  }
  fs.writeFileSync(path.join(dir, 'staticfiles.json'), JSON.stringify({ paths, version: '1.0' }));
  return onDisk + 1;
}

/**
 * For each size: generate (which leaves the tree in the page cache), start assetd once, read
 * the start line, the time to listening and the RSS, stop, delete the tree.
 */
export async function runStartup(repoRoot, tmpDir, sizes, log) {
  const rows = [];
  for (const n of sizes) {
    const dir = path.join(tmpDir, `startup-${n}`);
    log(`startup: generating ${n.toLocaleString('en')} files under ${dir}`);
    const onDisk = generateTree(dir, n);
    const row = { files: n, onDisk, indexed: 0, variants: 0, inMemory: null, indexMs: null, wallMs: null, rssKb: null };
    try {
      const t0 = performance.now();
      const a = await startAssetd(repoRoot, { flags: ['--root', dir, '--prefix', '/static/', '--host', '127.0.0.1', '--port', '0', '--workers', '1', '--access-log', 'off'], timeoutMs: 600000 });
      row.wallMs = performance.now() - t0;
      try {
        const s = parseStartLine(a.startLine);
        if (!s) throw new Error(`cannot read the start line: ${a.startLine}`);
        row.indexed = s.files;
        row.variants = s.variants;
        row.inMemory = s.inMemory;
        row.indexMs = s.ms;
        row.rssKb = rssKb(a.pid);
      } finally {
        await stopChild(a.child);
      }
      log(`startup: ${n} files: index ${row.indexMs} ms, listening after ${Math.round(row.wallMs)} ms, RSS ${Math.round(row.rssKb / 1024)} MB`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    rows.push(row);
  }
  return rows;
}
