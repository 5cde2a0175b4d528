import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, type Config } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';
import { setQuiet } from '../../src/log.js';
import { serveMediaFile } from '../../src/media/answer.js';
import { prepareMedia, resolveMedia, releaseMedia } from '../../src/media/resolve.js';
import { startServer, type Running } from '../../src/runtime/start.js';
import { Secret, signedUrl } from '../../src/media/sign.js';
import { laneEnv } from '../helpers/lane.js';

setQuiet(true);
const SECRET = 'media-signing-key-for-tests-0123456789abcdef';
const SECRET_TEXT = 'TOP-SECRET-OUTSIDE-THE-UPLOAD-FOLDER';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Raw HTTP (the path is sent exactly as given, no client-side normalising). */
function get(base: string, target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: target, method, headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${target}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A site: static files, a public upload folder, a private (signed) folder, an internal one, and secrets next to them. */
function makeSite(t: Tap): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-media-')));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const d of ['static', 'media/sub', 'media/.hidden', 'private', 'protected', 'outside/dir']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'static/app.css'), 'body{}');
  fs.writeFileSync(path.join(dir, 'outside/secret.txt'), SECRET_TEXT);
  fs.writeFileSync(path.join(dir, 'outside/dir/secret.txt'), SECRET_TEXT);
  fs.writeFileSync(path.join(dir, 'media/photo.png'), 'PNGDATA-0123456789');
  fs.writeFileSync(path.join(dir, 'media/sub/inner.txt'), 'inner');
  fs.writeFileSync(path.join(dir, 'media/.env'), SECRET_TEXT);
  fs.writeFileSync(path.join(dir, 'media/.hidden/a.txt'), SECRET_TEXT);
  fs.writeFileSync(path.join(dir, 'private/report.pdf'), '%PDF-report');
  fs.writeFileSync(path.join(dir, 'private/other.pdf'), '%PDF-other');
  fs.writeFileSync(path.join(dir, 'protected/doc.txt'), 'protected');
  return dir;
}
type Tap = typeof t;

async function start(t: Tap, dir: string, extra: Record<string, unknown> = {}): Promise<{ run: Running; base: string; config: Config }> {
  const config = resolveConfig({
    file: {
      port: 0,
      static: [{ prefix: '/static/', root: 'static' }],
      media: [
        { prefix: '/media/', root: 'media', ...extra },
        { prefix: '/private/', root: 'private', signed: { secretEnv: 'ASSETD_MEDIA_KEY' } },
        { prefix: '/protected/', root: 'protected', internal: true },
      ],
    },
    fileDir: dir,
    cwd: dir,
    env: { ...laneEnv(), ASSETD_MEDIA_KEY: SECRET },
  });
  const run = await startServer(config);
  t.teardown(() => run.server.close());
  return { run, base: run.url, config };
}

t.test('uploads appear, change and disappear without a restart', async (t) => {
  const dir = makeSite(t);
  const { base } = await start(t, dir);
  t.equal((await get(base, '/media/new.txt')).status, 404);
  fs.writeFileSync(path.join(dir, 'media/new.txt'), 'first');
  const a = await get(base, '/media/new.txt');
  t.equal(a.status, 200);
  t.equal(a.body, 'first');
  t.equal(a.headers['cache-control'], 'public, max-age=0, must-revalidate');
  t.equal(a.headers['x-content-type-options'], 'nosniff');
  t.ok(a.headers.etag);
  t.ok(a.headers['last-modified']);
  t.equal((await get(base, '/media/new.txt', { 'if-none-match': a.headers.etag! })).status, 304);
  // replaced the way uploads usually are: written aside, renamed over
  fs.writeFileSync(path.join(dir, 'media/new.tmp'), 'second!');
  fs.renameSync(path.join(dir, 'media/new.tmp'), path.join(dir, 'media/new.txt'));
  const b = await get(base, '/media/new.txt', { 'if-none-match': a.headers.etag! });
  t.equal(b.status, 200, 'a replaced file is not 304 under the old ETag');
  t.equal(b.body, 'second!');
  t.not(b.headers.etag, a.headers.etag);
  fs.mkdirSync(path.join(dir, 'media/2026/05'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'media/2026/05/deep.txt'), 'deep');
  t.equal((await get(base, '/media/2026/05/deep.txt')).body, 'deep', 'new folders too');
  fs.unlinkSync(path.join(dir, 'media/new.txt'));
  t.equal((await get(base, '/media/new.txt')).status, 404);
});

t.test('conditionals, ranges, HEAD and methods', async (t) => {
  const dir = makeSite(t);
  const { base } = await start(t, dir);
  const full = await get(base, '/media/photo.png');
  t.equal(full.status, 200);
  t.equal(full.headers['content-type'], 'image/png');
  t.equal(full.headers['content-length'], '18');
  t.equal(full.headers['accept-ranges'], 'bytes');
  t.equal((await get(base, '/media/photo.png', { 'if-modified-since': full.headers['last-modified']! })).status, 304);
  t.equal((await get(base, '/media/photo.png', { 'if-match': '"nope"' })).status, 412);
  const r = await get(base, '/media/photo.png', { range: 'bytes=3-6' });
  t.equal(r.status, 206);
  t.equal(r.body, 'DATA');
  t.equal(r.headers['content-range'], 'bytes 3-6/18');
  t.equal((await get(base, '/media/photo.png', { range: 'bytes=-4' })).body, '6789');
  t.equal((await get(base, '/media/photo.png', { range: 'bytes=100-' })).status, 416);
  t.equal((await get(base, '/media/photo.png', { range: 'bytes=0-1', 'if-range': '"stale"' })).status, 200, 'If-Range mismatch sends the whole file');
  t.equal((await get(base, '/media/photo.png', { range: 'bytes=0-1', 'if-range': full.headers.etag! })).status, 206);
  const head = await get(base, '/media/photo.png', {}, 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body, '');
  t.equal(head.headers['content-length'], '18');
  const post = await get(base, '/media/photo.png', {}, 'POST');
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
  t.equal((await get(base, '/static/app.css')).body, 'body{}', 'static still served beside media');
});

t.test('attacks on the upload folder get nothing outside it', async (t) => {
  const dir = makeSite(t);
  fs.symlinkSync(path.join(dir, 'outside/secret.txt'), path.join(dir, 'media/link.txt'));
  fs.symlinkSync('../outside/secret.txt', path.join(dir, 'media/rel-link.txt'));
  fs.symlinkSync(path.join(dir, 'outside/dir'), path.join(dir, 'media/dirlink'));
  fs.symlinkSync('/etc/passwd', path.join(dir, 'media/passwd.txt'));
  fs.symlinkSync(path.join(dir, 'media/.env'), path.join(dir, 'media/env-link.txt'));
  fs.symlinkSync(path.join(dir, 'media/photo.png'), path.join(dir, 'media/alias.png'));
  fs.symlinkSync(path.join(dir, 'media/loop-b'), path.join(dir, 'media/loop-a'));
  fs.symlinkSync(path.join(dir, 'media/loop-a'), path.join(dir, 'media/loop-b'));
  fs.symlinkSync(path.join(dir, 'static/app.css'), path.join(dir, 'media/static-link.css'));
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path.join(dir, 'media/pipe.txt')]);
  const { base } = await start(t, dir);
  const attacks: [string, number][] = [
    ['/media/link.txt', 404], // absolute symlink out of the folder
    ['/media/rel-link.txt', 404], // relative symlink out
    ['/media/dirlink/secret.txt', 404], // symlinked folder out
    ['/media/passwd.txt', 404],
    ['/media/env-link.txt', 404], // symlink to a dotfile inside
    ['/media/static-link.css', 404], // symlink into the static tree
    ['/media/loop-a', 404],
    ['/media/pipe.txt', 404], // a FIFO: must neither hang nor serve
    ['/media/.env', 404],
    ['/media/.hidden/a.txt', 404],
    ['/media/%2eenv', 404],
    ['/media/sub', 404], // folder: no listing
    ['/media/sub/', 404],
    ['/media/', 404],
    ['/media/../outside/secret.txt', 404], // normalised to /outside/..., not under any mount
    ['/media/%2e%2e/outside/secret.txt', 404],
    ['/media/sub/../../outside/secret.txt', 404],
    ['/media/../../../etc/passwd', 400],
    ['/media/..%2foutside/secret.txt', 400],
    ['/media/..%5coutside%5csecret.txt', 400],
    ['/media/..\\outside\\secret.txt', 400],
    ['/media/photo.png%00.txt', 400],
    ['/media/%ff', 400],
  ];
  for (const [target, status] of attacks) {
    const r = await get(base, target);
    t.equal(r.status, status, target);
    t.notMatch(r.body, /TOP-SECRET|root:/, `${target}: no secret in the body`);
  }
  t.equal((await get(base, '/media/alias.png')).body, 'PNGDATA-0123456789', 'a symlink that stays inside is followed');
  t.equal((await get(base, '/media/sub/inner.txt')).body, 'inner');
});

t.test('uploads of types not known to be inert are sandboxed attachments; odd names are encoded', async (t) => {
  const dir = makeSite(t);
  const files: Record<string, string> = {
    'xss.html': '<script>alert(document.cookie)</script>',
    'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    'page.xhtml': '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    'feed.xml': '<x/>',
    'app.js': 'alert(1)',
    'evil.rdf': '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    'evil.mathml': '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    'evil.foo': '<script>alert(1)</script>',
    'my report (final).html': '<p>hi</p>',
    'résumé "quoted" ☃.svg': '<svg/>',
    'plain.txt': '<script>alert(1)</script>',
  };
  for (const [n, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, 'media', n), body);
  fs.writeFileSync(path.join(dir, 'media', 'cr\r\nlf.html'), 'x');
  const { base } = await start(t, dir);
  for (const n of ['xss.html', 'logo.svg', 'page.xhtml', 'feed.xml', 'app.js', 'evil.rdf', 'evil.mathml']) {
    const r = await get(base, '/media/' + n);
    t.equal(r.status, 200, n);
    t.equal(r.headers['content-disposition'], `attachment; filename="${n}"; filename*=UTF-8''${n}`, n);
    t.equal(r.headers['content-security-policy'], "sandbox; default-src 'none'", n);
    t.equal(r.headers['x-content-type-options'], 'nosniff', n);
  }
  const spaced = await get(base, '/media/my%20report%20(final).html');
  t.equal(spaced.headers['content-disposition'], `attachment; filename="my report (final).html"; filename*=UTF-8''my%20report%20%28final%29.html`);
  const odd = await get(base, '/media/' + encodeURIComponent('résumé "quoted" ☃.svg'));
  t.equal(odd.status, 200);
  t.equal(odd.headers['content-disposition'], `attachment; filename="r_sum_ _quoted_ _.svg"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22quoted%22%20%E2%98%83.svg`);
  const foo = await get(base, '/media/evil.foo');
  t.equal(foo.headers['content-type'], 'application/octet-stream', 'an unknown extension is octet-stream');
  t.equal(foo.headers['content-security-policy'], "sandbox; default-src 'none'");
  const txt = await get(base, '/media/plain.txt');
  t.equal(txt.headers['content-disposition'], undefined, 'text/plain stays inline');
  t.equal(txt.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(txt.headers['x-content-type-options'], 'nosniff', 'and is never sniffed as HTML');
  t.equal(txt.headers['content-security-policy'], "sandbox; default-src 'none'", 'and is sandboxed all the same');
  t.equal((await get(base, '/media/cr%0D%0Alf.html')).status, 400, 'a name with CR/LF cannot even be requested');
});

t.test('inlineTypes shows a type inline, still in the sandbox', async (t) => {
  const dir = makeSite(t);
  fs.writeFileSync(path.join(dir, 'media/logo.svg'), '<svg/>');
  fs.writeFileSync(path.join(dir, 'media/x.html'), '<p/>');
  const { base } = await start(t, dir, { inlineTypes: ['image/svg+xml'] });
  const svg = await get(base, '/media/logo.svg');
  t.equal(svg.headers['content-disposition'], undefined);
  t.equal(svg.headers['content-security-policy'], "sandbox; default-src 'none'", 'inline, and still sandboxed');
  t.equal(svg.headers['x-content-type-options'], 'nosniff');
  t.equal((await get(base, '/media/x.html')).headers['content-security-policy'], "sandbox; default-src 'none'");
});

t.test('signed links', async (t) => {
  const dir = makeSite(t);
  const { base } = await start(t, dir);
  const key = new Secret(SECRET);
  const now = Math.floor(Date.now() / 1000);
  const good = signedUrl(key, '/private/report.pdf', now + 300);
  const ok = await get(base, good);
  t.equal(ok.status, 200);
  t.equal(ok.body, '%PDF-report');
  t.equal(ok.headers['cache-control'], 'private, max-age=0, must-revalidate');
  t.equal(ok.headers['referrer-policy'], 'no-referrer');
  t.equal((await get(base, good, { range: 'bytes=0-3' })).body, '%PDF', 'ranges work on signed links');
  const q = good.slice(good.indexOf('?'));
  const sig = /signature=([0-9a-f]+)/.exec(good)![1];
  const flipped = sig.slice(0, 10) + (sig[10] === 'a' ? 'b' : 'a') + sig.slice(11);
  const cases: [string, string, number][] = [
    ['no signature', '/private/report.pdf', 403],
    ['no signature, missing file (no existence oracle)', '/private/nope.pdf', 403],
    ['expired', signedUrl(key, '/private/report.pdf', now - 1), 403],
    ['tampered signature', `/private/report.pdf?expires=${now + 300}&signature=${flipped}`, 403],
    ['expiry pushed later', `/private/report.pdf?expires=${now + 99999}&signature=${sig}`, 403],
    ['signature of another path', '/private/other.pdf' + q, 403],
    ['another secret', signedUrl(new Secret('some-other-key-that-is-long-enough-0000'), '/private/report.pdf', now + 300), 403],
    ['repeated parameter', good + '&signature=' + sig, 403],
    ['valid signature, file missing', signedUrl(key, '/private/nope.pdf', now + 300), 404],
    ['same path spelled differently', '/private/./report.pdf' + q, 200],
    ['percent-encoded spelling', '/private/%72eport.pdf' + q, 200],
  ];
  for (const [what, target, status] of cases) {
    const r = await get(base, target);
    t.equal(r.status, status, what);
    if (status === 403) t.notMatch(r.body, /PDF/, `${what}: no content`);
  }
});

t.test('internal mounts answer 404 to direct requests', async (t) => {
  const dir = makeSite(t);
  const { base } = await start(t, dir);
  t.equal((await get(base, '/protected/doc.txt')).status, 404);
  t.equal((await get(base, '/protected/doc.txt', {}, 'POST')).status, 404);
});

t.test('resolveMedia and serveMediaFile, as X-Accel-Redirect uses them', async (t) => {
  const dir = makeSite(t);
  const config = resolveConfig({ file: { port: 0, media: [{ prefix: '/protected/', root: 'protected', internal: true }] }, fileDir: dir, env: laneEnv() });
  const [mount] = await prepareMedia(config);
  t.equal(await resolveMedia(mount, '/protected/missing.txt'), null);
  t.equal(await resolveMedia(mount, '/protected/../static/app.css'), null, 'unnormalised input is refused');
  t.equal(await resolveMedia(mount, '/elsewhere/doc.txt'), null);
  const unused = await resolveMedia(mount, '/protected/doc.txt');
  t.ok(unused);
  releaseMedia(unused!);
  const server = http.createServer((req, res) => {
    void resolveMedia(mount, '/protected/doc.txt').then((r) => {
      if (!r) return res.writeHead(404).end();
      serveMediaFile(req, res, r, { headers: ['Cache-Control', 'private, max-age=60', 'X-From-App', 'yes'] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const r = await get(`http://127.0.0.1:${(server.address() as { port: number }).port}`, '/anything');
  t.equal(r.body, 'protected');
  t.equal(r.headers['cache-control'], 'private, max-age=60', "the app's header replaces ours");
  t.equal(r.headers['x-from-app'], 'yes');
  t.equal(r.headers['x-content-type-options'], 'nosniff');
});

t.test('startup refuses a media root that is, by real path, inside a static root', async (t) => {
  const dir = makeSite(t);
  fs.symlinkSync(path.join(dir, 'static'), path.join(dir, 'looks-separate'));
  fs.mkdirSync(path.join(dir, 'static/uploads'));
  fs.symlinkSync(path.join(dir, 'static/uploads'), path.join(dir, 'uploads-link'));
  for (const [root, re] of [
    ['uploads-link', /media\[0\]\.root .*\/static\/uploads is inside static root .*\/static: an upload could replace a static file/],
    ['looks-separate', /is the same folder as static root/],
    ['no-such-folder', /media\[0\]\.root .*no-such-folder does not exist/],
  ] as const) {
    const config = resolveConfig({ file: { port: 0, static: [{ root: 'static' }], media: [{ root }] }, fileDir: dir, env: laneEnv() });
    await t.rejects(prepareMedia(config), UserError, root);
    await t.rejects(prepareMedia(config), re, root);
  }
});

t.test('the command line refuses overlapping media and static, one line, exit 2', async (t) => {
  const dir = makeSite(t);
  const { spawnSync } = await import('node:child_process');
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  const cli = new URL('../../src/cli.ts', import.meta.url).href;
  const run = (args: string[]) =>
    spawnSync(process.execPath, [...loader, '--input-type=module', '-e', `import(${JSON.stringify(cli)}).then((m) => m.main(${JSON.stringify(args)}))`], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
  t.ok(loader.length > 0, 'runs the TypeScript sources');
  const a = run(['serve', '--root', 'static', '--media-root', 'static/up', '--port', '0']);
  t.equal(a.status, 2);
  t.match(a.stderr, /^assetd: media\[0\]\.root .*static\/up is inside static root .*static: an upload could replace a static file\n$/);
  const b = run(['serve', '--root', 'static', '--media-root', 'media', '--media-prefix', '/static/media/', '--port', '0']);
  t.equal(b.status, 2);
  t.match(b.stderr, /^assetd: media\[0\]\.prefix "\/static\/media\/" overlaps static prefix "\/static\/": an upload could shadow a static file\n$/);
});

t.test('health counts the media mounts beside the static ones', async (t) => {
  const dir = makeSite(t);
  const { base } = await start(t, dir);
  const h = JSON.parse((await get(base, '/__assetd/health')).body.toString());
  t.same({ mounts: h.mounts, staticMounts: h.staticMounts, mediaMounts: h.mediaMounts }, { mounts: 4, staticMounts: 1, mediaMounts: 3 });
});
