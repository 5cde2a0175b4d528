/**
 * The servers a bench run starts: assetd (in its variants), nginx, the Node ceiling, the apps
 * behind the proxy (gunicorn with the lab's Django project, bench/fast-app.mjs) and the peers.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startListening, stopChild, waitHttp, which } from './processes.mjs';

function assetdArgs(repoRoot, o) {
  const node = [];
  if (o.profileDir) node.push('--cpu-prof', '--cpu-prof-dir', o.profileDir);
  return [...node, path.join(repoRoot, 'bin/assetd.js'), 'serve', ...o.flags];
}

/**
 * Does this assetd build know `serve --flag`? An unknown flag is refused before anything
 * else with "Unknown option '--flag'"; a known one goes on (and fails on the missing root).
 */
export function assetdHasFlag(repoRoot, flag, sample) {
  const args = [path.join(repoRoot, 'bin/assetd.js'), 'serve', `--${flag}`, ...(sample === undefined ? [] : [sample]), '--root', '/nonexistent/assetd-flag-probe', '--port', '0'];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 10000 });
  return !`${r.stderr}`.includes(`'--${flag}'`);
}

/**
 * Start assetd and wait for its start line on stderr ('... N files indexed, ... X ms; listening on URL',
 * then ' (N workers, primary pid P)' with workers, once every worker listens). `o.env` is added to
 * the environment; `o.stdout`, a file descriptor, receives its stdout (the access log).
 * @param {{ flags: string[], profileDir?: string | null, timeoutMs: number, env?: Record<string, string>, stdout?: number }} o
 * @returns {Promise<{ child, pid: number, url: string, startLine: string, stderr: () => string }>}
 */
export function startAssetd(repoRoot, o) {
  return startListening('assetd', assetdArgs(repoRoot, o), o.timeoutMs, { env: o.env, stdout: o.stdout });
}

/**
 * The bare node:http server answering the given files from memory (bench/ceiling-server.mjs),
 * in `processes` processes (node:cluster, as assetd runs its workers).
 */
export function startCeiling(repoRoot, root, prefix, files, processes = 1) {
  return startListening('ceiling server', [path.join(repoRoot, 'bench/ceiling-server.mjs'), root, prefix, files.join(','), String(processes)], 30000);
}

/** The app of the proxy-keepalive scenario (bench/fast-app.mjs): one keep-alive node:http process. */
export function startFastApp(repoRoot) {
  return startListening('fast app', [path.join(repoRoot, 'bench/fast-app.mjs')], 30000);
}


/** The unprivileged user nginx runs as when the bench itself runs as root. */
function dropTo() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  return { uid: 65534, gid: 65534 }; // nobody:nogroup
}

function chownTree(dir, ids) {
  fs.chownSync(dir, ids.uid, ids.gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, ids);
    else fs.chownSync(p, ids.uid, ids.gid);
  }
}

export function nginxVersion() {
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return r.error ? null : `${r.stderr}`.trim().replace(/^nginx version:\s*(nginx\/)?/, '');
}

/**
 * Start nginx in the foreground with a generated config in runDir (as nobody when run as root).
 * @returns {Promise<{ child, pid: number, url: string }>}
 */
export async function startNginx(runDir, confText, port) {
  fs.mkdirSync(path.join(runDir, 'tmp'), { recursive: true });
  const conf = path.join(runDir, 'nginx.conf');
  fs.writeFileSync(conf, confText);
  const ids = dropTo();
  if (ids) chownTree(runDir, ids);
  const args = ['-e', path.join(runDir, 'error.log'), '-p', runDir + '/', '-c', conf];
  const test = spawnSync('nginx', ['-t', '-q', ...args], { encoding: 'utf8', ...(ids ?? {}) });
  if (test.status !== 0) throw new Error(`nginx -t: ${`${test.stderr}`.trim().split('\n')[0]}`);
  const child = spawn('nginx', args, { stdio: ['ignore', 'ignore', 'pipe'], ...(ids ?? {}) });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  if (!(await waitHttp(url + '/', 10000, () => child.exitCode === null))) {
    await stopChild(child);
    throw new Error(`nginx did not start: ${err.trim() || fs.readFileSync(path.join(runDir, 'error.log'), 'utf8').trim().split('\n').pop()}`);
  }
  return { child, pid: child.pid, url };
}

/** The Django app behind the proxy: gunicorn, 2 sync workers (or `workers`), Debian's python3. */
export async function startApp(appDir, port, { workers = 2 } = {}) {
  const gunicorn = which('gunicorn');
  if (!gunicorn) throw new Error('gunicorn is not installed (apt-get install gunicorn python3-django)');
  if (!fs.existsSync(path.join(appDir, 'manage.py'))) throw new Error(`no Django project at ${appDir} (give --app-dir)`);
  const mod = fs.readdirSync(appDir).find((d) => fs.existsSync(path.join(appDir, d, 'wsgi.py')));
  if (!mod) throw new Error(`no */wsgi.py under ${appDir}`);
  const child = spawn(gunicorn, ['-w', String(workers), '-b', `127.0.0.1:${port}`, '--chdir', appDir, `${mod}.wsgi`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  if (!(await waitHttp(url + '/', 20000, () => child.exitCode === null))) {
    await stopChild(child);
    throw new Error(`gunicorn did not start: ${err.trim().split('\n').pop()}`);
  }
  return { child, pid: child.pid, url };
}

/** The bench's peers (--peers) that are Node programs: name -> script under bench/. */
export const NODE_PEERS = { sirv: 'bench/peer-sirv.mjs', 'fastify-static': 'bench/peer-fastify.mjs' };

/** A Node peer serving root at prefix (bench/peer-*.mjs), once it prints "listening on URL". */
export function startNodePeer(repoRoot, name, root, prefix) {
  return startListening(name, [path.join(repoRoot, NODE_PEERS[name]), root, prefix], 30000);
}

/**
 * Lines appended to the copied Django settings of the WhiteNoise peer: the bench's
 * Cache-Control rule for every file WhiteNoise serves (its own gives hashed names 10 years).
 */
export const WHITENOISE_SETTINGS = `
# --- bench peer: the Cache-Control rule of the other servers ---
import re as _bench_re
_BENCH_HASHED = _bench_re.compile(r'\\.[0-9a-f]{12}\\.[^/.]+$')
def _bench_cache_control(headers, path, url):
    headers['Cache-Control'] = 'public, max-age=31536000, immutable' if _BENCH_HASHED.search(url) else 'public, max-age=60'
WHITENOISE_ADD_HEADERS_FUNCTION = _bench_cache_control
`;

/**
 * A copy of the lab's Django project in dir whose STATIC_ROOT (`staticfiles`) is a symlink to
 * the corpus, so WhiteNoise serves the same tree with its .br/.gz; returns dir.
 */
export function whitenoiseProject(appDir, corpus, dir) {
  fs.cpSync(appDir, dir, { recursive: true });
  fs.chmodSync(dir, 0o755); // the lab's copy is read-only
  const mod = fs.readdirSync(dir).find((d) => fs.existsSync(path.join(dir, d, 'settings.py')));
  if (!mod) throw new Error(`no */settings.py under ${appDir}`);
  fs.chmodSync(path.join(dir, mod), 0o755);
  fs.rmSync(path.join(dir, 'staticfiles'), { force: true, recursive: true });
  fs.symlinkSync(corpus, path.join(dir, 'staticfiles'));
  fs.chmodSync(path.join(dir, mod, 'settings.py'), 0o644);
  fs.appendFileSync(path.join(dir, mod, 'settings.py'), WHITENOISE_SETTINGS);
  return dir;
}
