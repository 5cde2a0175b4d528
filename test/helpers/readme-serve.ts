/**
 * Runners of test/readme-snippets.test.ts for the README's serving snippets: the quick start,
 * Usage, the reverse proxy, collect and compress, media. Each runs its blocks as written,
 * with only the substitutions of readme-blocks.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { tempDir, writeTree } from './cli.js';
import { startGunicorn } from './gunicorn.js';
import { commands, forHere, freePort, nextFence, portFree, runSh, shownPattern, snippetEnv, startSh, type Block, type Serving } from './readme-blocks.js';
import { repoRoot, request } from './run.js';

/** The README's Django project `mysite` (manage.py, settings, a view at /app/hello, assets/ for collectstatic). */
export const DJANGO_FIXTURE = path.join(repoRoot, 'test/fixtures/readme');

/** A temp dir holding a copy of the Django fixture and `files`. */
export function projectDir(t: Test, files: Record<string, string | Buffer> = {}, django = false): string {
  const dir = tempDir(t, 'assetd-readme-');
  if (django) fs.cpSync(DJANGO_FIXTURE, dir, { recursive: true });
  writeTree(dir, files);
  return dir;
}

/** Servers get a free port; everything else as the README has it. */
const SERVE_ENV = () => snippetEnv({ ASSETD_PORT: '0' });

/** A copy of the checkout as `npm start` needs it (its own dist/, built by prestart), node_modules linked. */
function checkoutCopy(t: Test): string {
  const dir = tempDir(t, 'assetd-checkout-');
  for (const name of ['package.json', 'tsconfig.json', 'bin', 'src', 'example']) fs.cpSync(path.join(repoRoot, name), path.join(dir, name), { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

export async function quickStart(t: Test, [start, curl]: Block[]): Promise<void> {
  const lines = commands(start!.body);
  t.same(lines, ['npm ci && npm start', 'npm ci && npm test'], 'the quick start: npm ci, then npm start or npm test');
  const command = lines[0]!.replace(/^npm ci && /, '');
  const copy = checkoutCopy(t);
  // as written: port 8080 from example/assetd.json; a free port only when 8080 is taken
  const taken = { ASSETD_PORT: '0' };
  let env = snippetEnv((await portFree(8080)) ? {} : taken);
  let s: Serving;
  try {
    s = await startSh(t, command, { cwd: copy, env, ms: 90_000 });
  } catch (e) {
    if (env.ASSETD_PORT || !/is in use/.test((e as Error).message)) throw e;
    env = snippetEnv(taken);
    s = await startSh(t, command, { cwd: copy, env, ms: 90_000 });
  }
  t.teardown(s.stop);
  if (!env.ASSETD_PORT) t.equal(s.url, 'http://127.0.0.1:8080', 'npm start listens where the README says');
  const page = await request(`${s.url}/static/`);
  t.equal(page.status, 200, 'the page at /static/');
  t.match(page.headers['content-type'], /^text\/html/);

  const r = await runSh(t, forHere(curl!.body, { cwd: copy, url: env.ASSETD_PORT ? s.url : undefined }), { cwd: copy, env: snippetEnv() });
  t.equal(r.code, 0, `curl ran: ${r.stderr}`);
  const got = r.stdout.replace(/\r/g, '').trim().split('\n');
  t.ok(got.includes('Content-Encoding: br'), 'brotli');
  t.ok(got.includes('Cache-Control: public, max-age=31536000, immutable'), 'immutable');
  const shown = nextFence(curl!.end)!.trim().split('\n');
  t.equal(got.length, shown.length, `as many lines as the README shows:\n${r.stdout}`);
  shown.forEach((line, i) => {
    const name = line.split(':')[0]!;
    // the ETag's first part and Last-Modified are the file's mtime, Date the time of the request
    if (name === 'Date' || name === 'Last-Modified') t.match(got[i], new RegExp(`^${name}: \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`), `${name} as shown`);
    else if (name === 'ETag') t.match(got[i], new RegExp(`^${line.replace(/"[0-9a-f]+-/, '"[0-9a-f]+-')}$`), 'ETag as shown, but for the mtime');
    else t.equal(got[i], line, `line ${i + 1} as shown`);
  });
}

const CSS = 'body { color: #222 }\n';
const JS = 'console.log("built");\n';

export async function usage(t: Test, [block]: Block[]): Promise<void> {
  const lines = commands(block!.body);
  t.equal(lines.length, 4, 'four ways to start');
  const config = { static: [{ prefix: '/static/', root: 'staticfiles' }, { prefix: '/assets/', root: 'dist', maxAge: 300 }] };
  const cwd = projectDir(t, { 'staticfiles/css/app.css': CSS, 'dist/main.js': JS, 'assetd.json': JSON.stringify(config) });
  // what each line serves: [path, body or 404]
  const served: [string, string | 404][][] = [
    [['/static/css/app.css', CSS], ['/assets/main.js', 404]],
    [['/assets/main.js', JS], ['/static/css/app.css', 404]],
    [['/static/css/app.css', CSS], ['/assets/main.js', JS]],
    [['/static/css/app.css', CSS]],
  ];
  for (const [i, line] of lines.entries()) {
    const s = await startSh(t, forHere(line, { cwd }), { cwd, env: SERVE_ENV() });
    for (const [p, want] of served[i]!) {
      const r = await request(s.url + p);
      if (want === 404) t.equal(r.status, 404, `${line}: ${p} is not served`);
      else t.same([r.status, r.body.toString()], [200, want], `${line}: ${p}`);
    }
    await s.stop();
  }
}

/** A GET through assetd until the app behind it answers (gunicorn boots after assetd listens). */
async function throughApp(url: string, ms = 30_000): Promise<{ status: number; body: string }> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await request(url);
    if (r.status !== 502 || Date.now() > end) return { status: r.status, body: r.body.toString() };
    await new Promise((res) => setTimeout(res, 200));
  }
}

export async function proxy(t: Test, [block]: Block[]): Promise<void> {
  const lines = commands(block!.body);
  t.equal(lines.length, 3, 'gunicorn, assetd in front of it, and the socket variant');
  const cwd = projectDir(t, { 'staticfiles/css/app.css': CSS }, true);
  const both = forHere(`${lines[0]}\n${lines[1]}`, { cwd, appPort: await freePort() });
  const s = await startSh(t, both, { cwd, env: SERVE_ENV() });
  t.same(await throughApp(`${s.url}/app/hello`), { status: 200, body: 'hello from Django\n' }, 'the app answers through assetd');
  const css = await request(`${s.url}/static/css/app.css`);
  t.same([css.status, css.body.toString()], [200, CSS], 'assetd answers the static file');
  await s.stop();

  const app = await startGunicorn(t, cwd, cwd, 'mysite.wsgi');
  const overSocket = await startSh(t, forHere(lines[2]!, { cwd, sock: app.sock }), { cwd, env: SERVE_ENV() });
  t.same(await throughApp(`${overSocket.url}/app/hello`), { status: 200, body: 'hello from Django\n' }, 'over the unix socket');
  await overSocket.stop();
}

export async function collectAndCompress(t: Test, [block]: Block[]): Promise<void> {
  const text = (s: string) => s.repeat(40);
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
  const cwd = projectDir(t, {
    'app/static/css/site.css': `@import "base.css";\nbody { background: url("../img/bg.png") }\n${text('.card { margin: 0 auto; padding: 1em }\n')}`,
    'app/static/css/base.css': text('html { line-height: 1.5 }\n'),
    'app/static/img/bg.png': png,
    'vendor/static/js/lib.js': text('export function lib() { return 42 }\n'),
    'public/app.js': text('document.querySelector("main").hidden = false;\n'),
    'public/logo.png': png,
  });
  const r = await runSh(t, forHere(block!.body, { cwd }), { cwd, env: snippetEnv(), ms: 60_000 });
  t.equal(r.code, 0, `both commands ran: ${r.stderr}`);
  const out = path.join(cwd, 'build/static');
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'staticfiles.json'), 'utf8')) as { paths: Record<string, string> };
  for (const name of ['css/site.css', 'css/base.css', 'img/bg.png', 'js/lib.js']) {
    t.match(manifest.paths[name], /\.[0-9a-f]{12}\.\w+$/, `${name}: hashed in the manifest`);
    t.ok(fs.existsSync(path.join(out, manifest.paths[name] ?? '-')), `${name}: hashed copy written`);
  }
  const site = fs.readFileSync(path.join(out, manifest.paths['css/site.css']!), 'utf8');
  t.ok(site.includes(`url("../${manifest.paths['img/bg.png']}")`), 'the image reference rewritten to its hashed name');
  t.ok(site.includes(`@import url("${path.basename(manifest.paths['css/base.css']!)}")`), 'the @import rewritten');
  t.ok(fs.existsSync(path.join(out, `${manifest.paths['css/site.css']}.br`)), 'collect compressed the output');
  for (const v of ['public/app.js.br', 'public/app.js.gz']) t.ok(fs.existsSync(path.join(cwd, v)), `compress wrote ${v}`);
  t.notOk(fs.existsSync(path.join(cwd, 'public/logo.png.br')), 'an already compressed format is skipped');
  const summary = shownPattern(nextFence(block!.end)!.trim());
  t.equal(r.stderr.split('\n').filter((l) => summary.test(l)).length, 2, `collect and compress each end with the summary line the README shows: ${r.stderr}`);
}

export async function media(t: Test, [block]: Block[]): Promise<void> {
  const [line] = commands(block!.body);
  const cwd = projectDir(t, {
    'staticfiles/css/app.css': CSS,
    'media/photo.png': Buffer.from('89504e470d0a1a0a', 'hex'),
    'media/page.html': '<script>alert(1)</script>\n',
  });
  const s = await startSh(t, forHere(line!, { cwd }), { cwd, env: SERVE_ENV() });
  const photo = await request(`${s.url}/media/photo.png`);
  t.equal(photo.status, 200, 'an upload is served');
  t.equal(photo.headers['content-type'], 'image/png');
  t.equal(photo.headers['content-disposition'], undefined, 'an image inline');
  t.match(photo.headers['content-security-policy'], /^sandbox/, 'in the sandbox');
  const page = await request(`${s.url}/media/page.html`);
  t.match(page.headers['content-disposition'], /^attachment/, 'an uploaded page is a download');
  t.equal((await request(`${s.url}/static/css/app.css`)).status, 200, 'static beside media');
  await s.stop();
}
