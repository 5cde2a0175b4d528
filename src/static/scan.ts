/**
 * Walk a root once: every regular file below it, with its stat, following symlinks
 * only where allowed. Dotfiles and dot-directories are skipped, and so is a symlink
 * whose target is one (`settings.txt -> .env`, `gitdir -> .git`). A symlink loop or a
 * broken link is counted and skipped, never followed forever.
 *
 * The walk uses synchronous calls on purpose: at startup nothing else is waiting, and
 * for many small files they are an order of magnitude faster than promise-based ones
 * (30,000 files: about 0.4 s against several seconds).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { hasHiddenSegment, isHidden } from '../http/index.js';

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
  /** Symlinks not followed: target outside the root (without followSymlinks), hidden, broken, or a loop. */
  symlinksSkipped: number;
  /** Entries that could not be read (permissions), skipped. */
  unreadable: number;
}

export interface ScanOptions {
  followSymlinks: boolean;
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Does a symlink's real target expose a hidden name? Inside the root: any segment of its
 * path below the root (`.env`, `.git/config`). Outside it (followSymlinks): its own name
 * only, since the folders above an outside target are not ours to judge (virtualenvs
 * commonly live in `.venv`); what is inside a followed folder gets the name rule as it is walked.
 */
export function hiddenTarget(realRoot: string, target: string): boolean {
  if (inside(realRoot, target)) return hasHiddenSegment(path.relative(realRoot, target));
  return isHidden(path.basename(target));
}

/** The real path of a root that must be a readable directory; a UserError otherwise. */
export function checkRoot(root: string): string {
  try {
    const real = fs.realpathSync(root);
    if (!fs.statSync(real).isDirectory()) throw new UserError(`${root}: root is not a directory`);
    fs.accessSync(real, fs.constants.R_OK | fs.constants.X_OK);
    return real;
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${root}: root ${code === 'ENOENT' ? 'does not exist' : `is not readable (${code ?? 'error'})`}`);
  }
}

export function scanRootSync(root: string, opts: ScanOptions): ScanResult {
  const realRoot = checkRoot(root);
  const result: ScanResult = { files: [], symlinksSkipped: 0, unreadable: 0 };

  // `chain` holds the real paths of the directories above, so a link back up is a loop.
  const walk = (dirAbs: string, rel: string, chain: Set<string>): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dirAbs, { withFileTypes: true });
    } catch {
      result.unreadable++;
      return;
    }
    for (const d of entries) {
      if (isHidden(d.name)) continue;
      const abs = path.join(dirAbs, d.name);
      const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isSymbolicLink()) {
        let target: string;
        let st: fs.Stats;
        try {
          target = fs.realpathSync(abs);
          st = fs.statSync(target);
        } catch {
          result.symlinksSkipped++; // broken, or a loop the OS refused (ELOOP)
          continue;
        }
        if ((!opts.followSymlinks && !inside(realRoot, target)) || hiddenTarget(realRoot, target)) {
          result.symlinksSkipped++;
          continue;
        }
        if (st.isDirectory()) {
          if (chain.has(target)) {
            result.symlinksSkipped++;
            continue;
          }
          walk(target, childRel, new Set(chain).add(target));
        } else if (st.isFile()) {
          result.files.push({ rel: childRel, abs: target, size: st.size, mtimeMs: st.mtimeMs });
        }
        continue;
      }
      if (d.isDirectory()) {
        walk(abs, childRel, new Set(chain).add(abs));
        continue;
      }
      if (!d.isFile()) continue;
      try {
        const st = fs.statSync(abs);
        result.files.push({ rel: childRel, abs, size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        result.unreadable++;
      }
    }
  };
  walk(realRoot, '', new Set([realRoot]));
  result.files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return result;
}

export async function scanRoot(root: string, opts: ScanOptions): Promise<ScanResult> {
  return scanRootSync(root, opts);
}
