import t from 'tap';
import http from 'node:http';
import zlib from 'node:zlib';
import { resolveConfig } from '../../src/config/index.js';
import { createAssetServer } from '../../src/server/server.js';
import { buildIndex } from '../../src/static/build.js';
import { tempDir, writeTree } from '../helpers/cli.js';
import { laneEnv } from '../helpers/lane.js';

const css = Array.from({ length: 300 }, (_, i) => `.r${i} { margin: ${i}px; }`).join('\n');

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

t.test('compressMissing: a plain folder is served with brotli and gzip made in memory', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'site.css': css, 'logo.png': Buffer.alloc(3000, 1), 'tiny.txt': 'x', 'has.css': css, 'has.css.br': zlib.brotliCompressSync(css) });
  const config = resolveConfig({ flags: { root: dir, port: '0', 'compress-missing': true }, env: laneEnv() });
  t.equal(config.static[0].compressMissing, true);
  const index = await buildIndex(config.static, config);
  t.equal(index.mounts[0].compressedInMemory, 2, 'br and gz of site.css only (png skipped, tiny not worth it, has.css has its own)');
  const server = createAssetServer(config, index);
  t.teardown(() => server.close());
  const { port } = await server.listen();
  const br = await get(`http://127.0.0.1:${port}/static/site.css`, { 'accept-encoding': 'br, gzip' });
  t.equal(br.headers['content-encoding'], 'br');
  t.equal(br.headers.vary, 'Accept-Encoding');
  t.equal(zlib.brotliDecompressSync(br.body).toString(), css);
  const gz = await get(`http://127.0.0.1:${port}/static/site.css`, { 'accept-encoding': 'gzip' });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(zlib.gunzipSync(gz.body).toString(), css);
  const plain = await get(`http://127.0.0.1:${port}/static/site.css`);
  t.equal(plain.headers['content-encoding'], undefined);
  t.equal(plain.body.toString(), css);
  t.equal((await get(`http://127.0.0.1:${port}/static/logo.png`, { 'accept-encoding': 'br' })).headers['content-encoding'], undefined);
  t.not(br.headers.etag, plain.headers.etag, 'each representation has its own ETag');
});

t.test('compressMissing stays within the memory limit, and is off by default', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'a.css': css, 'b.css': css + ' ' });
  const capped = resolveConfig({ flags: { root: dir, port: '0', 'compress-missing': true, 'memory-limit': '10' }, env: {} });
  t.equal((await buildIndex(capped.static, capped)).mounts[0].compressedInMemory, 0, 'nothing fits 10 bytes');
  const off = resolveConfig({ flags: { root: dir, port: '0' }, env: {} });
  const idx = await buildIndex(off.static, off);
  t.equal(idx.mounts[0].compressedInMemory, 0);
  t.equal(idx.variantCount, 0);
  const env = resolveConfig({ env: { ASSETD_ROOT: dir, ASSETD_COMPRESS_MISSING: 'yes' } });
  t.equal(env.static[0].compressMissing, true, 'ASSETD_COMPRESS_MISSING');
});
