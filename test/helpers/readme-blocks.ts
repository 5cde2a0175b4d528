/**
 * The README's shell and Python snippets, and how test/readme-snippets.test.ts runs them:
 * extracted from the fenced blocks, changed only by the substitutions listed in SUBSTITUTIONS,
 * and run with /bin/sh in a process group of their own (killed at teardown), bounded in time.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnGroup, waitForOutput } from './process-group.js';
import { cliPath, repoRoot } from './run.js';

type Tap = { teardown(fn: () => unknown): void };

export const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

export interface Block {
  lang: 'sh' | 'python';
  body: string;
  /** The block's first line without a trailing `# comment`: its key in the test's table. */
  key: string;
  /** Offset just past the closing fence. */
  end: number;
}

/** Every fenced ```sh and ```python block, in order. */
export function readmeBlocks(text = readme): Block[] {
  const blocks: Block[] = [];
  for (const m of text.matchAll(/^```(sh|python)\n([\s\S]*?)^```$/gm)) {
    const body = m[2]!;
    blocks.push({ lang: m[1] as Block['lang'], body, key: keyOf(body.split('\n')[0]!), end: m.index! + m[0].length });
  }
  return blocks;
}

/** A first line as a key: a trailing comment after a command is dropped, a line that is only a comment kept. */
export function keyOf(line: string): string {
  return /^\s*#/.test(line) ? line.trim() : line.replace(/\s+#\s.*$/, '').trim();
}

/** The first fenced block after offset `from` (any language): e.g. the output shown under a command. */
export function nextFence(from: number, text = readme): string | undefined {
  return /^```[a-z]*\n([\s\S]*?)^```$/m.exec(text.slice(from))?.[1];
}

/** The commands of a shell block: comments (whole lines and trailing `  # ...`) and blank lines dropped, `\` continuations joined. */
export function commands(body: string): string[] {
  return body
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The comment lines of a block that show program output (`# assetd: ...`), without the `# `. */
export function shownOutput(body: string): string[] {
  return body
    .split('\n')
    .filter((l) => l.startsWith('# assetd: '))
    .map((l) => l.slice(2));
}

/**
 * A regular expression for a whole output line as the README shows it: numbers stand for any
 * number, `(...)` for anything in parentheses, and the example path /srv/static/ for any folder.
 */
export function shownPattern(line: string): RegExp {
  const esc = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const general = esc.replace(/\\\(\\\.\\\.\\\.\\\)/g, '\\(.*\\)').replace(/\/srv\/static\//g, '\\S*/').replace(/\d+/g, '\\d+');
  return new RegExp(`^${general}$`);
}

/** What a snippet's placeholders stand for here. */
export interface Here {
  /** The temp dir the snippet runs in (its cwd), holding the fixtures it names (staticfiles/, dist/, media/...). */
  cwd: string;
  /** A free port for the app server, in place of 8000. */
  appPort?: number;
  /** The socket of a gunicorn the test started, in place of /run/gunicorn.sock. */
  sock?: string;
  /** The pid that ends the start line of the server the test started, in place of 4242. */
  pid?: number;
  /** The quick start's address, in place of http://127.0.0.1:8080 when 8080 was taken. */
  url?: string;
}

/**
 * Every change a snippet gets before it runs, and why. A placeholder with no value here is an
 * error (the snippet cannot run as it stands), except the quick start's address, kept when
 * port 8080 was free.
 */
export const SUBSTITUTIONS: { what: string; from: RegExp; to: (h: Here) => string | undefined; optional?: true }[] = [
  // `npm ci` puts no `assetd` on the PATH, and `npx assetd` outside the checkout would ask the registry
  { what: '`assetd` / `npx assetd` runs the checkout\'s CLI', from: /(^|[\s(;&|])(?:npx )?assetd(?=\s)/gm, to: () => `$1${process.execPath} ${cliPath}` },
  { what: 'a fixed port becomes a free one', from: /--port 8080\b/g, to: () => '--port 0' },
  { what: 'the tests never listen beyond the loopback interface', from: /ASSETD_HOST=0\.0\.0\.0/g, to: () => 'ASSETD_HOST=127.0.0.1' },
  { what: '/run/secrets is a folder of the temp dir', from: /\/run\/secrets/g, to: (h) => path.join(h.cwd, 'run-secrets') },
  { what: "the container's /app/ is the temp dir", from: /\/app\/staticfiles/g, to: (h) => path.join(h.cwd, 'staticfiles') },
  { what: "gunicorn's socket is the one the test started", from: /\/run\/gunicorn\.sock/g, to: (h) => h.sock },
  { what: "the app's port 8000 is a free one", from: /127\.0\.0\.1:8000\b/g, to: (h) => (h.appPort === undefined ? undefined : `127.0.0.1:${h.appPort}`) },
  // `python` may be missing or another Python; Debian's has python3-django
  { what: '`python` is Debian\'s /usr/bin/python3', from: /^python (?=manage\.py)/gm, to: () => '/usr/bin/python3 ' },
  { what: 'the example pid is the started server\'s', from: /\b4242\b/g, to: (h) => (h.pid === undefined ? undefined : String(h.pid)) },
  { what: 'the quick start\'s address, when 8080 was taken', from: /http:\/\/127\.0\.0\.1:8080\b/g, to: (h) => h.url, optional: true },
];

/** A snippet as it runs here: SUBSTITUTIONS applied, in order. */
export function forHere(text: string, h: Here): string {
  let out = text;
  for (const s of SUBSTITUTIONS) {
    s.from.lastIndex = 0;
    if (!s.from.test(out)) continue;
    const to = s.to(h);
    if (to === undefined) {
      if (s.optional) continue;
      throw new Error(`the snippet needs a value for: ${s.what}`);
    }
    out = out.replace(s.from, to);
  }
  return out;
}

/** The environment of a snippet: this one, minus npm's own variables, plus `extra`. */
export function snippetEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PYTHONDONTWRITEBYTECODE: '1' };
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && !k.startsWith('ASSETD_')) env[k] = v;
  return { ...env, ...extra };
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a script with /bin/sh -e to completion, its process group killed after `ms`. */
export function runSh(t: Tap, script: string, opts: { cwd: string; env: NodeJS.ProcessEnv; ms?: number }): Promise<Ran> {
  const proc = spawnGroup(t, '/bin/sh', ['-ec', script], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, opts.ms ?? 30_000);
  return new Promise((resolve) => {
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr + (code === null ? `\n(killed after ${opts.ms ?? 30_000} ms)` : '') });
    });
  });
}

export interface Serving {
  /** The start line. */
  line: string;
  url: string;
  /** The pid the start line ends with. */
  pid: number;
  stderr(): string;
  /** Kill the script's whole process group and wait for the script to exit. */
  stop(): Promise<void>;
}

/** Start a script that runs assetd serve in the background; resolves on assetd's start line. */
export async function startSh(t: Tap, script: string, opts: { cwd: string; env: NodeJS.ProcessEnv; ms?: number }): Promise<Serving> {
  const proc = spawnGroup(t, '/bin/sh', ['-c', script], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  // stdout (npm's banner, the access log) is read and dropped; stderr holds assetd's own lines
  let err = '';
  proc.stdout!.resume();
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const line = await waitForOutput(proc, /(assetd: serving [^\n]*listening on [^\n]*)\n/, `\`${script}\``, opts.ms ?? 20_000, () => err);
  const pid = /\((?:\d+ workers, primary )?pid (\d+)\)$/.exec(line)?.[1];
  if (!pid) throw new Error(`no pid at the end of the start line: ${line}`);
  return {
    line,
    url: /listening on (http:\/\/[^\s]+)/.exec(line)![1]!,
    pid: Number(pid),
    stderr: () => err,
    stop: async () => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

/** Whether nothing listens on 127.0.0.1:port right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port nothing listens on (as the OS hands one out; free when returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
