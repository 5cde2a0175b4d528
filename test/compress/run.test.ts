import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { compressTree, formatSummary } from '../../src/compress/run.js';
import { scanRoot } from '../../src/static/scan.js';
import { listTree, startCli, tempDir, writeTree } from '../helpers/cli.js';

const css = Array.from({ length: 400 }, (_, i) => `.rule-${i} { color: #${(i * 2654435761 % 0xffffff).toString(16).padStart(6, '0')}; margin: ${i % 7}px; }`).join('\n');
const js = Array.from({ length: 300 }, (_, i) => `export function f${i}(x) { return x * ${i} + ${i % 13}; }`).join('\n');

function brotliOf(file: string): Buffer {
  return zlib.brotliDecompressSync(fs.readFileSync(file));
}
function gunzipOf(file: string): Buffer {
  return zlib.gunzipSync(fs.readFileSync(file));
}

t.test('variants are written for text files, skipped for compressed formats and kept only when worth it', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, {
    'css/site.css': css,
    'js/app.js': js,
    'img/photo.jpg': Buffer.alloc(5000, 1),
    'fonts/f.woff2': Buffer.alloc(5000, 2),
    'random.txt': crypto.randomBytes(4000),
    'empty.css': '',
    '.hidden.css': css,
  });
  const s = await compressTree(dir, { workers: 2 });
  t.equal(s.files, 4, 'site.css, app.js, random.txt, empty.css are looked at');
  t.equal(s.written, 4, 'br and gz of the css and the js');
  t.same(brotliOf(path.join(dir, 'css/site.css.br')), fs.readFileSync(path.join(dir, 'css/site.css')));
  t.same(gunzipOf(path.join(dir, 'css/site.css.gz')), fs.readFileSync(path.join(dir, 'css/site.css')));
  t.same(brotliOf(path.join(dir, 'js/app.js.br')), Buffer.from(js));
  for (const n of ['img/photo.jpg.br', 'fonts/f.woff2.gz', 'random.txt.br', 'random.txt.gz', 'empty.css.br', '.hidden.css.br']) {
    t.notOk(fs.existsSync(path.join(dir, n)), `no ${n}`);
  }
  t.ok(s.bytesAfter < s.bytesBefore);
  t.match(formatSummary(s), /^compressed 4 files: \d+ -> \d+ bytes \(\d+\.\d%\), 4 variants written, 0 up to date, \d+\.\d\d s$/);
});

t.test('a rerun over an unchanged tree redoes nothing; a changed source is redone', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'a.css': css, 'b.js': js });
  await compressTree(dir, { workers: 0 });
  const before = fs.statSync(path.join(dir, 'a.css.br')).mtimeMs;
  const again = await compressTree(dir, { workers: 0 });
  t.equal(again.written, 0);
  t.equal(again.fresh, 4);
  t.equal(fs.statSync(path.join(dir, 'a.css.br')).mtimeMs, before, 'variant untouched');

  const newer = css + '\n.extra { color: red; }';
  fs.writeFileSync(path.join(dir, 'a.css'), newer);
  const future = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(dir, 'a.css'), future, future);
  const third = await compressTree(dir, { workers: 0 });
  t.equal(third.written, 2, 'both variants of a.css redone');
  t.equal(brotliOf(path.join(dir, 'a.css.br')).toString(), newer);
});

t.test('a stale variant whose new version is not worth keeping is removed, never served stale', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'a.txt': css });
  await compressTree(dir, { workers: 0 });
  t.ok(fs.existsSync(path.join(dir, 'a.txt.br')));
  fs.writeFileSync(path.join(dir, 'a.txt'), crypto.randomBytes(2000));
  const future = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(dir, 'a.txt'), future, future);
  const s = await compressTree(dir, { workers: 0 });
  t.equal(s.removed, 2);
  t.notOk(fs.existsSync(path.join(dir, 'a.txt.br')));
  t.notOk(fs.existsSync(path.join(dir, 'a.txt.gz')));
});

t.test('output is deterministic: the same file gives the same variant bytes, on a thread or not', async (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  writeTree(a, { 'x.css': css });
  writeTree(b, { 'x.css': css });
  await compressTree(a, { workers: 0 });
  await compressTree(b, { workers: 2 });
  t.same(fs.readFileSync(path.join(a, 'x.css.br')), fs.readFileSync(path.join(b, 'x.css.br')));
  t.same(fs.readFileSync(path.join(a, 'x.css.gz')), fs.readFileSync(path.join(b, 'x.css.gz')));
});

t.test('errors are one-line user errors', async (t) => {
  const dir = tempDir(t);
  await t.rejects(compressTree(path.join(dir, 'nope')), { name: 'UserError', message: /does not exist/ });
  writeTree(dir, { 'f.css': 'x' });
  await t.rejects(compressTree(path.join(dir, 'f.css')), { name: 'UserError', message: /not a directory/ });
});

t.test('an interrupted compress leaves no partial variant, and the next run finishes the job', async (t) => {
  const dir = tempDir(t);
  // enough work that the run is still busy when it is killed
  const files: Record<string, string> = {};
  const rnd = crypto.createHash('sha256');
  for (let i = 0; i < 40; i++) {
    const lines: string[] = [];
    for (let j = 0; j < 1500; j++) lines.push(`.c${i}-${j} { background: url(x${rnd.update(String(j)).copy().digest('hex').slice(0, 10)}.png); }`);
    files[`f${String(i).padStart(2, '0')}.css`] = lines.join('\n');
  }
  writeTree(dir, files);
  const run = startCli(t, ['compress', dir, '--workers', '2'], { timeoutMs: 90_000 });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !fs.readdirSync(dir).some((n) => n.endsWith('.br') || n.startsWith('.'))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  run.child.kill('SIGKILL');
  const result = await run.done;
  t.equal(result.signal, 'SIGKILL', `killed mid-run ${result.stderr}`);
  const names = fs.readdirSync(dir);
  const variants = names.filter((n) => /\.(br|gz)$/.test(n) && !n.startsWith('.'));
  t.ok(variants.length < 80, `interrupted before the end (${variants.length} of 80 variants)`);
  for (const v of variants) {
    const source = fs.readFileSync(path.join(dir, v.replace(/\.(br|gz)$/, '')));
    const decoded = v.endsWith('.br') ? brotliOf(path.join(dir, v)) : gunzipOf(path.join(dir, v));
    t.ok(decoded.equals(source), `${v} is complete`);
  }
  const scanned = await scanRoot(dir, { followSymlinks: false });
  t.notOk(scanned.files.some((f) => f.rel.includes('.tmp-')), 'temporaries are never indexed for serving');

  const s = await compressTree(dir, { workers: 2 });
  t.equal(s.written + s.fresh, 80, 'the rerun completes every variant');
  t.same(listTree(dir).filter((n) => n.startsWith('.')), [], 'leftover temporaries are cleared');
});
