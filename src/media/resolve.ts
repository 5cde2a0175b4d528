/**
 * Media mounts: user uploads, served as untrusted files. Nothing is indexed; every request
 * resolves its path and opens the file, asynchronously. The path is checked before anything
 * is opened: its real path must lie inside the mount's real root with no hidden segment and
 * name a regular file, so a symlink planted in the upload folder never makes the server open
 * a file, FIFO or device elsewhere. That real path is then opened without following a final
 * symlink, and the open descriptor must be the very file checked (device and inode): a path
 * swapped between the check and the open is never served. The bytes then stream from that
 * descriptor (answer.ts), so memory stays flat whatever the size.
 *
 * A file whose path has no symlink on it keeps its descriptor in the mount's OpenCache
 * (respond/open-cache.ts) after those checks; the next request for it is answered from that
 * descriptor only when synchronous lstat calls show, at that moment, the same folders on the
 * way and the same file (device, inode, size, modification and change time), not a symlink,
 * FIFO or folder. Otherwise the entry is dropped and the request checks and opens afresh.
 */
import fs from 'node:fs/promises';
import { constants as FS, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { checkMediaRoots, type Config, type MediaMount } from '../config/index.js';
import { UserError } from '../errors.js';
import { mediaHeaders, type MediaHeaders } from './headers.js';
import { hasHiddenSegment, rawHeaders, type RawHeaders } from '../http/index.js';
import { identityOf, OpenCache, type FolderIdentity, type KeptOpen, type ReadMemo } from '../respond/index.js';

/** The file system calls a media request makes (tests replace them to inject EMFILE, EIO...). */
export interface MediaFs {
  realpath(p: string): Promise<string>;
  lstat(p: string): Promise<Stats>;
  open(p: string, flags: number): Promise<FileHandle>;
}

export const NODE_MEDIA_FS: MediaFs = {
  realpath: (p) => fs.realpath(p),
  lstat: (p) => fs.lstat(p),
  open: (p, flags) => fs.open(p, flags),
};

/** What a kept descriptor carries: the upload's headers, as lists and checked text. */
export interface MediaKept {
  name: string;
  headers: MediaHeaders;
  raw200: RawHeaders;
  raw304: RawHeaders;
}

/** Descriptors kept per mount, and how long an unused one stays open. */
export const MEDIA_OPEN_CACHE = { max: 1000, idleMs: 5000 };

/** A media mount ready to serve: its config, the real path of its root, the calls it uses and its kept descriptors. */
export interface MediaRuntime {
  config: MediaMount;
  prefix: string;
  realRoot: string;
  io: MediaFs;
  cache: OpenCache<MediaKept>;
}

/** A media file that exists but cannot be read (EACCES, EMFILE, EIO...): the server's fault, answered 500. */
export class MediaError extends Error {
  override name = 'MediaError';
}

/** A media file found and opened for one request. Serve it or release it. */
export interface ResolvedMedia {
  mount: MediaRuntime;
  urlPath: string;
  /** Real path of the opened file. */
  file: string;
  /** Base name, for Content-Type and Content-Disposition. */
  name: string;
  /** The open descriptor, read with positional reads (it may be shared with other responses). */
  fd: number;
  headers: MediaHeaders;
  /** The same headers checked once and ready to write, when they come from the cache. */
  raw200?: RawHeaders;
  raw304?: RawHeaders;
  size: number;
  /** For a kept descriptor: when the whole file was last read from it (respond/file.ts sendFromFd). */
  memo?: ReadMemo;
  /** Let go of the descriptor (closes it unless the cache keeps it). Call once. */
  release: () => void;
}

/**
 * O_NOFOLLOW: a final component swapped for a symlink after the check fails (ELOOP) instead of
 * being followed; O_NONBLOCK: should a FIFO be swapped in all the same, the open returns at once.
 */
const OPEN_FLAGS = FS.O_RDONLY | (FS.O_NOFOLLOW ?? 0) | (FS.O_NONBLOCK ?? 0);
/** Errors that mean nothing servable is there: answered 404. Any other error is a 500. */
const NOT_THERE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

/**
 * Check the media roots at startup: each exists and is a folder, and by real path none
 * is, is inside, or contains a static root (or another media root).
 */
export async function prepareMedia(config: Config): Promise<MediaRuntime[]> {
  const out: MediaRuntime[] = [];
  for (const [i, m] of config.media.entries()) {
    let realRoot: string;
    try {
      realRoot = await fs.realpath(m.root);
      if (!(await fs.stat(realRoot)).isDirectory()) throw new UserError(`media[${i}].root ${m.root} is not a folder`);
    } catch (e) {
      if (e instanceof UserError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(`media[${i}].root ${m.root} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`);
    }
    out.push({ config: m, prefix: m.prefix, realRoot, io: NODE_MEDIA_FS, cache: new OpenCache<MediaKept>(MEDIA_OPEN_CACHE) });
  }
  const staticReal: string[] = [];
  for (const s of config.static) staticReal.push(await fs.realpath(s.root).catch(() => s.root));
  checkMediaRoots(staticReal, out.map((m) => m.realRoot));
  return out;
}

function isInside(child: string, root: string): boolean {
  return child.length > root.length && child.startsWith(root) && (root.endsWith('/') || child.charCodeAt(root.length) === 47);
}

/** A relative request path that can be joined to a root: plain segments only. */
function plainRelative(rel: string): boolean {
  if (rel === '' || rel.endsWith('/') || rel.includes('\0') || rel.includes('\\')) return false;
  for (const s of rel.split('/')) if (s === '' || s === '.' || s === '..') return false;
  return !hasHiddenSegment(rel);
}

/** The real path and stat of a servable file at `abs`, checked without opening anything; null when there is none. */
async function check(mount: MediaRuntime, abs: string): Promise<{ real: string; st: Stats } | null> {
  const root = mount.realRoot;
  const real = await mount.io.realpath(abs);
  if (!isInside(real, root) || hasHiddenSegment(real.slice(root.length + (root.endsWith('/') ? 0 : 1)))) return null;
  const st = await mount.io.lstat(real);
  return st.isFile() ? { real, st } : null;
}

function failure(what: string, file: string, e: unknown): MediaError | null {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== undefined && NOT_THERE.has(code)) return null;
  return new MediaError(`${file}: cannot ${what} (${code ?? (e as Error).message})`);
}

/** The part of a URL path below the mount's prefix, when it is one that can be joined to the root. */
function relativeOf(mount: MediaRuntime, urlPath: string): string | null {
  if (!urlPath.startsWith(mount.prefix)) return null;
  const rel = urlPath.slice(mount.prefix.length);
  return plainRelative(rel) ? rel : null;
}

function fromKept(mount: MediaRuntime, urlPath: string, k: KeptOpen<MediaKept>): ResolvedMedia {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    mount.cache.release(k);
  };
  const d = k.data;
  return { mount, urlPath, file: k.file, name: d.name, fd: k.fd, headers: d.headers, raw200: d.raw200, raw304: d.raw304, size: k.id.size, memo: k, release };
}

/**
 * The file for a URL path from the mount's kept descriptors, re-checked now (synchronous
 * lstat calls, no thread-pool round trip); null when none is kept or the disk no longer shows
 * the file it was opened for, and `resolveMedia` must check and open afresh.
 */
export function resolveKeptMedia(mount: MediaRuntime, urlPath: string): ResolvedMedia | null {
  if (mount.cache.size === 0) return null;
  const k = mount.cache.take(urlPath);
  return k === undefined ? null : fromKept(mount, urlPath, k);
}

/** The folders from the real root down to the file's folder, as they are now; null when one is not a plain folder. */
function foldersOf(mount: MediaRuntime, rel: string): FolderIdentity[] | null {
  const out: FolderIdentity[] = [];
  let p = mount.realRoot;
  const segs = rel.split('/');
  for (let i = 0; ; i++) {
    const st = mount.cache.io.lstat(p);
    if (st === undefined || !st.isDirectory()) return null;
    out.push({ path: p, dev: st.dev, ino: st.ino });
    if (i === segs.length - 1) return out;
    p = path.join(p, segs[i]);
  }
}

/**
 * Keep a file just checked and opened at `abs` (its own real path: no symlink on the way)
 * for the next requests; null when it cannot be kept and the caller closes it after use.
 */
function keep(mount: MediaRuntime, urlPath: string, rel: string, abs: string, handle: FileHandle, st: Stats, name: string, headers: MediaHeaders): ResolvedMedia | null {
  if (mount.cache.max <= 0) return null;
  let kept: KeptOpen<MediaKept> | undefined;
  try {
    const folders = foldersOf(mount, rel);
    if (folders === null) return null;
    const data: MediaKept = { name, headers, raw200: rawHeaders(headers.h200), raw304: rawHeaders(headers.h304) };
    kept = mount.cache.keep(urlPath, abs, handle.fd, identityOf(st), folders, data, () => void handle.close().catch(() => {}));
  } catch {
    return null;
  }
  return kept === undefined ? null : fromKept(mount, urlPath, kept);
}

/**
 * Find and open the file for a URL path under the mount's prefix (decoded and normalised,
 * as `requestPath` gives it). Null when there is nothing servable there: missing, a
 * folder (no listings), hidden, not a regular file, or outside the root by real path.
 * Throws a MediaError when the file is there but cannot be checked or opened (EACCES,
 * EMFILE, EIO...). The caller must pass a non-null result to `serveMediaFile` or `releaseMedia`.
 * A descriptor kept from an earlier request is used when the disk still shows its file.
 */
export async function resolveMedia(mount: MediaRuntime, urlPath: string): Promise<ResolvedMedia | null> {
  const rel = relativeOf(mount, urlPath);
  if (rel === null) return null;
  const kept = resolveKeptMedia(mount, urlPath);
  if (kept !== null) return kept;
  const abs = path.join(mount.realRoot, rel);
  // Twice at most: an upload replaced by rename between the check and the open is checked again.
  for (let attempt = 0; attempt < 2; attempt++) {
    let checked: { real: string; st: Stats } | null;
    try {
      checked = await check(mount, abs);
    } catch (e) {
      const err = failure('check', abs, e);
      if (err) throw err;
      return null;
    }
    if (checked === null) return null;
    let handle: FileHandle;
    try {
      handle = await mount.io.open(checked.real, OPEN_FLAGS);
    } catch (e) {
      const err = failure('open', checked.real, e);
      if (err) throw err;
      return null;
    }
    let st: Stats;
    try {
      st = await handle.stat();
    } catch (e) {
      await handle.close().catch(() => {});
      throw failure('check', checked.real, e) ?? new MediaError(`${checked.real}: cannot check`);
    }
    if (st.isFile() && st.ino === checked.st.ino && st.dev === checked.st.dev) {
      const name = path.basename(rel);
      const headers = mediaHeaders(mount.config, name, st);
      if (checked.real === abs) {
        const r = keep(mount, urlPath, rel, abs, handle, st, name, headers);
        if (r !== null) return r;
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        handle.close().catch(() => {});
      };
      return { mount, urlPath, file: checked.real, name, fd: handle.fd, headers, size: st.size, release };
    }
    await handle.close().catch(() => {});
  }
  return null;
}

/** Let go of a resolved file: closed, or back to the mount's kept descriptors. */
export function releaseMedia(r: ResolvedMedia): void {
  r.release();
}
