/**
 * The node:http request handler: asks the routing decision (route.ts) what answers, and
 * has it answer: a static file from the index, a directory redirect, a media file, the
 * app, health or metrics, or a canned 400/404/405. Media and proxy are siblings of static
 * here, not layers. A request that makes answering throw gets a 500 (or a closed
 * connection once headers are out) and one log line; the process keeps serving.
 */
import type http from 'node:http';
import { oneLine } from '../errors.js';
import { logError } from '../log.js';
import { handleMedia } from '../media/index.js';
import type { RouteKind } from '../observe/index.js';
import type { Observer } from '../observe/index.js';
import { discardBody } from '../proxy/index.js';
import type { Proxy } from '../proxy/index.js';
import { BAD_REQUEST, METHOD_NOT_ALLOWED, NOT_FOUND, SERVER_ERROR, sendCanned } from '../respond/index.js';
import { serveFile } from '../static/index.js';
import { route, type RouteTable } from './route.js';
import type { ServiceAnswers } from './service.js';

export interface HandlerDeps {
  /** The routing table of the index in use (swapped on reload). */
  table: () => RouteTable;
  service: ServiceAnswers;
  proxy: Proxy | undefined;
  observer: Observer | undefined;
  draining: () => boolean;
  bodyTimeout: number;
}

const CANNED = { 'bad-request': BAD_REQUEST, 'not-found': NOT_FOUND, 'method-not-allowed': METHOD_NOT_ALLOWED } as const;

/** Answer the request; returns its route kind, for the metrics and the access log. */
function answer(req: http.IncomingMessage, res: http.ServerResponse, d: HandlerDeps): RouteKind {
  // while draining, every response closes its connection
  if (d.draining()) res.shouldKeepAlive = false;
  const r = route(req, d.table());
  switch (r.kind) {
    case 'file':
      serveFile(req, res, r);
      return 'static';
    case 'redirect': {
      const q = req.url!.indexOf('?');
      res.writeHead(301, ['Location', r.location + (q === -1 ? '' : req.url!.slice(q)), 'Content-Length', '0', 'Cache-Control', r.cacheControl]);
      res.end();
      return 'static';
    }
    case 'health':
      d.service.health(req, res);
      return 'service';
    case 'metrics':
      d.service.metrics(req, res);
      return 'service';
    case 'media':
      handleMedia(req, res, r.mount, r.path).catch((e: unknown) => {
        logError(`${r.path}: ${(e as Error).message}`);
        if (!res.headersSent && !res.destroyed) sendCanned(req, res, SERVER_ERROR);
      });
      return 'media';
    case 'proxy':
      d.proxy!.forward(req, res);
      return 'proxy';
    default:
      if (r.close) res.shouldKeepAlive = false;
      sendCanned(req, res, CANNED[r.kind]);
      return r.metric;
  }
}

export function createHandler(d: HandlerDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const t0 = d.observer !== undefined ? performance.now() : 0;
    let kind: RouteKind = 'other';
    try {
      kind = answer(req, res, d);
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
    if (kind !== 'proxy') discardBody(req, d.bodyTimeout);
    // after the answer: one that already ended is counted at once, without a listener
    d.observer?.track(req, res, kind, t0);
  };
}
