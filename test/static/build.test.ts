import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig, type StaticMount } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';
import { buildIndex, type FileEntry } from '../../src/static/build.js';
import { collectedTree, cssText, tempDir, write } from '../helpers/fixture.js';

function mount(root: string, extra: Record<string, unknown> = {}): StaticMount {
  return resolveConfig({ file: { static: [{ root, ...extra }] }, fileDir: '/', env: {} }).static[0];
}
const opts = { memoryThreshold: 1024, memoryLimit: 1 << 30 };
const file = (e: unknown) => e as FileEntry;

t.test('entries, variants, immutability from the manifest', async (t) => {
  const dir = tempDir(t);
  const names = collectedTree(dir, [{ name: 'a/b.css', body: cssText(500) }, { name: 'big.js', body: cssText(5000) }]);
  const idx = await buildIndex([mount(dir)], opts);
  t.equal(idx.fileCount, 4);
  t.equal(idx.variantCount, 8);
  const hashed = file(idx.public.get('/static/' + names.get('a/b.css')));
  t.equal(hashed.immutable, true);
  t.equal(file(idx.public.get('/static/a/b.css')).immutable, false);
  t.same(hashed.reps.map((r) => r.coding), ['br', 'gzip', 'identity'], 'smallest first');
  t.ok(hashed.reps.every((r) => r.body !== undefined), 'small files held in memory');
  const big = file(idx.public.get('/static/big.js'));
  t.equal(big.identity.body, undefined, 'over the threshold: streamed');
  t.notOk(idx.public.has('/static/staticfiles.json'));
  t.notOk(idx.public.has('/static/a/b.css.gz'));
  t.equal(idx.mounts[0].manifest?.format, 'django');
});

t.test('Django manifest version 1.0 and leading slashes', async (t) => {
  const dir = tempDir(t);
  write(path.join(dir, 'x.0123456789ab.css'), 'x');
  write(path.join(dir, 'staticfiles.json'), JSON.stringify({ paths: { '/x.css': '/x.0123456789ab.css' }, version: '1.0' }));
  const idx = await buildIndex([mount(dir)], opts);
  t.equal(file(idx.public.get('/static/x.0123456789ab.css')).immutable, true);
  t.same(idx.mounts[0].missing, []);
});

t.test('without a manifest the pattern decides', async (t) => {
  const dir = tempDir(t);
  write(path.join(dir, 'base.5af66c1b1797.css'), 'x');
  write(path.join(dir, 'base.css'), 'x');
  write(path.join(dir, 'app.5AF66C1B1797.css'), 'x');
  write(path.join(dir, 'app-DTR5dd8x.js'), 'x');
  const idx = await buildIndex([mount(dir)], opts);
  t.equal(file(idx.public.get('/static/base.5af66c1b1797.css')).immutable, true);
  t.equal(file(idx.public.get('/static/base.css')).immutable, false);
  t.equal(file(idx.public.get('/static/app.5AF66C1B1797.css')).immutable, false, 'upper-case hex is not Django');
  const vite = await buildIndex([mount(dir, { immutablePattern: '-[A-Za-z0-9_-]{8}\\.[a-z]+$' })], opts);
  t.equal(file(vite.public.get('/static/app-DTR5dd8x.js')).immutable, true, 'a custom pattern (Vite names)');
});

t.test('symlinks: inside followed, outside skipped unless allowed, loops never hang', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'root');
  write(path.join(root, 'real/a.css'), 'a');
  write(path.join(dir, 'outside/secret.txt'), 'secret');
  fs.symlinkSync(path.join(root, 'real/a.css'), path.join(root, 'link-in.css'));
  fs.symlinkSync(path.join(dir, 'outside/secret.txt'), path.join(root, 'link-out.txt'));
  fs.symlinkSync(path.join(dir, 'outside'), path.join(root, 'dir-out'));
  fs.symlinkSync(root, path.join(root, 'real/loop'));
  fs.symlinkSync(path.join(root, 'self'), path.join(root, 'self'));
  fs.symlinkSync(path.join(dir, 'nothing'), path.join(root, 'broken'));
  const idx = await buildIndex([mount(root)], opts);
  t.ok(idx.public.has('/static/link-in.css'));
  t.ok(idx.public.has('/static/real/a.css'));
  t.notOk(idx.public.has('/static/link-out.txt'));
  t.notOk(idx.public.has('/static/dir-out/secret.txt'));
  t.equal(idx.symlinksSkipped, 5, 'out file, out dir, loop, self-loop, broken');
  const followed = await buildIndex([mount(root, { followSymlinks: true })], opts);
  t.ok(followed.public.has('/static/link-out.txt'));
  t.ok(followed.public.has('/static/dir-out/secret.txt'));
  t.equal(followed.symlinksSkipped, 3, 'loops and broken links are still skipped');
});

t.test('dotfiles and dot-directories are not indexed', async (t) => {
  const dir = tempDir(t);
  write(path.join(dir, '.env'), 'x');
  write(path.join(dir, '.git/config'), 'x');
  write(path.join(dir, 'ok/.hidden.css'), 'x');
  write(path.join(dir, 'ok/shown.css'), 'x');
  const idx = await buildIndex([mount(dir)], opts);
  t.same([...idx.public.keys()], ['/static/ok/shown.css']);
});

t.test('a variant no smaller than the original is not used', async (t) => {
  const dir = tempDir(t);
  write(path.join(dir, 'tiny.css'), 'a');
  write(path.join(dir, 'tiny.css.gz'), 'much longer than the original');
  const idx = await buildIndex([mount(dir)], opts);
  const e = file(idx.public.get('/static/tiny.css'));
  t.equal(e.reps.length, 1);
  t.equal(e.varies, false);
});

t.test('memory limit: past the cap files stream', async (t) => {
  const dir = tempDir(t);
  for (let i = 0; i < 10; i++) write(path.join(dir, `f${i}.txt`), 'x'.repeat(100));
  const idx = await buildIndex([mount(dir)], { memoryThreshold: 1000, memoryLimit: 450 });
  t.equal(idx.bytesInMemory, 400);
  t.equal([...idx.public.values()].filter((e) => file(e).identity.body === undefined).length, 6);
});

t.test('strict: missing manifest names are fatal', async (t) => {
  const dir = tempDir(t);
  write(path.join(dir, 'staticfiles.json'), JSON.stringify({ paths: { 'a.css': 'a.0123456789ab.css' }, version: '1.1', hash: 'x' }));
  const lax = await buildIndex([mount(dir)], opts);
  t.same(lax.mounts[0].missing, ['a.0123456789ab.css']);
  await t.rejects(buildIndex([mount(dir, { strict: true })], opts), UserError);
});

t.test('several mounts and internal mounts', async (t) => {
  const dir = tempDir(t);
  write(path.join(dir, 'a/x.css'), 'a');
  write(path.join(dir, 'b/y.css'), 'b');
  write(path.join(dir, 'p/secret.pdf'), 'p');
  const c = resolveConfig({
    file: { static: [{ root: 'a', prefix: '/static/' }, { root: 'b', prefix: '/assets/', maxAge: 5 }, { root: 'p', prefix: '/protected/', internal: true }] },
    fileDir: dir,
    env: {},
  });
  const idx = await buildIndex(c.static, opts);
  t.ok(idx.public.has('/static/x.css'));
  t.ok(idx.public.has('/assets/y.css'));
  t.notOk(idx.public.has('/protected/secret.pdf'), 'internal files are not publicly reachable');
  t.ok(idx.mounts[2].files.has('/protected/secret.pdf'), 'but are in their mount');
  t.ok(file(idx.public.get('/assets/y.css')).identity.h200.includes('public, max-age=5'), 'per-mount cache policy');
});

t.test('index files', async (t) => {
  const dir = tempDir(t);
  write(path.join(dir, 'index.html'), 'root');
  write(path.join(dir, 'docs/index.html'), 'docs');
  const idx = await buildIndex([mount(dir, { index: 'index.html' })], opts);
  t.equal(file(idx.public.get('/static/')).rel, 'index.html');
  t.equal(file(idx.public.get('/static/docs/')).rel, 'docs/index.html');
  t.same(idx.public.get('/static/docs'), { kind: 'redirect', urlPath: '/static/docs', location: 'docs/', cacheControl: 'public, max-age=60' });
  t.same(idx.public.get('/static'), { kind: 'redirect', urlPath: '/static', location: 'static/', cacheControl: 'public, max-age=60' });
});

t.test('configured header values are checked once, at startup', async (t) => {
  const dir = tempDir(t);
  write(path.join(dir, 'a.css'), 'a');
  await t.rejects(buildIndex([mount(dir, { immutableCacheControl: 'public\r\nSet-Cookie: x=1' })], opts), /immutableCacheControl: not a valid Cache-Control header value/);
  await t.rejects(buildIndex([mount(dir, { immutableCacheControl: 'public\r\nSet-Cookie: x=1' })], opts), UserError, 'a one-line startup error (exit 2)');
  const ok = await buildIndex([mount(dir)], opts);
  const rep = file(ok.public.get('/static/a.css')).identity;
  t.equal(rep.r200, undefined, 'the text form is made on first use, not at startup');
});
