/**
 * The client of the app (proxy/upstream*.ts) through the whole server: connections kept
 * alive and reused, the limit on their number, the one retry on a dead reused connection,
 * informational answers, bodies read to the end of the connection, long header lists, and
 * the request head sent with a small body in one write.
 */
import http from 'node:http';
import net from 'node:net';
import t, { type Test } from 'tap';
import { request, startStack, waitFor } from '../helpers/stack.js';

t.setTimeout(60_000);

/** A raw app on TCP: `answer` gets each request head (as text) and the socket it came on. */
async function rawApp(t: Test, answer: (head: string, socket: net.Socket, nth: number) => void): Promise<{ port: number; connections: () => number; heads: string[]; firstChunks: string[] }> {
  let connections = 0;
  let nth = 0;
  const heads: string[] = [];
  const firstChunks: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    let first = true;
    socket.on('data', (d) => {
      if (first) firstChunks.push(d.toString('latin1'));
      first = false;
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
        const head = buf.slice(0, end);
        const cl = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + cl) return;
        buf = buf.slice(end + 4 + cl);
        heads.push(head);
        answer(head, socket, ++nth);
      }
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  );
  return { port, connections: () => connections, heads, firstChunks };
}

/** A stack whose upstream is the raw app on `port` (the stack's own app is never used). */
async function stackTo(t: Test, port: number, config: Record<string, unknown> = {}) {
  return startStack(t, { app: 'none', config: { upstream: `http://127.0.0.1:${port}`, ...config } });
}

const OK = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

t.test('sequential requests reuse one kept-alive connection', async (t) => {
  const app = await rawApp(t, (_h, s) => s.write(OK('hi')));
  const s = await stackTo(t, app.port);
  for (let i = 0; i < 5; i++) t.equal((await request(s.url, { path: `/n${i}` })).body.toString(), 'hi');
  t.equal(app.connections(), 1, 'one connection to the app for five requests');
});

t.test('no more connections than upstreamConnections; the others wait their turn', async (t) => {
  const held: net.Socket[] = [];
  const app = await rawApp(t, (_h, s) => {
    held.push(s);
    setTimeout(() => s.write(OK('late')), 50);
  });
  const s = await stackTo(t, app.port, { upstreamConnections: 2 });
  const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => request(s.url, { path: `/c${i}` })));
  t.same(replies.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
  t.ok(app.connections() <= 2, `${app.connections()} connections for 6 concurrent requests`);
});

t.test('a GET on a reused connection the app closed is sent once more on a new one; a POST is not', async (t) => {
  // the app answers the first request of a connection, then closes it when the next arrives
  const app = await rawApp(t, (head, socket) => {
    const perSocket = ((socket as unknown as { n?: number }).n = ((socket as unknown as { n?: number }).n ?? 0) + 1);
    if (perSocket === 1) socket.write(OK(head.split(' ')[1]));
    else socket.destroy();
  });
  const s = await stackTo(t, app.port);
  t.equal((await request(s.url, { path: '/first' })).body.toString(), '/first');
  const again = await request(s.url, { path: '/second' });
  t.equal(again.status, 200, 'the GET went through');
  t.equal(again.body.toString(), '/second');
  t.equal(app.heads.filter((h) => h.startsWith('GET /second ')).length, 2, 'sent twice: the dead connection, then a new one');
  t.equal(app.connections(), 2);
  const post = await request(s.url, { method: 'POST', path: '/form', body: 'a=1' });
  t.equal(post.status, 502, 'a POST is not sent twice');
  t.equal(app.heads.filter((h) => h.startsWith('POST /form ')).length, 1);
  t.ok(s.logs.some((l) => l.includes('POST /form: connection closed by the app server; answered 502')));
});

t.test('a dead fresh connection is not retried', async (t) => {
  const app = await rawApp(t, (_h, socket) => socket.destroy());
  const s = await stackTo(t, app.port);
  t.equal((await request(s.url, { path: '/x' })).status, 502);
  t.equal(app.heads.length, 1, 'one attempt');
});

t.test('informational answers are skipped; a body read until the app closes is passed whole', async (t) => {
  const app = await rawApp(t, (head, socket) => {
    if (head.startsWith('GET /hints ')) socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' + OK('final'));
    else socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nuntil the end');
  });
  const s = await stackTo(t, app.port);
  const hints = await request(s.url, { path: '/hints' });
  t.equal(hints.status, 200);
  t.equal(hints.body.toString(), 'final');
  const eof = await request(s.url, { path: '/eof' });
  t.equal(eof.status, 200);
  t.equal(eof.complete, true, 'complete: the app ended it');
  t.equal(eof.body.toString(), 'until the end');
  t.equal(s.logs.length, 0, 'nothing logged');
});

t.test('more than 32 header lines both ways, names in their own case', async (t) => {
  const extra = Array.from({ length: 40 }, (_, i) => `X-Many-${i}: v${i}\r\n`).join('');
  const app = await rawApp(t, (_h, socket) => socket.write(OK('many', extra + 'X-MiXeD-Case: yes\r\n')));
  const s = await stackTo(t, app.port);
  const headers = ['Host', 'many.example', ...Array.from({ length: 40 }, (_, i) => [`X-Req-${i}`, `r${i}`]).flat()];
  const r = await request(s.url, { path: '/many', headers });
  t.equal(r.status, 200);
  for (let i = 0; i < 40; i++) t.equal(r.headers[`x-many-${i}`], `v${i}`);
  t.ok(r.rawHeaders.includes('X-MiXeD-Case'), "the app's spelling of a name is kept");
  for (let i = 0; i < 40; i++) t.match(app.heads[0], `\r\nX-Req-${i}: r${i}`);
});

t.test('a small request body goes out with its head in one write', async (t) => {
  const app = await rawApp(t, (_h, socket) => socket.write(OK('got')));
  const s = await stackTo(t, app.port);
  const r = await request(s.url, { method: 'POST', path: '/small', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=value&x=1' });
  t.equal(r.body.toString(), 'got');
  t.match(app.firstChunks[0], /^POST \/small HTTP\/1\.1\r\n[\s\S]*\r\n\r\nname=value&x=1$/, 'head and body arrived together');
});

t.test('an app that answers before reading the whole upload: the answer passes, the connection is not reused', async (t) => {
  let appConnections = 0;
  const s = await startStack(t, {
    app: (req, res) => {
      res.writeHead(403, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('no uploads\n');
      req.resume();
    },
  });
  s.upstream!.on('connection', () => appConnections++);
  const u = new URL(s.url);
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: 'PUT', path: '/upload', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.write(Buffer.alloc(64 * 1024));
    setTimeout(() => req.end(Buffer.alloc(64 * 1024)), 100);
  });
  t.equal(status, 403);
  t.equal((await request(s.url, { path: '/after' })).status, 403, 'the next request is answered on a connection of its own');
  await waitFor('two connections', () => (appConnections >= 2 ? true : undefined));
});

t.test("a chunked answer's trailers are dropped and do not leak into the next answer on the connection", async (t) => {
  const app = await rawApp(t, (head, socket) => {
    if (head.startsWith('GET /trailers ')) socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n');
    else socket.write(OK('next'));
  });
  const s = await stackTo(t, app.port);
  const first = await request(s.url, { path: '/trailers' });
  t.equal(first.body.toString(), 'hello');
  t.equal(first.complete, true);
  const next = await request(s.url, { path: '/next' });
  t.equal(next.body.toString(), 'next');
  t.equal(next.headers['x-checksum'], undefined, 'no trailer from the answer before');
  t.equal(app.connections(), 1, 'on the same connection');
});
