/**
 * Media mounts: user uploads, served as untrusted files. Nothing is indexed; every request
 * resolves its path and opens the file, asynchronously. The file that is opened must be,
 * by real path, a regular file inside the mount's real root with no hidden segment, and the
 * same inode as the one at that real path: a symlink planted in the upload folder, or a
 * path swapped between the check and the open, can never serve a file from outside.
 * The bytes then stream from that open descriptor, so memory stays flat whatever the size.
 */
import fs from 'node:fs/promises';
import fsSync, { constants as FS } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { checkMediaRoots, type Config, type MediaMount } from './config.js';
import { evaluateRequest, ifRangeHolds } from './conditional.js';
import { UserError } from './errors.js';
import { logError } from './log.js';
import { mediaHeaders, type MediaHeaders } from './media-headers.js';
import { hasHiddenSegment } from './paths.js';
import { parseRange } from './range.js';
import { canned, METHOD_NOT_ALLOWED, NOT_FOUND, PRECONDITION_FAILED, SERVER_ERROR, sendCanned } from './send.js';
import { verify } from './sign.js';
import { withOverrides, type HeaderOverrides } from './static.js';

/** A media mount ready to serve: its config and the real path of its root. */
export interface MediaRuntime {
  config: MediaMount;
  prefix: string;
  realRoot: string;
}

/** A media file found and opened for one request. Serve it or release it. */
export interface ResolvedMedia {
  mount: MediaRuntime;
  urlPath: string;
  /** Real path of the opened file. */
  file: string;
  /** Base name, for Content-Type and Content-Disposition. */
  name: string;
  handle: FileHandle;
  headers: MediaHeaders;
  size: number;
}

export const FORBIDDEN = canned(403, 'Forbidden', ['Cache-Control', 'no-store']);
const RANGE_NOT_SATISFIABLE_TEXT = Buffer.from('Range Not Satisfiable\n');
const HIGH_WATER_MARK = 128 * 1024;
/** O_NONBLOCK: opening a FIFO planted in the folder returns at once instead of hanging a thread. */
const OPEN_FLAGS = FS.O_RDONLY | (FS.O_NONBLOCK ?? 0);

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
    out.push({ config: m, prefix: m.prefix, realRoot });
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

/** Linux names the file behind every open descriptor in /proc/self/fd. */
const PROC_FD = fsSync.existsSync('/proc/self/fd');

/**
 * The real path of the file that was opened. On Linux the kernel says it in one call, for
 * the open descriptor itself, so no path can be swapped between the check and the open.
 * Elsewhere: realpath of the name, then a stat proving the file there is the one opened.
 * Null when they differ.
 */
async function realPathOf(handle: FileHandle, abs: string, opened: { ino: number; dev: number }): Promise<string | null> {
  if (PROC_FD) {
    const link = await fs.readlink(`/proc/self/fd/${handle.fd}`);
    // a file removed after it was opened reads as "... (deleted)"; it is still the file opened
    return link.endsWith(' (deleted)') ? link.slice(0, -' (deleted)'.length) : link;
  }
  const real = await fs.realpath(abs);
  const atReal = await fs.stat(real);
  return atReal.ino === opened.ino && atReal.dev === opened.dev ? real : null;
}

/**
 * Find and open the file for a URL path under the mount's prefix (decoded and normalised,
 * as `requestPath` gives it). Null when there is nothing servable there: missing, a
 * folder (no listings), hidden, not a regular file, or outside the root by real path.
 * The caller must pass a non-null result to `serveMediaFile` or `releaseMedia`.
 */
export async function resolveMedia(mount: MediaRuntime, urlPath: string): Promise<ResolvedMedia | null> {
  if (!urlPath.startsWith(mount.prefix)) return null;
  const rel = urlPath.slice(mount.prefix.length);
  if (!plainRelative(rel)) return null;
  const abs = path.join(mount.realRoot, rel);
  let handle: FileHandle;
  try {
    handle = await fs.open(abs, OPEN_FLAGS);
  } catch {
    return null;
  }
  const refuse = async (): Promise<null> => {
    await handle.close().catch(() => {});
    return null;
  };
  try {
    const st = await handle.stat();
    if (!st.isFile()) return await refuse();
    const real = await realPathOf(handle, abs, st);
    const root = mount.realRoot;
    if (real === null || !isInside(real, root) || hasHiddenSegment(real.slice(root.length + (root.endsWith('/') ? 0 : 1)))) return await refuse();
    const name = path.basename(rel);
    return { mount, urlPath, file: real, name, handle, headers: mediaHeaders(mount.config, name, st), size: st.size };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') logError(`${abs}: cannot check (${code ?? (e as Error).message})`);
    return await refuse();
  }
}

/** Close a resolved file that will not be served. */
export function releaseMedia(r: ResolvedMedia): void {
  r.handle.close().catch(() => {});
}

/**
 * Answer GET or HEAD with a resolved media file: conditionals, a single range, or the
 * whole file, streamed from the open descriptor. Always closes the file. Returns the status.
 * `overrides` (from an X-Accel-Redirect answer) replace headers of the same name.
 */
export function serveMediaFile(req: IncomingMessage, res: ServerResponse, r: ResolvedMedia, overrides?: HeaderOverrides): number {
  const method = req.method;
  const h = req.headers;
  const mh = r.headers;
  if (method !== 'GET' && method !== 'HEAD') {
    releaseMedia(r);
    sendCanned(req, res, METHOD_NOT_ALLOWED);
    return 405;
  }
  const outcome = evaluateRequest(h, mh.etag, mh.lastModified);
  if (outcome !== 200) {
    releaseMedia(r);
    if (outcome === 304) {
      res.writeHead(304, withOverrides(mh.h304, overrides));
      res.end();
    } else {
      sendCanned(req, res, PRECONDITION_FAILED);
    }
    return outcome;
  }
  if (h.range !== undefined && method === 'GET' && ifRangeHolds(h['if-range'] as string | undefined, mh.etag, mh.lastModifiedHttp)) {
    const range = parseRange(h.range, r.size);
    if (range.kind === 'unsatisfiable') {
      releaseMedia(r);
      res.writeHead(416, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(RANGE_NOT_SATISFIABLE_TEXT.length), 'Content-Range', `bytes */${r.size}`, 'X-Content-Type-Options', 'nosniff']);
      res.end(RANGE_NOT_SATISFIABLE_TEXT);
      return 416;
    }
    if (range.kind === 'single') {
      const hs = withOverrides(mh.h206, overrides).concat('Content-Range', `bytes ${range.start}-${range.end}/${r.size}`, 'Content-Length', String(range.end - range.start + 1));
      stream(req, res, r, 206, hs, range.start, range.end);
      return 206;
    }
  }
  stream(req, res, r, 200, withOverrides(mh.h200, overrides), 0, r.size - 1);
  return 200;
}

/** Write the headers and bytes [start, end] from the open file, with backpressure. */
function stream(req: IncomingMessage, res: ServerResponse, r: ResolvedMedia, status: number, headers: string[], start: number, end: number): void {
  if (res.destroyed) {
    releaseMedia(r);
    return;
  }
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || end < start) {
    releaseMedia(r);
    res.end();
    return;
  }
  const expected = end - start + 1;
  const rs = r.handle.createReadStream({ start, end, highWaterMark: HIGH_WATER_MARK, autoClose: true });
  rs.pipe(res, { end: false });
  rs.once('end', () => {
    if (rs.bytesRead === expected) {
      res.end();
    } else {
      // truncated while we read it: the promised Content-Length cannot be kept, so cut the connection
      logError(`${r.file}: shrank while being sent (${rs.bytesRead} of ${expected} bytes); connection closed`);
      res.destroy();
    }
  });
  rs.once('error', (e: NodeJS.ErrnoException) => {
    logError(`${r.file}: read failed mid-response (${e.code ?? e.message}); connection closed`);
    res.destroy();
  });
  res.once('close', () => {
    if (!rs.destroyed) rs.destroy();
  });
}

/**
 * A direct request under a media prefix. Internal mounts answer 404; signed mounts check
 * the link (403) before touching the filesystem, so an unsigned request learns nothing
 * about which files exist.
 */
export async function handleMedia(req: IncomingMessage, res: ServerResponse, mount: MediaRuntime, urlPath: string, now: () => number = () => Math.floor(Date.now() / 1000)): Promise<number> {
  const m = mount.config;
  if (m.internal) {
    sendCanned(req, res, NOT_FOUND);
    return 404;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendCanned(req, res, METHOD_NOT_ALLOWED);
    return 405;
  }
  if (m.signed) {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if (verify(m.signed.secret, urlPath, q === -1 ? '' : url.slice(q + 1), now()) !== 'ok') {
      sendCanned(req, res, FORBIDDEN);
      return 403;
    }
  }
  let r: ResolvedMedia | null;
  try {
    r = await resolveMedia(mount, urlPath);
  } catch (e) {
    logError(`${urlPath}: ${(e as Error).message}`);
    if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
    return 500;
  }
  if (r === null) {
    if (!res.destroyed) sendCanned(req, res, NOT_FOUND);
    return 404;
  }
  return serveMediaFile(req, res, r);
}
