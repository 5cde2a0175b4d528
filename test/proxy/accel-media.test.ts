/** X-Accel-Redirect into an internal media mount, end to end: the app decides, assetd streams the upload. */
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tempDir, write } from '../helpers/fixture.js';
import { eventually, request, startAssetd } from '../helpers/run.js';

const dir = tempDir(t);
write(path.join(dir, 'static/app.css'), 'body{}');
write(path.join(dir, 'private/invoices/42.pdf'), '%PDF-1.4 invoice 42');
write(path.join(dir, 'private/page.html'), '<script>alert(1)</script>');
write(path.join(dir, 'outside.txt'), 'SECRET OUTSIDE');

const app = http.createServer((req, res) => {
  const target: Record<string, string> = {
    '/download/42': '/private/invoices/42.pdf',
    '/download/html': '/private/page.html',
    '/download/missing': '/private/invoices/43.pdf',
    '/download/escape': '/private/../outside.txt',
    '/download/encoded': '/private/%2e%2e/outside.txt',
  };
  const to = target[req.url ?? ''];
  if (req.headers.cookie !== 'session=ok') {
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('forbidden by the app');
    return;
  }
  if (req.url === '/download/plain') {
    // what a Django view gives by default: no Cache-Control, and Vary: Cookie from the session
    res.writeHead(200, { 'x-accel-redirect': '/private/invoices/42.pdf', 'content-type': 'application/pdf', vary: 'Cookie' });
    res.end();
    return;
  }
  res.writeHead(200, { 'x-accel-redirect': to, 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="invoice-42.pdf"', 'cache-control': 'private, no-store' });
  res.end('app body that must not be sent');
});
await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
t.teardown(() => app.close());
const upstream = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
write(
  path.join(dir, 'assetd.json'),
  JSON.stringify({ upstream, static: [{ root: 'static', prefix: '/static/' }], media: [{ root: 'private', prefix: '/private/', internal: true }] }),
);
const s = await startAssetd(['serve', '--config', path.join(dir, 'assetd.json'), '--port', '0']);
t.teardown(s.stop);
const cookie = { cookie: 'session=ok' };

t.test('the app authorises, assetd sends the media file with the app headers', async (t) => {
  const r = await request(s.url + '/download/42', { headers: cookie });
  t.equal(r.status, 200);
  t.equal(r.body.toString(), '%PDF-1.4 invoice 42');
  t.equal(r.headers['content-type'], 'application/pdf');
  t.equal(r.headers['content-disposition'], 'attachment; filename="invoice-42.pdf"');
  t.equal(r.headers['cache-control'], 'private, no-store');
  t.equal(r.headers['x-accel-redirect'], undefined, 'the header never reaches the client');
  const part = await request(s.url + '/download/42', { headers: { ...cookie, range: 'bytes=0-3' } });
  t.equal(part.status, 206);
  t.equal(part.body.toString(), '%PDF');
});

t.test('an app that sets no Cache-Control gets a private one, its Vary kept, on the 200 and the 304', async (t) => {
  const r = await request(s.url + '/download/plain', { headers: cookie });
  t.equal(r.status, 200);
  t.equal(r.body.toString(), '%PDF-1.4 invoice 42');
  t.equal(r.headers['cache-control'], 'private, max-age=0, must-revalidate', "not the mount's public default");
  t.equal(r.headers.vary, 'Cookie');
  t.equal(r.headers['access-control-allow-origin'], undefined);
  const again = await request(s.url + '/download/plain', { headers: { ...cookie, 'if-none-match': r.headers.etag! } });
  t.equal(again.status, 304);
  t.equal(again.headers['cache-control'], 'private, max-age=0, must-revalidate');
  t.equal(again.headers.vary, 'Cookie');
  t.equal(again.headers.etag, r.headers.etag);
});

t.test('without the app saying so, nothing is served', async (t) => {
  t.equal((await request(s.url + '/download/42')).status, 403, 'the app refuses: its answer passes through');
  t.equal((await request(s.url + '/private/invoices/42.pdf')).status, 404, 'internal: a direct request is a 404');
});

t.test('missing files and escapes are 404 plus a log line, never a file', async (t) => {
  for (const p of ['/download/missing', '/download/escape', '/download/encoded']) {
    const r = await request(s.url + p, { headers: cookie });
    t.equal(r.status, 404, p);
    t.notOk(r.body.toString().includes('SECRET'), p);
    t.notOk(r.body.toString().includes('app body'), p);
  }
  t.ok(await eventually(() => (s.stderr().match(/X-Accel-Redirect/gi) ?? []).length >= 3), 'each refusal logged');
});

t.test('an active type still gets the media protections the app did not override', async (t) => {
  const r = await request(s.url + '/download/html', { headers: cookie });
  t.equal(r.status, 200);
  t.equal(r.headers['x-content-type-options'], 'nosniff');
  t.equal(r.headers['content-type'], 'application/pdf', "the app's Content-Type wins");
  t.ok(fs.existsSync(path.join(dir, 'private/page.html')));
});

t.test('metrics count proxied answers and their upstream time', async (t) => {
  const m = (await request(s.url + '/__assetd/metrics')).body.toString();
  const count = Number(/^assetd_upstream_duration_seconds_count (\d+)$/m.exec(m)?.[1]);
  t.ok(count >= 5, `the upstream histogram counted the proxied requests (${count})`);
  t.match(m, /^assetd_requests_total\{kind="proxy",status="2xx"\} [1-9]\d*$/m);
  t.match(m, /^assetd_requests_total\{kind="proxy",status="4xx"\} [1-9]\d*$/m);
});
