/**
 * The HTTP server: one request handler that routes a path to the static index (a Map
 * lookup), to the upstream app, or answers 400/404. Media and proxy are siblings of
 * static here, not layers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { oneLine, UserError } from './errors.js';
import { logError } from './log.js';
import { declaredPath, requestPath } from './paths.js';
import { BAD_REQUEST, METHOD_NOT_ALLOWED, NOT_FOUND, SERVER_ERROR, sendCanned } from './send.js';
import type { MountIndex, StaticIndex } from './static-index.js';
import { serveFile } from './static.js';
import type { Proxy } from './proxy.js';
import { rawAnswer, tunnel } from './upgrade.js';

const CONNECT_REFUSED = 'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

export interface AssetServer {
  server: http.Server;
  /** Swap in a new static index; requests in flight finish on the one they started with. */
  setIndex(index: StaticIndex): void;
  getIndex(): StaticIndex;
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** The static mount whose prefix the path falls under, longest prefix first. */
function mountFor(mounts: MountIndex[], p: string): MountIndex | undefined {
  for (const m of mounts) if (p.startsWith(m.prefix)) return m;
  return undefined;
}

export interface ServerOptions {
  /** The app server requests no mount claims go to; without it they are 404. */
  proxy?: Proxy;
}

export function createAssetServer(config: Config, initial: StaticIndex, options: ServerOptions = {}): AssetServer {
  let index = initial;
  let mounts = [...index.mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  const proxy = options.proxy;

  /**
   * True when '.' or '..' segments carry a target out of the mount it names (or into one from
   * outside): such a target is refused rather than sent to the app, which would see the path
   * as spelled and might resolve it differently.
   */
  const leavesNamedMount = (url: string, p: string): boolean => mountFor(mounts, declaredPath(url)) !== mountFor(mounts, p);

  /** Does a static mount own this path outright (no fallthrough to the app)? */
  const claimed = (p: string): boolean => {
    if (index.public.has(p)) return true;
    const mount = mountFor(mounts, p);
    return mount !== undefined && (mount.config.internal || !mount.config.fallthrough);
  };

  const route = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const parsed = requestPath(req.url ?? '');
    if (!parsed.ok) {
      // A path this server would refuse is still the app's to judge when no mount owns it.
      if (proxy !== undefined && (req.url ?? '').length > 0 && mountFor(mounts, declaredPath(req.url!)) === undefined && parsed.why !== 'not-origin-form') {
        proxy.forward(req, res);
        return;
      }
      sendCanned(req, res, BAD_REQUEST);
      return;
    }
    const p = parsed.path;
    const entry = index.public.get(p);
    if (entry !== undefined) {
      if (entry.kind === 'file') {
        serveFile(req, res, entry);
      } else {
        const q = req.url!.indexOf('?');
        res.writeHead(301, ['Location', entry.location + (q === -1 ? '' : req.url!.slice(q)), 'Content-Length', '0']);
        res.end();
      }
      return;
    }
    const mount = mountFor(mounts, p);
    if (mount !== undefined) {
      if (mount.config.internal) {
        sendCanned(req, res, NOT_FOUND);
        return;
      }
      if (mount.config.fallthrough && proxy !== undefined) {
        if (leavesNamedMount(req.url!, p)) sendCanned(req, res, BAD_REQUEST);
        else proxy.forward(req, res);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendCanned(req, res, METHOD_NOT_ALLOWED);
        return;
      }
      sendCanned(req, res, NOT_FOUND);
      return;
    }
    if (proxy !== undefined) {
      if (leavesNamedMount(req.url!, p)) sendCanned(req, res, BAD_REQUEST);
      else proxy.forward(req, res);
      return;
    }
    sendCanned(req, res, NOT_FOUND);
  };

  // Last line of defence: a request that makes routing throw gets a 500 (or a closed
  // connection once headers are out) and one log line; the process keeps serving.
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    try {
      route(req, res);
    } catch (e) {
      logError(`${req.method} ${JSON.stringify((req.url ?? '').slice(0, 200))}: internal error (${oneLine(e)}); answered 500`);
      try {
        if (res.headersSent) res.destroy();
        else sendCanned(req, res, SERVER_ERROR);
      } catch {
        res.destroy();
      }
    }
  };

  const server = http.createServer(handler);
  if (proxy !== undefined) {
    server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
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
    setIndex(next) {
      index = next;
      mounts = [...next.mounts].sort((a, b) => b.prefix.length - a.prefix.length);
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
        server.close(() => resolve());
        server.closeIdleConnections();
      }).then(() => proxy?.close()),
  };
}
