/**
 * Gathering the files of one or more source folders, as Django's finders do: the first
 * folder that has a name wins, the others are reported as clashes. Sources are trusted:
 * symlinks are followed and their targets read as files. Dot-names, editor backups
 * (`*~`) and CVS folders are left out.
 */
import path from 'node:path';
import { scanRoot, type ScannedFile } from '../static/index.js';

export interface SourceFile {
  /** Name relative to the source folder (and to the output), '/'-separated. */
  name: string;
  /** Absolute file to read (through any symlink). */
  abs: string;
  size: number;
  /** The source folder it came from. */
  source: string;
}

export interface Clash {
  name: string;
  /** The folder whose file was used. */
  kept: string;
  /** The folder whose file was ignored. */
  ignored: string;
}

export interface Gathered {
  files: SourceFile[];
  clashes: Clash[];
  symlinksSkipped: number;
}

function ignored(rel: string): boolean {
  return rel.split('/').some((seg) => seg === 'CVS' || seg.endsWith('~'));
}

export async function gatherSources(sources: string[], cwd = process.cwd()): Promise<Gathered> {
  const byName = new Map<string, SourceFile>();
  const clashes: Clash[] = [];
  let symlinksSkipped = 0;
  for (const s of sources) {
    const root = path.resolve(cwd, s);
    const scan = await scanRoot(root, { followSymlinks: true });
    symlinksSkipped += scan.symlinksSkipped;
    for (const f of scan.files as ScannedFile[]) {
      if (ignored(f.rel)) continue;
      const prev = byName.get(f.rel);
      if (prev) {
        clashes.push({ name: f.rel, kept: prev.source, ignored: s });
        continue;
      }
      byName.set(f.rel, { name: f.rel, abs: f.abs, size: f.size, source: s });
    }
  }
  const files = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files, clashes, symlinksSkipped };
}
