import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatJson } from '../../src/observe/access-log.js';
import { Metrics } from '../../src/observe/metrics.js';
import { Observer, sentEncoding, sentLength, setUpstreamTime } from '../../src/observe/observer.js';

t.test('sentEncoding reads the header block, any case', async (t) => {
  t.equal(sentEncoding(null), 'identity');
  t.equal(sentEncoding('HTTP/1.1 200 OK\r\nContent-Type: text/css\r\n\r\n'), 'identity');
  t.equal(sentEncoding('HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n'), 'br');
  t.equal(sentEncoding('HTTP/1.1 200 OK\r\ncontent-encoding:  GZIP \r\n\r\n'), 'gzip');
});

/** A server whose handler tracks every response with an Observer writing to `lines`. */
async function observed(t: Tap.Test, handle: (req: http.IncomingMessage, res: http.ServerResponse) => void, after = false) {
  const lines: string[] = [];
  const metrics = new Metrics();
  const obs = new Observer(metrics, formatJson, (chunk) => lines.push(...chunk.trimEnd().split('\n')));
  const server = http.createServer((req, res) => {
    const t0 = performance.now();
    const kind = req.url!.startsWith('/up') ? 'proxy' : 'static';
    if (!after) obs.track(req, res, kind, t0);
    handle(req, res);
    if (after) obs.track(req, res, kind, t0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  const settle = async () => {
    await new Promise((r) => setTimeout(r, 30));
    obs.flush();
  };
  return { port, lines, metrics, settle };
}

function request(port: number, p: string, method = 'GET', agent: http.Agent | false = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, agent }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => resolve(n));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('body bytes, status and encoding as sent, over keep-alive too', async (t) => {
  const { port, lines, metrics, settle } = await observed(t, (req, res) => {
    if (req.url === '/br') {
      res.writeHead(200, ['Content-Type', 'text/css', 'Content-Encoding', 'br', 'Content-Length', '1000']);
      res.end(Buffer.alloc(1000));
    } else if (req.url === '/chunks') {
      res.writeHead(200, ['Content-Type', 'text/plain']);
      res.write('x'.repeat(300));
      res.end('y'.repeat(200));
    } else {
      res.writeHead(404, ['Content-Length', '10']);
      res.end('Not Found\n');
    }
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  t.equal(await request(port, '/br', 'GET', agent), 1000);
  t.equal(await request(port, '/br', 'HEAD', agent), 0);
  t.equal(await request(port, '/nope', 'GET', agent), 10);
  t.equal(await request(port, '/br', 'GET', agent), 1000, 'a later response on the same connection');
  await request(port, '/chunks');
  await settle();
  const got = lines.map((l) => JSON.parse(l));
  t.same(
    got.map((o) => [o.method, o.path, o.status, o.bytes, o.encoding]),
    [
      ['GET', '/br', 200, 1000, 'br'],
      ['HEAD', '/br', 200, 0, 'br'],
      ['GET', '/nope', 404, 10, 'identity'],
      ['GET', '/br', 200, 1000, 'br'],
      ['GET', '/chunks', 200, 500 + 3 + 2 + 2 * 4 + 5, 'identity'],
    ],
    'chunked bodies count their framing, as bytes on the wire',
  );
  const s = metrics.snapshot();
  t.same(s.requests.static, [0, 0, 4, 0, 1, 0]);
  t.equal(s.bytes.br, 2000);
});

t.test('sentLength reads Content-Length', async (t) => {
  t.equal(sentLength(null), 0);
  t.equal(sentLength('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'), 0);
  t.equal(sentLength('HTTP/1.1 200 OK\r\ncontent-length: 3931\r\n\r\n'), 3931);
});

t.test('tracked after the handler: an answer that already ended is recorded at once, without a listener', async (t) => {
  const closeListeners: number[] = [];
  const { port, lines, metrics, settle } = await observed(
    t,
    (req, res) => {
      const before = res.listenerCount('close');
      if (req.url === '/br') {
        res.writeHead(200, ['Content-Encoding', 'br', 'Content-Length', '1000']);
        res.end(Buffer.alloc(1000));
      } else {
        res.writeHead(200, ['Content-Type', 'text/plain']);
        setTimeout(() => res.end('z'.repeat(100)), 10);
      }
      setImmediate(() => closeListeners.push(res.listenerCount('close') - before));
    },
    true,
  );
  t.equal(await request(port, '/br'), 1000);
  t.equal(await request(port, '/br', 'HEAD'), 0);
  t.equal(await request(port, '/late'), 100);
  await settle();
  t.same(
    lines.map((l) => JSON.parse(l)).map((o) => [o.method, o.path, o.status, o.bytes, o.encoding]),
    [
      ['GET', '/br', 200, 1000, 'br'],
      ['HEAD', '/br', 200, 0, 'br'],
      ['GET', '/late', 200, 100 + 2 + 2 + 2 + 5, 'identity'],
    ],
  );
  t.same(closeListeners, [0, 0, 1], 'only the answer still under way got a listener');
  t.equal(metrics.snapshot().bytes.br, 1000);
});

t.test('upstream time goes to the log and the histogram; a client that leaves first is 499', async (t) => {
  const { port, lines, metrics, settle } = await observed(t, (req, res) => {
    if (req.url === '/up') {
      setUpstreamTime(res, 42.5);
      res.end('proxied');
    } else {
      // never answers: the client gives up
    }
  });
  await request(port, '/up');
  await new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/hang', agent: false });
    req.on('error', () => resolve());
    setTimeout(() => req.destroy(), 50);
  });
  await settle();
  const [up, hang] = lines.map((l) => JSON.parse(l));
  t.equal(up.upstream, 42.5);
  t.equal(up.kind, 'proxy');
  t.equal(hang.status, 499);
  t.equal(hang.aborted, true);
  t.equal(metrics.snapshot().upstream.count, 1);
  t.equal(metrics.snapshot().upstream.sum, 0.0425);
});
