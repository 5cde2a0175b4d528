import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import { resolveConfig } from '../../src/config/index.js';
import { detectFormat, findManifest } from '../../src/manifest/index.js';
import { createAssetServer } from '../../src/server/server.js';
import { buildIndex } from '../../src/static/build.js';
import { tempDir, writeTree } from '../helpers/cli.js';
import { laneEnv } from '../helpers/lane.js';

t.test('detection of each format', async (t) => {
  t.equal(detectFormat({ paths: {}, version: '1.1' }), 'django');
  t.equal(detectFormat({ 'src/main.ts': { file: 'assets/main-1.js' } }), 'vite');
  t.equal(detectFormat({ 'main.js': 'main.1.js' }), 'flat');
  t.equal(detectFormat({ files: {}, assets: {} }), 'sprockets');
  t.equal(detectFormat({ name: 'pwa', start_url: '/' }), undefined);
});

t.test('auto-detected file names, and a web-app manifest.json passed over', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, {
    'vite/.vite/manifest.json': JSON.stringify({ 'src/main.ts': { file: 'assets/main-1a2b3c4d.js' } }),
    'vite4/manifest.json': JSON.stringify({ 'src/main.ts': { file: 'assets/main-1a2b3c4d.js' } }),
    'propshaft/.manifest.json': JSON.stringify({ 'app.css': 'app-0a0b0c0d.css' }),
    'sprockets/.sprockets-manifest-0a1b.json': JSON.stringify({ files: { 'a-1.js': {} }, assets: { 'a.js': 'a-1.js' } }),
    'webpack/manifest.json': JSON.stringify({ 'main.js': 'main.77.js' }),
    'pwa/manifest.json': JSON.stringify({ name: 'App', icons: [] }),
    'bad/staticfiles.json': JSON.stringify({ hello: 1 }),
  });
  const fmt = (d: string) => findManifest(path.join(dir, d), undefined)?.format;
  t.equal(fmt('vite'), 'vite');
  t.equal(fmt('vite4'), 'vite');
  t.equal(fmt('propshaft'), 'flat');
  t.equal(fmt('sprockets'), 'sprockets');
  t.equal(fmt('webpack'), 'flat');
  t.equal(fmt('pwa'), undefined);
  t.throws(() => fmt('bad'), { name: 'UserError', message: /staticfiles\.json: not a django manifest/ });
  t.throws(() => findManifest(path.join(dir, 'pwa'), 'manifest.json', 'vite'), { name: 'UserError', message: /no "file" name/ });
});

function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

t.test('served: Vite and Propshaft hashed names are immutable, other names are not, manifests are never served', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, {
    'dist/.vite/manifest.json': JSON.stringify({ 'src/main.ts': { file: 'assets/main-4f3a2b1c.js', css: ['assets/main-9d8e7f6a.css'] } }),
    'dist/assets/main-4f3a2b1c.js': 'console.log(1)',
    'dist/assets/main-9d8e7f6a.css': 'a{}',
    'dist/favicon.ico': 'ico',
    'public/assets/.manifest.json': JSON.stringify({ 'application.css': 'application-6b2f1a9c.css' }),
    'public/assets/application-6b2f1a9c.css': 'b{}',
    'public/assets/application.css': 'b{}',
  });
  const config = resolveConfig({
    file: { port: 0, static: [{ prefix: '/vite/', root: 'dist' }, { prefix: '/assets/', root: 'public/assets' }] },
    fileDir: dir,
    env: laneEnv(),
  });
  const index = await buildIndex(config.static, config);
  t.same(index.mounts.map((m) => m.manifest?.format), ['vite', 'flat']);
  const server = createAssetServer(config, index);
  t.teardown(() => server.close());
  const addr = await server.listen();
  const base = `http://127.0.0.1:${addr.port}`;
  const immutable = 'public, max-age=31536000, immutable';
  t.equal((await get(`${base}/vite/assets/main-4f3a2b1c.js`)).headers['cache-control'], immutable);
  t.equal((await get(`${base}/vite/assets/main-9d8e7f6a.css`)).headers['cache-control'], immutable);
  t.equal((await get(`${base}/vite/favicon.ico`)).headers['cache-control'], 'public, max-age=60');
  t.equal((await get(`${base}/vite/.vite/manifest.json`)).status, 404, 'the manifest is not served');
  t.equal((await get(`${base}/assets/application-6b2f1a9c.css`)).headers['cache-control'], immutable);
  t.equal((await get(`${base}/assets/application.css`)).headers['cache-control'], 'public, max-age=60');
  t.equal((await get(`${base}/assets/.manifest.json`)).status, 404);
});
