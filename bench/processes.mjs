/**
 * The processes a bench run starts: assetd, nginx, the app server (gunicorn); their ports,
 * readiness, memory (VmRSS of the process and its descendants) and shutdown.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const f = path.join(dir, cmd);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      /* next */
    }
  }
  return null;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Any HTTP answer from url within the time limit. */
export async function waitHttp(url, timeoutMs, alive = () => true) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive()) return false;
    const ok = await new Promise((resolve) => {
      const req = http.get(url, { timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => {
        req.destroy();
        resolve(false);
      });
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

function ppidMap() {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* gone */
    }
  }
  return children;
}

/** A process and all its descendants (nginx's workers, assetd's), as pids; empty off Linux. */
function processTree(pid) {
  if (!pid || !fs.existsSync('/proc/self/status')) return [];
  const children = ppidMap();
  const out = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Sum `read(pid)` over a process tree; null when no process could be read. */
function sumTree(pid, read) {
  let total = 0;
  let seen = 0;
  for (const p of processTree(pid)) {
    try {
      const v = read(p);
      if (v !== null) {
        total += v;
        seen++;
      }
    } catch {
      /* gone */
    }
  }
  return seen > 0 ? total : null;
}

/** VmRSS in kB of pid plus all its descendants (nginx workers, cluster workers), or null. */
export function rssKb(pid) {
  return sumTree(pid, (p) => {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  });
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on Linux). */
export const CLK_TCK = 100;

/**
 * CPU time (user + system, in clock ticks) of a process and its children, or null off Linux.
 * Read before and after a measurement, it gives the server's CPU cost per request: a figure
 * that other load on a shared machine disturbs far less than requests per second.
 */
export function cpuTicks(pid) {
  return sumTree(pid, (p) => {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    // the fields after the command name (which may hold spaces and parentheses)
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime and stime, fields 14 and 15
  });
}

/** Stop a child: SIGTERM (nginx: fast shutdown), SIGKILL after the grace time. */
export async function stopChild(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(t);
}

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
 * Start assetd and wait for its start line on stderr ('... N files indexed, ... X ms; listening on URL').
 * @returns {Promise<{ child, pid: number, url: string, startLine: string, stderr: () => string }>}
 */
export function startAssetd(repoRoot, o) {
  return startListening('assetd', assetdArgs(repoRoot, o), o.timeoutMs);
}

/** The bare node:http server answering the given files from memory (bench/ceiling-server.mjs). */
export function startCeiling(repoRoot, root, prefix, files) {
  return startListening('ceiling server', [path.join(repoRoot, 'bench/ceiling-server.mjs'), root, prefix, files.join(',')], 30000);
}

/** Start a Node program and wait for "listening on URL" on its stderr. */
function startListening(name, args, timeoutMs) {
  const o = { timeoutMs };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let settled = false;
    const fail = (msg) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(msg));
    };
    const timer = setTimeout(() => fail(`${name} did not start within ${o.timeoutMs / 1000} s: ${err.trim().split('\n').pop() ?? ''}`), o.timeoutMs);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /^.*listening on (http:\/\/\S+)\s*$/m.exec(err);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, pid: child.pid, url: m[1], startLine: m[0].trim(), stderr: () => err });
      }
    });
    child.on('exit', (code, signal) => fail(`${name} exited with ${code ?? signal} before listening: ${err.trim().split('\n').pop() ?? ''}`));
    child.on('error', (e) => fail(`${name}: ${e.message}`));
  });
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
