/**
 * Command-line options of the bench suite (`npm run bench -- [options]`). Pure: argv in,
 * options out, or a BenchError with a one-line message.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_TAG, VARIANTS } from './variants.mjs';

export class BenchError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BenchError';
  }
}

/** Every scenario, in the order a run measures them. */
export const SCENARIOS = [
  'small-br',
  'large-gzip',
  'revalidate-304',
  'not-found-404',
  'page-load',
  'keepalive-1000',
  'large-stream',
  'media',
  'proxy',
  'proxy-keepalive',
  'page-load-proxy',
  'startup',
];

/** Scenarios that make sense against a deployment named by --target (no local servers). */
export const TARGET_SCENARIOS = ['small-br', 'large-gzip', 'revalidate-304', 'not-found-404', 'page-load', 'keepalive-1000'];

export const USAGE = `usage: npm run bench -- [options]

Starts assetd (and nginx, configured the same way, when installed) on a corpus and load-tests
both, alternating them round by round; prints the ratio assetd/nginx per scenario and writes
JSON under bench/results/.

  --root DIR             corpus to serve (default ../shared/corpus/django-admin)
  --prefix /static/      URL prefix of the corpus (default /static/)
  --target URL           load-test a running deployment instead (URL of its static prefix)
  --manifest FILE        staticfiles.json naming the URLs to request (required with --target)
  --scenario A,B         only these scenarios (${SCENARIOS.join(', ')})
  --duration S           seconds per measurement (default 5)
  --warmup S             seconds of warm-up per server and scenario, not recorded (default 1)
  --rounds N             measurements per server and scenario, alternated A B A B (default 2)
  --connections N        concurrent connections (default 50; keepalive-1000 uses 1000)
  --threads N            wrk threads (default 2)
  --loadgen wrk|autocannon   load generator (default wrk when installed, else autocannon)
  --workers N            pass --workers N to assetd; nginx gets as many worker processes (default 1)
  --process-counts LIST  run every scenario with each count of processes in turn, e.g. 1,2: assetd
                         --workers N and nginx worker_processes N (default 1; not with --workers)
  --assetd-variants LIST assetd configurations side by side, e.g. default,node (built in: ${Object.keys(VARIANTS).join(', ')}; default: default)
  --assetd-variant SPEC  define a variant and add it: name=NAME,env=KEY=VALUE,flag=--serve-flag (env= and
                         flag= repeat; each flag= is one argument, e.g. flag=--memory-threshold=0)
  --access-log off|on|both   assetd and nginx with the access log off (default), on (combined format,
                         to a file under the run's temporary folder), or both side by side
  --no-nginx             measure assetd alone
  --no-ceiling           skip the bare node:http server (the Node ceiling) in small-br, revalidate-304, not-found-404
  --peers                add WhiteNoise (gunicorn, 1 sync worker), sirv and @fastify/static to small-br
  --profile              run assetd under node --cpu-prof and print where its time goes
  --startup-sizes LIST   file counts of the startup benchmark (default 1000,10000,100000)
  --app-dir DIR          Django project proxied to in the proxy scenario (default ../shared/lab/django)
  --media-file FILE      the upload served in the media scenario (default: a generated 150 KiB JPEG)
  --out DIR              results folder (default bench/results)
  --help                 this text`;

export const OPTIONS = {
  root: { type: 'string' },
  prefix: { type: 'string' },
  target: { type: 'string' },
  manifest: { type: 'string' },
  scenario: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  rounds: { type: 'string' },
  connections: { type: 'string' },
  threads: { type: 'string' },
  loadgen: { type: 'string' },
  workers: { type: 'string' },
  'process-counts': { type: 'string' },
  'assetd-variants': { type: 'string' },
  'assetd-variant': { type: 'string', multiple: true },
  'access-log': { type: 'string' },
  'media-file': { type: 'string' },
  'no-nginx': { type: 'boolean' },
  'no-ceiling': { type: 'boolean' },
  peers: { type: 'boolean' },
  profile: { type: 'boolean' },
  'startup-sizes': { type: 'string' },
  'app-dir': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean' },
};

function positiveInt(v, flag, { min = 1, max = 1_000_000 } = {}) {
  if (!/^\d+$/.test(String(v).trim())) throw new BenchError(`--${flag}: expected a whole number, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new BenchError(`--${flag}: expected a number from ${min} to ${max}, got ${n}`);
  return n;
}

function seconds(v, flag, min) {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(String(v).trim()) || !Number.isFinite(n) || n < min || n > 3600) {
    throw new BenchError(`--${flag}: expected seconds from ${min} to 3600, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** A comma-separated list of non-empty items. */
function list(v, flag) {
  const items = v.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) throw new BenchError(`--${flag}: expected a comma-separated list, got ${JSON.stringify(v)}`);
  return items;
}

const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One --assetd-variant: `name=NAME,env=KEY=VALUE,flag=--serve-flag`, env= and flag= repeated
 * as needed. Values cannot hold a comma.
 * @returns {{ name: string, env: Record<string, string>, flags: string[] }}
 */
export function parseVariantSpec(spec) {
  const bad = (why) => new BenchError(`--assetd-variant ${JSON.stringify(spec)}: ${why}`);
  const v = { name: null, env: {}, flags: [] };
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad(`expected name=…, env=KEY=VALUE or flag=--…, got ${JSON.stringify(part)}`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1);
    if (key === 'name') {
      if (v.name !== null) throw bad('name= given twice');
      v.name = value.trim();
    } else if (key === 'env') {
      const e = value.indexOf('=');
      const k = e < 0 ? value : value.slice(0, e);
      if (e < 0 || !ENV_NAME.test(k)) throw bad(`env= expects KEY=VALUE with a variable name, got ${JSON.stringify(value)}`);
      v.env[k] = value.slice(e + 1);
    } else if (key === 'flag') {
      // each flag= is one argument: a flag, or the value of the flag before it
      if (v.flags.length === 0 && !/^--[a-z]/.test(value)) throw bad(`flag= expects an assetd serve flag such as --memory-threshold=0, got ${JSON.stringify(value)}`);
      v.flags.push(value);
    } else {
      throw bad(`unknown key ${JSON.stringify(key)} (name, env, flag)`);
    }
  }
  if (v.name === null) throw bad('missing name=');
  if (!VARIANT_NAME.test(v.name)) throw bad(`a name is letters, digits, '.', '_' or '-' (up to 32), got ${JSON.stringify(v.name)}`);
  if (v.name === LOG_TAG) throw bad(`"${LOG_TAG}" names the access log (--access-log); choose another name`);
  if (v.name === 'default') throw bad('"default" is assetd as the bench starts it; choose another name');
  return v;
}

/** The variants of a run: those --assetd-variants names, then those --assetd-variant adds. */
function parseVariants(names, specs) {
  const defined = { ...VARIANTS };
  const order = names === undefined ? ['default'] : list(names, 'assetd-variants');
  if (new Set(order).size !== order.length) throw new BenchError(`--assetd-variants: a variant is named twice in ${JSON.stringify(names)}`);
  const own = new Set();
  for (const v of specs.map(parseVariantSpec)) {
    if (own.has(v.name)) throw new BenchError(`--assetd-variant: "${v.name}" is defined twice`);
    own.add(v.name);
    defined[v.name] = v;
    if (!order.includes(v.name)) order.push(v.name);
  }
  for (const n of order) {
    if (!(n in defined)) throw new BenchError(`--assetd-variants: unknown variant "${n}" (built in: ${Object.keys(VARIANTS).join(', ')}; define others with --assetd-variant name=${n},env=…)`);
  }
  return order.map((n) => ({ name: n, env: { ...defined[n].env }, flags: [...defined[n].flags] }));
}

/**
 * @param {string[]} argv
 * @param {{ repoRoot: string, cwd: string, wrkInstalled: boolean }} env
 */
export function parseBenchArgs(argv, env) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (e) {
    throw new BenchError(e.message.split('\n')[0]);
  }
  if (values.help) return { help: true };

  const target = values.target ?? null;
  if (target !== null) {
    let u;
    try {
      u = new URL(target);
    } catch {
      throw new BenchError(`--target: not a URL: ${JSON.stringify(target)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BenchError(`--target: expected an http:// or https:// URL, got ${JSON.stringify(target)}`);
    if (!values.manifest) throw new BenchError('--target needs --manifest FILE (the staticfiles.json listing the URLs to request)');
    for (const f of ['root', 'workers', 'process-counts', 'assetd-variants', 'assetd-variant', 'access-log', 'media-file', 'no-nginx', 'no-ceiling', 'peers', 'profile', 'startup-sizes', 'app-dir']) {
      if (values[f] !== undefined) throw new BenchError(`--${f} has no meaning with --target (nothing is started locally)`);
    }
  }

  const allowed = target ? TARGET_SCENARIOS : SCENARIOS;
  let scenarios = allowed;
  if (values.scenario !== undefined) {
    const asked = values.scenario.split(',').map((s) => s.trim()).filter(Boolean);
    if (asked.length === 0) throw new BenchError('--scenario: expected a comma-separated list of scenario names');
    for (const s of asked) {
      if (!SCENARIOS.includes(s)) throw new BenchError(`--scenario: unknown scenario "${s}" (known: ${SCENARIOS.join(', ')})`);
      if (!allowed.includes(s)) throw new BenchError(`--scenario: "${s}" cannot run against --target (possible: ${TARGET_SCENARIOS.join(', ')})`);
    }
    scenarios = allowed.filter((s) => asked.includes(s));
  }

  if (values.peers && !scenarios.includes('small-br')) {
    throw new BenchError('--peers: only small-br has peers, and --scenario leaves it out');
  }

  let prefix = values.prefix ?? '/static/';
  if (!prefix.startsWith('/')) throw new BenchError(`--prefix: expected a URL path starting with "/", got ${JSON.stringify(prefix)}`);
  if (!prefix.endsWith('/')) prefix += '/';

  const loadgen = values.loadgen ?? (env.wrkInstalled ? 'wrk' : 'autocannon');
  if (loadgen !== 'wrk' && loadgen !== 'autocannon') throw new BenchError(`--loadgen: expected wrk or autocannon, got ${JSON.stringify(loadgen)}`);
  if (loadgen === 'wrk' && !env.wrkInstalled) throw new BenchError('--loadgen wrk: wrk is not installed (apt-get install wrk), or use --loadgen autocannon');

  let startupSizes = [1000, 10000, 100000];
  if (values['startup-sizes'] !== undefined) {
    startupSizes = values['startup-sizes'].split(',').map((s) => positiveInt(s, 'startup-sizes', { min: 1, max: 1_000_000 }));
  }

  const workers = values.workers !== undefined ? positiveInt(values.workers, 'workers', { max: 256 }) : null;
  let processCounts = [workers ?? 1];
  if (values['process-counts'] !== undefined) {
    if (workers !== null) throw new BenchError('--process-counts and --workers: give one of them (--workers N is --process-counts N)');
    processCounts = list(values['process-counts'], 'process-counts').map((s) => positiveInt(s, 'process-counts', { max: 256 }));
    if (new Set(processCounts).size !== processCounts.length) throw new BenchError(`--process-counts: a count is repeated in ${JSON.stringify(values['process-counts'])}`);
  }
  if (values.profile && (processCounts.length !== 1 || processCounts[0] !== 1)) {
    throw new BenchError('--profile: the profile is of one process; use it with one process (the default), without --workers or --process-counts');
  }

  const accessLog = values['access-log'] ?? 'off';
  if (!['off', 'on', 'both'].includes(accessLog)) throw new BenchError(`--access-log: expected off, on or both, got ${JSON.stringify(accessLog)}`);

  if (values['media-file'] !== undefined && !scenarios.includes('media')) throw new BenchError('--media-file: only the media scenario serves it, and --scenario leaves it out');

  return {
    help: false,
    target,
    manifest: values.manifest ? path.resolve(env.cwd, values.manifest) : null,
    root: path.resolve(env.cwd, values.root ?? path.resolve(env.repoRoot, '../shared/corpus/django-admin')),
    rootGiven: values.root !== undefined,
    prefix,
    scenarios,
    duration: values.duration !== undefined ? seconds(values.duration, 'duration', 1) : 5,
    warmup: values.warmup !== undefined ? seconds(values.warmup, 'warmup', 0) : 1,
    rounds: values.rounds !== undefined ? positiveInt(values.rounds, 'rounds', { max: 100 }) : 2,
    connections: values.connections !== undefined ? positiveInt(values.connections, 'connections', { max: 10000 }) : 50,
    threads: values.threads !== undefined ? positiveInt(values.threads, 'threads', { max: 64 }) : 2,
    loadgen,
    workers,
    processCounts,
    variants: parseVariants(values['assetd-variants'], values['assetd-variant'] ?? []),
    accessLog,
    mediaFile: values['media-file'] !== undefined ? path.resolve(env.cwd, values['media-file']) : null,
    nginx: !values['no-nginx'],
    ceiling: !values['no-ceiling'] && target === null,
    peers: Boolean(values.peers),
    profile: Boolean(values.profile),
    startupSizes,
    appDir: path.resolve(env.cwd, values['app-dir'] ?? path.resolve(env.repoRoot, '../shared/lab/django')),
    out: path.resolve(env.cwd, values.out ?? path.resolve(env.repoRoot, 'bench/results')),
  };
}
