/**
 * Answering a request under a media prefix: internal mounts and signed links first, then
 * the file resolved from disk (resolve.ts) and answered by the one file responder
 * (respond/file.ts), streamed from the descriptor the check opened.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerFile, partialHeaders, type FileFacts, type RepFacts } from '../http/index.js';
import { withOverrides, writeHeadRaw, type HeaderOverrides } from '../http/index.js';
import { ALL_CODINGS, IDENTITY } from '../http/index.js';
import { logError } from '../log.js';
import { respondFile, sendFromFd, type Sender } from '../respond/index.js';
import { canned, METHOD_NOT_ALLOWED, NOT_FOUND, SERVER_ERROR, sendCanned } from '../respond/index.js';
import { releaseMedia, resolveKeptMedia, resolveMedia, type MediaRuntime, type ResolvedMedia } from './resolve.js';
import { verify } from './sign.js';

export const FORBIDDEN = canned(403, 'Forbidden', ['Cache-Control', 'no-store']);

type MediaCtx = { r: ResolvedMedia; overrides: HeaderOverrides | undefined };

/**
 * Read from the open descriptor (one read for a small file, streamed otherwise); the headers
 * are the upload's own, made when it was checked (as text checked once when its descriptor is kept).
 */
const MEDIA: Sender<RepFacts, MediaCtx> = {
  notModified(_req, res, _rep, { r, overrides }) {
    if (overrides === undefined && r.raw304 !== undefined) writeHeadRaw(res, 304, r.raw304);
    else res.writeHead(304, withOverrides(r.headers.h304, overrides));
    res.end();
  },
  bytes(req, res, status, _rep, start, end, { r, overrides }) {
    const mh = r.headers;
    const head = status === 206 ? partialHeaders(withOverrides(mh.h206, overrides), start, end, r.size) : overrides === undefined && r.raw200 !== undefined ? r.raw200 : withOverrides(mh.h200, overrides);
    sendFromFd(req, res, status, head, r.fd, start, end, { file: r.file, size: r.size }, () => releaseMedia(r), r.memo);
  },
  release({ r }) {
    releaseMedia(r);
  },
};

/**
 * Answer GET or HEAD with a resolved media file: conditionals, a single range, or the whole
 * file. Always closes the file. `overrides` (from an X-Accel-Redirect answer) replace
 * headers of the same name. Uploads are never negotiated: one identity representation.
 */
export function serveMediaFile(req: IncomingMessage, res: ServerResponse, r: ResolvedMedia, overrides?: HeaderOverrides): number {
  const mh = r.headers;
  const rep: RepFacts = { bit: IDENTITY, size: r.size, etag: mh.etag };
  const facts: FileFacts<RepFacts> = { reps: [rep], identity: rep, varies: false, lastModified: mh.lastModified, lastModifiedHttp: mh.lastModifiedHttp };
  return respondFile(req, res, answerFile(req.method, req.headers, facts, ALL_CODINGS), false, MEDIA, { r, overrides });
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
  // a descriptor kept from an earlier request and still showing its file answers at once
  const kept = resolveKeptMedia(mount, urlPath);
  if (kept !== null) return serveMediaFile(req, res, kept);
  let r: ResolvedMedia | null;
  try {
    r = await resolveMedia(mount, urlPath);
  } catch (e) {
    logError(`${req.method} ${urlPath}: ${(e as Error).message}; answered 500`);
    if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
    return 500;
  }
  if (r === null) {
    if (!res.destroyed) sendCanned(req, res, NOT_FOUND);
    return 404;
  }
  return serveMediaFile(req, res, r);
}
