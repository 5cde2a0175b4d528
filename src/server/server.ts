/**
 * The server's lifecycle: the node:http server with its timeouts and limits, listening,
 * the index swap on reload, the drain on SIGTERM, closing. What answers a request is
 * route.ts's decision, applied by handler.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../errors.js';
import { formatterFor } from '../observe/index.js';
import type { Config } from '../config/index.js';
import { manageConnections } from './connections.js';
import type { MediaRuntime } from '../media/index.js';
import { Metrics } from '../observe/index.js';
import { Observer } from '../observe/index.js';
import { drainServer, type DrainResult } from './drain.js';
import type { StaticIndex } from '../static/index.js';
import type { Proxy } from '../proxy/index.js';
import { AcceptCache } from '../http/index.js';
import { installFastLane } from './fast-lane.js';
import { createHandler } from './handler.js';
import { routeUpgrade, type RouteTable } from './route.js';
import { serviceAnswers } from './service.js';
import { rawAnswer, tunnel } from '../proxy/index.js';

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

export function createAssetServer(config: Config, initial: StaticIndex, opts: ServerOptions = {}): AssetServer {
  let index = initial;
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
  const service = serviceAnswers({
    metrics,
    renderMetrics: opts.renderMetrics,
    startedAt,
    facts: () => ({ draining, files: index.fileCount, staticMounts: index.mounts.length, mediaMounts: media.length, indexBuiltAt: index.builtAt, fastLane: lane !== undefined }),
  });

  const tableOf = (ix: StaticIndex): RouteTable => ({
    public: ix.public,
    mounts: [...ix.mounts].sort((a, b) => b.prefix.length - a.prefix.length),
    media,
    proxy: proxy !== undefined,
    healthPath: config.healthPath,
    metricsPath: config.metricsPath,
  });
  let table = tableOf(initial);
  const handler = createHandler({ table: () => table, service, proxy, observer, draining: () => draining, bodyTimeout: config.bodyTimeout });

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
  // static answers from memory below node:http; everything else is handed to it (fast-lane.ts)
  const lane = config.fastLane
    ? installFastLane(server, {
        table: () => table,
        accept: new AcceptCache(),
        keepAliveTimeout: config.keepAliveTimeout,
        headersTimeout: config.headersTimeout,
        maxHeaderSize: config.maxHeaderSize,
        draining: () => draining,
        observer,
      })
    : undefined;
  const connections = manageConnections(server, { headersTimeout: config.headersTimeout, sendTimeout: config.sendTimeout });
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
  if (proxy !== undefined) {
    server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
      connections.release(socket as import('node:net').Socket);
      socket.on('error', () => socket.destroy());
      const r = routeUpgrade(req, table);
      if (r === 'bad-request') return rawAnswer(socket, 400, 'Bad Request');
      if (r === 'not-found') return rawAnswer(socket, 404, 'Not Found');
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
      table = tableOf(next);
      noteIndex(next);
    },
    get draining() {
      return draining;
    },
    drain(graceMs, delayMs = 0) {
      draining = true;
      drained ??= drainServer(server, connections.sockets(), { graceMs, delayMs }, lane).finally(() => {
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
        lane?.stop();
        lane?.closeAll();
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
