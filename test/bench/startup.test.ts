import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
// @ts-ignore plain ESM JavaScript without declarations
import { generateTree, parseStartLine, treeLayout, workersOnLine } from '../../bench/startup.mjs';
import { startLine } from '../../src/runtime/start.js';
import { buildIndex, type StaticIndex } from '../../src/static/build.js';
import { resolveConfig } from '../../src/config/index.js';

t.test('parseStartLine reads the line assetd prints', async (t) => {
  const index = {
    mounts: [{ prefix: '/static/', config: { root: '/srv/s', internal: false }, manifest: { format: 'django' }, missing: [] }],
    fileCount: 240,
    variantCount: 468,
    bytesInMemory: 3.6 * 1024 * 1024,
    symlinksSkipped: 0,
    ms: 131.4,
  } as unknown as StaticIndex;
  const line = startLine(index, 'http://127.0.0.1:8080');
  t.same(parseStartLine('assetd: ' + line), { files: 240, variants: 468, inMemory: '3.6 MiB', ms: 131, url: 'http://127.0.0.1:8080' });
  const withMissing = { ...index, mounts: [{ ...index.mounts[0], missing: ['a', 'b'] }] } as unknown as StaticIndex;
  t.equal(parseStartLine(startLine(withMissing, 'http://[::1]:9')).files, 240, 'with missing names on the line');
  t.equal(parseStartLine('listening'), null);
});

t.test('workersOnLine: the workers a primary announces, else one process', async (t) => {
  t.equal(workersOnLine('assetd: serving ...; listening on http://127.0.0.1:9 (2 workers, primary pid 77)'), 2);
  t.equal(workersOnLine('assetd: serving ...; listening on http://127.0.0.1:9 (16 workers, primary pid 1)'), 16);
  t.equal(workersOnLine('assetd: serving ...; listening on http://127.0.0.1:9'), 1);
  t.equal(parseStartLine('assetd: serving /static/ -> /s (django manifest); 1 files indexed, 2 variants, 1.0 KiB in memory, 0 symlinks skipped, 5 ms; other requests get 404 (no upstream); listening on http://127.0.0.1:9 (2 workers, primary pid 3)').url, 'http://127.0.0.1:9', 'the start line of a primary still reads');
});

t.test('treeLayout: Django hashed names, 100 per folder, three in four with variants', async (t) => {
  const a = treeLayout(0);
  t.match(a.hashed, /^app0\/f0\.[0-9a-f]{12}\.css$/);
  t.equal(a.original, 'app0/f0.css');
  t.equal(treeLayout(250).hashed.split('/')[0], 'app2');
  t.same([0, 1, 2, 3].map((i) => treeLayout(i).variants), [true, true, true, false]);
  t.not(treeLayout(1).hashed, treeLayout(5).hashed);
});

t.test('a generated tree is what assetd indexes: n files, their variants, a manifest', { timeout: 60000 }, async (t) => {
  const dir = t.testdir({});
  const n = 10;
  const onDisk = generateTree(dir, n);
  t.equal(onDisk, n + 2 * 8 + 1, '8 of 10 have .br and .gz, plus staticfiles.json');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'staticfiles.json'), 'utf8'));
  t.equal(Object.keys(manifest.paths).length, n);
  const first = path.join(dir, treeLayout(0).hashed);
  t.same(zlib.gunzipSync(fs.readFileSync(first + '.gz')), fs.readFileSync(first), 'variants are real');
  t.same(zlib.brotliDecompressSync(fs.readFileSync(first + '.br')), fs.readFileSync(first));
  const config = resolveConfig({ flags: { root: dir }, cwd: dir });
  const index = await buildIndex(config.static, config);
  t.equal(index.fileCount, n);
  t.equal(index.variantCount, 16);
  t.equal(index.mounts[0].immutableCount, n, 'every name hashed by the manifest');
});
