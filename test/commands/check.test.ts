import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, tempDir, writeTree } from '../helpers/cli.js';

t.test('check: a sound tree exits 0 and says what would be served', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, {
    'static/staticfiles.json': JSON.stringify({ paths: { 'a.css': 'a.0123456789ab.css' }, version: '1.1', hash: '000000000000' }),
    'static/a.css': 'a{}',
    'static/a.0123456789ab.css': 'a{}',
    'static/a.0123456789ab.css.gz': Buffer.alloc(1),
    'static/big.js': Buffer.alloc(2000, 97),
  });
  const r = await runCli(t, ['check', '--root', 'static', '--memory-threshold', '1000'], { cwd: dir, timeoutMs: 60_000 });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /manifest: .*staticfiles\.json \(django, 1 names\)/);
  t.match(r.stdout, /files: 3, precompressed variants: 1, immutable: 1 \(33\.3%\)/);
  t.match(r.stdout, /larger than the memory threshold \(1000 B\): 1 \(big\.js\)/);
  t.match(r.stdout, /^ok: 3 files, 1 variants$/m);
});

t.test('check: manifest names missing on disk exit 1; a bad config exits 2 with one line', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'static/.vite/manifest.json': JSON.stringify({ 'src/main.ts': { file: 'assets/main-1a2b3c4d.js' } }), 'static/index.html': '<p>' });
  const missing = await runCli(t, ['check', '--root', 'static'], { cwd: dir, timeoutMs: 60_000 });
  t.equal(missing.code, 1);
  t.match(missing.stdout, /manifest names missing on disk: 1 \(assets\/main-1a2b3c4d\.js\)/);
  t.match(missing.stdout, /^problems: \/static\/: 1 manifest name\(s\) missing on disk$/m);
  fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ static: [{ root: 'static', colour: 'red' }] }));
  const bad = await runCli(t, ['check', '--config', 'bad.json'], { cwd: dir, timeoutMs: 60_000 });
  t.equal(bad.code, 2);
  t.equal(bad.stderr, 'assetd: bad.json: static[0]: unknown key "colour"\n');
});
