/** Start the real `assetd` CLI as a child process and talk HTTP to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath = path.join(repoRoot, 'bin/assetd.js');
export const corpusRoot = path.resolve(repoRoot, '../shared/corpus/django-admin');

export interface Started {
  proc: ChildProcess;
  url: string;
  port: number;
  stderr: () => string;
  stdout: () => string;
  stop: () => Promise<void>;
}

/** Run `assetd <args>` and wait for its start line; rejects with stderr if it exits first. */
export function startAssetd(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; wrapper?: string[] } = {}): Promise<Started> {
  return new Promise((resolve, reject) => {
    // `wrapper`: a command that execs the server, e.g. setpriv to run it as another user
    const [command, ...rest] = [...(opts.wrapper ?? []), process.execPath, cliPath, ...args];
    const proc = spawn(command, rest, {
      cwd: opts.cwd ?? repoRoot,
      // one process unless a test asks for workers: quicker to start, and its pid is the server
      env: { ASSETD_WORKERS: '1', ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`assetd did not start within ${opts.timeoutMs ?? 15000} ms: ${err}`));
    }, opts.timeoutMs ?? 15000);
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        const url = m[1];
        resolve({
          proc,
          url,
          port: Number(new URL(url).port),
          stderr: () => err,
          stdout: () => out,
          stop: () =>
            new Promise((r) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return r();
              proc.once('exit', () => r());
              proc.kill('SIGKILL');
            }),
        });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`assetd exited with ${code}: ${err}`), { code, stderr: err }));
    });
  });
}

/** Run `assetd <args>` to completion: exit code and output. */
export function runAssetd(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [cliPath, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ASSETD_WORKERS: '1', ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 15000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request (no automatic decompression), body collected. */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; path?: string; agent?: http.Agent | false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path ?? u.pathname + u.search, headers: opts.headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(15000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Wait until `check()` holds (output from a child arrives on its own schedule), at most `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
