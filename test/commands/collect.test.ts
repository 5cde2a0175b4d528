import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { contentHash } from '../../src/collect/hash.js';
import { collectTree, parseCollectArgs } from '../../src/commands/collect.js';
import { compressTree } from '../../src/compress/run.js';
import { listTree, repoRoot, runCli, tempDir, writeTree } from '../helpers/cli.js';

const woff = Buffer.from('wOFF\0\x01\0\0 pretend font bytes');
const png = Buffer.from('\x89PNG\r\n\x1a\n pretend image bytes');

function sources(dir: string): void {
  writeTree(dir, {
    'app/css/site.css': '@import "theme.css";\n@font-face { font-family: R; src: url("../fonts/r.woff") format("woff"); }\nbody { background: url(../img/bg.png) no-repeat; }\n/*# sourceMappingURL=site.css.map */\n',
    'app/css/theme.css': ':root { --c: #123; }\n.logo { background: url(\'../img/logo.svg#mark\'); }\n',
    'app/css/site.css.map': '{"version":3,"sources":["site.scss"],"mappings":""}',
    'app/fonts/r.woff': woff,
    'app/img/bg.png': png,
    'app/img/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"><g id="mark"/></svg>\n',
    'app/js/app.js': 'console.log("app");\n//# sourceMappingURL=app.js.map\n',
    'app/js/app.js.map': '{"version":3,"file":"app.js","sources":["app.ts"],"mappings":"AAAA"}',
    'vendor/js/app.js': 'console.log("the other app.js loses the clash");\n',
    'vendor/js/lib.js': 'export const lib = 1;\n',
  });
}

const names = (out: string) => (JSON.parse(fs.readFileSync(path.join(out, 'staticfiles.json'), 'utf8')) as { paths: Record<string, string> }).paths;

t.test('collect: clash, hashed names, rewritten references, manifest', async (t) => {
  const dir = tempDir(t);
  sources(dir);
  const lines: string[] = [];
  const r = await collectTree({ sources: ['app', 'vendor'], out: 'out', staticUrl: '/static/', strict: true, compress: false, cwd: dir, report: (l) => lines.push(l) });
  t.equal(r.files, 9);
  t.equal(r.clashes, 1);
  t.same(lines, ['js/app.js: found in app and vendor; using the one in app']);
  const out = path.join(dir, 'out');
  const m = JSON.parse(fs.readFileSync(path.join(out, 'staticfiles.json'), 'utf8'));
  t.equal(m.version, '1.1');
  t.match(m.hash, /^[0-9a-f]{12}$/);
  const p = m.paths as Record<string, string>;
  t.same(Object.keys(p), ['css/site.css', 'css/site.css.map', 'css/theme.css', 'fonts/r.woff', 'img/bg.png', 'img/logo.svg', 'js/app.js', 'js/app.js.map', 'js/lib.js']);
  // every file exists under both names; non-rewritten ones are byte copies named by their MD5
  for (const [orig, hashed] of Object.entries(p)) {
    t.ok(fs.existsSync(path.join(out, orig)), orig);
    const bytes = fs.readFileSync(path.join(out, hashed));
    t.equal(hashed.split('.').slice(-2, -1)[0], contentHash(bytes), `${hashed} is named after its own content`);
  }
  t.equal(p['fonts/r.woff'], `fonts/r.${contentHash(woff)}.woff`);
  t.same(fs.readFileSync(path.join(out, 'js/app.js'), 'utf8'), 'console.log("app");\n//# sourceMappingURL=app.js.map\n', 'the original name keeps the original bytes; the first source won');
  const base = (n: string) => n.split('/').pop();
  const theme = fs.readFileSync(path.join(out, p['css/theme.css']), 'utf8');
  t.equal(theme, `:root { --c: #123; }\n.logo { background: url("../img/${base(p['img/logo.svg'])}#mark"); }\n`);
  const site = fs.readFileSync(path.join(out, p['css/site.css']), 'utf8');
  t.equal(
    site,
    `@import url("${base(p['css/theme.css'])}");\n@font-face { font-family: R; src: url("../fonts/${base(p['fonts/r.woff'])}") format("woff"); }\n` +
      `body { background: url("../img/${base(p['img/bg.png'])}") no-repeat; }\n/*# sourceMappingURL=${base(p['css/site.css.map'])} */\n`,
  );
  t.equal(fs.readFileSync(path.join(out, p['js/app.js']), 'utf8'), `console.log("app");\n//# sourceMappingURL=${base(p['js/app.js.map'])}\n`);
});

t.test('collect is deterministic: a rerun and a fresh run give byte-identical trees', async (t) => {
  const dir = tempDir(t);
  sources(dir);
  const run = async (out: string) => {
    await collectTree({ sources: ['app', 'vendor'], out, staticUrl: '/static/', strict: false, compress: false, cwd: dir, report: () => {} });
    await compressTree(path.join(dir, out), { workers: 0, skip: (rel) => rel === 'staticfiles.json' });
  };
  await run('a');
  const snapshot = (d: string) => listTree(path.join(dir, d)).map((n) => [n, fs.readFileSync(path.join(dir, d, n)).toString('base64')]);
  const first = snapshot('a');
  t.ok(first.some(([n]) => n.endsWith('.br')), 'variants made');
  const again = await collectTree({ sources: ['app', 'vendor'], out: 'a', staticUrl: '/static/', strict: false, compress: false, cwd: dir, report: () => {} });
  t.equal(again.write.written, 0, 'a rerun writes nothing');
  t.same(snapshot('a'), first);
  await run('b');
  t.same(snapshot('b'), first, 'a fresh run gives the same bytes');
});

t.test('a missing reference is reported with file and line, and fails under --strict', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 's/css/a.css': 'a{}\nb{background:url(../img/gone.png)}\n' });
  const lines: string[] = [];
  const r = await collectTree({ sources: ['s'], out: 'o', staticUrl: '/static/', strict: false, compress: false, cwd: dir, report: (l) => lines.push(l) });
  t.equal(r.missing, 1);
  t.same(lines, ['css/a.css:2: ../img/gone.png points to img/gone.png, which is not among the collected files']);
  await t.rejects(collectTree({ sources: ['s'], out: 'o2', staticUrl: '/static/', strict: true, compress: false, cwd: dir, report: () => {} }), {
    name: 'UserError',
    message: /--strict: 1 reference\(s\) to missing files \(first: css\/a\.css:2: \.\.\/img\/gone\.png\)/,
  });
  t.notOk(fs.existsSync(path.join(dir, 'o2')), 'nothing written under --strict');
});

t.test('bad arguments are one-line errors', async (t) => {
  t.throws(() => parseCollectArgs([]), { name: 'UserError', message: /at least one source/ });
  t.throws(() => parseCollectArgs(['src']), { name: 'UserError', message: /--out DIR is required/ });
  t.throws(() => parseCollectArgs(['src', '--out', 'o', '--bogus']), { name: 'UserError', message: /bogus/ });
  t.throws(() => parseCollectArgs(['src', '--out', 'o', '--static-url', 'static']), { name: 'UserError', message: /--static-url/ });
  t.throws(() => parseCollectArgs(['src', '--out', 'o', '--workers', 'x']), { name: 'UserError', message: /--workers/ });
  t.same(parseCollectArgs(['a', 'b', '--out', 'o', '--strict', '--no-compress']), { sources: ['a', 'b'], out: 'o', staticUrl: '/static/', strict: true, compress: false, workers: undefined });
  const dir = tempDir(t);
  writeTree(dir, { 's/a.css': 'a' });
  await t.rejects(collectTree({ sources: ['s'], out: 's/out', staticUrl: '/static/', strict: false, compress: false, cwd: dir }), { name: 'UserError', message: /inside the source/ });
});

t.test('the command: exit codes and the summary lines', async (t) => {
  const dir = tempDir(t);
  sources(dir);
  const ok = await runCli(t, ['collect', 'app', 'vendor', '--out', 'out', '--workers', '1'], { cwd: dir, timeoutMs: 90_000 });
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stderr, /assetd: js\/app\.js: found in app and vendor; using the one in app\n/);
  t.match(ok.stderr, /assetd: collected 9 files into out: 19 written, 0 unchanged, 1 name clash\(es\), [\d.]+ s\n/);
  t.match(ok.stderr, /assetd: compressed \d+ files: \d+ -> \d+ bytes/);
  t.ok(fs.existsSync(path.join(dir, 'out', names(path.join(dir, 'out'))['css/site.css'] + '.br')));
  t.notOk(fs.existsSync(path.join(dir, 'out/staticfiles.json.br')), 'the manifest is not compressed');
  const bad = await runCli(t, ['collect', 'nope', '--out', 'o'], { cwd: dir, timeoutMs: 60_000 });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^assetd: .*nope: root does not exist\n$/);
});

t.test('regenerating the bundled example gives the committed bytes', async (t) => {
  const out = tempDir(t);
  await collectTree({ sources: [path.join(repoRoot, 'example/src')], out, staticUrl: '/static/', strict: true, compress: false, report: () => {} });
  await compressTree(out, { workers: 0, skip: (rel) => rel === 'staticfiles.json' });
  const committed = path.join(repoRoot, 'example/static');
  t.same(listTree(out), listTree(committed), 'same file list');
  for (const n of listTree(committed)) t.ok(fs.readFileSync(path.join(out, n)).equals(fs.readFileSync(path.join(committed, n))), n);
  const m = names(committed);
  t.same(zlib.brotliDecompressSync(fs.readFileSync(path.join(committed, m['css/site.css'] + '.br'))), fs.readFileSync(path.join(committed, m['css/site.css'])));
});

const corpus = path.resolve(repoRoot, '../shared/corpus/django-admin');
const adminSources = '/usr/lib/python3/dist-packages/django/contrib/admin/static';
const skipAdmin = !fs.existsSync(path.join(corpus, 'staticfiles.json'))
  ? `the Django corpus is absent (${corpus})`
  : !fs.existsSync(adminSources)
    ? `Django's admin sources are absent (${adminSources}; install python3-django)`
    : false;

t.test("Django's admin: the same hashed names as Django's own collectstatic", { skip: skipAdmin }, async (t) => {
  const out = tempDir(t);
  const r = await collectTree({ sources: [adminSources], out, staticUrl: '/static/', strict: true, compress: false, report: () => {} });
  const ours = names(out);
  const theirs = names(corpus);
  t.equal(r.missing, 0);
  t.same(Object.keys(ours).sort(), Object.keys(theirs).sort(), 'the same files');
  const differ = Object.keys(theirs).filter((k) => ours[k] !== theirs[k]);
  t.same(differ, [], `every hashed name is Django's (${Object.keys(theirs).length - differ.length} identical)`);
  // rewritten stylesheets are the same bytes as Django's
  for (const k of Object.keys(theirs).filter((n) => n.endsWith('.css'))) {
    t.ok(fs.readFileSync(path.join(out, ours[k])).equals(fs.readFileSync(path.join(corpus, theirs[k]))), k);
  }
});
