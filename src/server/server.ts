/**
 * The HTTP server: one request handler that routes a path to the health or metrics
 * answer, the static index (a Map lookup), a media mount (resolved per request), the
 * upstream app, or answers 400/404. Media and proxy are siblings of static here, not layers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatterFor } from '../observe/access-log.js';
import { discardBody } from '../proxy/body-timeout.js';
import type { Config } from '../config/config.js';
import { manageConnections } from './connections.js';
import { oneLine, UserError } from '../errors.js';
import { logError } from '../log.js';
import { handleMedia, type MediaRuntime } from '../media/resolve.js';
import { Metrics, type RouteKind } from '../observe/metrics.js';
import { Observer } from '../observe/observer.js';
import { declaredPath, requestPath } from '../http/request-path.js';
import { hostLinesOk } from '../http/request-checks.js';
import { BAD_REQUEST, METHOD_NOT_ALLOWED, NOT_FOUND, SERVER_ERROR, sendCanned } from '../respond/send.js';
import { drainServer, type DrainResult } from './drain.js';
import type { MountIndex, StaticIndex } from '../static/build.js';
import { serveFile } from '../static/answer.js';
import type { Proxy } from '../proxy/forward.js';
import { serviceAnswers } from './service.js';
import { rawAnswer, tunnel } from '../proxy/upgrade.js';

const CONNECT_REFUSED = 'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

export interface AssetServer {
  server: http.Server;
  /** Response counters (also fed by media and proxy through the observer). */
  metrics: Metrics;
  /** Counts and logs responses; undefined when metrics and access log are both off. */
  observer: Observer | undefined;
  /** Swap in a new static index; requests in flight finish on the one they started with. */
  setIndex(index: StaticIndex): void;
  getIndex(): StaticIndex;
  listen(): Promise<AddressInfo>;
  /**
   * Answer health with 503 and close every connection after its answer; keep accepting for
   * `delayMs` and while the answers under way at the start run; cut what is left at `graceMs`.
   */
  drain(graceMs: number, delayMs?: number): Promise<DrainResult>;
  readonly draining: boolean;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Renders the metrics text; a cluster worker passes one that sums every worker. */
  renderMetrics?: (local: Metrics) => Promise<string>;
  /** Where access log lines go (default: stdout). */
  logWrite?: (chunk: string) => void;
  /** Process start, for uptime (ms since the epoch). */
  startedAt?: number;
  /** The app server requests no mount claims go to; without it they are 404. */
  proxy?: Proxy;
  /** Media mounts, resolved per request. */
  media?: MediaRuntime[];
}

/** The static mount whose prefix the path falls under, longest prefix first. */
function mountFor(mounts: MountIndex[], p: string): MountIndex | undefined {
  for (const m of mounts) if (p.startsWith(m.prefix)) return m;
  return undefined;
}

/** The media mount whose prefix the path falls under (media prefixes never nest). */
function mediaFor(media: MediaRuntime[], p: string): MediaRuntime | undefined {
  for (const m of media) if (p.startsWith(m.prefix)) return m;
  return undefined;
}

export function createAssetServer(config: Config, initial: StaticIndex, opts: ServerOptions = {}): AssetServer {
  let index = initial;
  let mounts = [...index.mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  const media = opts.media ?? [];
  const proxy = opts.proxy;
  let draining = false;
  let drained: Promise<DrainResult> | undefined;
  const startedAt = opts.startedAt ?? Date.now();
  const metrics = new Metrics();
  const noteIndex = (ix: StaticIndex) => metrics.setIndex(ix.fileCount, ix.variantCount, ix.bytesInMemory, ix.mounts.length, ix.builtAt);
  noteIndex(initial);
  const format = formatterFor(config.accessLog);
  const observer =
    format !== undefined || config.metricsPath !== null
      ? new Observer(config.metricsPath !== null ? metrics : undefined, format, opts.logWrite ?? ((chunk) => process.stdout.write(chunk)))
      : undefined;
  const healthPath = config.healthPath;
  const metricsPath = config.metricsPath;
  const service = serviceAnswers({
    metrics,
    renderMetrics: opts.renderMetrics,
    startedAt,
    facts: () => ({ draining, files: index.fileCount, mounts: index.mounts.length, indexBuiltAt: index.builtAt }),
  });

  /** The static or media mount a path falls under. */
  const ownerOf = (p: string): MountIndex | MediaRuntime | undefined => mountFor(mounts, p) ?? mediaFor(media, p);

  /**
   * True when '.' or '..' segments carry a target out of the mount it names (or into one from
   * outside): such a target is refused rather than sent to the app, which would see the path
   * as spelled and might resolve it differently.
   */
  const leavesNamedMount = (url: string, p: string): boolean => ownerOf(declaredPath(url)) !== ownerOf(p);

  /** Does a mount own this path outright (no fallthrough to the app)? */
  const claimed = (p: string): boolean => {
    if (index.public.has(p) || mediaFor(media, p) !== undefined) return true;
    const mount = mountFor(mounts, p);
    return mount !== undefined && (mount.config.internal || !mount.config.fallthrough);
  };

  /** Answer the request; returns its route kind, for the metrics and the access log. */
  const route = (req: http.IncomingMessage, res: http.ServerResponse): RouteKind => {
    // while draining, every response closes its connection
    if (draining) res.shouldKeepAlive = false;
    // RFC 9112 §3.2: several Host lines, or an invalid one, is a 400 on every route
    if (!hostLinesOk(req.rawHeaders)) {
      res.shouldKeepAlive = false;
      sendCanned(req, res, BAD_REQUEST);
      return 'other';
    }
    const parsed = requestPath(req.url ?? '');
    if (!parsed.ok) {
      // A path this server would refuse is still the app's to judge when no mount owns it.
      if (proxy !== undefined && (req.url ?? '').length > 0 && parsed.why !== 'not-origin-form' && ownerOf(declaredPath(req.url!)) === undefined) {
        proxy.forward(req, res);
        return 'proxy';
      }
      sendCanned(req, res, BAD_REQUEST);
      return 'other';
    }
    const p = parsed.path;
    if (p === healthPath || p === metricsPath) {
      if (req.method !== 'GET' && req.method !== 'HEAD') sendCanned(req, res, METHOD_NOT_ALLOWED);
      else if (p === healthPath) service.health(req, res);
      else service.metrics(req, res);
      return 'service';
    }
    const entry = index.public.get(p);
    if (entry !== undefined) {
      if (entry.kind === 'file') {
        serveFile(req, res, entry);
      } else {
        const q = req.url!.indexOf('?');
        res.writeHead(301, ['Location', entry.location + (q === -1 ? '' : req.url!.slice(q)), 'Content-Length', '0']);
        res.end();
      }
      return 'static';
    }
    // Media prefixes never overlap static ones (a startup check), so an upload can never shadow a static file.
    const mm = media.length === 0 ? undefined : mediaFor(media, p);
    if (mm !== undefined) {
      handleMedia(req, res, mm, p).catch((e: unknown) => {
        logError(`${p}: ${(e as Error).message}`);
        if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
      });
      return 'media';
    }
    const mount = mountFor(mounts, p);
    if (mount !== undefined) {
      if (mount.config.fallthrough && !mount.config.internal && proxy !== undefined) {
        if (leavesNamedMount(req.url!, p)) sendCanned(req, res, BAD_REQUEST);
        else proxy.forward(req, res);
        return 'proxy';
      }
      if (!mount.config.internal && req.method !== 'GET' && req.method !== 'HEAD') sendCanned(req, res, METHOD_NOT_ALLOWED);
      else sendCanned(req, res, NOT_FOUND);
      return 'static';
    }
    if (proxy !== undefined) {
      if (leavesNamedMount(req.url!, p)) sendCanned(req, res, BAD_REQUEST);
      else proxy.forward(req, res);
      return 'proxy';
    }
    sendCanned(req, res, NOT_FOUND);
    return 'other';
  };

  // Last line of defence: a request that makes routing throw gets a 500 (or a closed
  // connection once headers are out) and one log line; the process keeps serving.
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const t0 = observer !== undefined ? performance.now() : 0;
    let kind: RouteKind = 'other';
    try {
      kind = route(req, res);
    } catch (e) {
      logError(`${req.method} ${JSON.stringify((req.url ?? '').slice(0, 200))}: internal error (${oneLine(e)}); answered 500`);
      try {
        if (res.headersSent) res.destroy();
        else sendCanned(req, res, SERVER_ERROR);
      } catch {
        res.destroy();
      }
    }
    // the proxy watches the bodies it forwards; any other body is dropped, within bodyTimeout
    if (kind !== 'proxy') discardBody(req, config.bodyTimeout);
    // after the answer: one that already ended is counted at once, without a listener
    observer?.track(req, res, kind, t0);
  };

  const server = http.createServer(
    {
      headersTimeout: config.headersTimeout,
      requestTimeout: config.requestTimeout,
      maxHeaderSize: config.maxHeaderSize,
      // how often the header/request timeouts are checked (node's default is 30 s)
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.headersTimeout / 4))),
    },
    handler,
  );
  server.keepAliveTimeout = config.keepAliveTimeout;
  const connections = manageConnections(server, { headersTimeout: config.headersTimeout, sendTimeout: config.sendTimeout });
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
  if (proxy !== undefined) {
    server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
      connections.release(socket as import('node:net').Socket);
      socket.on('error', () => socket.destroy());
      if (!hostLinesOk(req.rawHeaders)) return rawAnswer(socket, 400, 'Bad Request');
      const parsed = requestPath(req.url ?? '');
      if (!parsed.ok) return rawAnswer(socket, 400, 'Bad Request');
      if (claimed(parsed.path)) return rawAnswer(socket, 404, 'Not Found');
      if (leavesNamedMount(req.url!, parsed.path)) return rawAnswer(socket, 400, 'Bad Request');
      tunnel(req, socket, head, {
        target: proxy.target,
        keepHost: config.upstreamKeepHost,
        connectTimeout: config.upstreamConnectTimeout,
        headersTimeout: config.upstreamHeadersTimeout,
      });
    });
  }
  // CONNECT asks for a tunnel, which a file server never opens: answer instead of dropping the connection.
  server.on('connect', (_req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    socket.on('error', () => {});
    socket.end(CONNECT_REFUSED);
  });


  return {
    server,
    metrics,
    observer,
    setIndex(next) {
      index = next;
      mounts = [...next.mounts].sort((a, b) => b.prefix.length - a.prefix.length);
      noteIndex(next);
    },
    get draining() {
      return draining;
    },
    drain(graceMs, delayMs = 0) {
      draining = true;
      drained ??= drainServer(server, connections.sockets(), { graceMs, delayMs }).finally(() => {
        connections.stop();
        observer?.flush();
      });
      return drained;
    },
    getIndex: () => index,
    listen: () =>
      new Promise((resolve, reject) => {
        const onError = (e: NodeJS.ErrnoException) => {
          const what = e.code === 'EADDRINUSE' ? 'is in use' : e.code === 'EACCES' ? 'needs privileges' : `cannot be bound (${e.code})`;
          reject(new UserError(`port ${config.port} on ${config.host} ${what}`));
        };
        server.once('error', onError);
        server.listen(config.port, config.host, () => {
          server.off('error', onError);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        connections.stop();
        observer?.flush();
        if (!server.listening) {
          server.closeAllConnections();
          resolve();
          return;
        }
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => proxy?.close()),
  };
}
