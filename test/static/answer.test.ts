/** End to end: the real server over a generated collected tree, talked to over HTTP. */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { collectedTree, cssText, tempDir, write } from '../helpers/fixture.js';
import { eventually, request, startAssetd } from '../helpers/run.js';

const root = tempDir(t);
const site = path.join(root, 'site');
const css = cssText(20000);
const js = Buffer.from('console.log("hello");\n'.repeat(500));
const big = cssText(600 * 1024, 7); // over the memory threshold: streamed
const names = collectedTree(site, [
  { name: 'css/base.css', body: css },
  { name: 'js/app.js', body: js },
  { name: 'big/huge.css', body: big },
  { name: 'img/logo.png', body: Buffer.from('\x89PNG fake image bytes'), compress: false },
]);
write(path.join(site, 'docs/index.html'), '<h1>docs</h1>');
write(path.join(site, '.env'), 'SECRET=1');
write(path.join(site, 'unhashed.txt'), 'plain text');
fs.writeFileSync(path.join(root, 'secret.txt'), 'TOP SECRET');

const server = await startAssetd(['serve', '--root', site, '--port', '0', '--index', 'index.html', '--memory-threshold', String(256 * 1024)]);
t.teardown(server.stop);
const base = server.url + '/static/';
const cssHashed = base + names.get('css/base.css');

t.test('start line', async (t) => {
  t.match(server.stderr(), /10 files indexed, 12 variants, [\d.]+ (KiB|MiB) in memory, 0 symlinks skipped, \d+ ms; [^;]*; listening on http:\/\/127\.0\.0\.1:\d+/);
});

t.test('every representation decodes to the original bytes', async (t) => {
  for (const [orig, hashed] of names) {
    const body = orig.endsWith('.css') ? (orig.startsWith('big') ? big : css) : orig.endsWith('.js') ? js : null;
    if (!body) continue;
    for (const n of [orig, hashed]) {
      const br = await request(base + n, { headers: { 'accept-encoding': 'br, gzip' } });
      t.equal(br.headers['content-encoding'], 'br', `${n} br`);
      t.same(zlib.brotliDecompressSync(br.body), body);
      t.equal(Number(br.headers['content-length']), br.body.length);
      const gz = await request(base + n, { headers: { 'accept-encoding': 'gzip' } });
      t.equal(gz.headers['content-encoding'], 'gzip');
      t.same(zlib.gunzipSync(gz.body), body);
      const id = await request(base + n);
      t.equal(id.headers['content-encoding'], undefined);
      t.same(id.body, body);
      t.equal(id.headers.vary, 'Accept-Encoding', 'identity fallback carries Vary too');
    }
  }
});

t.test('headers of a hashed and an unhashed name', async (t) => {
  const r = await request(cssHashed, { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'text/css; charset=utf-8');
  t.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal(r.headers['access-control-allow-origin'], '*');
  t.equal(r.headers['x-content-type-options'], 'nosniff');
  t.equal(r.headers['accept-ranges'], 'bytes');
  t.match(r.headers.etag, /^"[0-9a-f]+-[0-9a-f]+-br"$/);
  t.ok(r.headers['last-modified']);
  const plain = await request(base + 'css/base.css', { headers: { 'accept-encoding': 'br' } });
  t.equal(plain.headers['cache-control'], 'public, max-age=60');
  const png = await request(base + names.get('img/logo.png'), { headers: { 'accept-encoding': 'br' } });
  t.equal(png.headers['content-type'], 'image/png');
  t.equal(png.headers.vary, undefined, 'no variants: the answer does not depend on Accept-Encoding');
  t.equal(png.headers['cache-control'], 'public, max-age=31536000, immutable');
});

t.test('each representation has its own strong ETag', async (t) => {
  const tags = new Set<string>();
  for (const ae of ['br', 'gzip', 'identity']) {
    const r = await request(cssHashed, { headers: { 'accept-encoding': ae } });
    tags.add(r.headers.etag as string);
    t.notOk((r.headers.etag as string).startsWith('W/'));
  }
  t.equal(tags.size, 3);
});

t.test('negotiation never sends an unaccepted coding', async (t) => {
  const cases: [string | undefined, string | undefined, number][] = [
    [undefined, undefined, 200],
    ['', undefined, 200],
    ['br;q=0, gzip', 'gzip', 200],
    ['*', 'br', 200],
    ['*;q=0', undefined, 406],
    ['identity;q=0, gzip', 'gzip', 200],
    ['identity;q=0', undefined, 406],
    ['deflate', undefined, 200],
  ];
  for (const [ae, enc, status] of cases) {
    const r = await request(cssHashed, { headers: ae === undefined ? {} : { 'accept-encoding': ae } });
    t.equal(r.status, status, `status for ${ae}`);
    t.equal(r.headers['content-encoding'], enc, `coding for ${ae}`);
  }
});

t.test('304 carries everything but the body', async (t) => {
  const first = await request(cssHashed, { headers: { 'accept-encoding': 'br' } });
  const r = await request(cssHashed, { headers: { 'accept-encoding': 'br', 'if-none-match': first.headers.etag as string } });
  t.equal(r.status, 304);
  t.equal(r.body.length, 0);
  for (const h of ['etag', 'cache-control', 'vary', 'last-modified', 'access-control-allow-origin']) t.equal(r.headers[h], first.headers[h], h);
  t.equal(r.headers['content-length'], undefined);
  const other = await request(cssHashed, { headers: { 'accept-encoding': 'gzip', 'if-none-match': first.headers.etag as string } });
  t.equal(other.status, 200, 'a br ETag does not validate the gzip representation');
  const ims = await request(cssHashed, { headers: { 'if-modified-since': first.headers['last-modified'] as string } });
  t.equal(ims.status, 304);
  const both = await request(cssHashed, { headers: { 'if-modified-since': first.headers['last-modified'] as string, 'if-none-match': '"nope"' } });
  t.equal(both.status, 200, 'If-None-Match wins over If-Modified-Since');
  const pre = await request(cssHashed, { headers: { 'if-match': '"nope"' } });
  t.equal(pre.status, 412);
  const past = await request(cssHashed, { headers: { 'if-unmodified-since': 'Mon, 01 Jan 1990 00:00:00 GMT' } });
  t.equal(past.status, 412);
});

t.test('ranges', async (t) => {
  for (const url of [cssHashed, base + names.get('big/huge.css')]) {
    const whole = url.includes('huge') ? big : css;
    const r = await request(url, { headers: { range: 'bytes=0-0', 'accept-encoding': 'br' } });
    t.equal(r.status, 206);
    t.equal(r.headers['content-range'], `bytes 0-0/${whole.length}`);
    t.equal(r.headers['content-encoding'], undefined, 'ranges are of the identity representation');
    t.equal(r.headers.vary, 'Accept-Encoding');
    t.same(r.body, whole.subarray(0, 1));
    const tail = await request(url, { headers: { range: 'bytes=-1' } });
    t.same(tail.body, whole.subarray(whole.length - 1));
    const mid = await request(url, { headers: { range: 'bytes=100-4099' } });
    t.same(mid.body, whole.subarray(100, 4100));
    t.equal(mid.headers['content-length'], '4000');
    const suffix = await request(url, { headers: { range: `bytes=-${whole.length + 50}` } });
    t.equal(suffix.status, 206);
    t.equal(suffix.body.length, whole.length);
    const bad = await request(url, { headers: { range: `bytes=${whole.length}-` } });
    t.equal(bad.status, 416);
    t.equal(bad.headers['content-range'], `bytes */${whole.length}`);
    const multi = await request(url, { headers: { range: 'bytes=0-1,5-6' } });
    t.equal(multi.status, 200, 'several ranges: the whole file');
    t.equal(multi.body.length, whole.length);
    const id = (await request(url)).headers.etag as string;
    const ifr = await request(url, { headers: { range: 'bytes=0-9', 'if-range': id } });
    t.equal(ifr.status, 206);
    const stale = await request(url, { headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
    t.equal(stale.status, 200, 'If-Range mismatch: whole file');
    t.equal(stale.body.length, whole.length);
  }
});

t.test('HEAD answers the GET headers without a body', async (t) => {
  for (const url of [cssHashed, base + names.get('big/huge.css')]) {
    const g = await request(url, { headers: { 'accept-encoding': 'gzip' } });
    const h = await request(url, { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } });
    t.equal(h.status, 200);
    t.equal(h.body.length, 0);
    for (const k of ['content-length', 'content-type', 'content-encoding', 'etag', 'cache-control', 'vary', 'last-modified']) t.equal(h.headers[k], g.headers[k], k);
  }
});

t.test('404, 405, hidden files, the manifest itself, variants by name', async (t) => {
  const nf = await request(base + 'nope.css');
  t.equal(nf.status, 404);
  t.match(nf.body.toString(), /Not Found/);
  for (const p of ['.env', 'staticfiles.json', 'css/base.css.br']) t.equal((await request(base + p)).status, 404, p);
  const post = await request(cssHashed, { method: 'POST' });
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
  t.equal((await request(base + 'nope', { method: 'DELETE' })).status, 405);
  t.equal((await request(server.url + '/elsewhere')).status, 404, 'outside every mount, no upstream: 404');
  const q = await request(cssHashed + '?v=3');
  t.equal(q.status, 200, 'the query string is ignored for lookup');
});

t.test('index files and the directory redirect', async (t) => {
  const idx = await request(base + 'docs/');
  t.equal(idx.status, 200);
  t.equal(idx.body.toString(), '<h1>docs</h1>');
  t.equal(idx.headers['content-type'], 'text/html; charset=utf-8');
  const redir = await request(base + 'docs?x=1');
  t.equal(redir.status, 301);
  t.equal(redir.headers.location, 'docs/?x=1', 'relative Location, never //host');
});

t.test('traversal attempts never reach outside the root', async (t) => {
  for (const p of ['/static/../secret.txt', '/static/%2e%2e/secret.txt', '/static/..%2fsecret.txt', '/static/%2e%2e%2fsecret.txt', '/static/....//secret.txt', '/static/%c0%ae%c0%ae/secret.txt', '/static/a%00.css', '/static/..\\secret.txt']) {
    const r = await request(server.url, { path: p });
    t.ok(r.status >= 400 && r.status < 500, `${p} -> ${r.status}`);
    t.notOk(r.body.toString().includes('TOP SECRET'));
  }
});

t.test('a file removed after startup: a clean error and the server keeps serving', async (t) => {
  const hugePath = path.join(site, names.get('big/huge.css')!);
  const saved = fs.readFileSync(hugePath);
  fs.rmSync(hugePath);
  t.teardown(() => fs.writeFileSync(hugePath, saved));
  const r = await request(base + names.get('big/huge.css'));
  t.equal(r.status, 404);
  t.ok(await eventually(() => /removed since startup/.test(server.stderr())), 'logged');
  fs.writeFileSync(hugePath, saved.subarray(0, 1000));
  const changed = await request(base + names.get('big/huge.css'));
  t.equal(changed.status, 500, 'a size change is never served under the old Content-Length');
  t.ok(await eventually(() => /size changed since startup/.test(server.stderr())), 'logged');
  const still = await request(cssHashed);
  t.equal(still.status, 200);
});
