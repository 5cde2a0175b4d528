/**
 * The import rules of src/, read from the source: which folder may import which (the README's
 * Architecture section), other folders only through their index.ts, and proxy/accel.ts as the
 * one named edge from proxy/ into static/ and media/. An import that breaks them fails here.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers/run.js';

const SRC = path.join(repoRoot, 'src');
/** errors.ts, log.ts, version.ts: the basics at the root of src/. */
const BASICS = 'basics';

/** Folder → the folders (and basics) its modules may import, besides their own. */
const ALLOWED: Record<string, string[]> = {
  http: [],
  manifest: [BASICS],
  compress: [BASICS],
  config: ['http', 'manifest', BASICS],
  respond: ['http', BASICS],
  observe: ['http', 'config', BASICS],
  static: ['http', 'config', 'respond', 'manifest', 'compress', BASICS],
  media: ['http', 'config', 'respond', BASICS],
  proxy: ['http', 'config', 'respond', 'observe', BASICS],
  server: ['http', 'config', 'respond', 'static', 'media', 'proxy', 'observe', BASICS],
  runtime: ['http', 'config', 'respond', 'static', 'media', 'proxy', 'observe', 'server', 'manifest', 'compress', BASICS],
  collect: ['static', 'compress', 'manifest', BASICS],
  commands: ['*'],
  root: ['*'],
};
/** Named edges beyond the folder rules: a module that answers through another folder. */
const EDGES: Record<string, string[]> = {
  'proxy/accel.ts': ['static', 'media'],
};

interface Import {
  from: string;
  spec: string;
  target: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sourceFiles(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

function imports(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    out.push({ from: path.relative(SRC, file), spec, target: path.relative(SRC, path.resolve(path.dirname(file), spec)) });
  }
  return out;
}

const folderOf = (rel: string) => (rel.includes('/') ? rel.split('/')[0] : ['errors.js', 'log.js', 'version.js', 'errors.ts', 'log.ts', 'version.ts'].includes(rel) ? BASICS : 'root');

const all = sourceFiles(SRC).flatMap(imports);

t.test('the folders are the ones the rules name', async (t) => {
  const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  t.same(folders, Object.keys(ALLOWED).filter((f) => f !== 'root').sort());
  t.ok(all.length > 100, `${all.length} imports read`);
});

t.test('every import is one the rules allow', async (t) => {
  const broken: string[] = [];
  for (const i of all) {
    const from = folderOf(i.from);
    const to = folderOf(i.target);
    if (from === to) continue;
    const ok = ALLOWED[from].includes('*') || ALLOWED[from].includes(to) || (EDGES[i.from] ?? []).includes(to);
    if (!ok) broken.push(`${i.from} imports ${i.spec} (${from} -> ${to})`);
  }
  t.same(broken, []);
});

t.test('other folders are reached through their index.ts', async (t) => {
  const deep = all.filter((i) => {
    const from = folderOf(i.from);
    const to = folderOf(i.target);
    return from !== to && to !== BASICS && to !== 'root' && from !== 'root' && !i.target.endsWith('/index.js');
  });
  t.same(deep.map((i) => `${i.from} imports ${i.spec}`), []);
});

t.test('http/ does no I/O: no file system, network or process calls', async (t) => {
  // node:net is imported for isIPv6 alone (request-checks.ts); node:http for its header validators
    const io = /from 'node:(fs|fs\/promises|dgram|child_process|cluster|worker_threads|http2|https)'|\bprocess\.(stdout|stderr|exit|on)\b/;
  for (const f of sourceFiles(path.join(SRC, 'http'))) {
    const text = fs.readFileSync(f, 'utf8').replace(/^import type .*$/gm, '');
    t.notMatch(text, io, path.relative(SRC, f));
  }
});

t.test('each folder says what it owns and may import, in its index.ts', async (t) => {
  for (const folder of Object.keys(ALLOWED)) {
    if (folder === 'root' || folder === 'commands') continue;
    const text = fs.readFileSync(path.join(SRC, folder, 'index.ts'), 'utf8');
    t.match(text, new RegExp(`^/\\*\\*\\n \\* ${folder}/: `), `${folder}/index.ts opens with what the folder owns`);
    t.match(text, /May import:/, `${folder}/index.ts names what it may import`);
  }
});

t.test('no module is a giant', async (t) => {
  for (const f of sourceFiles(SRC)) {
    const lines = fs.readFileSync(f, 'utf8').split('\n').length;
    t.ok(lines <= 400, `${path.relative(SRC, f)}: ${lines} lines`);
  }
});
