import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { drainServer } from '../src/shutdown.js';

/** A server whose /slow answer takes `ms`, sent in two halves. */
async function slowServer(t: Tap.Test, ms: number): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      res.writeHead(200, { 'Content-Length': '10' });
      res.write('01234');
      setTimeout(() => res.end('56789'), ms).unref();
    } else {
      res.end('ok');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, p: string, agent?: http.Agent): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent: agent ?? false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
        res.on('aborted', () => reject(new Error('aborted')));
      })
      .on('error', reject);
  });
}

t.test('in-flight response completes, idle keep-alive closed, then drained', async (t) => {
  const { server, port } = await slowServer(t, 400);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  await get(port, '/fast', agent); // leaves one idle keep-alive socket
  const idle = [...Object.values(agent.freeSockets)].flat()[0]!;
  const idleClosed = new Promise<void>((r) => idle.once('close', () => r()));
  const inflight = get(port, '/slow');
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  const result = drainServer(server, 5000);
  await idleClosed;
  t.ok(Date.now() - t0 < 300, 'the idle keep-alive connection was closed at once');
  t.match(await inflight, { status: 200, body: '0123456789' }, 'the slow response finished whole');
  t.equal(await result, 'drained');
  t.notOk(server.listening);
});

t.test('a response that outlives the grace period is cut and the drain ends', async (t) => {
  const { server, port } = await slowServer(t, 10_000);
  const inflight = get(port, '/slow');
  inflight.catch(() => {});
  await new Promise((r) => setTimeout(r, 50));
  t.equal(await drainServer(server, 200), 'timeout');
  await t.rejects(inflight);
});

t.test('no new connections once draining', async (t) => {
  const { server, port } = await slowServer(t, 300);
  const inflight = get(port, '/slow');
  await new Promise((r) => setTimeout(r, 50));
  const result = drainServer(server, 5000);
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  t.equal(refused, 'ECONNREFUSED');
  await inflight;
  t.equal(await result, 'drained');
});
