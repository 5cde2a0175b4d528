/**
 * Writing a response: precomputed headers and a Buffer, or a file streamed from disk.
 * The I/O edge of the static path.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { logError } from '../log.js';
import { rawHeaders, writeHeadRaw, type RawHeaders } from '../http/raw-headers.js';

const TEXT = 'text/plain; charset=utf-8';

/** A small plain-text answer (errors, 404): headers and body computed once per status. */
export interface Canned {
  status: number;
  headers: string[];
  /** The same headers, checked once and ready to write as text. */
  raw: RawHeaders;
  body: Buffer;
}

export function canned(status: number, text: string, extra: string[] = []): Canned {
  const body = Buffer.from(text + '\n');
  const headers = ['Content-Type', TEXT, 'Content-Length', String(body.length), 'X-Content-Type-Options', 'nosniff', ...extra];
  return { status, body, headers, raw: rawHeaders(headers) };
}

export const NOT_FOUND = canned(404, 'Not Found');
export const BAD_REQUEST = canned(400, 'Bad Request');
export const METHOD_NOT_ALLOWED = canned(405, 'Method Not Allowed', ['Allow', 'GET, HEAD']);
export const SERVER_ERROR = canned(500, 'Internal Server Error');
export const PRECONDITION_FAILED = canned(412, 'Precondition Failed');

export function sendCanned(req: IncomingMessage, res: ServerResponse, c: Canned, extra?: string[]): void {
  if (extra) res.writeHead(c.status, [...c.headers, ...extra]);
  else writeHeadRaw(res, c.status, c.raw);
  res.end(req.method === 'HEAD' ? undefined : c.body);
}

/**
 * Stream `file` bytes [start, end] with the given status and headers. The file is opened
 * and checked against the size the headers promise before anything is written, so a file
 * removed or changed since startup gives a clean 404/500 and a log line instead of a
 * wrong or truncated body.
 */
export function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: string[],
  file: string,
  expectedSize: number,
  start: number,
  end: number,
): void {
  // O_NONBLOCK: opening a FIFO put in place of a file must not block a thread-pool worker
  // forever (it has no effect on regular files).
  fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, (err, fd) => {
    if (err) {
      logError(`${file}: ${err.code === 'ENOENT' ? 'removed since startup' : `cannot open (${err.code})`}; reload to re-index`);
      if (!res.headersSent && !res.destroyed) sendCanned(req, res, err.code === 'ENOENT' ? NOT_FOUND : SERVER_ERROR);
      return;
    }
    fs.fstat(fd, (err2, st) => {
      if (err2 || !st.isFile() || st.size !== expectedSize) {
        fs.close(fd, () => {});
        const why = err2 ? `cannot stat (${err2.code})` : !st.isFile() ? 'not a regular file any more' : `size changed since startup (${expectedSize} -> ${st.size} bytes)`;
        logError(`${file}: ${why}; reload to re-index`);
        if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
        return;
      }
      if (res.destroyed) {
        fs.close(fd, () => {});
        return;
      }
      res.writeHead(status, headers);
      if (req.method === 'HEAD' || end < start) {
        fs.close(fd, () => {});
        res.end();
        return;
      }
      const stream = fs.createReadStream('', { fd, start, end, autoClose: true, highWaterMark: 128 * 1024 });
      // A file truncated while it is sent ends early: the promised Content-Length cannot be
      // met, so the connection is closed (left open, the short body would be taken as the
      // start of the next response). Registered before pipeline() so it runs before res.end().
      stream.once('end', () => {
        if (stream.bytesRead < end - start + 1) {
          logError(`${file}: truncated while being sent (${start + stream.bytesRead} of ${expectedSize} bytes); connection closed; reload to re-index`);
          res.destroy();
        }
      });
      pipeline(stream, res, (e) => {
        if (e && (e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          logError(`${file}: read failed mid-response (${(e as NodeJS.ErrnoException).code ?? e.message}); connection closed`);
        }
        if (e) res.destroy();
      });
    });
  });
}
