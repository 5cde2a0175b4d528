/**
 * Upgrade requests (WebSockets) tunnelled to the app: the request head is rewritten for
 * the upstream, then bytes flow both ways untouched until either side closes, which
 * closes the other. The app's answer (101 or a refusal) reaches the client as it is.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { clientAddress, upstreamRequestHeaders } from './hop-by-hop.js';
import { logError } from './log.js';
import { upstreamPath } from './proxy.js';
import type { UpstreamTarget } from './upstream-target.js';

export interface TunnelOptions {
  target: UpstreamTarget;
  keepHost: boolean;
  connectTimeout: number;
  /** Milliseconds to wait for the app's first byte; 0 waits forever. */
  headersTimeout: number;
}

/** A raw HTTP/1.1 answer on a socket that has not been handed to a response object. */
export function rawAnswer(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The request head sent to the app: request line, headers, blank line. Pure. */
export function requestHead(method: string, path: string, headers: readonly string[]): string {
  let s = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return s + '\r\n';
}

export function tunnel(req: IncomingMessage, client: Duplex, head: Buffer, o: TunnelOptions): void {
  const { target } = o;
  const path = upstreamPath(req.url ?? '/');
  const label = `upstream ${target.label}: ${req.method} ${path} (Upgrade: ${req.headers.upgrade ?? ''})`;
  const headers = upstreamRequestHeaders(req.rawHeaders, {
    clientIp: clientAddress(req.socket.remoteAddress),
    proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    keepHost: o.keepHost,
    upstreamHost: target.socketPath ? 'localhost' : target.port === 80 ? target.host : `${target.host}:${target.port}`,
    upgrade: true,
  });
  const up = target.socketPath ? net.connect(target.socketPath) : net.connect(target.port, target.host);
  let connected = false;
  let answered = false;
  let timer: NodeJS.Timeout | undefined = setTimeout(() => {
    logError(`${label}: ${connected ? `no answer within ${o.headersTimeout} ms; answered 504` : `no connection within ${o.connectTimeout} ms; answered 502`}`);
    up.destroy();
    rawAnswer(client, connected ? 504 : 502, connected ? 'Gateway Timeout' : 'Bad Gateway');
  }, o.connectTimeout);
  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  client.on('error', () => up.destroy());
  up.on('error', (e: NodeJS.ErrnoException) => {
    clear();
    if (!answered) {
      logError(`${label}: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.code ?? e.message}; answered 502`);
      rawAnswer(client, 502, 'Bad Gateway');
    } else {
      client.destroy();
    }
  });
  up.once('connect', () => {
    connected = true;
    clear();
    if (o.headersTimeout > 0) {
      timer = setTimeout(() => {
        logError(`${label}: no answer within ${o.headersTimeout} ms; answered 504`);
        up.destroy();
        rawAnswer(client, 504, 'Gateway Timeout');
      }, o.headersTimeout);
    }
    up.setNoDelay(true);
    (client as net.Socket).setNoDelay?.(true);
    up.write(requestHead(req.method ?? 'GET', path, headers));
    if (head.length > 0) up.write(head);
    up.once('data', () => {
      answered = true;
      clear();
    });
    up.pipe(client);
    client.pipe(up);
  });
  // Either side closing closes the other, after what is already written has been flushed.
  const closeOther = (other: Duplex) => () => {
    clear();
    if (other.destroyed) return;
    other.end();
    setTimeout(() => other.destroy(), 2000).unref();
  };
  up.once('close', closeOther(client));
  client.once('close', closeOther(up));
}
