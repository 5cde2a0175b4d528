/**
 * Response headers for a media file: what an upload may and may not do in a browser.
 * Pure: given the mount's policy, the file name and its stat, returns the header blocks.
 * Every answer carries `X-Content-Type-Options: nosniff` and a CSP sandbox; a type not known
 * to be inert (see policy.ts) and not in the mount's inlineTypes is also an attachment.
 */
import type { MediaMount } from '../config/index.js';
import { contentType } from '../http/index.js';
import { contentDisposition } from '../http/index.js';
import { mediaPolicy } from '../http/index.js';

export { baseType } from '../http/index.js';

export interface MediaStat {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface MediaHeaders {
  contentType: string;
  /** True when the type is not inert and not allowed inline: served as an attachment. */
  attachment: boolean;
  /** The Content-Security-Policy sent (on every answer). */
  csp: string;
  etag: string;
  /** Last-Modified in whole seconds, and as sent. */
  lastModified: number;
  lastModifiedHttp: string;
  h200: string[];
  h304: string[];
  /** Without Content-Range and Content-Length (added per request). */
  h206: string[];
}

/**
 * A strong ETag from inode, modification time (ms) and size: an upload replaced under the
 * same name (a new inode, or a new mtime) gets a new tag even within the same second.
 */
export function mediaEtag(st: MediaStat): string {
  return `"${st.ino.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.size.toString(16)}"`;
}

export function mediaHeaders(mount: Pick<MediaMount, 'inertTypes' | 'inlineTypes' | 'cacheControl' | 'signed'>, name: string, st: MediaStat): MediaHeaders {
  const type = contentType(name);
  const { attachment, csp } = mediaPolicy(mount, type);
  const etag = mediaEtag(st);
  const lastModified = Math.floor(st.mtimeMs / 1000);
  const lastModifiedHttp = new Date(lastModified * 1000).toUTCString();
  const common = ['ETag', etag, 'Last-Modified', lastModifiedHttp, 'Cache-Control', mount.cacheControl, 'X-Content-Type-Options', 'nosniff'];
  if (attachment) common.push('Content-Disposition', contentDisposition('attachment', name));
  common.push('Content-Security-Policy', csp);
  // a signed URL is a credential: never hand it on in a Referer
  if (mount.signed) common.push('Referrer-Policy', 'no-referrer');
  return {
    contentType: type,
    attachment,
    csp,
    etag,
    lastModified,
    lastModifiedHttp,
    h200: ['Content-Type', type, 'Content-Length', String(st.size), 'Accept-Ranges', 'bytes', ...common],
    h304: common,
    h206: ['Content-Type', type, 'Accept-Ranges', 'bytes', ...common],
  };
}
