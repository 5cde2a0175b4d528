/**
 * The processes of a bench run in general: ports, readiness, memory (VmRSS of a process and
 * its descendants), CPU time and shutdown. bench/starters.mjs starts the servers themselves.
 */
import { spawn } from 'node:child_process';
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

function readRss(p) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
  return m ? Number(m[1]) : null;
}

/** VmRSS in kB of pid plus all its descendants (nginx workers, cluster workers), or null. */
export function rssKb(pid) {
  return sumTree(pid, readRss);
}

/**
 * VmRSS in kB of each process of a tree: the process itself first (assetd's primary, nginx's
 * master), then its descendants in pid order; empty off Linux.
 */
export function rssByProcess(pid) {
  const [root, ...rest] = processTree(pid);
  const out = [];
  for (const p of root === undefined ? [] : [root, ...rest.sort((a, b) => a - b)]) {
    try {
      const kb = readRss(p);
      if (kb !== null) out.push({ pid: p, rssKb: kb });
    } catch {
      /* gone */
    }
  }
  return out;
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

/**
 * The URL on a 'listening on URL' line, whatever follows it ('listening on http://127.0.0.1:8080
 * (2 workers, primary pid 123)' when assetd runs workers); null when no such line is there yet.
 */
export function listeningUrl(text) {
  const m = /^.*listening on (http:\/\/[^\s()]+).*$/m.exec(text);
  return m ? { url: m[1], line: m[0].trim() } : null;
}

/**
 * Start a Node program and wait for "listening on URL" on its stderr. `env` is added to this
 * process's environment; `stdout` is a file descriptor for the child's stdout (default ignored).
 * @returns {Promise<{ child, pid: number, url: string, startLine: string, stderr: () => string }>}
 */
export function startListening(name, args, timeoutMs, { env, stdout } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', stdout ?? 'ignore', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    let err = '';
    let settled = false;
    const fail = (msg) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(msg));
    };
    const timer = setTimeout(() => fail(`${name} did not start within ${timeoutMs / 1000} s: ${err.trim().split('\n').pop() ?? ''}`), timeoutMs);
    child.stderr.on('data', (d) => {
      err += d;
      const l = listeningUrl(err);
      if (l && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, pid: child.pid, url: l.url, startLine: l.line, stderr: () => err });
      }
    });
    child.on('exit', (code, signal) => fail(`${name} exited with ${code ?? signal} before listening: ${err.trim().split('\n').pop() ?? ''}`));
    child.on('error', (e) => fail(`${name}: ${e.message}`));
  });
}
