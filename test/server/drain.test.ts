import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { drainServer } from '../../src/server/drain.js';

/** A server whose /slow?ms answer takes that long, sent in two halves; it tracks its sockets. */
async function slowServer(t: Tap.Test): Promise<{ server: http.Server; port: number; sockets: Set<net.Socket> }> {
  const server = http.createServer((req, res) => {
    if (req.url!.startsWith('/slow')) {
      const ms = Number(req.url!.split('?')[1] ?? 400);
      res.writeHead(200, { 'Content-Length': '10' });
      res.write('01234');
      setTimeout(() => res.end('56789'), ms).unref();
    } else {
      res.end('ok');
    }
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { server, port: (server.address() as AddressInfo).port, sockets };
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

function connects(port: number): Promise<string> {
  return new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

const settle = () => new Promise((r) => setTimeout(r, 50));

t.test('in-flight response completes, idle keep-alive closed at once, then drained', async (t) => {
  const { server, port, sockets } = await slowServer(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  await get(port, '/fast', agent); // leaves one idle keep-alive socket
  const idle = [...Object.values(agent.freeSockets)].flat()[0]!;
  let inflightDone = false;
  const idleClosedFirst = new Promise<boolean>((r) => idle.once('close', () => r(!inflightDone)));
  const inflight = get(port, '/slow?400').finally(() => (inflightDone = true));
  await settle();
  const result = drainServer(server, sockets, { graceMs: 5000, delayMs: 0 });
  t.ok(await idleClosedFirst, 'the idle keep-alive connection was closed before the slow answer ended');
  t.match(await inflight, { status: 200, body: '0123456789' }, 'the slow response finished whole');
  t.equal(await result, 'drained');
  t.notOk(server.listening);
});

t.test('a response that outlives the grace period is cut and the drain ends', async (t) => {
  const { server, port, sockets } = await slowServer(t);
  const inflight = get(port, '/slow?10000');
  inflight.catch(() => {});
  await settle();
  t.equal(await drainServer(server, sockets, { graceMs: 200, delayMs: 0 }), 'timeout');
  await t.rejects(inflight);
});

t.test('new connections are accepted while an answer from before the drain runs, and closed after theirs', async (t) => {
  const { server, port, sockets } = await slowServer(t);
  const before = get(port, '/slow?600');
  await settle();
  const result = drainServer(server, sockets, { graceMs: 5000, delayMs: 0 });
  t.equal(await connects(port), 'connected', 'still accepting');
  const during = await get(port, '/fast');
  t.equal(during.status, 200, 'a new request is answered');
  await before;
  t.equal(await result, 'drained');
  t.equal(await connects(port), 'ECONNREFUSED', 'no longer accepting once it is answered');
});

t.test('a request that arrives during the drain does not hold the listener open', async (t) => {
  const { server, port, sockets } = await slowServer(t);
  const before = get(port, '/slow?300');
  await settle();
  const result = drainServer(server, sockets, { graceMs: 5000, delayMs: 0 });
  const late = get(port, '/slow?1500');
  await before;
  await settle();
  t.equal(await connects(port), 'ECONNREFUSED', 'the listener closed when the earlier answer was done');
  t.match(await late, { status: 200, body: '0123456789' }, 'the late request still gets its whole answer');
  t.equal(await result, 'drained', 'and the drain waits for it');
});

t.test('delayMs keeps accepting with nothing in flight, then the drain ends', async (t) => {
  const { server, port, sockets } = await slowServer(t);
  const result = drainServer(server, sockets, { graceMs: 5000, delayMs: 1500 });
  let ended = false;
  void result.then(() => (ended = true));
  await settle();
  t.equal(await connects(port), 'connected', 'accepting during the delay');
  t.equal((await get(port, '/fast')).status, 200);
  t.notOk(ended, 'the drain has not ended during the delay');
  t.equal(await result, 'drained');
  t.equal(await connects(port), 'ECONNREFUSED');
});

t.test('with nothing in flight and no delay the drain ends at once', async (t) => {
  const { server, port, sockets } = await slowServer(t);
  t.equal(await drainServer(server, sockets, { graceMs: 60_000, delayMs: 0 }), 'drained');
  t.equal(await connects(port), 'ECONNREFUSED');
});
