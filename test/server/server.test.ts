import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../../src/config/index.js';
import { createAssetServer } from '../../src/server/server.js';
import { buildIndex } from '../../src/static/build.js';
import { laneEnv } from '../helpers/lane.js';

async function running(t: Tap.Test, flags: Record<string, string> = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-server-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.writeFileSync(path.join(root, 'a.css'), 'a{}');
  const config = resolveConfig({ flags: { root, port: '0', 'access-log': 'off', ...flags }, env: laneEnv(), cwd: '/' });
  const s = createAssetServer(config, await buildIndex(config.static, config));
  const addr = await s.listen();
  t.teardown(() => s.close());
  return { s, port: addr.port };
}

function get(port: number, p: string, agent: http.Agent | false = false, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, agent, method }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('health answers 503 and closes the connection while draining', async (t) => {
  const { s, port } = await running(t, { 'shutdown-timeout': '2000' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const before = await get(port, '/__assetd/health', agent);
  t.equal(before.status, 200);
  t.equal(before.headers.connection, 'keep-alive');
  // hold the connection busy with a request whose answer comes after the drain starts
  const sock = [...Object.values(agent.freeSockets)].flat()[0]!;
  t.ok(sock);
  s.server.prependOnceListener('request', () => void s.drain(2000));
  const during = await get(port, '/__assetd/health', agent);
  t.equal(during.status, 503);
  t.equal(JSON.parse(during.body).status, 'draining');
  t.equal(during.headers.connection, 'close', 'the client is told to go elsewhere');
  t.equal(s.draining, true);
});

t.test('service paths: GET and HEAD only, and never logged as static', async (t) => {
  const { s, port } = await running(t);
  t.equal((await get(port, '/__assetd/health', false, 'POST')).status, 405);
  const head = await get(port, '/__assetd/metrics', false, 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body, '');
  t.equal((await get(port, '/__assetd/health?probe=1')).status, 200, 'a query string does not matter');
  await new Promise((r) => setTimeout(r, 20));
  const snap = s.metrics.snapshot();
  t.same(snap.requests.service, [0, 0, 2, 0, 1, 0]);
  t.same(snap.requests.static, [0, 0, 0, 0, 0, 0]);
});

t.test('server limits from the config reach node:http', async (t) => {
  const { s } = await running(t, { 'headers-timeout': '3000', 'request-timeout': '4000', 'keep-alive-timeout': '1234', 'max-connections': '77', 'max-header-size': '4096' });
  t.equal(s.server.headersTimeout, 3000);
  t.equal(s.server.requestTimeout, 4000);
  t.equal(s.server.keepAliveTimeout, 1234);
  t.equal(s.server.maxConnections, 77);
});

t.test('a header block over maxHeaderSize is refused with 431', async (t) => {
  const { port } = await running(t, { 'max-header-size': '2048' });
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/static/a.css', agent: false, headers: { 'x-big': 'y'.repeat(4000) } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
  });
  t.equal(status, 431);
  const ok = await get(port, '/static/a.css');
  t.equal(ok.status, 200);
});

t.test('an idle keep-alive connection is closed after keepAliveTimeout; a silent one after headersTimeout', async (t) => {
  const { port } = await running(t, { 'keep-alive-timeout': '300', 'headers-timeout': '600', 'request-timeout': '1000' });
  const net = await import('node:net');
  const ka = net.connect(port, '127.0.0.1');
  ka.on('error', () => {});
  t.teardown(() => ka.destroy());
  const answered = new Promise<number>((r) => ka.once('data', () => r(Date.now())));
  const closed = new Promise<number>((r) => ka.once('close', () => r(Date.now())));
  ka.write('GET /static/a.css HTTP/1.1\r\nHost: x\r\n\r\n');
  const t0 = await answered;
  const idleFor = (await closed) - t0;
  // node adds a one-second buffer to keepAliveTimeout
  t.ok(idleFor >= 300 && idleFor < 3000, `idle keep-alive closed after ${idleFor} ms`);

  const silent = net.connect(port, '127.0.0.1');
  silent.on('error', () => {});
  t.teardown(() => silent.destroy());
  const t1 = Date.now();
  await new Promise<void>((r) => silent.once('close', () => r()));
  const silentFor = Date.now() - t1;
  t.ok(silentFor >= 500 && silentFor < 3000, `a connection that never sends a byte is closed (after ${silentFor} ms)`);
});
