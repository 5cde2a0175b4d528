import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
// @ts-ignore plain ESM JavaScript without declarations
import { assetdHasFlag, freePort, NODE_PEERS, rssKb, startCeiling, startNodePeer, stopChild, WHITENOISE_SETTINGS, whitenoiseProject } from '../bench/processes.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = fs.existsSync(path.join(repoRoot, 'dist/cli.js'));

t.test('rssKb: this process has a resident size; a pid that does not exist has none', { skip: fs.existsSync('/proc/self/status') ? false : 'no /proc' }, async (t) => {
  const kb = rssKb(process.pid);
  t.ok(kb > 1000 && kb < 10 * 1024 * 1024, `${kb} kB`);
  t.equal(rssKb(2 ** 22 + 12345), null);
});

t.test('freePort gives a port that can be bound', async (t) => {
  const port = await freePort();
  t.ok(port > 0 && port < 65536);
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', () => resolve()));
  await new Promise((resolve) => s.close(resolve));
});

t.test('assetdHasFlag tells a known serve flag from an unknown one', { skip: built ? false : 'dist/ not built (npm run build)', timeout: 30000 }, async (t) => {
  t.equal(assetdHasFlag(repoRoot, 'max-age', '60'), true);
  t.equal(assetdHasFlag(repoRoot, 'follow-symlinks'), true);
  t.equal(assetdHasFlag(repoRoot, 'no-such-flag-at-all', 'x'), false);
});

t.test('the ceiling server answers its file from memory: br, 304 on its ETag, 404 otherwise', { timeout: 30000 }, async (t) => {
  const css = 'body { color: red; }\n'.repeat(50);
  const dir = t.testdir({ s: { 'a.0123456789ab.css': css, 'a.0123456789ab.css.br': zlib.brotliCompressSync(css) } });
  const c = await startCeiling(repoRoot, dir, '/static/', ['s/a.0123456789ab.css']);
  t.teardown(() => stopChild(c.child));
  const get = (p: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http.get(c.url + p, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
  const a = await get('/static/s/a.0123456789ab.css', { 'Accept-Encoding': 'br, gzip' });
  t.equal(a.status, 200);
  t.equal(a.headers['content-encoding'], 'br');
  t.equal(zlib.brotliDecompressSync(a.body).toString(), css);
  t.equal(a.headers['cache-control'], 'public, max-age=31536000, immutable');
  const b = await get('/static/s/a.0123456789ab.css', { 'Accept-Encoding': 'br', 'If-None-Match': a.headers.etag! });
  t.equal(b.status, 304);
  const i = await get('/static/s/a.0123456789ab.css', {});
  t.equal(i.status, 200);
  t.equal(i.headers['content-encoding'], undefined);
  t.equal(i.body.toString(), css);
  t.equal((await get('/static/s/other.css', {})).status, 404);
});

t.test('the WhiteNoise peer: a copy of the project, staticfiles linked to the corpus, the Cache-Control rule added', async (t) => {
  const dir = t.testdir({ lab: { 'manage.py': '#!/usr/bin/env python3\n', staticfiles: '../../corpus/x', site: { 'settings.py': "STATIC_URL = '/static/'\n", 'wsgi.py': '' } }, corpus: {} });
  for (const p of ['lab/site/settings.py', 'lab/staticfiles', 'lab/manage.py']) fs.chmodSync(path.join(dir, p), 0o444);
  fs.chmodSync(path.join(dir, 'lab/site'), 0o555);
  fs.chmodSync(path.join(dir, 'lab'), 0o555);
  let out: string;
  try {
    out = whitenoiseProject(path.join(dir, 'lab'), path.join(dir, 'corpus'), path.join(dir, 'copy'));
  } finally {
    fs.chmodSync(path.join(dir, 'lab'), 0o755); // so that the fixture can be removed
    fs.chmodSync(path.join(dir, 'lab/site'), 0o755);
  }
  t.equal(out, path.join(dir, 'copy'));
  t.equal(fs.readlinkSync(path.join(out, 'staticfiles')), path.join(dir, 'corpus'));
  t.equal(fs.readFileSync(path.join(out, 'site/settings.py'), 'utf8'), "STATIC_URL = '/static/'\n" + WHITENOISE_SETTINGS);
  t.equal(fs.readFileSync(path.join(dir, 'lab/site/settings.py'), 'utf8'), "STATIC_URL = '/static/'\n", 'the original is left alone');
  t.equal(fs.lstatSync(path.join(dir, 'lab/staticfiles')).isFile(), true);
  t.throws(() => whitenoiseProject(path.join(dir, 'corpus'), dir, path.join(dir, 'copy2')), { message: /no \*\/settings\.py/ });
});

const PY = '/usr/bin/python3';
t.test('the WhiteNoise settings give hashed names a year, immutable, and others a minute', { skip: fs.existsSync(PY) ? false : `no ${PY}`, timeout: 30000 }, async (t) => {
  const probe = `${WHITENOISE_SETTINGS}
for url in ['/static/admin/css/base.1f418065fc2c.css', '/static/admin/css/base.css', '/static/a.1f418065fc2c.css.br', '/static/x.1f418065fc2.css']:
    h = {'Cache-Control': 'max-age=315360000, public, immutable'}
    WHITENOISE_ADD_HEADERS_FUNCTION(h, '/ignored', url)
    print(h['Cache-Control'])
`;
  const r = spawnSync(PY, ['-c', probe], { encoding: 'utf8', timeout: 20000 });
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['public, max-age=31536000, immutable', 'public, max-age=60', 'public, max-age=60', 'public, max-age=60']);
});

t.test('the Node peers serve the corpus at the prefix: br, the Cache-Control rule, 404 elsewhere', { timeout: 30000 }, async (t) => {
  const css = 'body { color: red; }\n'.repeat(50);
  const dir = t.testdir({ admin: { 'a.0123456789ab.css': css, 'a.0123456789ab.css.br': zlib.brotliCompressSync(css), 'a.0123456789ab.css.gz': zlib.gzipSync(css), 'a.css': css, 'a.css.br': zlib.brotliCompressSync(css) } });
  const get = (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http.get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
  t.same(Object.keys(NODE_PEERS), ['sirv', 'fastify-static']);
  for (const name of Object.keys(NODE_PEERS)) {
    const p = await startNodePeer(repoRoot, name, dir, '/static/');
    t.teardown(() => stopChild(p.child));
    const a = await get(p.url + '/static/admin/a.0123456789ab.css', { 'Accept-Encoding': 'br, gzip' });
    t.equal(a.status, 200, name);
    t.equal(a.headers['content-encoding'], 'br', name);
    t.equal(zlib.brotliDecompressSync(a.body).toString(), css, name);
    t.equal(a.headers['cache-control'], 'public, max-age=31536000, immutable', name);
    const g = await get(p.url + '/static/admin/a.0123456789ab.css', { 'Accept-Encoding': 'gzip' });
    t.equal(g.headers['content-encoding'], 'gzip', name);
    const b = await get(p.url + '/static/admin/a.css', { 'Accept-Encoding': 'br' });
    t.equal(b.headers['cache-control'], 'public, max-age=60', `${name}: not hashed`);
    t.equal((await get(p.url + '/admin/a.css', {})).status, 404, `${name}: outside the prefix`);
    t.equal((await get(p.url + '/static/admin/nope.css', {})).status, 404, `${name}: missing`);
    await stopChild(p.child);
  }
});
