/**
 * Upgrade requests (WebSockets) sent to the app. The request goes out through node's HTTP
 * client, whose parser (llhttp) reads the app's answer: only a `101 Switching Protocols`
 * opens a tunnel, where bytes flow both ways untouched until either side closes. Any other
 * answer is relayed as a plain response with `Connection: close` and the connection is
 * closed, so nothing the client sends after it can reach the app outside normal routing.
 */
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type net from 'node:net';
import { Transform, type Duplex, type TransformCallback } from 'node:stream';
import { clientAddress, relayedResponseHeaders, upstreamRequestHeaders } from '../http/index.js';
import { logError } from '../log.js';
import { upstreamPath } from './forward.js';
import type { UpstreamTarget } from '../http/index.js';

export interface TunnelOptions {
  target: UpstreamTarget;
  keepHost: boolean;
  connectTimeout: number;
  /** Milliseconds to wait for the app's answer; 0 waits forever. */
  headersTimeout: number;
}

/** A raw HTTP/1.1 answer on a socket that has not been handed to a response object. */
export function rawAnswer(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  // read and drop whatever else the client sent, so its close is seen
  socket.resume();
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** A response head: status line, headers, blank line, as bytes (header values are latin1, as node hands them). Pure. */
export function responseHead(status: number, reason: string, headers: readonly string[]): Buffer {
  let s = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (let i = 0; i < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

export type Framing = 'none' | 'length' | 'chunked' | 'close';

/**
 * How a relayed answer's body is delimited on the client connection. Pure.
 * No body for HEAD, 204 and 304; the app's Content-Length when it gave one; otherwise
 * chunked, or the end of the connection for an HTTP/1.0 client.
 */
export function relayFraming(method: string, status: number, hasLength: boolean, http10: boolean): Framing {
  if (method === 'HEAD' || status === 204 || status === 304) return 'none';
  if (hasLength) return 'length';
  return http10 ? 'close' : 'chunked';
}

/** Chunked transfer coding of a byte stream, last chunk included. */
class Chunked extends Transform {
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (chunk.length === 0) return cb();
    this.push(`${chunk.length.toString(16)}\r\n`);
    this.push(chunk);
    cb(null, '\r\n');
  }
  override _flush(cb: TransformCallback): void {
    cb(null, '0\r\n\r\n');
  }
}

/** A body an Upgrade request declares: it would be handed to the tunnel unframed, so such requests are refused. */
function declaresBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

export function tunnel(req: IncomingMessage, client: Duplex, head: Buffer, o: TunnelOptions): void {
  if (declaresBody(req)) return rawAnswer(client, 400, 'Bad Request');
  const { target } = o;
  const method = req.method ?? 'GET';
  const path = upstreamPath(req.url ?? '/');
  const label = `upstream ${target.label}: ${method} ${path} (Upgrade: ${req.headers.upgrade ?? ''})`;
  const headers = upstreamRequestHeaders(req.rawHeaders, {
    clientIp: clientAddress(req.socket.remoteAddress),
    proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    keepHost: o.keepHost,
    upstreamHost: target.hostHeader,
    upgrade: true,
  });
  let up: http.ClientRequest;
  try {
    up = http.request({
      ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
      method,
      path,
      headers,
      agent: false,
    });
  } catch (e) {
    logError(`${label}: cannot be sent (${(e as Error).message}); answered 400`);
    return rawAnswer(client, 400, 'Bad Request');
  }
  let connected = false;
  let answered = false;
  const fail = (status: 502 | 504, why: string) => {
    if (answered) return;
    answered = true;
    clear();
    logError(`${label}: ${why}; answered ${status}`);
    up.destroy();
    rawAnswer(client, status, status === 504 ? 'Gateway Timeout' : 'Bad Gateway');
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(() => fail(502, `no connection within ${o.connectTimeout} ms`), o.connectTimeout);
  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  up.once('socket', (s: net.Socket) => {
    s.once('connect', () => {
      connected = true;
      clear();
      s.setNoDelay(true);
      if (o.headersTimeout > 0) timer = setTimeout(() => fail(504, `no answer within ${o.headersTimeout} ms`), o.headersTimeout);
    });
  });
  up.on('error', (e: NodeJS.ErrnoException) => {
    if (!answered) fail(502, e.code === 'ECONNREFUSED' ? 'connection refused' : connected ? `no valid answer (${e.code ?? e.message})` : (e.code ?? e.message));
    else client.destroy();
  });
  // The client leaving before the app answered abandons the request.
  client.once('close', () => {
    if (!answered) {
      answered = true;
      clear();
      up.destroy();
    }
  });

  // 101: the app switched protocols; from here on both sides speak it, byte for byte.
  up.once('upgrade', (res: IncomingMessage, upSocket: net.Socket, upHead: Buffer) => {
    if (answered) return upSocket.destroy();
    answered = true;
    clear();
    upSocket.on('error', () => client.destroy());
    client.on('error', () => upSocket.destroy());
    (client as net.Socket).setNoDelay?.(true);
    client.write(responseHead(101, res.statusMessage || 'Switching Protocols', relayedResponseHeaders(res.rawHeaders, true)));
    if (upHead.length > 0) client.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.pipe(client);
    client.pipe(upSocket);
    // Either side closing closes the other, after what is already written has been flushed.
    const closeOther = (other: Duplex) => () => {
      if (other.destroyed) return;
      other.end();
      setTimeout(() => other.destroy(), 2000).unref();
    };
    upSocket.once('close', closeOther(client));
    client.once('close', closeOther(upSocket));
  });

  // Any other answer: relayed as a plain response, then the connection is closed.
  up.once('response', (res: IncomingMessage) => {
    if (answered) return res.destroy();
    const status = res.statusCode ?? 502;
    if (status === 101) {
      // a 101 without `Connection: upgrade` and `Upgrade` switches to nothing the parser can follow
      res.destroy();
      return fail(502, '101 Switching Protocols without Connection: upgrade and Upgrade');
    }
    answered = true;
    clear();
    const relayed = relayedResponseHeaders(res.rawHeaders, false);
    const framing = relayFraming(method, status, res.headers['content-length'] !== undefined, req.httpVersion === '1.0');
    if (framing !== 'length') for (let i = relayed.length - 2; i >= 0; i -= 2) if (relayed[i].toLowerCase() === 'content-length') relayed.splice(i, 2);
    if (framing === 'chunked') relayed.push('Transfer-Encoding', 'chunked');
    relayed.push('Connection', 'close');
    const done = () => {
      up.destroy();
      if (!client.destroyed) client.end();
      // whatever the client sent after its request is read and dropped, so its close is seen
      client.resume();
      setTimeout(() => client.destroy(), 2000).unref();
    };
    client.write(responseHead(status, res.statusMessage || '', relayed));
    if (framing === 'none') {
      res.resume();
      return done();
    }
    // A body cut short by the app closes the client connection without its end (no last chunk, length not met).
    res.once('aborted', () => client.destroy());
    res.once('error', () => client.destroy());
    client.once('close', () => res.destroy());
    const body = framing === 'chunked' ? res.pipe(new Chunked()) : res;
    body.pipe(client, { end: false });
    body.once('end', () => {
      if (res.complete) done();
      else client.destroy();
    });
  });

  up.end();
}
