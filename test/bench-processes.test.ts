import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
// @ts-ignore plain ESM JavaScript without declarations
import { assetdHasFlag, freePort, rssKb, startCeiling, stopChild } from '../bench/processes.mjs';

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
