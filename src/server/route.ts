/**
 * The routing decision: from a request's method, target and header lines to what answers
 * it. Pure (no I/O): every server path (node:http, the fast lane) asks this one function,
 * so two paths can never route a request differently.
 *
 * Order: a bad Host is a 400 on every route (RFC 9112 §3.2); then the path, decoded and
 * normalised once; health and metrics; the static index (a Map); a media mount; what is
 * left under a static prefix (404/405, or the app when the mount falls through); the app;
 * else 404. A path this server refuses is still the app's to judge when no mount owns it,
 * as spelled or as an app would resolve it (`/../static/x` names /static/).
 * A target whose '.' or '..' segments carry it out of the mount it names (or into one from
 * outside) is refused rather than sent to the app, which might resolve it otherwise.
 */
import { hostLinesOk } from '../http/index.js';
import { clampedPath, declaredPath, requestPath } from '../http/index.js';
import type { MediaRuntime } from '../media/index.js';
import type { RouteKind } from '../observe/index.js';
import type { Entry, MountIndex } from '../static/index.js';

/** What a server path needs to route: rebuilt when the index is swapped. */
export interface RouteTable {
  /** Every public static URL path: the hot-path lookup. */
  public: ReadonlyMap<string, Entry>;
  /** Static mounts, longest prefix first. */
  mounts: readonly MountIndex[];
  media: readonly MediaRuntime[];
  /** Is there an app to pass requests to? */
  proxy: boolean;
  healthPath: string | null;
  metricsPath: string | null;
}

/** The request as routing sees it: node's IncomingMessage has this shape, so does the fast lane's. */
export interface RoutedRequest {
  method?: string;
  url?: string;
  /** Header lines as received: [name, value, ...]. */
  rawHeaders: readonly string[];
}

/** A canned answer, the kind it counts as in the metrics, and whether the connection must close after it. */
export type Canned = { kind: 'bad-request' | 'not-found' | 'method-not-allowed'; metric: RouteKind; close?: true };

/**
 * What answers: a static entry (a file, or a directory redirect) straight from the index, or
 * one of these. The entry is returned as it is, so the hot path allocates nothing here.
 */
export type Route =
  | Entry
  | Canned
  | { kind: 'health' | 'metrics'; metric: 'service' }
  | { kind: 'media'; metric: 'media'; mount: MediaRuntime; path: string }
  | { kind: 'proxy'; metric: 'proxy' };

// what else a client with a bad Host sent cannot be trusted: its connection closes
const BAD_HOST: Canned = { kind: 'bad-request', metric: 'other', close: true };
const BAD_PATH: Canned = { kind: 'bad-request', metric: 'other' };
const LEAVES_MOUNT: Canned = { kind: 'bad-request', metric: 'proxy' };
const SERVICE_METHOD: Canned = { kind: 'method-not-allowed', metric: 'service' };
const STATIC_METHOD: Canned = { kind: 'method-not-allowed', metric: 'static' };
const STATIC_MISSING: Canned = { kind: 'not-found', metric: 'static' };
const NOTHING: Canned = { kind: 'not-found', metric: 'other' };
const HEALTH = { kind: 'health', metric: 'service' } as const;
const METRICS = { kind: 'metrics', metric: 'service' } as const;
const PROXY = { kind: 'proxy', metric: 'proxy' } as const;

/** The static mount whose prefix the path falls under (mounts are longest prefix first). */
export function mountFor(mounts: readonly MountIndex[], p: string): MountIndex | undefined {
  for (const m of mounts) if (p.startsWith(m.prefix)) return m;
  return undefined;
}

/** The media mount whose prefix the path falls under (media prefixes never nest). */
export function mediaFor(media: readonly MediaRuntime[], p: string): MediaRuntime | undefined {
  for (const m of media) if (p.startsWith(m.prefix)) return m;
  return undefined;
}

/** The static or media mount a path falls under. */
function ownerOf(t: RouteTable, p: string): MountIndex | MediaRuntime | undefined {
  return mountFor(t.mounts, p) ?? mediaFor(t.media, p);
}

/** True when '.' or '..' segments carry the target out of the mount it names, or into one. */
function leavesNamedMount(t: RouteTable, url: string, p: string): boolean {
  return ownerOf(t, declaredPath(url)) !== ownerOf(t, p);
}

const isRead = (method: string | undefined) => method === 'GET' || method === 'HEAD';

export function route(req: RoutedRequest, t: RouteTable): Route {
  if (!hostLinesOk(req.rawHeaders)) return BAD_HOST;
  const url = req.url ?? '';
  const parsed = requestPath(url);
  if (!parsed.ok) {
    if (t.proxy && url.length > 0 && parsed.why !== 'not-origin-form') {
      // the app's to judge, unless it names a mount as spelled, or once the app resolves it
      const declared = declaredPath(url);
      if (ownerOf(t, declared) === undefined && ownerOf(t, clampedPath(declared)) === undefined) return PROXY;
    }
    return BAD_PATH;
  }
  const p = parsed.path;
  if (p === t.healthPath || p === t.metricsPath) {
    if (!isRead(req.method)) return SERVICE_METHOD;
    return p === t.healthPath ? HEALTH : METRICS;
  }
  const entry = t.public.get(p);
  if (entry !== undefined) return entry;
  // media prefixes never overlap static ones (a startup check): an upload never shadows a static file
  const mm = t.media.length === 0 ? undefined : mediaFor(t.media, p);
  if (mm !== undefined) return { kind: 'media', metric: 'media', mount: mm, path: p };
  const mount = mountFor(t.mounts, p);
  if (mount !== undefined) {
    if (mount.config.fallthrough && !mount.config.internal && t.proxy) return leavesNamedMount(t, url, p) ? LEAVES_MOUNT : PROXY;
    if (!mount.config.internal && !isRead(req.method)) return STATIC_METHOD;
    return STATIC_MISSING;
  }
  if (t.proxy) return leavesNamedMount(t, url, p) ? LEAVES_MOUNT : PROXY;
  return NOTHING;
}

/** An Upgrade (WebSocket) request: tunnelled to the app only where a normal request of that path would reach it. */
export function routeUpgrade(req: RoutedRequest, t: RouteTable): 'bad-request' | 'not-found' | 'proxy' {
  if (!hostLinesOk(req.rawHeaders)) return 'bad-request';
  const url = req.url ?? '';
  const parsed = requestPath(url);
  if (!parsed.ok) return 'bad-request';
  const p = parsed.path;
  // a path a mount owns outright is never the app's
  if (t.public.has(p) || mediaFor(t.media, p) !== undefined) return 'not-found';
  const mount = mountFor(t.mounts, p);
  if (mount !== undefined && (mount.config.internal || !mount.config.fallthrough)) return 'not-found';
  if (leavesNamedMount(t, url, p)) return 'bad-request';
  return 'proxy';
}
