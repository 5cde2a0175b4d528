import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore plain ESM JavaScript without declarations
import { nginxConf } from '../../bench/nginx-conf.mjs';
// @ts-ignore
import { appStats, checkAnswer, forwardedHeaders, forwardingProblems, probe } from '../../bench/probe.mjs';
// @ts-ignore
import { freePort, stopChild, which } from '../../bench/processes.mjs';
// @ts-ignore
import { buildScenarios } from '../../bench/scenarios.mjs';
// @ts-ignore
import { assetdFlags, KEEPALIVE_UPSTREAM_CONNECTIONS, slug } from '../../bench/servers.mjs';
// @ts-ignore
import { startAssetd, startFastApp, startNginx } from '../../bench/starters.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built = fs.existsSync(path.join(repoRoot, 'dist/cli.js'));
const nginx = which('nginx');

type Test = typeof t;
type Plan = { requests: { path: string; headers: Record<string, string>; expect: Record<string, unknown> }[] };

t.test('assetdFlags: the corpus, the workers, the log, the upstream, the media folder, then the variant', async (t) => {
  const f = assetdFlags({ root: '/s', prefix: '/static/', processes: 2, log: true, upstream: 'http://127.0.0.1:9', media: { root: '/m', prefix: '/media/' }, variantFlags: ['--workers', '3'] });
  t.same(f, ['--root', '/s', '--prefix', '/static/', '--host', '127.0.0.1', '--port', '0', '--workers', '2', '--access-log', 'combined', '--upstream', 'http://127.0.0.1:9', '--media-root', '/m', '--media-prefix', '/media/', '--workers', '3']);
  t.same(assetdFlags({ root: '/s', prefix: '/p/', processes: 1, log: false, upstream: undefined, media: null, variantFlags: [] }).slice(-4), ['--workers', '1', '--access-log', 'off']);
  t.equal(slug('assetd (node, log)'), 'assetd-node-log');
  t.equal(slug('nginx'), 'nginx');
  t.equal(KEEPALIVE_UPSTREAM_CONNECTIONS, 64);
});

t.test('the fast app: a 1 KiB page over kept connections, the headers it got, its counters', { timeout: 30000 }, async (t) => {
  const app = await startFastApp(repoRoot);
  t.teardown(() => stopChild(app.child));
  const before = await appStats(app.url + '/app/stats');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  for (let i = 0; i < 5; i++) {
    const res = await new Promise<{ status: number; length: number; type: string }>((resolve, reject) => {
      http.get(app.url + '/app/page', { agent }, (r) => {
        let length = 0;
        r.on('data', (d) => (length += d.length));
        r.on('end', () => resolve({ status: r.statusCode!, length, type: String(r.headers['content-type']) }));
      }).on('error', reject);
    });
    t.same(res, { status: 200, length: 1024, type: 'text/html; charset=utf-8' });
  }
  const after = await appStats(app.url + '/app/stats');
  t.equal(after.requests - before.requests, 6, 'five pages and one stats request');
  t.equal(after.connections - before.connections, 2, 'the five pages on one kept connection, the stats on its own');
  t.equal((await probe(app.url + '/app/nope', {})).status, 404);
  t.equal((await forwardedHeaders(app.url, '/app/headers'))['x-test'], undefined);
});

const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>\n');

/** A media folder nobody (nginx) can read: a JPEG and an SVG. */
function mediaDir(t: Test) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-servers-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'media/uploads'), { recursive: true, mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'static'), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'static/a.css'), 'a{}');
  fs.writeFileSync(path.join(dir, 'media/uploads/photo.jpg'), Buffer.alloc(3000, 7), { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'media/uploads/logo.svg'), SVG, { mode: 0o644 });
  for (const d of ['media', 'media/uploads']) fs.chmodSync(path.join(dir, d), 0o755);
  return dir;
}

const files = { small: 'a.css', largeJs: null, largest: 'a.css', missing: 'b.css', page: ['a.css'], sizes: {} };
const mediaPlan = (file: string, size: number): Plan => buildScenarios(files, { prefix: '/static/', connections: 1, media: { prefix: '/media/', file, size } }).media;

/** The checks a run makes before loading, on one server: both media files, what the app receives, connection reuse. */
async function checkServer(t: Test, base: string, appUrl: string, name: string) {
  const jpg = mediaPlan('uploads/photo.jpg', 3000).requests[0];
  t.equal(checkAnswer(await probe(base + jpg.path, jpg.headers), jpg.expect), null, `${name}: the JPEG as the media scenario expects it`);
  const svg = mediaPlan('uploads/logo.svg', SVG.length).requests[0];
  const res = await probe(base + svg.path, svg.headers);
  t.equal(checkAnswer(res, svg.expect), null, `${name}: the SVG in a sandbox`);
  t.match(res.headers['content-disposition'], /^attachment/, `${name}: as an attachment`);
  const page = buildScenarios(files, { prefix: '/static/', connections: 1 })['proxy-keepalive'].requests[0];
  t.equal(checkAnswer(await probe(base + page.path, page.headers), page.expect), null, `${name}: the app's page`);
  t.same(forwardingProblems(await forwardedHeaders(base, '/app/headers'), { host: new URL(base).host, clientIp: '127.0.0.1', proto: 'http' }), [], `${name}: forwards what the other forwards`);
  const before = await appStats(appUrl + '/app/stats');
  for (let i = 0; i < 10; i++) await probe(base + page.path, page.headers);
  const after = await appStats(appUrl + '/app/stats');
  t.ok(after.connections - before.connections - 1 <= 1, `${name}: ten requests on kept connections to the app (${after.connections - before.connections - 1} opened)`);
}

t.test('nginx and assetd as the bench configures them answer media alike and forward alike to the fast app', { skip: !nginx ? 'nginx is not installed' : !built ? 'dist/ not built (npm run build)' : false, timeout: 60000 }, async (t) => {
  const dir = mediaDir(t);
  const app = await startFastApp(repoRoot);
  t.teardown(() => stopChild(app.child));
  const appPort = Number(new URL(app.url).port);

  const port = await freePort();
  const runDir = path.join(dir, 'nginx');
  const conf = nginxConf({ runDir, port, workers: 1, root: path.join(dir, 'static'), prefix: '/static/', brotliModule: null, mimeTypes: fs.existsSync('/etc/nginx/mime.types') ? '/etc/nginx/mime.types' : null, upstreamPort: appPort, upstreamKeepalive: 64, media: { root: path.join(dir, 'media'), prefix: '/media/' }, accessLog: path.join(runDir, 'access.log') });
  const n = await startNginx(runDir, conf, port);
  t.teardown(() => stopChild(n.child));
  await checkServer(t, n.url, app.url, 'nginx');

  const logFile = path.join(dir, 'assetd.log');
  const fd = fs.openSync(logFile, 'a');
  const flags = assetdFlags({ root: path.join(dir, 'static'), prefix: '/static/', processes: 1, log: true, upstream: app.url, media: { root: path.join(dir, 'media'), prefix: '/media/' }, variantFlags: [] });
  let a: { child: unknown; url: string };
  try {
    a = await startAssetd(repoRoot, { flags, timeoutMs: 30000, env: { ASSETD_FAST_LANE: 'false' }, stdout: fd });
  } finally {
    fs.closeSync(fd);
  }
  t.teardown(() => stopChild(a.child));
  await checkServer(t, a.url, app.url, 'assetd');
  await stopChild(a.child);
  const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
  t.ok(lines.length >= 14, `assetd's access log went to the file (${lines.length} lines)`);
  t.match(lines[0], /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/media\/uploads\/photo\.jpg HTTP\/1\.1" 200 3000 /, 'in the combined format');
});

t.test('assetd with workers: the start line names them, and the bench finds its URL', { skip: built ? false : 'dist/ not built (npm run build)', timeout: 60000 }, async (t) => {
  const dir = mediaDir(t);
  const a = await startAssetd(repoRoot, { flags: assetdFlags({ root: path.join(dir, 'static'), prefix: '/static/', processes: 2, log: false, media: null, variantFlags: [] }), timeoutMs: 30000 });
  t.teardown(() => stopChild(a.child));
  t.match(a.startLine, /listening on http:\/\/127\.0\.0\.1:\d+ \(2 workers, primary pid \d+\)$/);
  t.equal((await probe(a.url + '/static/a.css', {})).status, 200);
});
