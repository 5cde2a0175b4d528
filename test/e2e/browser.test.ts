/**
 * The whole deployment in a real browser: a Django project under gunicorn behind
 * `assetd serve --root staticfiles --upstream http://127.0.0.1:PORT`, driven by headless
 * Chromium. The admin login page renders with its CSS (served by assetd: immutable,
 * brotli), a wrong password gets Django's error, and the right one logs in: the form's
 * POST, CSRF token and cookies go through the proxy to Django and back.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CHROMIUM, launchChromium, type Page } from '../helpers/chromium.js';
import { spawnGroup } from '../helpers/process-group.js';
import { corpusRoot, repoRoot, startAssetd } from '../helpers/run.js';
import { tempDir, waitFor } from '../helpers/stack.js';

const GUNICORN = '/usr/bin/gunicorn';
const PYTHON = '/usr/bin/python3';
const labProject = path.resolve(repoRoot, '../shared/lab/django');
const IMMUTABLE = 'public, max-age=31536000, immutable';
const PASSWORD = 'assetd-browser-check-7Q';

function missing(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `needs Debian's chromium (${CHROMIUM}); .ci/run installs it`;
  if (!fs.existsSync(GUNICORN)) return `needs Debian's gunicorn (${GUNICORN}); .ci/run installs it`;
  if (!fs.existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import django, whitenoise'], { timeout: 10_000 }).status !== 0)
    return `needs Django and WhiteNoise for ${PYTHON} (python3-django, python3-whitenoise); .ci/run installs them`;
  if (!fs.existsSync(corpusRoot)) return `needs the collected Django admin corpus at ${corpusRoot}`;
  if (!fs.existsSync(path.join(labProject, 'manage.py'))) return `needs the Django lab project at ${labProject}`;
  return undefined;
}

interface Seen {
  url: string;
  method: string;
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  fromCache: boolean;
}

/** Every response the page receives, redirects included. */
function recordNetwork(page: Page): Seen[] {
  const seen: Seen[] = [];
  const methods = new Map<string, string>();
  const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  type Resp = { url: string; status: number; headers: Record<string, string>; fromDiskCache?: boolean; fromPrefetchCache?: boolean };
  page.cdp.on('Network.requestWillBeSent', (p, sid) => {
    if (sid !== page.sessionId) return;
    const q = p as { requestId: string; request: { method: string }; redirectResponse?: Resp };
    if (q.redirectResponse) {
      const r = q.redirectResponse;
      seen.push({ url: r.url, method: methods.get(q.requestId) ?? 'GET', status: r.status, headers: lower(r.headers), fromCache: false });
    }
    methods.set(q.requestId, q.request.method);
  });
  page.cdp.on('Network.responseReceived', (p, sid) => {
    if (sid !== page.sessionId) return;
    const q = p as { requestId: string; response: Resp };
    const r = q.response;
    seen.push({ url: r.url, method: methods.get(q.requestId) ?? 'GET', status: r.status, headers: lower(r.headers), fromCache: !!(r.fromDiskCache || r.fromPrefetchCache) });
  });
  return seen;
}

/** Start gunicorn on a free port (bound by gunicorn itself); master and worker killed in teardown. */
async function startGunicorn(t: Tap, project: string): Promise<{ port: number; access: () => string; log: () => string }> {
  const proc = spawnGroup(t, GUNICORN, ['-w', '1', '-b', '127.0.0.1:0', '--access-logfile', '-', '--chdir', project, 'labsite.wsgi'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  let access = '';
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (access += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const port = await waitFor('gunicorn to listen', () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return -1;
    const m = /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
    return m ? Number(m[1]) : undefined;
  }, 20_000);
  if (port === -1) throw new Error(`gunicorn exited: ${log}`);
  return { port, access: () => access, log: () => log };
}

type Tap = { teardown(fn: () => unknown): void };

/** A writable copy of the lab project, its database migrated and an `admin` superuser in it. */
function djangoProject(t: Tap): string {
  const dir = tempDir(t);
  fs.cpSync(labProject, dir, { recursive: true });
  const writable = (p: string) => {
    const st = fs.lstatSync(p);
    fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) writable(path.join(p, e));
  };
  writable(dir);
  // The lab's `staticfiles` names the collected tree; Django reads its manifest (hashed names in
  // the HTML) from STATIC_ROOT, which assetd serves from the same directory.
  fs.rmSync(path.join(dir, 'staticfiles'), { force: true });
  fs.symlinkSync(corpusRoot, path.join(dir, 'staticfiles'));
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', DJANGO_SUPERUSER_PASSWORD: PASSWORD };
  for (const args of [
    ['manage.py', 'migrate', '--noinput', '-v', '0'],
    ['manage.py', 'createsuperuser', '--noinput', '--username', 'admin', '--email', 'admin@example.com'],
  ]) {
    const r = spawnSync(PYTHON, args, { cwd: dir, env, timeout: 30_000, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  }
  return dir;
}

const reason = missing();
if (reason) {
  t.plan(0, reason);
} else {
  t.test('Django admin in headless Chromium through assetd', { timeout: 60_000 }, async (t) => {
    const project = djangoProject(t);
    const gunicorn = await startGunicorn(t, project);
    const assetd = await startAssetd(['serve', '--root', corpusRoot, '--upstream', `http://127.0.0.1:${gunicorn.port}`, '--port', '0']);
    t.teardown(() => assetd.stop());
    const browser = await launchChromium(t);
    const page = await browser.newPage();
    const seen = recordNetwork(page);
    const origin = assetd.url;
    const context = () => ({ seen: seen.map((s) => `${s.method} ${s.status} ${s.url}`), gunicorn: gunicorn.log(), assetd: assetd.stderr() });

    // 1. the login page, with its stylesheets applied
    await page.goto(`${origin}/admin/login/`);
    t.equal(await page.evaluate<string>('document.title'), 'Log in | Django site admin', context());
    const html = seen.find((s) => s.url === `${origin}/admin/login/`);
    t.equal(html?.status, 200, 'the page came from Django through the proxy');
    t.match(html?.headers['content-type'], /^text\/html/);
    const cookies = async () => ((await page.send('Network.getCookies', { urls: [origin] })) as { cookies: { name: string; httpOnly: boolean }[] }).cookies;
    t.ok((await cookies()).find((c) => c.name === 'csrftoken'), "the browser holds Django's CSRF cookie");

    const sheets = await page.evaluate<{ href: string; rules: number; header: boolean }[]>(`
      [...document.styleSheets].map((s) => {
        let rules = [];
        try { rules = [...s.cssRules]; } catch {} // a sheet that did not load as CSS has no readable rules
        return {
          href: s.href,
          rules: rules.length,
          header: rules.some((r) => (r.selectorText || '').split(',').some((x) => x.trim() === '#header')),
        };
      })`);
    const base = sheets.find((s) => /\/static\/admin\/css\/base\.[0-9a-f]{12}\.css$/.test(s.href));
    t.ok(base, `base.css (hashed name) is among the page's stylesheets: ${sheets.map((s) => s.href).join(' ')}`);
    t.ok(base && base.rules > 100, `base.css was parsed into rules (${base?.rules})`);
    t.ok(base?.header, 'base.css carries the #header rule');
    t.ok(sheets.some((s) => /\/static\/admin\/css\/login\.[0-9a-f]{12}\.css$/.test(s.href) && s.rules > 0), 'login.css applied too');
    const look = await page.evaluate<{ header: string; body: string; fontSize: string }>(`({
      header: getComputedStyle(document.getElementById('header')).backgroundColor,
      body: getComputedStyle(document.body).backgroundColor,
      fontSize: getComputedStyle(document.body).fontSize,
    })`);
    t.equal(look.header, 'rgb(65, 118, 144)', "the header has the admin's --header-bg (#417690)");
    t.equal(look.body, 'rgb(248, 248, 248)', 'the login page background is --darkened-bg (#f8f8f8)');
    t.equal(look.fontSize, '14px', 'body text at the size base.css sets');

    // every CSS file (and fonts.css, pulled in by @import) from assetd: brotli, immutable
    const css = seen.filter((s) => new URL(s.url).pathname.endsWith('.css'));
    const names = css.map((s) => path.basename(new URL(s.url).pathname).replace(/\.[0-9a-f]{12}\.css$/, '.css')).sort();
    t.same(names, ['base.css', 'fonts.css', 'login.css', 'nav_sidebar.css', 'responsive.css'], 'the stylesheets the login page loads');
    for (const s of css) {
      const name = new URL(s.url).pathname;
      t.equal(s.status, 200, name);
      t.equal(s.fromCache, false, `${name} came over the network`);
      t.equal(s.headers['content-encoding'], 'br', `${name} sent brotli-compressed`);
      t.equal(s.headers['cache-control'], IMMUTABLE, `${name} cached as immutable`);
      t.match(s.headers['content-type'], /^text\/css/, name);
      t.match(s.headers.vary ?? '', /accept-encoding/i, name);
    }
    for (const s of seen.filter((s) => new URL(s.url).pathname.startsWith('/static/'))) {
      t.equal(s.status, 200, `${s.url} found`);
      t.equal(s.headers['cache-control'], IMMUTABLE, `${s.url} immutable`);
    }
    // assetd answered the static files itself: the app server never saw them
    await waitFor('gunicorn to log the page', () => gunicorn.access().includes('"GET /admin/login/ HTTP/1.1" 200') || undefined, 5000);
    t.notMatch(gunicorn.access(), /\/static\//, 'no static request reached gunicorn');

    // 2. a wrong password: Django's error, on the login page again
    const submit = (password: string) =>
      page.navigating(() =>
        page.evaluate(`
          document.getElementById('id_username').value = 'admin';
          document.getElementById('id_password').value = ${JSON.stringify(password)};
          document.querySelector('#login-form [type=submit]').click();`),
      );
    await submit('not-the-password');
    t.equal(await page.evaluate<string>('document.title'), 'Log in | Django site admin', context());
    t.match(
      await page.evaluate<string>(`document.querySelector('.errornote')?.textContent ?? ''`),
      /Please enter the correct username and password for a staff account/,
      "Django's error for a wrong password",
    );
    t.notOk((await cookies()).find((c) => c.name === 'sessionid'), 'no session for a wrong password');
    const refused = seen.find((s) => s.method === 'POST' && s.url === `${origin}/admin/login/`);
    t.equal(refused?.status, 200, 'the POST reached Django (the CSRF check passed) and was refused for the password');

    // 3. the right password: logged in, on the admin index
    await submit(PASSWORD);
    t.equal(await page.evaluate<string>('document.title'), 'Site administration | Django site admin', context());
    t.equal(await page.evaluate<string>('location.href'), `${origin}/admin/`);
    t.match(await page.evaluate<string>(`document.getElementById('user-tools')?.textContent ?? ''`), /Welcome,\s*admin/i, 'logged in as admin');
    const posts = seen.filter((s) => s.method === 'POST' && s.url === `${origin}/admin/login/`);
    t.equal(posts.length, 2, 'two form posts');
    t.equal(posts[1]?.status, 302, 'the login POST redirected');
    t.equal(posts[1]?.headers.location, '/admin/');
    t.ok((await cookies()).find((c) => c.name === 'sessionid' && c.httpOnly), 'the session cookie came back through the proxy: the browser holds it');
    t.equal(
      await page.evaluate<string>(`getComputedStyle(document.getElementById('header')).backgroundColor`),
      'rgb(65, 118, 144)',
      'the admin index is styled too',
    );
    const dashboard = seen.find((s) => /\/static\/admin\/css\/dashboard\.[0-9a-f]{12}\.css$/.test(s.url));
    t.equal(dashboard?.headers['content-encoding'], 'br', 'dashboard.css from assetd, brotli');
    t.match(gunicorn.access(), /"POST \/admin\/login\/ HTTP\/1\.1" 302/, 'gunicorn logged the login');
    t.notMatch(gunicorn.access(), /\/static\//, 'still no static request reached gunicorn');
    browser.cdp.close();
  });
}
