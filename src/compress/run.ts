/**
 * `compress DIR`: walk the tree, clear temporaries left by an interrupted run, and make
 * the variants of every compressible file, several at once on libuv's thread pool.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { isCompressible, isLeftoverTemp } from './policy.js';
import { limiter } from './limiter.js';
import { compressFile, type FileOutcome } from './variant.js';

export interface CompressSummary {
  /** Compressible files looked at. */
  files: number;
  /** Their total size. */
  bytesBefore: number;
  /** Their total size when each is sent in its smallest kept form. */
  bytesAfter: number;
  written: number;
  fresh: number;
  removed: number;
  leftoversRemoved: number;
  seconds: number;
}

export interface CompressOptions {
  /** Files compressed at once, on libuv's thread pool (default: one per core); 0 means one at a time. */
  workers?: number;
  /** Called after each file with (done, total). */
  progress?: (done: number, total: number) => void;
  /** Files (relative to the folder, '/'-separated) to leave alone, such as a manifest that is never served. */
  skip?: (rel: string) => boolean;
}

/** Every regular file under `dir` (following symlinks to files), dot-entries left out; and leftover temporaries. */
async function walk(dir: string): Promise<{ files: string[]; leftovers: string[] }> {
  const files: string[] = [];
  const leftovers: string[] = [];
  async function visit(d: string): Promise<void> {
    const entries = await fs.readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const abs = path.join(d, e.name);
      if (e.name.startsWith('.')) {
        if (e.isFile() && isLeftoverTemp(e.name)) leftovers.push(abs);
        continue;
      }
      if (e.isDirectory()) await visit(abs);
      else if (e.isFile()) files.push(abs);
      else if (e.isSymbolicLink()) {
        const st = await fs.stat(abs).catch(() => undefined);
        if (st?.isFile()) files.push(abs);
      }
    }
  }
  await visit(dir);
  files.sort();
  return { files, leftovers };
}

export async function compressTree(dir: string, opts: CompressOptions = {}): Promise<CompressSummary> {
  const t0 = performance.now();
  let st;
  try {
    st = await fs.stat(dir);
  } catch (e) {
    throw new UserError(`${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`);
  }
  if (!st.isDirectory()) throw new UserError(`${dir}: not a directory`);
  const { files, leftovers } = await walk(dir);
  for (const f of leftovers) await fs.rm(f, { force: true });
  const todo = files.filter((f) => isCompressible(f) && !opts.skip?.(path.relative(dir, f).split(path.sep).join('/')));
  const summary: CompressSummary = {
    files: todo.length,
    bytesBefore: 0,
    bytesAfter: 0,
    written: 0,
    fresh: 0,
    removed: 0,
    leftoversRemoved: leftovers.length,
    seconds: 0,
  };
  if (todo.length > 0) {
    const atOnce = limiter(Math.max(1, Math.min(opts.workers ?? os.availableParallelism(), todo.length)));
    let done = 0;
    const add = (o: FileOutcome) => {
      summary.bytesBefore += o.size;
      const sizes = Object.values(o.variants).filter((v): v is number => v !== null);
      summary.bytesAfter += Math.min(o.size, ...sizes);
      summary.written += o.written;
      summary.fresh += o.fresh;
      summary.removed += o.removed;
      opts.progress?.(++done, todo.length);
    };
    const results = await Promise.allSettled(todo.map((f) => atOnce(() => compressFile(f)).then(add)));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed !== -1) {
      const n = results.filter((r) => r.status === 'rejected').length;
      const e = (results[failed] as PromiseRejectedResult).reason as NodeJS.ErrnoException;
      throw new UserError(`${todo[failed]}: cannot compress (${e.code ?? e.message})${n > 1 ? ` and ${n - 1} more file(s)` : ''}`);
    }
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

export function formatSummary(s: CompressSummary): string {
  const ratio = s.bytesBefore > 0 ? (s.bytesAfter / s.bytesBefore) * 100 : 100;
  return (
    `compressed ${s.files} files: ${s.bytesBefore} -> ${s.bytesAfter} bytes (${ratio.toFixed(1)}%), ` +
    `${s.written} variants written, ${s.fresh} up to date` +
    (s.removed > 0 ? `, ${s.removed} stale removed` : '') +
    (s.leftoversRemoved > 0 ? `, ${s.leftoversRemoved} interrupted temporaries cleared` : '') +
    `, ${s.seconds.toFixed(2)} s`
  );
}

/** A one-line progress bar redrawn in place on a terminal. */
export function progressBar(stream: NodeJS.WriteStream): ((done: number, total: number) => void) & { end(): void } {
  let last = 0;
  const draw = (done: number, total: number) => {
    const now = Date.now();
    if (done !== total && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = Math.round((done / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} files`);
  };
  return Object.assign(draw, { end: () => stream.write('\r\x1b[K') });
}
