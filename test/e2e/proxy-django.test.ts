/**
 * assetd in front of a real Django app under gunicorn (Debian's python3-django and
 * gunicorn; .ci/run installs them): a page, a CSRF-protected form POST, a redirect,
 * cookies, forwarding headers and an X-Accel-Redirect view for a protected file.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { staticAccelSources } from '../../src/proxy/accel.js';
import { resolveConfig } from '../../src/config/index.js';
import { createProxy } from '../../src/proxy/forward.js';
import { createAssetServer } from '../../src/server/server.js';
import { buildIndex } from '../../src/static/build.js';
import { djangoSkipReason, startGunicorn } from '../helpers/gunicorn.js';
import { request, tempDir } from '../helpers/stack.js';
import { laneEnv } from '../helpers/lane.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const skip = djangoSkipReason();

if (skip !== undefined) {
  t.plan(0, skip);
} else {
  t.setTimeout(60_000);
  t.test('Django under gunicorn behind assetd', async (t) => {
    const pdf = crypto.randomBytes(50_000);
    const dir = tempDir(t, { 'static/site.css': 'body{}\n', 'prot/invoices/42.pdf': pdf });
    // gunicorn on a unix socket in the temp dir: the upstream is `unix:/path`
    const { sock, log } = await startGunicorn(t, dir, path.join(repoRoot, 'test/fixtures/django'), 'proxysite.wsgi');

    const config = resolveConfig({
      file: { port: 0, upstream: `unix:${sock}`, static: [{ prefix: '/static/', root: 'static' }, { prefix: '/protected/', root: 'prot', internal: true }] },
      fileDir: dir,
      env: laneEnv(),
    });
    const index = await buildIndex(config.static, config);
    const proxy = createProxy(config, { accelSources: () => staticAccelSources(index) });
    const server = createAssetServer(config, index, { proxy });
    const addr = await server.listen();
    t.teardown(() => {
      server.server.closeAllConnections();
      return server.close();
    });
    const url = `http://127.0.0.1:${addr.port}`;

    // a page, with the CSRF cookie Django sets
    const page = await request(url, { path: '/app/page', headers: { Host: 'shop.example' } });
    t.equal(page.status, 200, log());
    t.match(page.headers['content-type'], /text\/html/);
    const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(page.body.toString())?.[1];
    t.ok(token, 'the page carries a CSRF token');
    const csrfCookie = (page.headers['set-cookie'] ?? []).find((c) => c.startsWith('csrftoken='));
    t.ok(csrfCookie, 'Django set its CSRF cookie through the proxy');

    // a form POST, with the cookie and token
    const form = new URLSearchParams({ csrfmiddlewaretoken: token!, name: 'Zoë & co', tag: 'a' });
    form.append('tag', 'b');
    const post = await request(url, {
      method: 'POST',
      path: '/app/form',
      headers: { Host: 'shop.example', 'Content-Type': 'application/x-www-form-urlencoded', Cookie: csrfCookie!.split(';')[0] },
      body: form.toString(),
    });
    t.equal(post.status, 200, post.body.toString());
    t.same(JSON.parse(post.body.toString()), { fields: { name: ['Zoë & co'], tag: ['a', 'b'] } });
    const forged = await request(url, { method: 'POST', path: '/app/form', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=x' });
    t.equal(forged.status, 403, "without the token Django's CSRF check refuses, as it should");

    // a redirect, passed through untouched
    const go = await request(url, { path: '/app/go' });
    t.equal(go.status, 302);
    t.equal(go.headers.location, '/app/page');

    // two cookies, two Set-Cookie lines
    const ck = await request(url, { path: '/app/cookies' });
    t.equal(ck.status, 200);
    const cookies = ck.headers['set-cookie'] ?? [];
    t.equal(cookies.length, 2);
    t.match(cookies[0], /^first=one;.*HttpOnly/);
    t.match(cookies[1], /^second=two;.*Max-Age=60/);

    // what Django sees of the client
    const who = JSON.parse((await request(url, { path: '/app/whoami?q=1', headers: { Host: 'shop.example:8443' } })).body.toString());
    t.same(who, { host: 'shop.example:8443', forwarded_for: '127.0.0.1', forwarded_proto: 'http', forwarded_host: 'shop.example:8443', query: { q: '1' } });

    // spoofed forwarding headers: an underscored X_Forwarded_Proto would be merged by gunicorn
    // 20.1 into HTTP_X_FORWARDED_PROTO ("https,http"), which Django >= 4.1 reads as https
    const plainHttp = { is_secure: false, scheme: 'http', forwarded_proto: 'http', first_proto_is_https: false, forwarded_for: '127.0.0.1', spoofed: {} };
    const spoofs: [string, string[]][] = [
      ['underscored names', ['X_Forwarded_Proto', 'https', 'X_Forwarded_For', '10.6.6.6', 'X_Real_IP', '10.6.6.6']],
      ['other forwarding headers', ['Forwarded', 'for=10.6.6.6;proto=https', 'X-Real-IP', '10.6.6.6', 'X-Forwarded-Port', '443', 'X-Forwarded-Prefix', '/admin', 'Front-End-Https', 'on', 'X-Forwarded-Scheme', 'https']],
      // gunicorn trusts these from 127.0.0.1 by default (secure_scheme_headers)
      ['scheme headers gunicorn reads', ['X-Forwarded-Ssl', 'on', 'X-Forwarded-Protocol', 'ssl']],
    ];
    for (const [what, headers] of spoofs) {
      const r = await request(url, { path: '/app/secure', headers: ['Host', 'shop.example', ...headers] });
      t.equal(r.status, 200, r.status === 200 ? what : `${what}: ${r.body.toString()}`);
      t.same(r.status === 200 ? JSON.parse(r.body.toString()) : r.body.toString(), plainHttp, `${what}: Django sees a plain-http client and none of the spoofed headers`);
    }

    // X-Accel-Redirect: Django checks the cookie, assetd sends the protected file
    const denied = await request(url, { path: '/app/invoice/42' });
    t.equal(denied.status, 403);
    const inv = await request(url, { path: '/app/invoice/42', headers: { Cookie: 'user=alice' } });
    t.equal(inv.status, 200);
    t.ok(inv.body.equals(pdf), 'the protected file, byte for byte');
    t.equal(inv.headers['content-type'], 'application/pdf');
    t.equal(inv.headers['content-disposition'], 'attachment; filename="invoice-42.pdf"');
    t.equal(inv.headers['cache-control'], 'private, no-store');
    t.equal(inv.headers['x-accel-redirect'], undefined);
    t.equal((await request(url, { path: '/protected/invoices/42.pdf' })).status, 404, 'not reachable directly');
    const missing = await request(url, { path: '/app/invoice/7', headers: { Cookie: 'user=alice' } });
    t.equal(missing.status, 404, 'a redirect to a file that does not exist is a 404');
  });
}
