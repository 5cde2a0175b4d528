/**
 * X-Accel-Redirect: the app answers with a path and this server sends the file, the way
 * nginx does for a Django view that checks permissions first. The path is decoded once,
 * must not climb with '.' or '..' segments, and must fall under a mount; the mount's own
 * resolver decides whether the file exists (internal mounts included).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { firstHeader, type HeaderRecord } from '../http/index.js';
import { requestPath } from '../http/index.js';
import { serveMediaFile } from '../media/index.js';
import { releaseMedia, resolveMedia, type MediaRuntime } from '../media/index.js';
import type { StaticIndex } from '../static/index.js';
import type { HeaderOverrides } from '../http/index.js';
import { serveFile } from '../static/index.js';

/** Sends one resolved file, with the app's headers replacing the mount's own. */
export type AccelServe = (req: IncomingMessage, res: ServerResponse, overrides: HeaderOverrides) => void;

/**
 * A mount X-Accel-Redirect can reach. `open` answers undefined when there is no such file.
 * Static mounts look up their startup index; a mount that reads the disk per request can
 * plug in its own asynchronous resolver here.
 */
export interface AccelSource {
  prefix: string;
  open(urlPath: string): AccelServe | undefined | Promise<AccelServe | undefined>;
}

export type AccelPath = { ok: true; path: string } | { ok: false; why: string };

/** The URL path an X-Accel-Redirect value names, or why it is refused. Pure. */
export function accelPath(value: string): AccelPath {
  const v = value.trim();
  if (!v.startsWith('/')) return { ok: false, why: 'not an absolute path' };
  const q = v.search(/[?#]/);
  const rawPath = q === -1 ? v : v.slice(0, q);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, why: 'bad percent-encoding' };
  }
  if (decoded.split('/').some((s) => s === '.' || s === '..')) return { ok: false, why: 'has "." or ".." segments' };
  const r = requestPath(rawPath);
  if (!r.ok) return { ok: false, why: r.why };
  return { ok: true, path: r.path };
}

/** The mount source whose prefix holds the path, longest prefix first. */
export function sourceFor(sources: readonly AccelSource[], urlPath: string): AccelSource | undefined {
  let best: AccelSource | undefined;
  for (const s of sources) if (urlPath.startsWith(s.prefix) && (best === undefined || s.prefix.length > best.prefix.length)) best = s;
  return best;
}

/** Headers of the app's answer that carry over to the file it redirected to. */
export const ACCEL_KEPT_HEADERS = ['Content-Type', 'Content-Disposition', 'Cache-Control', 'Expires', 'Set-Cookie', 'Vary', 'Access-Control-Allow-Origin'] as const;

/**
 * Cache-Control of an X-Accel-Redirect answer when the app gave none. The app checked a
 * permission before naming the file, so no shared cache (a CDN, a corporate proxy) may
 * keep it for someone else, and the browser asks again (through the app) before reuse.
 */
export const ACCEL_CACHE_CONTROL = 'private, max-age=0, must-revalidate';

/**
 * The app's headers that replace the mount's own on the file response. Pure.
 * A mount's public Cache-Control and its CORS header are for files anyone may fetch: they
 * give way to ACCEL_CACHE_CONTROL and to no CORS header unless the app set its own. The
 * app's Vary is kept (merged with the file's own Accept-Encoding by withOverrides).
 */
export function accelOverrides(headers: HeaderRecord): HeaderOverrides {
  const out: string[] = [];
  for (const name of ACCEL_KEPT_HEADERS) {
    const lower = name.toLowerCase();
    const v = headers[lower];
    if (v === undefined) continue;
    if (lower === 'set-cookie') for (const c of Array.isArray(v) ? v : [v]) out.push(name, c);
    else if (lower === 'vary') out.push(name, Array.isArray(v) ? v.join(', ') : v);
    else out.push(name, firstHeader(headers, lower)!);
  }
  if (headers['cache-control'] === undefined) out.push('Cache-Control', ACCEL_CACHE_CONTROL);
  return { headers: out, drop: headers['access-control-allow-origin'] === undefined ? ['access-control-allow-origin'] : [] };
}

/** Every static mount of an index, internal ones included, as X-Accel-Redirect sources. */
export function staticAccelSources(index: StaticIndex): AccelSource[] {
  return index.mounts.map((m) => ({
    prefix: m.prefix,
    open(urlPath: string): AccelServe | undefined {
      const entry = m.files.get(urlPath);
      if (entry === undefined || entry.kind !== 'file') return undefined;
      return (req, res, overrides) => serveFile(req, res, entry, overrides);
    },
  }));
}

/** Media mounts as X-Accel-Redirect sources: resolved from disk per request, internal and signed ones included. */
export function mediaAccelSources(media: readonly MediaRuntime[]): AccelSource[] {
  return media.map((m) => ({
    prefix: m.prefix,
    async open(urlPath: string): Promise<AccelServe | undefined> {
      const resolved = await resolveMedia(m, urlPath);
      if (resolved === null) return undefined;
      return (req, res, overrides) => {
        if (res.destroyed) releaseMedia(resolved);
        else serveMediaFile(req, res, resolved, overrides);
      };
    },
  }));
}
