/**
 * Proxy.send(): a bodiless request from a parsed head, its answer to a sink that is not a
 * node:http response (what a server path below node:http would give it).
 */
import http from 'node:http';
import t from 'tap';
import { resolveConfig } from '../../src/config/index.js';
import { createProxy } from '../../src/proxy/forward.js';
import type { UpstreamHead, UpstreamSink } from '../../src/proxy/upstream.js';
import { closeServer, listen, tempDir } from '../helpers/stack.js';

/** A sink that keeps what it is given. */
function collector(): UpstreamSink & { done: Promise<{ head: UpstreamHead | null; body: Buffer; failed: Error | null }> } {
  let head: UpstreamHead | null = null;
  const chunks: Buffer[] = [];
  let resolve!: (v: { head: UpstreamHead | null; body: Buffer; failed: Error | null }) => void;
  const done = new Promise<{ head: UpstreamHead | null; body: Buffer; failed: Error | null }>((r) => (resolve = r));
  return {
    done,
    deliver(h, body, complete) {
      if (h !== null) head = h;
      if (body !== null) chunks.push(...body);
      if (complete) resolve({ head, body: Buffer.concat(chunks), failed: null });
      return true;
    },
    fail(err) {
      resolve({ head, body: Buffer.concat(chunks), failed: err });
    },
  };
}

t.test('send() forwards a parsed head and delivers the answer to any sink', async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const app = http.createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, ['Content-Type', 'text/plain', 'X-App', 'yes']);
    res.end(`${req.method} ${req.url}`);
  });
  const port = await listen(app);
  t.teardown(() => closeServer(app));
  const dir = tempDir(t, { 'static/app.css': 'body{}\n' });
  const config = resolveConfig({ file: { upstream: `http://127.0.0.1:${port}`, static: [{ prefix: '/static/', root: 'static' }] }, fileDir: dir, cwd: dir });
  const proxy = createProxy(config, { accelSources: () => [] });
  t.teardown(() => proxy.close());
  const sink = collector();
  proxy.send({ method: 'GET', url: 'http://shop.example/a?b=1', rawHeaders: ['Host', 'shop.example', 'Connection', 'keep-alive', 'Accept', 'text/plain'], remoteAddress: '::ffff:10.0.0.7', encrypted: false }, sink);
  const got = await sink.done;
  t.equal(got.failed, null);
  t.equal(got.head?.status, 200);
  t.same(got.head?.raw.slice(0, 4), ['Content-Type', 'text/plain', 'X-App', 'yes']);
  t.equal(got.body.toString(), 'GET /a?b=1', 'absolute-form sent in origin-form');
  t.equal(seen[0].host, 'shop.example');
  t.equal(seen[0]['x-forwarded-for'], '10.0.0.7');
  t.equal(seen[0].connection, undefined, "the client's Connection is its own hop's");
  const head = collector();
  proxy.send({ method: 'HEAD', url: '/h', rawHeaders: ['Host', 'shop.example'], remoteAddress: '127.0.0.1', encrypted: true }, head);
  const h = await head.done;
  t.equal(h.head?.status, 200);
  t.equal(h.body.length, 0, 'HEAD: no body read');
  t.equal(seen[1]['x-forwarded-proto'], 'https');
});
