import http from 'node:http';
import zlib from 'node:zlib';
import t from 'tap';
import { ACCEL_CACHE_CONTROL, accelOverrides, accelPath, sourceFor, type AccelSource } from '../../src/proxy/accel.js';
import { resolveConfig } from '../../src/config/index.js';
import { createProxy } from '../../src/proxy/forward.js';
import { createAssetServer } from '../../src/server/server.js';
import { buildIndex } from '../../src/static/build.js';
import { withOverrides } from '../../src/http/header-overrides.js';
import { closeServer, listen, request, startStack, tempDir } from '../helpers/stack.js';
import { laneEnv } from '../helpers/lane.js';

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
  t.same(accelOverrides({}).headers, ['Cache-Control', ACCEL_CACHE_CONTROL], 'an app that sets nothing gets the private default');
});

t.test('an asynchronous source (a mount read per request) plugs into the proxy', async (t) => {
  const app = http.createServer((req, res) => {
    res.writeHead(200, { 'X-Accel-Redirect': req.url === '/a' ? '/uploads/report.txt' : '/uploads/none.txt', 'Content-Type': 'text/csv' });
    res.end();
  });
  const port = await listen(app);
  t.teardown(() => closeServer(app));
  const dir = tempDir(t, { 'static/x.css': 'x\n' });
  const config = resolveConfig({ file: { upstream: `http://127.0.0.1:${port}`, port: 0, static: [{ root: 'static' }] }, fileDir: dir, env: laneEnv() });
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

/** Values of a header in raw headers, case-insensitively (repeats kept apart). */
function rawValues(raw: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) out.push(raw[i + 1]);
  return out;
}

t.test('a permission-checked static file is private: no public Cache-Control, no CORS header, the app Vary kept (200 and 304)', async (t) => {
  const text = Buffer.from('invoice line\n'.repeat(200));
  const app = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.headers.cookie !== 'session=alice') {
      res.writeHead(403, { 'Content-Type': 'text/plain', Vary: 'Cookie' });
      res.end('not yours\n');
      return;
    }
    const own = req.url === '/own';
    res.writeHead(200, {
      'X-Accel-Redirect': '/protected/report.txt',
      'Content-Type': 'text/plain; charset=utf-8',
      Vary: 'Cookie',
      ...(own ? { 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': 'https://app.example' } : {}),
    });
    res.end();
  };
  const s = await startStack(t, {
    app,
    files: { 'static/app.css': 'body{}\n', 'protected/report.txt': text, 'protected/report.txt.br': zlib.brotliCompressSync(text) },
    config: { static: [{ prefix: '/static/', root: 'static' }, { prefix: '/protected/', root: 'protected', internal: true }] },
  });
  const alice = { Cookie: 'session=alice', 'Accept-Encoding': 'br' };
  const r = await request(s.url, { path: '/report', headers: alice });
  t.equal(r.status, 200);
  t.equal(r.headers['content-encoding'], 'br');
  t.equal(r.headers['cache-control'], ACCEL_CACHE_CONTROL, 'private unless the app said otherwise');
  t.equal(r.headers['access-control-allow-origin'], undefined, "the mount's CORS header is not added");
  t.same(rawValues(r.rawHeaders, 'vary'), ['Accept-Encoding, Cookie'], "the app's Vary merged with the file's own");
  const etag = r.headers.etag!;
  t.ok(etag, 'the file keeps its validators');

  const again = await request(s.url, { path: '/report', headers: { ...alice, 'If-None-Match': etag } });
  t.equal(again.status, 304, 'a revalidation through the app is a 304');
  t.equal(again.headers['cache-control'], ACCEL_CACHE_CONTROL);
  t.equal(again.headers['access-control-allow-origin'], undefined);
  t.same(rawValues(again.rawHeaders, 'vary'), ['Accept-Encoding, Cookie']);
  t.equal(again.headers.etag, etag);

  const plain = await request(s.url, { path: '/report', headers: { Cookie: 'session=alice' } });
  t.equal(plain.headers['content-encoding'], undefined);
  t.same(rawValues(plain.rawHeaders, 'vary'), ['Accept-Encoding, Cookie'], 'the identity answer too');

  const own = await request(s.url, { path: '/own', headers: alice });
  t.equal(own.status, 200);
  t.equal(own.headers['cache-control'], 'public, max-age=300', "the app's own Cache-Control wins");
  t.equal(own.headers['access-control-allow-origin'], 'https://app.example', "the app's own CORS header is kept");
  t.same(rawValues(own.rawHeaders, 'vary'), ['Accept-Encoding, Cookie']);
});

t.test('accel overrides: a default private Cache-Control, the mount CORS header dropped, every Vary value kept', async (t) => {
  t.same(accelOverrides({ vary: 'Cookie, Accept-Language', 'content-type': 'text/plain' }), {
    headers: ['Content-Type', 'text/plain', 'Vary', 'Cookie, Accept-Language', 'Cache-Control', ACCEL_CACHE_CONTROL],
    drop: ['access-control-allow-origin'],
  });
  t.same(accelOverrides({ 'cache-control': 'no-store', 'access-control-allow-origin': '*', vary: ['Cookie', 'Origin'] }), {
    headers: ['Cache-Control', 'no-store', 'Vary', 'Cookie, Origin', 'Access-Control-Allow-Origin', '*'],
    drop: [],
  });
});

t.test('withOverrides: names replace, drop removes, Vary merges token by token', async (t) => {
  const base = ['Content-Type', 'text/css', 'Cache-Control', 'public, max-age=60', 'Vary', 'Accept-Encoding', 'Access-Control-Allow-Origin', '*', 'ETag', '"e"'];
  t.same(withOverrides(base, { headers: ['Cache-Control', 'private', 'Vary', 'cookie, accept-encoding'], drop: ['access-control-allow-origin'] }), [
    'Content-Type', 'text/css', 'ETag', '"e"', 'Cache-Control', 'private', 'Vary', 'Accept-Encoding, cookie',
  ]);
  t.same(withOverrides(['ETag', '"e"'], { headers: ['Vary', 'Cookie'] }), ['ETag', '"e"', 'Vary', 'Cookie'], 'a file that does not vary takes the app Vary as it is');
  t.same(withOverrides(base, { headers: ['Vary', '*'] }).filter((_, i, a) => i > 0 && a[i - 1] === 'Vary'), ['*'], 'Vary: * stays *');
  t.same(withOverrides(base, undefined), base);
});
