/**
 * Command-line options of the bench suite (`npm run bench -- [options]`). Pure: argv in,
 * options out, or a BenchError with a one-line message.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

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
  --no-nginx             measure assetd alone
  --no-ceiling           skip the bare node:http server (the Node ceiling) in small-br, revalidate-304, not-found-404
  --peers                add WhiteNoise (gunicorn, 1 sync worker), sirv and @fastify/static to small-br
  --profile              run assetd under node --cpu-prof and print where its time goes
  --startup-sizes LIST   file counts of the startup benchmark (default 1000,10000,100000)
  --app-dir DIR          Django project proxied to in the proxy scenario (default ../shared/lab/django)
  --out DIR              results folder (default bench/results)
  --help                 this text`;

const OPTIONS = {
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
    for (const f of ['root', 'workers', 'no-nginx', 'no-ceiling', 'peers', 'profile', 'startup-sizes', 'app-dir']) {
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
    workers: values.workers !== undefined ? positiveInt(values.workers, 'workers', { max: 256 }) : null,
    nginx: !values['no-nginx'],
    ceiling: !values['no-ceiling'] && target === null,
    peers: Boolean(values.peers),
    profile: Boolean(values.profile),
    startupSizes,
    appDir: path.resolve(env.cwd, values['app-dir'] ?? path.resolve(env.repoRoot, '../shared/lab/django')),
    out: path.resolve(env.cwd, values.out ?? path.resolve(env.repoRoot, 'bench/results')),
  };
}
