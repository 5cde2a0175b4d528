/**
 * Make the variants of one file: for each coding whose variant is missing or older than
 * the source, compress the source, and keep the result only when it is worth it. Each
 * variant is written under a temporary dot-name and renamed into place, so a reader (or
 * the server) sees the old complete variant or the new complete one, never a part.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CODECS } from './codecs.js';
import { isFresh, tempName, worthKeeping } from './policy.js';

export interface FileOutcome {
  file: string;
  size: number;
  /** Per coding suffix: the kept variant's size, or null when none is kept. */
  variants: Record<string, number | null>;
  /** Variants written by this run. */
  written: number;
  /** Variants found up to date and left alone. */
  fresh: number;
  /** Stale variants removed because the new one was not worth keeping. */
  removed: number;
}

async function mtimeOf(file: string): Promise<{ mtimeMs: number; size: number } | undefined> {
  try {
    const st = await fs.stat(file);
    return st.isFile() ? { mtimeMs: st.mtimeMs, size: st.size } : undefined;
  } catch {
    return undefined;
  }
}

let counter = 0;

/** Write `data` to `target` through a temporary sibling and a rename. */
export async function writeAtomic(target: string, data: Buffer): Promise<void> {
  const tmp = path.join(path.dirname(target), tempName(path.basename(target), `${process.pid}-${counter++}`));
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

export async function compressFile(file: string): Promise<FileOutcome> {
  const src = await fs.stat(file);
  const out: FileOutcome = { file, size: src.size, variants: {}, written: 0, fresh: 0, removed: 0 };
  const todo: (typeof CODECS)[number][] = [];
  for (const codec of CODECS) {
    const v = await mtimeOf(file + codec.suffix);
    if (isFresh(src.mtimeMs, v?.mtimeMs)) {
      out.variants[codec.suffix] = v!.size;
      out.fresh++;
    } else {
      todo.push(codec);
    }
  }
  if (todo.length === 0) return out;
  const data = await fs.readFile(file);
  out.size = data.length;
  for (const codec of todo) {
    const target = file + codec.suffix;
    const encoded = await codec.encode(data);
    if (worthKeeping(data.length, encoded.length)) {
      await writeAtomic(target, encoded);
      out.variants[codec.suffix] = encoded.length;
      out.written++;
    } else {
      out.variants[codec.suffix] = null;
      // a variant of an older source would be served with stale content
      try {
        await fs.rm(target);
        out.removed++;
      } catch {
        /* none there */
      }
    }
  }
  return out;
}
