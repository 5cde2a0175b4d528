/**
 * A symlink inside a static root is judged by where it leads, not only by its own name:
 * `settings.txt -> .env` or `gitdir -> .git` would otherwise serve a hidden file.
 * Checked in the startup index and over HTTP through the real CLI.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig, type StaticMount } from '../../src/config/index.js';
import { hiddenTarget } from '../../src/static/scan.js';
import { buildIndex } from '../../src/static/build.js';
import { tempDir, write } from '../helpers/fixture.js';
import { request, startAssetd } from '../helpers/run.js';

const opts = { memoryThreshold: 1024, memoryLimit: 1 << 30 };
function mount(root: string, extra: Record<string, unknown> = {}): StaticMount {
  return resolveConfig({ file: { static: [{ root, ...extra }] }, fileDir: '/', env: {} }).static[0];
}

/** A root with hidden files, links that lead to them, and links that are fine. */
function tree(t: Test): { dir: string; root: string } {
  const dir = fs.realpathSync(tempDir(t));
  const root = path.join(dir, 'root');
  write(path.join(root, '.env'), 'SECRET=DOTENV');
  write(path.join(root, '.git/config'), '[core] DOTGIT');
  write(path.join(root, '.git/refs/heads/main'), 'DOTGITREF');
  write(path.join(root, 'css/.private/key.css'), 'PRIVATEKEY');
  write(path.join(root, 'css/site.css'), 'body{}');
  write(path.join(dir, 'outside/.env'), 'OUTSIDE-DOTENV');
  write(path.join(dir, 'outside/.git/config'), 'OUTSIDE-DOTGIT');
  write(path.join(dir, '.venv/lib/pkg/static/pkg/app.css'), 'from-a-virtualenv');
  const link = (target: string, name: string) => fs.symlinkSync(target, path.join(root, name));
  link('.env', 'settings.txt'); // relative, to a dotfile
  link(path.join(root, '.env'), 'env-abs.txt'); // absolute, to a dotfile
  link('.git', 'gitdir'); // to a dot-directory
  link('.git/config', 'gitconfig.txt'); // to a file under a dot-directory
  link('../.git/refs', 'css/refs'); // from a sub-folder, up and into a dot-directory
  link('.private', 'css/private'); // to a hidden sub-folder
  link('css/site.css', 'alias.css'); // fine: a visible file
  link('css', 'styles'); // fine: a visible folder
  link(path.join(dir, 'outside/.env'), 'outside-env.txt'); // outside, a dotfile by its own name
  link(path.join(dir, 'outside/.git'), 'outside-git'); // outside, a dot-directory by its own name
  link(path.join(dir, '.venv/lib/pkg/static/pkg'), 'pkg'); // outside, under a hidden folder (collectstatic --link into a .venv)
  return { dir, root };
}

const HIDDEN = ['settings.txt', 'env-abs.txt', 'gitdir/config', 'gitdir/refs/heads/main', 'gitconfig.txt', 'css/refs/heads/main', 'css/private/key.css'];

t.test('hiddenTarget judges the path below the root, and an outside target by its own name', async (t) => {
  t.ok(hiddenTarget('/srv/static', '/srv/static/.env'));
  t.ok(hiddenTarget('/srv/static', '/srv/static/.git/config'));
  t.ok(hiddenTarget('/srv/static', '/srv/static/css/.private/a.css'));
  t.notOk(hiddenTarget('/srv/static', '/srv/static/css/a.css'));
  t.notOk(hiddenTarget('/srv/static', '/srv/static/css/a..b.css'), 'dots inside a name are not hidden');
  t.notOk(hiddenTarget('/home/me/.local/static', '/home/me/.local/static/a.css'), 'hidden folders above the root do not count');
  t.ok(hiddenTarget('/srv/static', '/srv/app/.env'));
  t.ok(hiddenTarget('/srv/static', '/srv/app/.git'));
  t.notOk(hiddenTarget('/srv/static', '/srv/app/.venv/lib/pkg/static/a.css'), 'outside: only the target name counts');
  t.notOk(hiddenTarget('/srv/static', '/srv/static-x/a.css'), 'a sibling sharing the name start is outside, not "../static-x" below it');
});

t.test('the startup index leaves out links to hidden files and folders', async (t) => {
  const { root } = tree(t);
  for (const followSymlinks of [false, true]) {
    const idx = await buildIndex([mount(root, { followSymlinks })], opts);
    const keys = [...idx.public.keys()];
    for (const h of HIDDEN) t.notOk(idx.public.has('/static/' + h), `${h} not indexed (followSymlinks ${followSymlinks})`);
    t.notOk(keys.some((k) => k.startsWith('/static/outside-')), `outside hidden targets not indexed (followSymlinks ${followSymlinks})`);
    t.ok(idx.public.has('/static/alias.css'), 'a link to a visible file is followed');
    t.ok(idx.public.has('/static/styles/site.css'), 'a link to a visible folder is followed');
    t.notOk(idx.public.has('/static/styles/.private/key.css'), 'and hidden names inside it are still skipped');
    t.equal(idx.public.has('/static/pkg/app.css'), followSymlinks, 'a followed folder under an outside .venv is served only with followSymlinks');
    t.same(keys.filter((k) => !/^\/static\/(css\/site\.css|alias\.css|styles\/site\.css|pkg\/app\.css)$/.test(k)), [], `nothing else indexed (followSymlinks ${followSymlinks})`);
  }
});

t.test('over HTTP: a link to a hidden file is a 404 whose body holds no secret', async (t) => {
  const { root } = tree(t);
  const server = await startAssetd(['serve', '--root', root, '--port', '0', '--follow-symlinks']);
  t.teardown(server.stop);
  for (const h of [...HIDDEN, 'outside-env.txt', 'outside-git/config']) {
    const r = await request(`${server.url}/static/${h}`);
    t.equal(r.status, 404, h);
    t.notMatch(r.body.toString(), /SECRET|DOTGIT|PRIVATEKEY|DOTENV/, `${h}: no secret`);
  }
  t.equal((await request(`${server.url}/static/alias.css`)).body.toString(), 'body{}');
  t.equal((await request(`${server.url}/static/pkg/app.css`)).body.toString(), 'from-a-virtualenv');
  t.match(server.stderr(), /\b(\d+) symlinks skipped/);
});
