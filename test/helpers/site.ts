/**
 * A hostile-test site: a temp folder whose static root sits next to secret files, with a
 * dotfile, a dot-directory and symlinks inside the root that point out of it. The real
 * server is started in this process on 127.0.0.1, port 0, and closed in t.teardown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { resolveConfig } from '../../src/config/index.js';
import { startServer, type Running } from '../../src/runtime/start.js';
import { setQuiet } from '../../src/log.js';
import { laneEnv } from './lane.js';

/** The part of tap's Test these helpers use. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Site {
  dir: string;
  root: string;
  /** Every marker that must never appear in a response. */
  secrets: string[];
  /** Paths of files that hold a secret marker (outside the root, or hidden inside it). */
  secretFiles: string[];
  /** Size of the streamed (not in memory) file /static/big.bin. */
  bigSize: number;
}

export const BIG_SIZE = 8 * 1024 * 1024;

/** Bytes of big.bin: a repeating, position-dependent pattern, so a short or shifted body is detectable. */
export function bigContent(size = BIG_SIZE): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32BE(i >>> 0, i);
  return b;
}

export function makeSite(t: Teardown, opts: { bigSize?: number } = {}): Site {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-hostile-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const marker = (what: string) => `${what}-${randomBytes(8).toString('hex')}`;
  const secrets: string[] = [];
  const secretFiles: string[] = [];
  const secret = (file: string, what: string) => {
    const m = marker(what);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${m}\n`);
    secrets.push(m);
    secretFiles.push(file);
  };
  const root = path.join(dir, 'static');
  // next to the root: a plain secret, and a sibling whose name shares the root's prefix
  secret(path.join(dir, 'secret.txt'), 'SECRET');
  secret(path.join(dir, 'static-secret', 'key.txt'), 'SIBLING');
  // inside the root but hidden
  secret(path.join(root, '.env'), 'DOTENV');
  secret(path.join(root, '.git', 'config'), 'DOTGIT');
  secret(path.join(root, 'css', '.htpasswd'), 'HTPASSWD');
  // ordinary public files
  fs.mkdirSync(path.join(root, 'css'), { recursive: true });
  fs.writeFileSync(path.join(root, 'app.css'), 'body { color: black }\n');
  const css = Buffer.from('h1 { color: navy }\n'.repeat(50));
  fs.writeFileSync(path.join(root, 'css', 'site.css'), css);
  fs.writeFileSync(path.join(root, 'css', 'site.css.gz'), zlib.gzipSync(css));
  fs.writeFileSync(path.join(root, 'css', 'site.css.br'), zlib.brotliCompressSync(css));
  fs.mkdirSync(path.join(root, 'dir'));
  fs.writeFileSync(path.join(root, 'dir', 'index.html'), '<p>dir</p>\n');
  for (const name of ['日本', 'café', 'with space']) {
    fs.mkdirSync(path.join(root, name));
    fs.writeFileSync(path.join(root, name, 'index.html'), `<p>${name}</p>\n`);
  }
  const bigSize = opts.bigSize ?? BIG_SIZE;
  fs.writeFileSync(path.join(root, 'big.bin'), bigContent(bigSize));
  // symlinks out of the root: to the secret file, to the sibling folder, to the parent
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'link-secret.txt'));
  fs.symlinkSync('../static-secret', path.join(root, 'link-dir'));
  fs.symlinkSync('..', path.join(root, 'up'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'passwd'));
  secrets.push('root:x:0:0');
  return { dir, root, secrets, secretFiles, bigSize };
}

export interface Started extends Running {
  port: number;
}

/** Start the real server on the site (prefix /static/, index.html for directories). */
export async function startSite(t: Teardown, site: Site, flags: Record<string, string | boolean> = {}): Promise<Started> {
  setQuiet(true);
  const config = resolveConfig({
    flags: { host: '127.0.0.1', port: '0', root: site.root, index: 'index.html', 'memory-threshold': String(64 * 1024), ...flags },
    env: laneEnv(),
    cwd: site.dir,
  });
  const running = await startServer(config);
  t.teardown(async () => {
    running.server.server.closeAllConnections();
    await running.server.close();
  });
  return { ...running, port: Number(new URL(running.url).port) };
}

/** Collect the `assetd:` lines written to stderr until teardown (other output passes through). */
export function captureLog(t: Teardown): string[] {
  const lines: string[] = [];
  const original = process.stderr.write;
  process.stderr.write = function (chunk: unknown, ...rest: unknown[]): boolean {
    const s = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
    if (s.startsWith('assetd: ')) {
      for (const line of s.split('\n')) if (line !== '') lines.push(line);
      return true;
    }
    return (original as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  } as typeof process.stderr.write;
  t.teardown(() => {
    process.stderr.write = original;
  });
  return lines;
}
