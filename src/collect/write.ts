/**
 * Writing the collected tree: each file under its original name and its hashed name, and
 * the manifest. A file whose bytes are already there is left untouched (so its time stamp,
 * and the compressed variants made from it, stay valid); others are written through a
 * temporary name and a rename.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeAtomic } from '../compress/index.js';

export interface WriteStats {
  written: number;
  unchanged: number;
}

async function sameBytes(file: string, data: Buffer): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile() || st.size !== data.length) return false;
    return (await fs.readFile(file)).equals(data);
  } catch {
    return false;
  }
}

export async function writeIfChanged(outDir: string, name: string, data: Buffer, stats: WriteStats): Promise<void> {
  const target = path.join(outDir, ...name.split('/'));
  if (await sameBytes(target, data)) {
    stats.unchanged++;
    return;
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  // a symlink left by an earlier copy must not be written through
  await fs.rm(target, { force: true });
  await writeAtomic(target, data);
  stats.written++;
}
