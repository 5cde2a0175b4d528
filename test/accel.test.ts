import http from 'node:http';
import t from 'tap';
import { accelOverrides, accelPath, sourceFor, type AccelSource } from '../src/accel.js';
import { resolveConfig } from '../src/config.js';
import { createProxy } from '../src/proxy.js';
import { createAssetServer } from '../src/server.js';
import { buildIndex } from '../src/static-index.js';
import { closeServer, listen, request, tempDir } from './helpers/stack.js';

t.test('accelPath: absolute paths, decoded once, no dot segments', async (t) => {
  t.same(accelPath('/protected/invoices/42.pdf'), { ok: true, path: '/protected/invoices/42.pdf' });
  t.same(accelPath('/protected/a%20b.txt?x=1'), { ok: true, path: '/protected/a b.txt' }, 'query dropped, decoded');
  t.same(accelPath('/protected/%2541.txt'), { ok: true, path: '/protected/%41.txt' }, 'decoded once only');
  t.same(accelPath('  /p/x  '), { ok: true, path: '/p/x' });
  for (const bad of ['protected/x', '/p/../x', '/p/%2e%2e/x', '/p/./x', '/p/%2E/x', '/p/..%2fx', '/p/x%00', '/p/%zz', '/p\\x', '', 'http://evil/p/x']) {
    t.equal(accelPath(bad).ok, false, JSON.stringify(bad));
  }
});

t.test('sourceFor: longest prefix wins, none outside', async (t) => {
  const mk = (prefix: string): AccelSource => ({ prefix, open: () => undefined });
  const sources = [mk('/p/'), mk('/p/deep/'), mk('/media/')];
  t.equal(sourceFor(sources, '/p/deep/x')?.prefix, '/p/deep/');
  t.equal(sourceFor(sources, '/p/x')?.prefix, '/p/');
  t.equal(sourceFor(sources, '/px'), undefined);
  t.equal(sourceFor(sources, '/other/x'), undefined);
});

t.test('accelOverrides keeps only the documented app headers, every Set-Cookie', async (t) => {
  t.same(
    accelOverrides({
      'content-type': 'application/pdf',
      'content-disposition': 'attachment',
      'cache-control': 'private',
      expires: '0',
      'set-cookie': ['a=1', 'b=2'],
      'content-length': '12',
      etag: '"app"',
      'x-accel-redirect': '/p/x',
    }).headers,
    ['Content-Type', 'application/pdf', 'Content-Disposition', 'attachment', 'Cache-Control', 'private', 'Expires', '0', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'],
  );
  t.same(accelOverrides({}).headers, []);
});

t.test('an asynchronous source (a mount read per request) plugs into the proxy', async (t) => {
  const app = http.createServer((req, res) => {
    res.writeHead(200, { 'X-Accel-Redirect': req.url === '/a' ? '/uploads/report.txt' : '/uploads/none.txt', 'Content-Type': 'text/csv' });
    res.end();
  });
  const port = await listen(app);
  t.teardown(() => closeServer(app));
  const dir = tempDir(t, { 'static/x.css': 'x\n' });
  const config = resolveConfig({ file: { upstream: `http://127.0.0.1:${port}`, port: 0, static: [{ root: 'static' }] }, fileDir: dir });
  const opened: string[] = [];
  const uploads: AccelSource = {
    prefix: '/uploads/',
    async open(urlPath) {
      opened.push(urlPath);
      await new Promise((r) => setTimeout(r, 10));
      if (urlPath !== '/uploads/report.txt') return undefined;
      return (_req, res, overrides) => {
        res.writeHead(200, ['Content-Length', '5', ...overrides.headers]);
        res.end('a,b\n\n');
      };
    },
  };
  const index = await buildIndex(config.static, config);
  const server = createAssetServer(config, index, { proxy: createProxy(config, { accelSources: () => [uploads] }) });
  const addr = await server.listen();
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${addr.port}`;
  const r = await request(base, { path: '/a' });
  t.equal(r.status, 200);
  t.equal(r.body.toString(), 'a,b\n\n');
  t.equal(r.headers['content-type'], 'text/csv');
  t.equal((await request(base, { path: '/b' })).status, 404);
  t.same(opened, ['/uploads/report.txt', '/uploads/none.txt']);
});
