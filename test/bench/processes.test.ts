import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
// @ts-ignore plain ESM JavaScript without declarations
import { cpuTicks, freePort, listeningUrl, rssByProcess, rssKb, stopChild } from '../../bench/processes.mjs';
// @ts-ignore
import { assetdHasFlag, NODE_PEERS, startCeiling, startNodePeer, WHITENOISE_SETTINGS, whitenoiseProject } from '../../bench/starters.mjs';
import { spawn } from 'node:child_process';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built = fs.existsSync(path.join(repoRoot, 'dist/cli.js'));

t.test('rssKb: this process has a resident size; a pid that does not exist has none', { skip: fs.existsSync('/proc/self/status') ? false : 'no /proc' }, async (t) => {
  const kb = rssKb(process.pid);
  t.ok(kb > 1000 && kb < 10 * 1024 * 1024, `${kb} kB`);
  t.equal(rssKb(2 ** 22 + 12345), null);
});

t.test('listeningUrl finds the URL on a start line, with or without the workers after it', async (t) => {
  const one = 'assetd: serving /static/ -> /srv (django manifest); 240 files indexed, 0 symlinks skipped, 87 ms; other requests get 404 (no upstream); listening on http://127.0.0.1:44665';
  t.same(listeningUrl(one + '\n'), { url: 'http://127.0.0.1:44665', line: one });
  const workers = one + ' (2 workers, primary pid 14579)';
  t.same(listeningUrl('assetd: something else\n' + workers + '\n'), { url: 'http://127.0.0.1:44665', line: workers }, 'the line of a primary with workers');
  t.same(listeningUrl('ceiling: listening on http://127.0.0.1:9 (2 processes)'), { url: 'http://127.0.0.1:9', line: 'ceiling: listening on http://127.0.0.1:9 (2 processes)' });
  t.equal(listeningUrl('assetd: indexing...'), null);
});

t.test('rssByProcess and cpuTicks cover the whole tree: a busy child counts', { skip: fs.existsSync('/proc/self/status') ? false : 'no /proc', timeout: 30000 }, async (t) => {
  // a parent that starts a child spinning until it has used 400 ms of CPU, then both wait
  const script = `const { spawn } = require('node:child_process');
const c = spawn(process.execPath, ['-e', 'let x = 0; while (process.cpuUsage().user < 400000) x++; process.stdout.write("done"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'inherit', 'ignore'] });
setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => parent.kill('SIGKILL'));
  await new Promise<void>((resolve) => parent.stdout!.once('data', () => resolve()));
  const tree = rssByProcess(parent.pid);
  t.equal(tree.length, 2, 'the parent and its child');
  t.equal(tree[0].pid, parent.pid, 'the root first');
  t.equal(rssKb(parent.pid), tree[0].rssKb + tree[1].rssKb, 'rssKb is the sum');
  t.ok(cpuTicks(parent.pid)! >= 30, `the child's 400 ms of CPU are counted in the tree (${cpuTicks(parent.pid)} ticks)`);
  const child = tree[1].pid;
  parent.kill('SIGKILL');
  process.kill(child, 'SIGKILL');
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

t.test('the ceiling server in two processes: one port, a primary and two workers, the same answers', { skip: fs.existsSync('/proc/self/status') ? false : 'no /proc', timeout: 30000 }, async (t) => {
  const css = 'body { color: blue; }\n'.repeat(50);
  const dir = t.testdir({ s: { 'a.0123456789ab.css': css } });
  const c = await startCeiling(repoRoot, dir, '/static/', ['s/a.0123456789ab.css'], 2);
  t.teardown(() => stopChild(c.child));
  t.match(c.startLine, /\(2 processes\)$/);
  t.equal(rssByProcess(c.pid).length, 3, 'primary and two workers');
  for (let i = 0; i < 4; i++) {
    const status = await new Promise((resolve, reject) => http.get(c.url + '/static/s/a.0123456789ab.css', { agent: false }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject));
    t.equal(status, 200);
  }
  await stopChild(c.child);
  t.equal(c.child.exitCode, 0, 'stops on SIGTERM with its workers');
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
