import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { headerProblem, rawHeaders, SPLICE, writeHeadRaw } from '../../src/http/raw-headers.js';

t.test('rawHeaders splits framing from the rest and checks every value once', async (t) => {
  const h = rawHeaders(['Content-Type', 'text/css', 'Content-Length', '10', 'ETag', '"x"']);
  t.same(h.framing, ['Content-Length', '10']);
  t.equal(h.tail, 'Content-Type: text/css\r\nETag: "x"\r\n');
  t.throws(() => rawHeaders(['Cache-Control', 'public\r\nSet-Cookie: a=b']), /header "Cache-Control": not a valid Cache-Control header value/, 'a line break is refused when the block is made');
  t.throws(() => rawHeaders(['Bad Name', 'x']), /not a valid Bad Name header value/);
  t.equal(headerProblem('Cache-Control', 'public'), undefined);
  t.match(headerProblem('Cache-Control', 'a\nb'), /not a valid Cache-Control header value: "a\\nb"/);
});

t.test('the header block node builds can be extended on this node', async (t) => {
  t.equal(SPLICE, true);
});

t.test('over a real socket: every header arrives, keep-alive and HEAD behave as usual', async (t) => {
  const block = rawHeaders(['Content-Type', 'text/plain', 'Content-Length', '5', 'X-One', '1', 'Cache-Control', 'no-store']);
  const notModified = rawHeaders(['ETag', '"e"', 'Vary', 'Accept-Encoding']);
  const server = http.createServer((req, res) => {
    if (req.url === '/304') {
      writeHeadRaw(res, 304, notModified);
      res.end();
      return;
    }
    writeHeadRaw(res, 200, block);
    res.end(req.method === 'HEAD' ? undefined : 'hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const get = (path: string, method = 'GET') =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: unknown }>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', path, method, agent }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, socket: req.socket }));
      });
      req.on('error', reject);
      req.end();
    });
  const a = await get('/');
  t.equal(a.body, 'hello');
  t.equal(a.headers['content-type'], 'text/plain');
  t.equal(a.headers['x-one'], '1');
  t.equal(a.headers['cache-control'], 'no-store');
  t.equal(a.headers.connection, 'keep-alive');
  t.ok(a.headers.date);
  const h = await get('/', 'HEAD');
  t.equal(h.headers['content-length'], '5');
  t.equal(h.body, '');
  const n = await get('/304');
  t.equal(n.status, 304);
  t.equal(n.headers.etag, '"e"');
  t.equal(n.headers['transfer-encoding'], undefined);
  const b = await get('/');
  t.equal(b.body, 'hello', 'the connection is still in step after all of them');
  t.equal(b.socket, a.socket, 'one kept-alive connection');
});
