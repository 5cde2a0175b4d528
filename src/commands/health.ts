/**
 * `assetd health [serve flags]`: resolve the configuration exactly as `serve` does (flags,
 * ASSETD_* variables, the config file) and ask the server's health path on its host and port.
 * Exit 0 only for a 200; 1 with one line otherwise; 2 for a bad configuration. `--pid N`
 * takes the serve flags from process N's command line (the container image's HEALTHCHECK
 * gives 1, so flags passed to `docker run` count).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { loadConfig, parseServeFlags, type Config } from '../config/index.js';
import { UserError } from '../errors.js';
import { logError } from '../log.js';

export const HEALTH_USAGE = `usage: assetd health [--pid N] [serve flags]

Asks GET <healthPath> of the server the same flags, ASSETD_* variables and config file
would start (assetd serve --help lists them), on its host and port; exit 0 for 200, 1 for
anything else (one line says what), 2 for a bad configuration. --pid N reads the serve
flags from the command line of process N instead (the image's HEALTHCHECK: --pid 1).`;

/** Milliseconds to wait for the answer (the image's HEALTHCHECK allows 3 s). */
const TIMEOUT_MS = 2000;

/** The arguments after `serve` in a NUL-separated /proc/N/cmdline (`node /usr/local/bin/assetd serve --port 9000`). */
export function serveArgsOf(cmdline: string): string[] | undefined {
  const argv = cmdline.split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  // the script is argv[1] under node; `serve` is the first argument after something named assetd
  const at = argv.findIndex((a, i) => a === 'serve' && i > 0 && /(^|\/)assetd(\.js)?$/.test(argv[i - 1]!));
  return at < 0 ? undefined : argv.slice(at + 1);
}

/** Where to ask: the listening host as a client reaches it (a wildcard is the loopback), the port, the path. */
export function probeTarget(config: Pick<Config, 'host' | 'port' | 'healthPath'>): { host: string; port: number; path: string; url: string } {
  if (config.healthPath === null) throw new UserError('health: the health path is off (healthPath null): nothing to ask; run the container with --no-healthcheck');
  if (config.port === 0) throw new UserError('health: port 0 picks a free port at startup: give the port the server listens on (--port, ASSETD_PORT)');
  const host = config.host === '0.0.0.0' || config.host === '' ? '127.0.0.1' : config.host === '::' || config.host === '[::]' ? '::1' : config.host.replace(/^\[(.*)\]$/, '$1');
  const shown = host.includes(':') ? `[${host}]` : host;
  return { host, port: config.port, path: config.healthPath, url: `http://${shown}:${config.port}${config.healthPath}` };
}

/** GET the health path: the status, or why there was none. */
function ask(target: { host: string; port: number; path: string }): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: target.host, port: target.port, path: target.path, agent: false, headers: { 'user-agent': 'assetd-health' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body.length < 4096 ? (body += d) : undefined));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`no answer within ${TIMEOUT_MS} ms`), { code: 'TIMEOUT' })));
    req.on('error', (e: Error) => resolve({ error: e.message }));
  });
}

function flagsOfPid(pid: string): { argv: string[]; cwd: string } {
  if (!/^\d+$/.test(pid)) throw new UserError(`health: --pid: expected a process id, got ${JSON.stringify(pid)}`);
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (e) {
    throw new UserError(`health: --pid ${pid}: cannot read its command line (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const argv = serveArgsOf(cmdline);
  if (argv === undefined) throw new UserError(`health: --pid ${pid}: not an assetd serve process (${cmdline.split('\0').join(' ').trim().slice(0, 80)})`);
  let cwd = process.cwd();
  try {
    cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    // another user's process: a relative --config resolves against ours
  }
  return { argv, cwd };
}

export async function health(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HEALTH_USAGE}\n`);
    return;
  }
  let args = argv;
  let cwd = process.cwd();
  const pidAt = argv.findIndex((a) => a === '--pid' || a.startsWith('--pid='));
  if (pidAt >= 0) {
    const pid = argv[pidAt]!.startsWith('--pid=') ? argv[pidAt]!.slice('--pid='.length) : argv[pidAt + 1];
    if (pid === undefined) throw new UserError('health: --pid: expected a process id');
    const rest = argv.filter((_, i) => i !== pidAt && (argv[pidAt]!.includes('=') || i !== pidAt + 1));
    const of = flagsOfPid(pid);
    // the process's own flags first, then any given here (which win)
    args = [...of.argv, ...rest];
    cwd = of.cwd;
  }
  const config = loadConfig(parseServeFlags(args, 'health'), process.env, path.resolve(cwd));
  const target = probeTarget(config);
  const r = await ask(target);
  if ('error' in r) {
    logError(`health: ${target.url}: ${r.error}`);
    process.exitCode = 1;
  } else if (r.status !== 200) {
    const status = /"status"\s*:\s*"([^"]+)"/.exec(r.body)?.[1];
    logError(`health: ${target.url} answered ${r.status}${status ? ` (${status})` : ''}`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`ok: ${target.url} answered 200\n`);
  }
}
