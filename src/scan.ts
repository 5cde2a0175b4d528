/**
 * Walk a root once: every regular file below it, with its stat, following symlinks
 * only where allowed. Dotfiles and dot-directories are skipped. A symlink loop or a
 * broken link is counted and skipped, never followed forever.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from './errors.js';
import { isHidden } from './paths.js';

export interface ScannedFile {
  /** Path relative to the root, '/'-separated. */
  rel: string;
  /** Absolute path to open (through the link, if any). */
  abs: string;
  size: number;
  mtimeMs: number;
}

export interface ScanResult {
  files: ScannedFile[];
  /** Symlinks not followed: target outside the root (without followSymlinks), broken, or a loop. */
  symlinksSkipped: number;
  /** Entries that could not be read (permissions), skipped. */
  unreadable: number;
}

export interface ScanOptions {
  followSymlinks: boolean;
  /** How many filesystem calls may be in flight at once. */
  concurrency?: number;
}

/** Run at most `limit` async jobs at once. */
export function limiter(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await job();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

export async function scanRoot(root: string, opts: ScanOptions): Promise<ScanResult> {
  let realRoot: string;
  try {
    realRoot = await fs.realpath(root);
    const st = await fs.stat(realRoot);
    if (!st.isDirectory()) throw new UserError(`${root}: root is not a directory`);
    await fs.access(realRoot, fs.constants.R_OK | fs.constants.X_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${root}: root ${code === 'ENOENT' ? 'does not exist' : `is not readable (${code ?? 'error'})`}`);
  }
  const run = limiter(opts.concurrency ?? 64);
  const result: ScanResult = { files: [], symlinksSkipped: 0, unreadable: 0 };

  // `chain` holds the real paths of the directories above, so a link back up is a loop.
  async function walk(dirAbs: string, rel: string, chain: Set<string>): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await run(() => fs.readdir(dirAbs, { withFileTypes: true }));
    } catch {
      result.unreadable++;
      return;
    }
    await Promise.all(
      entries.map(async (d) => {
        if (isHidden(d.name)) return;
        const abs = path.join(dirAbs, d.name);
        const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
        if (d.isSymbolicLink()) {
          let target: string;
          let st: import('node:fs').Stats;
          try {
            target = await run(() => fs.realpath(abs));
            st = await run(() => fs.stat(target));
          } catch {
            result.symlinksSkipped++; // broken, or a loop the OS refused (ELOOP)
            return;
          }
          if (!opts.followSymlinks && !inside(realRoot, target)) {
            result.symlinksSkipped++;
            return;
          }
          if (st.isDirectory()) {
            if (chain.has(target)) {
              result.symlinksSkipped++;
              return;
            }
            await walk(target, childRel, new Set(chain).add(target));
          } else if (st.isFile()) {
            result.files.push({ rel: childRel, abs: target, size: st.size, mtimeMs: st.mtimeMs });
          }
          return;
        }
        if (d.isDirectory()) {
          await walk(abs, childRel, new Set(chain).add(abs));
          return;
        }
        if (!d.isFile()) return;
        try {
          const st = await run(() => fs.stat(abs));
          result.files.push({ rel: childRel, abs, size: st.size, mtimeMs: st.mtimeMs });
        } catch {
          result.unreadable++;
        }
      }),
    );
  }
  await walk(realRoot, '', new Set([realRoot]));
  result.files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return result;
}
