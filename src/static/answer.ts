/**
 * Answering a request for an indexed static file: http/file-answer.ts decides (method,
 * negotiation, conditionals, range); this sends it: precomputed header blocks and the bytes
 * held in memory, or the file streamed from its path (respond/file.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerFile, partialHeaders } from '../http/index.js';
import { withOverrides, type HeaderOverrides } from '../http/index.js';
import { AcceptCache } from '../http/index.js';
import { writeHeadRaw } from '../http/index.js';
import { respondFile, streamFromPath, type Sender } from '../respond/index.js';
import { raw200, raw304, type FileEntry, type Representation } from './entry.js';

export type { HeaderOverrides } from '../http/index.js';

const acceptCache = new AcceptCache();

/** Held bytes or the path; the precomputed blocks as text unless an X-Accel-Redirect answer overrides them. */
const STATIC: Sender<Representation, HeaderOverrides | undefined> = {
  notModified(_req, res, rep, overrides) {
    if (overrides === undefined) writeHeadRaw(res, 304, raw304(rep));
    else res.writeHead(304, withOverrides(rep.h304, overrides));
    res.end();
  },
  bytes(req, res, status, rep, start, end, overrides) {
    const headers = status === 206 ? partialHeaders(withOverrides(rep.h206, overrides), start, end, rep.size) : undefined;
    if (rep.body === undefined) {
      streamFromPath(req, res, status, headers ?? withOverrides(rep.h200, overrides), rep.file, { size: rep.size, mtimeMs: rep.mtimeMs }, start, end);
    } else if (headers !== undefined) {
      res.writeHead(206, headers);
      res.end(rep.body.subarray(start, end + 1));
    } else {
      if (overrides === undefined) writeHeadRaw(res, 200, raw200(rep));
      else res.writeHead(200, withOverrides(rep.h200, overrides));
      res.end(req.method === 'HEAD' ? undefined : rep.body);
    }
  },
  release() {},
};

export function serveFile(req: IncomingMessage, res: ServerResponse, entry: FileEntry, overrides?: HeaderOverrides): number {
  const accepted = acceptCache.get(req.headers['accept-encoding']);
  return respondFile(req, res, answerFile(req.method, req.headers, entry, accepted), entry.varies, STATIC, overrides);
}
