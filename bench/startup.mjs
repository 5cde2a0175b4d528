/**
 * Startup benchmark: generated Django-like trees of N hashed files (three in four with .br and
 * .gz variants, plus a staticfiles.json), the index time assetd reports on its start line,
 * and its RSS once listening, in one process; then assetd at its default worker count and
 * nginx with as many workers, RSS per process. `parseStartLine`, `workersOnLine` and
 * `treeLayout` are pure.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { nginxConf } from './nginx-conf.mjs';
import { freePort, rssByProcess, rssKb, stopChild } from './processes.mjs';
import { startAssetd, startNginx } from './starters.mjs';

/** '... 240 files indexed, 468 variants, 3.6 MiB in memory, ... 131 ms; listening on http://...' */
export function parseStartLine(line) {
  const m = /(\d+) files indexed, (\d+) variants, ([\d.]+ (?:B|KiB|MiB|GiB)) in memory.*?, (\d+) ms; (?:[^;]*; )?listening on (\S+)/.exec(line);
  if (!m) return null;
  return { files: Number(m[1]), variants: Number(m[2]), inMemory: m[3], ms: Number(m[4]), url: m[5] };
}

/** Worker processes on assetd's start line: '(2 workers, primary pid 123)', else one process. */
export function workersOnLine(line) {
  const m = /\((\d+) workers, primary pid \d+\)/.exec(line);
  return m ? Number(m[1]) : 1;
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

const FLAGS = (dir) => ['--root', dir, '--prefix', '/static/', '--host', '127.0.0.1', '--port', '0', '--access-log', 'off'];

/** Start, read, stop: `read(started)` runs while the server listens. */
async function whileRunning(start, read) {
  const s = await start();
  try {
    return await read(s);
  } finally {
    await stopChild(s.child);
  }
}

/**
 * For each size: generate (which leaves the tree in the page cache), start assetd once in one
 * process, read the start line, the time to listening and the RSS, stop; with `trees`, start
 * it again at its default worker count (no --workers) and nginx with as many workers, and
 * read the RSS of each process; delete the tree.
 * @param {{ trees?: boolean, nginx?: { runDir: string, brotliModule: string | null, mimeTypes: string | null } | null }} [o]
 */
export async function runStartup(repoRoot, tmpDir, sizes, log, o = {}) {
  const rows = [];
  for (const n of sizes) {
    const dir = path.join(tmpDir, `startup-${n}`);
    log(`startup: generating ${n.toLocaleString('en')} files under ${dir}`);
    const onDisk = generateTree(dir, n);
    const row = { files: n, onDisk, indexed: 0, variants: 0, inMemory: null, indexMs: null, wallMs: null, rssKb: null, defaults: null, nginx: null };
    try {
      const t0 = performance.now();
      await whileRunning(
        () => startAssetd(repoRoot, { flags: [...FLAGS(dir), '--workers', '1'], timeoutMs: 600000 }),
        (a) => {
          row.wallMs = performance.now() - t0;
          const s = parseStartLine(a.startLine);
          if (!s) throw new Error(`cannot read the start line: ${a.startLine}`);
          row.indexed = s.files;
          row.variants = s.variants;
          row.inMemory = s.inMemory;
          row.indexMs = s.ms;
          row.rssKb = rssKb(a.pid);
        },
      );
      log(`startup: ${n} files: index ${row.indexMs} ms, listening after ${Math.round(row.wallMs)} ms, RSS ${Math.round(row.rssKb / 1024)} MB`);
      if (o.trees) {
        row.defaults = await whileRunning(
          () => startAssetd(repoRoot, { flags: FLAGS(dir), timeoutMs: 600000 }),
          (a) => ({ workers: workersOnLine(a.startLine), rssKb: rssByProcess(a.pid).map((p) => p.rssKb) }),
        );
        log(`startup: ${n} files, assetd at defaults (${row.defaults.workers} workers): RSS ${row.defaults.rssKb.map((kb) => Math.round(kb / 1024)).join(' + ')} MB`);
      }
      if (o.trees && o.nginx) {
        const workers = row.defaults.workers;
        const port = await freePort();
        const runDir = path.join(o.nginx.runDir, `startup-${n}`);
        const conf = nginxConf({ runDir, port, workers, root: dir, prefix: '/static/', brotliModule: o.nginx.brotliModule, mimeTypes: o.nginx.mimeTypes });
        row.nginx = await whileRunning(
          () => startNginx(runDir, conf, port),
          (x) => ({ workers, rssKb: rssByProcess(x.pid).map((p) => p.rssKb) }),
        );
        log(`startup: ${n} files, nginx (${workers} workers): RSS ${row.nginx.rssKb.map((kb) => Math.round(kb / 1024)).join(' + ')} MB`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    rows.push(row);
  }
  return rows;
}
