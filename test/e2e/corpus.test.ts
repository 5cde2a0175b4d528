/** End to end over the real Django admin corpus (collectstatic + WhiteNoise), when it is present. */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { corpusRoot, request, startAssetd } from '../helpers/run.js';

if (!fs.existsSync(path.join(corpusRoot, 'staticfiles.json'))) {
  t.skip(`the Django corpus is not at ${corpusRoot} (it ships beside the repository in CI); generated-fixture tests cover the same paths`);
} else {
  const manifest = JSON.parse(fs.readFileSync(path.join(corpusRoot, 'staticfiles.json'), 'utf8')) as { paths: Record<string, string> };
  const server = await startAssetd(['serve', '--root', corpusRoot, '--port', '0', '--strict']);
  t.teardown(server.stop);
  const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 8 });
  t.teardown(() => agent.destroy());

  t.test('start line counts the corpus', async (t) => {
    t.match(server.stderr(), /\(django manifest\); 240 files indexed, 468 variants, [\d.]+ MiB in memory, 0 symlinks skipped, \d+ ms; [^;]*; listening on/);
  });

  t.test('every file the manifest names: br, gzip and identity decode to the bytes on disk', async (t) => {
    let checked = 0;
    for (const [orig, hashed] of Object.entries(manifest.paths)) {
      for (const name of [orig, hashed]) {
        const file = path.join(corpusRoot, name);
        const bytes = fs.readFileSync(file);
        const url = `${server.url}/static/${name}`;
        const id = await request(url, { agent });
        if (!id.body.equals(bytes)) t.fail(`${name}: identity body differs`);
        if (id.headers['content-length'] !== String(bytes.length)) t.fail(`${name}: identity length`);
        const immutable = name === hashed;
        const cc = id.headers['cache-control'];
        if (cc !== (immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=60')) t.fail(`${name}: Cache-Control ${cc}`);
        for (const [ae, coding, decode] of [
          ['br', 'br', zlib.brotliDecompressSync],
          ['gzip', 'gzip', zlib.gunzipSync],
        ] as const) {
          const hasVariant = fs.existsSync(file + (coding === 'br' ? '.br' : '.gz'));
          const r = await request(url, { headers: { 'accept-encoding': ae }, agent });
          if (hasVariant && fs.statSync(file + (coding === 'br' ? '.br' : '.gz')).size < bytes.length) {
            if (r.headers['content-encoding'] !== coding) t.fail(`${name}: expected ${coding}, got ${r.headers['content-encoding']}`);
            if (!decode(r.body).equals(bytes)) t.fail(`${name}: ${coding} body does not decode to the original`);
            if (r.headers.vary !== 'Accept-Encoding') t.fail(`${name}: Vary missing`);
          } else if (!r.body.equals(bytes)) t.fail(`${name}: without a useful ${coding} variant the identity bytes are sent`);
          const nm = await request(url, { headers: { 'accept-encoding': ae, 'if-none-match': r.headers.etag as string }, agent });
          if (nm.status !== 304) t.fail(`${name}: revalidation gave ${nm.status}`);
        }
        checked++;
      }
    }
    t.equal(checked, Object.keys(manifest.paths).length * 2, `${checked} names checked in three codings and revalidated`);
  });

  t.test('the bench file S1 as curl sees it', async (t) => {
    const r = await request(`${server.url}/static/admin/css/base.1f418065fc2c.css`, { headers: { 'accept-encoding': 'br, gzip' }, agent });
    t.equal(r.headers['content-encoding'], 'br');
    t.equal(r.headers['content-length'], '3931');
    t.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    t.equal(r.headers['content-type'], 'text/css; charset=utf-8');
  });

  t.test('206, 416, HEAD, 404, 405 and traversal on the corpus', async (t) => {
    const url = `${server.url}/static/admin/js/vendor/jquery/jquery.68978ee4eaee.js`;
    const bytes = fs.readFileSync(path.join(corpusRoot, 'admin/js/vendor/jquery/jquery.68978ee4eaee.js'));
    const part = await request(url, { headers: { range: 'bytes=1000-1999', 'accept-encoding': 'gzip' }, agent });
    t.equal(part.status, 206);
    t.same(part.body, bytes.subarray(1000, 2000));
    t.equal((await request(url, { headers: { range: 'bytes=999999999-' }, agent })).status, 416);
    const head = await request(url, { method: 'HEAD', agent });
    t.equal(head.headers['content-length'], String(bytes.length));
    t.equal(head.body.length, 0);
    t.equal((await request(`${server.url}/static/admin/missing.css`, { agent })).status, 404);
    t.equal((await request(url, { method: 'PUT', agent })).status, 405);
    t.equal((await request(server.url, { path: '/static/../../../../etc/passwd', agent })).status, 400);
    t.equal((await request(`${server.url}/static/staticfiles.json`, { agent })).status, 404, 'the manifest is not served');
  });
}
