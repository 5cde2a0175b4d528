/**
 * Open descriptors kept between requests, each re-checked at every request before it is
 * used. A file checked and opened once (a media upload after its path checks, a static file
 * over the memory threshold) keeps its descriptor here; the next request for it asks `take`,
 * which looks at the disk as it is at that moment with synchronous `lstat`/`stat` calls on
 * the path (metadata the kernel has in its caches: no thread-pool round trip) and hands the
 * descriptor out only when the path still names the very file opened, unchanged:
 *
 * - every folder recorded on the way (the root and each folder below it) is still that folder
 *   (same device and inode) and not a symlink;
 * - the path names the same device and inode, a regular file (a symlink, FIFO or folder in
 *   its place fails), with the same size, modification time and change time (a rewrite, a
 *   truncation, a chmod or chown all move the change time).
 *
 * Anything else (a changed identity, ENOENT, EACCES, any error) drops the entry and `take`
 * answers undefined: the caller then checks and opens afresh, exactly as without a cache, and
 * judges the file as it is now. A descriptor still being read by a response when its entry is
 * dropped is closed when that response lets go of it. Entries unused for `idleMs` are closed
 * by a timer that does not keep the process alive; at most `max` are kept (oldest dropped).
 */
import fs, { type Stats } from 'node:fs';

/** What the path must still show for a kept descriptor to be used. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** A folder on the way to the file, and the inode it was when the file was checked. */
export interface FolderIdentity {
  path: string;
  dev: number;
  ino: number;
}

export interface KeptOpen<T> {
  readonly key: string;
  /** The path re-checked at each request. */
  readonly file: string;
  readonly fd: number;
  readonly id: FileIdentity;
  readonly folders: readonly FolderIdentity[];
  /** What the owner keeps with the descriptor (media: its headers). */
  readonly data: T;
  /** Responses using the descriptor now. */
  refs: number;
  /** Dropped from the cache: closed when refs reaches 0. */
  dropped: boolean;
  /** When it was last handed out (Date.now()). */
  used: number;
  /** When the whole file was last read from it (respond/file.ts, sendFromFd); 0 if never. */
  readAt: number;
  readonly close: () => void;
}

/** The synchronous calls a re-check makes (tests replace them). */
export interface CheckFs {
  /** lstat, or stat when a symlink as the last component is allowed; undefined when there is no entry. */
  statFile(p: string): Stats | undefined;
  lstat(p: string): Stats | undefined;
}

export const NODE_CHECK_FS: CheckFs = {
  statFile: (p) => fs.lstatSync(p, { throwIfNoEntry: false }),
  lstat: (p) => fs.lstatSync(p, { throwIfNoEntry: false }),
};

/** statFile that follows a symlink as the last component (static trees may link to their files). */
export const FOLLOWING_CHECK_FS: CheckFs = {
  statFile: (p) => fs.statSync(p, { throwIfNoEntry: false }),
  lstat: (p) => fs.lstatSync(p, { throwIfNoEntry: false }),
};

export function identityOf(st: Stats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

/** The same file, unchanged. Pure. */
export function sameFile(st: Stats, id: FileIdentity): boolean {
  return st.isFile() && st.ino === id.ino && st.dev === id.dev && st.size === id.size && st.mtimeMs === id.mtimeMs && st.ctimeMs === id.ctimeMs;
}

export interface OpenCacheOptions {
  max: number;
  idleMs: number;
  io?: CheckFs;
}

export class OpenCache<T> {
  private readonly entries = new Map<string, KeptOpen<T>>();
  private timer: NodeJS.Timeout | undefined;
  readonly max: number;
  readonly idleMs: number;
  io: CheckFs;
  /** Counters, for tests and the curious: descriptors handed out from the cache, entries dropped by a re-check. */
  hits = 0;
  stale = 0;

  constructor(o: OpenCacheOptions) {
    this.max = o.max;
    this.idleMs = o.idleMs;
    this.io = o.io ?? NODE_CHECK_FS;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The kept descriptor for `key`, re-checked now; the caller must `release` it. */
  take(key: string): KeptOpen<T> | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (!this.holds(e)) {
      this.stale++;
      this.drop(e);
      return undefined;
    }
    e.refs++;
    e.used = Date.now();
    this.hits++;
    return e;
  }

  /** Whether the disk still shows what `e` was opened for. Synchronous; never throws. */
  holds(e: KeptOpen<T>): boolean {
    try {
      for (const d of e.folders) {
        const st = this.io.lstat(d.path);
        if (st === undefined || !st.isDirectory() || st.ino !== d.ino || st.dev !== d.dev) return false;
      }
      const st = this.io.statFile(e.file);
      return st !== undefined && sameFile(st, e.id);
    } catch {
      return false;
    }
  }

  /**
   * Keep a descriptor just checked and opened (the caller's own use counts as one ref), when
   * the disk still shows it; otherwise the caller keeps sole ownership and answers undefined.
   */
  keep(key: string, file: string, fd: number, id: FileIdentity, folders: FolderIdentity[], data: T, close: () => void): KeptOpen<T> | undefined {
    if (this.max <= 0) return undefined;
    const e: KeptOpen<T> = { key, file, fd, id, folders, data, refs: 1, dropped: false, used: Date.now(), readAt: 0, close };
    if (!this.holds(e)) return undefined;
    const old = this.entries.get(key);
    if (old !== undefined) this.drop(old);
    while (this.entries.size >= this.max) this.drop(this.entries.values().next().value!);
    this.entries.set(key, e);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), Math.max(50, this.idleMs / 2));
      this.timer.unref();
    }
    return e;
  }

  release(e: KeptOpen<T>): void {
    if (--e.refs === 0 && e.dropped) e.close();
  }

  /** Stop handing out `e` (closing it once no response uses it). */
  drop(e: KeptOpen<T>): void {
    if (e.dropped) return;
    e.dropped = true;
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    if (e.refs === 0) e.close();
    if (this.entries.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Close what has not been used for idleMs. */
  sweep(now = Date.now()): void {
    for (const e of [...this.entries.values()]) if (now - e.used >= this.idleMs) this.drop(e);
  }

  clear(): void {
    for (const e of [...this.entries.values()]) this.drop(e);
  }
}
