/**
 * The HTTP server: one request handler that routes a path to the static index (a Map
 * lookup), to a media mount (resolved per request), or answers 400/404. Media and proxy are siblings of static here, not layers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { UserError } from './errors.js';
import { handleMedia, type MediaRuntime } from './media.js';
import { requestPath } from './paths.js';
import { logError } from './log.js';
import { BAD_REQUEST, METHOD_NOT_ALLOWED, NOT_FOUND, SERVER_ERROR, sendCanned } from './send.js';
import type { MountIndex, StaticIndex } from './static-index.js';
import { serveFile } from './static.js';

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

/** The media mount whose prefix the path falls under (media prefixes never nest). */
function mediaFor(media: MediaRuntime[], p: string): MediaRuntime | undefined {
  for (const m of media) if (p.startsWith(m.prefix)) return m;
  return undefined;
}

export function createAssetServer(config: Config, initial: StaticIndex, media: MediaRuntime[] = []): AssetServer {
  let index = initial;
  let mounts = [...index.mounts].sort((a, b) => b.prefix.length - a.prefix.length);

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const parsed = requestPath(req.url ?? '');
    if (!parsed.ok) {
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
    // Media prefixes never overlap static ones (a startup check), so an upload can never shadow a static file.
    const mm = media.length === 0 ? undefined : mediaFor(media, p);
    if (mm !== undefined) {
      handleMedia(req, res, mm, p).catch((e: unknown) => {
        logError(`${p}: ${(e as Error).message}`);
        if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
      });
      return;
    }
    const mount = mountFor(mounts, p);
    if (mount !== undefined && !mount.config.internal && req.method !== 'GET' && req.method !== 'HEAD') {
      sendCanned(req, res, METHOD_NOT_ALLOWED);
      return;
    }
    sendCanned(req, res, NOT_FOUND);
  };

  const server = http.createServer(handler);

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
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
