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
import { logError } from '../log.js';
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
 * Write the head, then bytes [start, end] read by `open` (which owns the descriptor from
 * then on), with backpressure. A file that ends early cannot keep the promised
 * Content-Length, so the connection is closed (left open, the short body would be read as
 * the start of the next response). Nothing is opened for HEAD; `release` runs instead.
 */
export function streamBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: string[],
  open: (o: { start: number; end: number; highWaterMark: number; autoClose: true }) => Readable & { bytesRead: number },
  start: number,
  end: number,
  label: StreamLabel,
  release: () => void,
): void {
  if (res.destroyed) return release();
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || end < start) {
    release();
    res.end();
    return;
  }
  const expected = end - start + 1;
  const rs = open({ start, end, highWaterMark: HIGH_WATER_MARK, autoClose: true });
  const hint = label.hint ? `; ${label.hint}` : '';
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
 * Stream bytes [start, end] of a file named by its path (a static file over the memory
 * threshold). It is opened and checked against the size and modification time the index
 * saw before anything is written: a file removed or changed since startup is a 404 or 500
 * and one log line, never a wrong or truncated body nor new bytes under old validators.
 */
export function streamFromPath(req: IncomingMessage, res: ServerResponse, status: number, headers: string[], file: string, expected: { size: number; mtimeMs: number }, start: number, end: number): void {
  const expectedSize = expected.size;
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
      streamBody(req, res, status, headers, (o) => fs.createReadStream('', { fd, ...o }), start, end, { file, size: expectedSize, hint: 'reload to re-index' }, close);
    });
  });
}
