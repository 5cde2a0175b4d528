/**
 * The one responder for a file: writes what http/file-answer.ts decided, whatever the file
 * (a static one held in memory or streamed from its path, a media upload streamed from the
 * descriptor its check opened, either behind an X-Accel-Redirect). What differs between them
 * is passed in as a Sender: how a 304 head and the bytes of a representation go out, and
 * what to release when no bytes are sent. Like WhiteNoise's responders and pillarjs send.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { FileAnswer } from '../http/index.js';
import { writeHeadRaw, type RawHeaders } from '../http/index.js';
import { logError } from '../log.js';
import { FOLLOWING_CHECK_FS, identityOf, OpenCache } from './open-cache.js';
import { METHOD_NOT_ALLOWED, NOT_ACCEPTABLE, NOT_FOUND, SERVER_ERROR, sendCanned, sendPreconditionFailed, sendRangeNotSatisfiable } from './send.js';

/** The source-specific half of an answer. `C` is what the sender needs of this request. */
export interface Sender<R, C> {
  /** Write the 304 head of `rep`. */
  notModified(req: IncomingMessage, res: ServerResponse, rep: R, ctx: C): void;
  /** Write a 200 (all of `rep`) or a 206 (bytes [start, end] of `rep`). */
  bytes(req: IncomingMessage, res: ServerResponse, status: 200 | 206, rep: R, start: number, end: number, ctx: C): void;
  /** The answer sends no bytes of the file: let go of what was opened for it. */
  release(ctx: C): void;
}

/** Answer `a` for a file; returns the status. */
export function respondFile<R extends { size: number }, C>(req: IncomingMessage, res: ServerResponse, a: FileAnswer<R>, varies: boolean, s: Sender<R, C>, ctx: C): number {
  switch (a.status) {
    case 200:
      s.bytes(req, res, 200, a.rep, 0, a.rep.size - 1, ctx);
      return 200;
    case 206:
      s.bytes(req, res, 206, a.rep, a.start, a.end, ctx);
      return 206;
    case 304:
      s.release(ctx);
      s.notModified(req, res, a.rep, ctx);
      return 304;
  }
  s.release(ctx);
  if (a.status === 416) sendRangeNotSatisfiable(req, res, a.size, varies);
  else if (a.status === 412) sendPreconditionFailed(req, res, varies);
  else sendCanned(req, res, a.status === 405 ? METHOD_NOT_ALLOWED : NOT_ACCEPTABLE);
  return a.status;
}

/** Where a streamed body comes from, for the log lines: the file and its whole size. */
export interface StreamLabel {
  file: string;
  size: number;
  /** Added to a log line about the file changing while sent (static: "reload to re-index"). */
  hint?: string;
}

const HIGH_WATER_MARK = 128 * 1024;

/**
 * Bodies up to this many bytes are read with one read into one buffer and written with their
 * head in one write; larger ones stream in HIGH_WATER_MARK chunks with backpressure.
 */
export const ONE_READ_MAX = 256 * 1024;

/** The calls a stream over a descriptor it does not own makes: reads, and a close that leaves the descriptor to its owner. */
const BORROWED_FD = { open: fs.open, read: fs.read, close: (_fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => cb(null) };

/** When the whole file was last read from a kept descriptor (Date.now(); 0 if never). */
export interface ReadMemo {
  readAt: number;
}

/** A whole small file read again within this many milliseconds of the last read is read synchronously. */
export const WARM_MS = 1000;

/** A head: a list for writeHead, or a block checked once (writeHeadRaw). */
export type Head = readonly string[] | RawHeaders;

function writeHead(res: ServerResponse, status: number, head: Head): void {
  if (Array.isArray(head)) res.writeHead(status, head as string[]);
  else writeHeadRaw(res, status, head as RawHeaders);
}

/**
 * Write bytes [start, end] of the open descriptor `fd` (read with positional reads, so it may
 * be shared) after the head, then `release` it once nothing reads it any more. Up to
 * ONE_READ_MAX bytes: one read, then head and body in one write, and a file found shorter
 * than promised is a 500 with one log line (nothing was sent yet). Larger: streamed with
 * backpressure (streamBody). Nothing is read for HEAD.
 *
 * `memo`, for a descriptor kept between requests, records when the whole file was last read
 * from it. Read again within WARM_MS, its pages are in the page cache a moment later, so that
 * one read is made synchronously (copying a few hundred KiB costs less than a round trip
 * through libuv's thread pool and its wake-ups). Every other read (the first, a range, one
 * after a pause) is asynchronous, so the event loop does not wait for a disk, but for pages
 * evicted within that second.
 */
export function sendFromFd(req: IncomingMessage, res: ServerResponse, status: number, head: Head, fd: number, start: number, end: number, label: StreamLabel, release: () => void, memo?: ReadMemo): void {
  if (res.destroyed) return release();
  const expected = end - start + 1;
  if (req.method === 'HEAD' || expected <= 0) {
    release();
    writeHead(res, status, head);
    res.end();
    return;
  }
  if (expected > ONE_READ_MAX) {
    streamBody(req, res, status, Array.isArray(head) ? (head as string[]) : (head as RawHeaders), (o) => fs.createReadStream('', { fd, fs: BORROWED_FD, ...o }), start, end, label, release);
    return;
  }
  const buf = takeBuffer(expected);
  const whole = start === 0 && expected === label.size;
  const after = (err: NodeJS.ErrnoException | null, n: number) => {
    if (memo !== undefined && whole && err === null && n === expected) memo.readAt = Date.now();
    release();
    if (res.destroyed) return;
    if (err !== null || n !== expected) {
      const hint = label.hint ? `; ${label.hint}` : '';
      logError(err !== null ? `${label.file}: read failed (${err.code ?? err.message}); answered 500` : `${label.file}: shorter than its size when read (${start + n} of ${label.size} bytes); answered 500${hint}`);
      if (!res.headersSent) sendCanned(req, res, SERVER_ERROR);
      else res.destroy();
      return;
    }
    writeHead(res, status, head);
    if (buf.length > POOLED_FROM) res.end(buf, () => giveBack(buf));
    else res.end(buf);
  };
  if (memo !== undefined && whole && Date.now() - memo.readAt < WARM_MS) {
    let n = 0;
    try {
      n = fs.readSync(fd, buf, 0, expected, start);
    } catch (e) {
      return after(e as NodeJS.ErrnoException, 0);
    }
    return after(null, n);
  }
  fs.read(fd, buf, 0, expected, start, after);
}

/**
 * Read buffers over POOLED_FROM bytes come from a few kept ONE_READ_MAX buffers, each taken
 * back only once its response has finished (all of it handed to the kernel), so a file of a
 * few hundred KiB costs no fresh allocation and no garbage per request. Smaller reads use
 * ordinary buffers: a pooled one would hold ONE_READ_MAX for a few bytes.
 */
const POOLED_FROM = 32 * 1024;
const POOL_KEEP = 32;
const pool: Buffer[] = [];

function takeBuffer(n: number): Buffer {
  if (n <= POOLED_FROM) return Buffer.allocUnsafe(n);
  return (pool.pop() ?? Buffer.allocUnsafeSlow(ONE_READ_MAX)).subarray(0, n);
}

function giveBack(b: Buffer): void {
  if (pool.length < POOL_KEEP) pool.push(Buffer.from(b.buffer, b.byteOffset, ONE_READ_MAX));
}

/**
 * Write the head, then bytes [start, end] read by `open`, with backpressure. The stream
 * `open` makes must not close the descriptor: `release` runs once the stream is done with it
 * (ended, failed or destroyed), and instead of it when nothing is read (HEAD). A file that
 * ends early cannot keep the promised Content-Length, so the connection is closed (left open,
 * the short body would be read as the start of the next response).
 */
export function streamBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: string[] | RawHeaders,
  open: (o: { start: number; end: number; highWaterMark: number; autoClose: true }) => Readable & { bytesRead: number },
  start: number,
  end: number,
  label: StreamLabel,
  release: () => void,
): void {
  if (res.destroyed) return release();
  writeHead(res, status, headers);
  if (req.method === 'HEAD' || end < start) {
    release();
    res.end();
    return;
  }
  const expected = end - start + 1;
  const rs = open({ start, end, highWaterMark: HIGH_WATER_MARK, autoClose: true });
  const hint = label.hint ? `; ${label.hint}` : '';
  rs.once('close', release);
  rs.pipe(res, { end: false });
  rs.once('end', () => {
    if (rs.bytesRead === expected) return void res.end();
    logError(`${label.file}: truncated while being sent (${start + rs.bytesRead} of ${label.size} bytes); connection closed${hint}`);
    res.destroy();
  });
  rs.once('error', (e: NodeJS.ErrnoException) => {
    logError(`${label.file}: read failed mid-response (${e.code ?? e.message}); connection closed`);
    res.destroy();
  });
  res.once('close', () => {
    if (!rs.destroyed) rs.destroy();
  });
}

/**
 * Descriptors of static files over the memory threshold, kept between requests and re-checked
 * at each one (respond/open-cache.ts: a stat of the path, following a symlink as the index
 * does, must show the same device, inode, size, modification and change time).
 */
const STATIC_OPENS = new OpenCache<undefined>({ max: 256, idleMs: 5000, io: FOLLOWING_CHECK_FS });

/**
 * Stream bytes [start, end] of a file named by its path (a static file over the memory
 * threshold). It is opened and checked against the size and modification time the index
 * saw before anything is written: a file removed or changed since startup is a 404 or 500
 * and one log line, never a wrong or truncated body nor new bytes under old validators.
 * The descriptor is kept for the next request, which uses it only when the path still shows
 * that very file unchanged; otherwise it opens and checks afresh.
 */
export function streamFromPath(req: IncomingMessage, res: ServerResponse, status: number, headers: string[], file: string, expected: { size: number; mtimeMs: number }, start: number, end: number): void {
  const expectedSize = expected.size;
  const label = { file, size: expectedSize, hint: 'reload to re-index' };
  const k = STATIC_OPENS.size === 0 ? undefined : STATIC_OPENS.take(file);
  if (k !== undefined) {
    if (k.id.size === expectedSize && k.id.mtimeMs === expected.mtimeMs) return sendFromFd(req, res, status, headers, k.fd, start, end, label, () => STATIC_OPENS.release(k), k);
    STATIC_OPENS.release(k);
  }
  // O_NONBLOCK: a FIFO put in place of the file must not block a thread-pool worker forever
  fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, (err, fd) => {
    if (err) {
      logError(`${file}: ${err.code === 'ENOENT' ? 'removed since startup' : `cannot open (${err.code})`}; reload to re-index`);
      if (!res.headersSent && !res.destroyed) sendCanned(req, res, err.code === 'ENOENT' ? NOT_FOUND : SERVER_ERROR);
      return;
    }
    const close = () => fs.close(fd, () => {});
    fs.fstat(fd, (err2, st) => {
      if (err2 || !st.isFile() || st.size !== expectedSize || st.mtimeMs !== expected.mtimeMs) {
        close();
        const why = err2
          ? `cannot stat (${err2.code})`
          : !st.isFile()
            ? 'not a regular file any more'
            : st.size !== expectedSize
              ? `size changed since startup (${expectedSize} -> ${st.size} bytes)`
              : 'rewritten since startup (same size, new modification time)';
        logError(`${file}: ${why}; reload to re-index`);
        if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
        return;
      }
      const kept = STATIC_OPENS.keep(file, file, fd, identityOf(st), [], undefined, close);
      if (kept === undefined) sendFromFd(req, res, status, headers, fd, start, end, label, close);
      else sendFromFd(req, res, status, headers, fd, start, end, label, () => STATIC_OPENS.release(kept), kept);
    });
  });
}
