/** Debian's gunicorn serving a Django project on a unix socket, for tests of assetd in front of a real app. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from './stack.js';

export const GUNICORN = '/usr/bin/gunicorn';
export const DJANGO = '/usr/lib/python3/dist-packages/django';

/** Why gunicorn and Django cannot run here, or undefined when they can. */
export function djangoSkipReason(): string | undefined {
  if (fs.existsSync(GUNICORN) && fs.existsSync(DJANGO)) return undefined;
  return `needs Debian's gunicorn and python3-django (${GUNICORN}, ${DJANGO}); .ci/run installs them`;
}

export interface Gunicorn {
  /** The unix socket it listens on (an upstream of `unix:${sock}`). */
  sock: string;
  /** What gunicorn wrote to stderr so far (start lines, tracebacks). */
  log(): string;
}

/** Start `gunicorn -w 1 -b unix:<dir>/app.sock --chdir <chdir> <wsgi>`; killed at teardown. */
export async function startGunicorn(t: { teardown(fn: () => unknown): void }, dir: string, chdir: string, wsgi: string): Promise<Gunicorn> {
  const sock = path.join(dir, 'app.sock');
  const proc = spawn(GUNICORN, ['-w', '1', '-b', `unix:${sock}`, '--chdir', chdir, wsgi], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  let log = '';
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  t.teardown(() => {
    proc.kill('SIGKILL');
  });
  await waitFor('gunicorn to listen', () => fs.existsSync(sock) || undefined, 20_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${log}`);
  });
  return { sock, log: () => log };
}
