/**
 * The README's deployment recipes work as written: every ```yaml and ```dockerfile block, the
 * repository's Dockerfile and the `docker run -e` lines of the README are read, each ASSETD_*
 * variable they set is a variable of the config schema (src/config/schema.ts), and each
 * recipe's variables, over the image's own ENV, resolve to a valid configuration. The
 * Kubernetes and compose recipes are checked for what makes them serve an app: an upstream
 * that is the app's bind address, assetd starting only after collectstatic finished, and the
 * worker count following the CPU limit.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { envName, parseServeFlags, resolveConfig, SERVE_FLAGS } from '../src/config/index.js';
import { repoRoot } from './helpers/run.js';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');

/** Every variable the schema reads: one per serve flag, and ASSETD_CONFIG. */
const KNOWN = new Set([...Object.keys(SERVE_FLAGS).map(envName), 'ASSETD_CONFIG']);

interface Recipe {
  name: string;
  lang: string;
  body: string;
}

const recipes: Recipe[] = [...readme.matchAll(/^```(yaml|yml|dockerfile|Dockerfile)\n([\s\S]*?)^```$/gm)].map((m) => {
  const before = readme.slice(0, m.index!);
  const heading = [...before.matchAll(/^#+ (.+)$/gm)].pop()?.[1] ?? 'README';
  return { name: `README: ${heading} (${m[1]})`, lang: m[1]!.toLowerCase(), body: m[2]! };
});

/** `ENV A=1 \ B=2` lines of a Dockerfile. */
function dockerfileEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const joined = text.replace(/\\\n/g, ' ');
  for (const m of joined.matchAll(/^\s*ENV\s+(.+)$/gim)) {
    for (const kv of m[1]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S+)/g)) out[kv[1]!] = kv[3] ?? kv[2]!;
  }
  return out;
}

/** Every `NAME: value` / `{name, value}` / `NAME=value` of an environment, anywhere in a parsed YAML document, per container. */
function yamlEnvs(doc: unknown): { where: string; env: Record<string, string>; node: Record<string, unknown> }[] {
  const found: { where: string; env: Record<string, string>; node: Record<string, unknown> }[] = [];
  const visit = (v: unknown, where: string) => {
    if (Array.isArray(v)) return v.forEach((x, i) => visit(x, `${where}[${i}]`));
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const env: Record<string, string> = {};
    for (const key of ['env', 'environment']) {
      const e = o[key];
      if (Array.isArray(e)) {
        for (const item of e) {
          if (typeof item === 'string' && item.includes('=')) env[item.slice(0, item.indexOf('='))] = item.slice(item.indexOf('=') + 1);
          else if (item && typeof item === 'object' && 'name' in item) env[String(item.name)] = String((item as { value?: unknown }).value ?? '');
        }
      } else if (e && typeof e === 'object') {
        for (const [k, val] of Object.entries(e)) env[k] = String(val);
      }
    }
    if (Object.keys(env).length > 0) found.push({ where: typeof o.name === 'string' ? `${where} (${o.name})` : where, env, node: o });
    for (const [k, val] of Object.entries(o)) visit(val, `${where}.${k}`);
  };
  visit(doc, '');
  return found;
}

/** Every ASSETD_* of an environment is one the schema reads, and together they resolve. */
function checkEnv(t: Test, where: string, env: Record<string, string>, base: Record<string, string>) {
  const mine = Object.entries(env).filter(([k]) => k.startsWith('ASSETD_'));
  for (const [k] of mine) t.ok(KNOWN.has(k), `${where}: ${k} is a variable of the schema`);
  const all = { ...base, ...Object.fromEntries(mine) };
  let error = '';
  try {
    resolveConfig({ env: all, cwd: '/', readSecretFile: () => 'x'.repeat(64) });
  } catch (e) {
    error = (e as Error).message;
  }
  t.equal(error, '', `${where}: ${mine.map(([k, v]) => `${k}=${v}`).join(' ')} resolve to a valid configuration`);
}

const IMAGE_ENV = Object.fromEntries(Object.entries(dockerfileEnv(dockerfile)).filter(([k]) => k.startsWith('ASSETD_')));

t.test('the Dockerfile\'s own ENV', async (t) => {
  t.ok(Object.keys(IMAGE_ENV).length >= 3, `ASSETD_* in the image: ${Object.keys(IMAGE_ENV).join(', ')}`);
  checkEnv(t, 'Dockerfile', IMAGE_ENV, {});
});

t.test('the README has the recipes', async (t) => {
  t.ok(recipes.filter((r) => r.lang.startsWith('y')).length >= 2, recipes.map((r) => r.name).join('; '));
});

for (const r of recipes) {
  t.test(r.name, async (t) => {
    if (r.lang === 'dockerfile') return checkEnv(t, r.name, dockerfileEnv(r.body), IMAGE_ENV);
    const doc = parseYaml(r.body);
    const envs = yamlEnvs(doc).filter((e) => Object.keys(e.env).some((k) => k.startsWith('ASSETD_')));
    t.ok(envs.length > 0, 'the recipe sets assetd\'s variables');
    for (const e of envs) checkEnv(t, `${r.name}${e.where}`, e.env, IMAGE_ENV);
  });
}

t.test('docker run -e lines of the README', async (t) => {
  const lines = readme.split('\n').filter((l) => /^\s*docker run\b/.test(l));
  t.ok(lines.length > 0, `${lines.length} docker run lines`);
  for (const l of lines) {
    const env = Object.fromEntries([...l.matchAll(/(?:-e|--env)\s+([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    checkEnv(t, l.trim(), env, IMAGE_ENV);
    // what follows the image name are serve flags (the ENTRYPOINT is assetd serve)
    const args = / assetd((?: [^#]*?)?)\s*(?:#.*)?$/.exec(l)?.[1]?.trim().split(/\s+/).filter((a) => a !== '') ?? [];
    let error = '';
    try {
      resolveConfig({ env: { ...IMAGE_ENV, ...env }, flags: parseServeFlags(args), cwd: '/' });
    } catch (e) {
      error = (e as Error).message;
    }
    t.equal(error, '', `flags after the image: ${args.join(' ') || '(none)'}`);
  }
});

/** The recipe under a heading, parsed. */
function recipe(heading: RegExp): Record<string, unknown> {
  const r = recipes.find((x) => heading.test(x.name) && x.lang.startsWith('y'));
  if (!r) throw new Error(`no yaml recipe under ${heading}`);
  return parseYaml(r.body) as Record<string, unknown>;
}

const bindOf = (command: unknown) => /--bind[ =]?\s*(\S+)/.exec(Array.isArray(command) ? command.join(' ') : String(command))?.[1];

t.test('Kubernetes: assetd forwards to the app container, workers from the CPU limit', async (t) => {
  const pod = recipe(/Kubernetes/) as { spec: { containers: { name: string; command?: unknown; env?: { name: string; value: string }[]; resources?: { limits?: { cpu?: string } } }[]; initContainers?: { command?: unknown }[] } };
  const app = pod.spec.containers.find((c) => c.name === 'app')!;
  const assetd = pod.spec.containers.find((c) => c.name === 'assetd')!;
  const env = Object.fromEntries((assetd.env ?? []).map((e) => [e.name, e.value]));
  t.equal(env.ASSETD_UPSTREAM, `http://${bindOf(app.command)}`, 'ASSETD_UPSTREAM is where gunicorn binds');
  t.equal(env.ASSETD_WORKERS, 'auto', 'the worker count follows the CPU limit');
  t.ok(assetd.resources?.limits?.cpu, 'and there is a CPU limit to follow');
  t.match(String(pod.spec.initContainers?.[0]?.command), /collectstatic/, 'collectstatic finishes (init container) before assetd starts');
});

t.test('compose: assetd starts after collectstatic completed, forwards to the app, workers from cpus', async (t) => {
  const compose = recipe(/docker-compose/) as { services: Record<string, { command?: unknown; depends_on?: unknown; environment?: Record<string, string>; cpus?: unknown }> };
  const assetd = compose.services.assetd!;
  const deps = assetd.depends_on as Record<string, { condition?: string }>;
  t.ok(deps && !Array.isArray(deps), 'depends_on with conditions, not a bare list');
  const collect = Object.entries(compose.services).find(([, s]) => /collectstatic/.test(String(s.command)))!;
  t.ok(collect, 'a service runs collectstatic');
  t.notMatch(String(collect[1].command), /gunicorn/, 'a one-shot service: collectstatic alone, not before the app server');
  t.equal(deps[collect[0]]?.condition, 'service_completed_successfully', 'assetd waits for collectstatic to finish');
  const [appName, app] = Object.entries(compose.services).find(([, s]) => /gunicorn/.test(String(s.command)))!;
  const port = bindOf(app.command)!.split(':').pop();
  t.equal(assetd.environment?.ASSETD_UPSTREAM, `http://${appName}:${port}`, 'ASSETD_UPSTREAM is the app service at gunicorn\'s port');
  t.equal(assetd.environment?.ASSETD_WORKERS, 'auto');
  t.ok(assetd.cpus, 'a CPU limit for auto to follow');
});

t.test('no recipe comment says the proxy is still to be configured', async (t) => {
  for (const r of recipes) t.notMatch(r.body, /with the reverse proxy configured/i, r.name);
});
