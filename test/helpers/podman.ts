/**
 * Podman for test/e2e/container.test.ts: a private configuration (runc, the ulimits root may
 * raise here, its own image store in a cache folder outside the checkout) and a local stand-in
 * for node:20-bookworm-slim (debootstrap --variant=minbase bookworm from the machine's Debian
 * mirror, this machine's node and npm, a `node` user with uid 1000, the CA bundle and npm's
 * cafile so `npm ci` reaches the registry), built once per node version and kept in the cache.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the stand-in's tarball and the private image store live between runs. */
export const CACHE = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'assetd-suite', 'container');
/** A plain environment for what runs in the stand-in's root (no NODE_OPTIONS of the test runner). */
const PLAIN_ENV: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };

/** The tag the Dockerfile's FROM names. */
export const BASE_TAG = 'docker.io/library/node:20-bookworm-slim';

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The limits this process (and so podman) may hand a container: the hard limits, nproc within pid_max. */
function ulimits(): { nofile: number; nproc: number } {
  const limits = fs.readFileSync('/proc/self/limits', 'utf8');
  const hard = (name: string) => {
    const m = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits);
    return m && m[1] !== 'unlimited' ? Number(m[1]) : 1 << 20;
  };
  let pidMax = 1 << 22;
  try {
    pidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
  } catch {
    // keep the kernel's largest
  }
  return { nofile: hard('Max open files'), nproc: Math.min(hard('Max processes'), pidMax) };
}

/** The environment that points podman at the private configuration (written here). */
export function podmanEnv(): NodeJS.ProcessEnv {
  fs.mkdirSync(CACHE, { recursive: true });
  const { nofile, nproc } = ulimits();
  const conf = path.join(CACHE, 'containers.conf');
  const storage = path.join(CACHE, 'storage.conf');
  const runRoot = path.join(os.tmpdir(), `assetd-suite-podman-run-${process.getuid?.() ?? 0}`);
  const write = (file: string, text: string) => {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
    fs.writeFileSync(`${file}.${process.pid}`, text);
    fs.renameSync(`${file}.${process.pid}`, file);
  };
  write(
    conf,
    [
      '[containers]',
      // podman's own default (1048576) is more than root may raise to here
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      '[engine]',
      // crun fails on a cgroup v1/v2 hybrid host; runc works
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'),
  );
  write(storage, ['[storage]', 'driver = "overlay"', `graphroot = "${path.join(CACHE, 'storage')}"`, `runroot = "${runRoot}"`, ''].join('\n'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ASSETD_') && !/^npm_/i.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage };
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a command to completion, killed after `ms`. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; ms?: number; cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.ms ?? 60_000);
    p.on('error', (e) => (stderr += String(e)));
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr + (code === null ? `\n(killed after ${opts.ms ?? 60_000} ms)` : ''), ms: performance.now() - t0 });
    });
  });
}

/** Why the container test cannot run here, or undefined when it can. */
export async function podmanSkipReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'podman with runc needs Linux';
  const missing = ['podman', 'runc', 'debootstrap', 'tar'].filter((c) => which(c) === undefined);
  if (missing.length > 0) return `not installed: ${missing.join(', ')} (Debian packages podman, runc, debootstrap)`;
  if (process.getuid?.() !== 0) return 'debootstrap and rootful podman need root';
  const info = await run('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { env: podmanEnv(), ms: 60_000 });
  if (info.code !== 0) return `podman cannot run here: ${info.stderr.trim().split('\n').pop()}`;
  return undefined;
}

/** The stand-in's cache key: what goes into it from this machine. */
export function standInKey(): string {
  const npm = execFileSync(process.execPath, [npmCli(), '--version'], { encoding: 'utf8', env: { ...PLAIN_ENV } }).trim();
  return `node-${process.version}-npm-${npm}-bookworm`;
}

function npmCli(): string {
  // npm's folder next to node's: /usr/lib/node_modules/npm for Debian's nodejs, ../lib/node_modules/npm otherwise
  const candidates = [path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm'), '/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm'];
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'bin/npm-cli.js')));
  if (!dir) throw new Error(`npm not found next to ${process.execPath}`);
  return path.join(dir, 'bin/npm-cli.js');
}

/** The Debian mirror apt uses here: the first `URIs:`/`deb` line of its sources that ends in /debian. */
function debianMirror(): string {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const f of files) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const m = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\b/m.exec(text);
    if (m) return m[1]!;
  }
  throw new Error(`no Debian mirror in ${files.join(' or ')}: debootstrap needs one`);
}

async function must(step: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; ms?: number } = {}): Promise<Ran> {
  const r = await run(cmd, args, { env: PLAIN_ENV, ...opts });
  if (r.code !== 0) throw new Error(`${step}: ${cmd} ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`);
  return r;
}

/** Build the stand-in's root file system as a tarball at `tar` (what `podman import` takes). */
async function buildStandInTar(tar: string, log: (line: string) => void): Promise<void> {
  const work = fs.mkdtempSync(path.join(CACHE, 'standin-'));
  const root = path.join(work, 'root');
  try {
    const mirror = debianMirror();
    log("debootstrap --variant=minbase bookworm from apt's Debian mirror (minutes, once per node version)");
    // the .deb files stay in the cache: a stand-in for the next node version downloads nothing
    fs.mkdirSync(path.join(CACHE, 'debs'), { recursive: true });
    await must('debootstrap', 'debootstrap', ['--variant=minbase', `--cache-dir=${path.join(CACHE, 'debs')}`, 'bookworm', root, mirror], { ms: 15 * 60_000 });
    fs.copyFileSync(process.execPath, path.join(root, 'usr/local/bin/node'));
    fs.chmodSync(path.join(root, 'usr/local/bin/node'), 0o755);
    fs.mkdirSync(path.join(root, 'usr/local/lib/node_modules'), { recursive: true });
    await must('copy npm', 'cp', ['-a', path.dirname(path.dirname(npmCli())), path.join(root, 'usr/local/lib/node_modules/npm')]);
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'usr/local/bin/npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(root, 'usr/local/bin/npx'));
    await must('node group', 'chroot', [root, 'groupadd', '--gid', '1000', 'node']);
    await must('node user', 'chroot', [root, 'useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node']);
    // the CA bundle this machine trusts (the registry may be reached through a proxy that signs with it)
    const ca = [process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE, '/etc/ssl/certs/ca-certificates.crt'].find((f) => f && fs.existsSync(f));
    const npmrc = [`registry=${execFileSync(process.execPath, [npmCli(), 'config', 'get', 'registry'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).trim()}`];
    if (ca) {
      fs.mkdirSync(path.join(root, 'etc/ssl/certs'), { recursive: true });
      fs.copyFileSync(ca, path.join(root, 'etc/ssl/certs/ca-certificates.crt'));
      npmrc.push('cafile=/etc/ssl/certs/ca-certificates.crt');
    }
    fs.mkdirSync(path.join(root, 'usr/local/etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'usr/local/etc/npmrc'), npmrc.join('\n') + '\n');
    // what the slim image leaves out
    for (const d of ['usr/share/doc', 'usr/share/man', 'usr/share/locale', 'var/lib/apt/lists', 'var/cache/apt/archives']) {
      const abs = path.join(root, d);
      for (const e of fs.existsSync(abs) ? fs.readdirSync(abs) : []) if (e !== 'partial' && e !== 'lock') fs.rmSync(path.join(abs, e), { recursive: true, force: true });
    }
    // (the test runner puts its loaders in NODE_OPTIONS of every child: not in there)
    await must('check node', 'chroot', [root, '/usr/bin/env', '-u', 'NODE_OPTIONS', '/usr/local/bin/node', '-e', 'process.exit(0)']);
    await must('tar', 'tar', ['-C', root, '-cf', `${tar}.${process.pid}`, '.'], { ms: 5 * 60_000 });
    fs.renameSync(`${tar}.${process.pid}`, tar);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Hold a lock file while `fn` runs (another suite run may be making the same stand-in). */
export async function locked<T>(file: string, fn: () => Promise<T>, waitMs: number): Promise<T> {
  const end = Date.now() + waitMs;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(file, 'utf8') || 0);
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        // gone
      }
      if (!alive) fs.rmSync(file, { force: true });
      else if (Date.now() > end) throw new Error(`${file}: held by pid ${holder} for too long`);
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/**
 * Make sure the private store has the stand-in tagged as node:20-bookworm-slim: imported
 * from the cached tarball, made first if there is none. Returns what it had to do.
 */
export async function ensureStandIn(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<{ built: boolean; imported: boolean; ms: number }> {
  const t0 = performance.now();
  const key = standInKey();
  const tag = `localhost/assetd-standin:${key}`;
  return locked(
    path.join(CACHE, 'standin.lock'),
    async () => {
      let built = false;
      let imported = false;
      if ((await run('podman', ['image', 'exists', tag], { env })).code !== 0) {
        const tar = path.join(CACHE, `base-${key}.tar`);
        if (!fs.existsSync(tar)) {
          await buildStandInTar(tar, log);
          built = true;
        }
        await must('podman import', 'podman', ['import', '--change', 'CMD ["node"]', '--change', 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', tar, tag], { env, ms: 5 * 60_000 });
        imported = true;
      }
      await must('podman tag', 'podman', ['tag', tag, BASE_TAG], { env });
      return { built, imported, ms: performance.now() - t0 };
    },
    20 * 60_000,
  );
}
