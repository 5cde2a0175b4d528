/**
 * The README's X-Accel-Redirect example as written: its Django view (the Python block) runs
 * under gunicorn, behind assetd started with its config (the JSON block, paths moved into a
 * temp dir), and serves invoices the app writes after assetd has started.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { djangoSkipReason, startGunicorn } from '../helpers/gunicorn.js';
import { repoRoot, startAssetd } from '../helpers/run.js';
import { request, tempDir } from '../helpers/stack.js';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const block = (marker: string, lang: string) => new RegExp(`<!-- ${marker} -->\\s*\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];

/** A Django project around the README's view: a stand-in for django.contrib.auth that knows one user, alice. */
const PROJECT: Record<string, string> = {
  'accelsite/__init__.py': '',
  'accelsite/settings.py': [
    "SECRET_KEY = 'test-only-not-secret'",
    'DEBUG = False',
    "ALLOWED_HOSTS = ['*']",
    "ROOT_URLCONF = 'accelsite.urls'",
    'INSTALLED_APPS = []',
    "MIDDLEWARE = ['accelsite.middleware.cookie_user']",
    'DATABASES = {}',
    '',
  ].join('\n'),
  'accelsite/middleware.py': [
    'from django.utils.cache import patch_vary_headers',
    '',
    'class CookieUser:',
    '    def __init__(self, name):',
    '        self.name = name',
    '    def has_perm(self, perm):',
    "        return self.name == 'alice' and perm == 'billing.view_invoice'",
    '',
    'def cookie_user(get_response):',
    '    def middleware(request):',
    "        request.user = CookieUser(request.COOKIES.get('user'))",
    '        response = get_response(request)',
    '        # as the session middleware does for a request that used the session',
    "        patch_vary_headers(response, ('Cookie',))",
    '        return response',
    '    return middleware',
    '',
  ].join('\n'),
  'accelsite/urls.py': ['from django.urls import path', 'from .views import invoice', '', "urlpatterns = [path('invoices/<int:number>', invoice)]", ''].join('\n'),
  'accelsite/wsgi.py': [
    'import os',
    'from django.core.wsgi import get_wsgi_application',
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'accelsite.settings')",
    'application = get_wsgi_application()',
    '',
  ].join('\n'),
};

const skip = djangoSkipReason();

t.test('the README has the example blocks', async (t) => {
  t.ok(block('accel-python', 'python'), 'the Python view');
  t.ok(block('accel-config', 'json'), 'the config');
});

t.test("the README's X-Accel-Redirect example serves an invoice written after startup", { skip }, async (t) => {
  t.setTimeout(60_000);
  const view = block('accel-python', 'python')!;
  const config = JSON.parse(block('accel-config', 'json')!) as { upstream: string; static?: { root: string; prefix: string }[]; media?: { root: string; prefix: string }[] };
  const dir = tempDir(t, { ...PROJECT, 'accelsite/views.py': view, 'staticfiles/site.css': 'body{}\n' });
  const app = await startGunicorn(t, dir, dir, 'accelsite.wsgi');

  // the config as documented, pointed at this gunicorn and this temp dir
  const mount = [...(config.static ?? []), ...(config.media ?? [])].find((m) => m.prefix === '/protected/');
  t.ok(mount, 'the config has the /protected/ mount the view names');
  const privateRoot = path.join(dir, 'private');
  fs.mkdirSync(path.join(privateRoot, 'invoices'), { recursive: true });
  config.upstream = `unix:${app.sock}`;
  mount!.root = privateRoot;
  fs.writeFileSync(path.join(dir, 'assetd.json'), JSON.stringify(config));
  const s = await startAssetd(['serve', '--config', path.join(dir, 'assetd.json'), '--port', '0']);
  t.teardown(s.stop);

  // the app writes the invoice once assetd is running
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(20_000)]);
  fs.writeFileSync(path.join(privateRoot, 'invoices/42.pdf'), pdf);
  const alice = { cookie: 'user=alice' };

  t.equal((await request(s.url, { path: '/invoices/42' })).status, 403, 'no permission: the view refuses');
  const r = await request(s.url, { path: '/invoices/42', headers: alice });
  t.equal(r.status, 200, r.status === 200 ? "the view's answer is the file" : `${app.log()} ${s.stderr()}`);
  t.ok(r.body.equals(pdf), 'the invoice, byte for byte');
  t.equal(r.headers['content-type'], 'application/pdf');
  t.equal(r.headers['content-disposition'], 'attachment; filename="invoice-42.pdf"');
  t.equal(r.headers['cache-control'], 'private, max-age=0, must-revalidate', 'private: no shared cache keeps it');
  t.equal(r.headers['access-control-allow-origin'], undefined);
  t.equal(r.headers.vary, 'Cookie', "Django's Vary reaches the client");
  t.equal(r.headers['x-accel-redirect'], undefined);

  const again = await request(s.url, { path: '/invoices/42', headers: { ...alice, 'if-none-match': r.headers.etag! } });
  t.equal(again.status, 304, 'the browser revalidates through the view');
  t.equal(again.headers['cache-control'], 'private, max-age=0, must-revalidate');
  t.equal(again.headers.vary, 'Cookie');

  fs.writeFileSync(path.join(privateRoot, 'invoices/43.pdf'), '%PDF-1.4 later\n');
  const later = await request(s.url, { path: '/invoices/43', headers: alice });
  t.equal(later.status, 200, 'a second invoice written later is served too');
  t.equal(later.body.toString(), '%PDF-1.4 later\n');
  t.equal((await request(s.url, { path: '/invoices/44', headers: alice })).status, 404, 'one not written yet is a 404');
  t.equal((await request(s.url, { path: '/protected/invoices/42.pdf' })).status, 404, 'never reachable directly');
});
