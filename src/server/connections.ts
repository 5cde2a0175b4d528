/**
 * The client connections of the HTTP server, at the socket level: a timeout for connections
 * that never send a request, the send timeout for clients that stop reading, the answer to
 * requests node's parser refuses, and the set of open connections a drain looks at.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import { parseErrorAnswer } from '../http/index.js';
import { look, lookInterval, type Stall } from './stall.js';

export interface ConnectionPolicy {
  /** Silence allowed before the first request's headers. */
  headersTimeout: number;
  /** Time a client may take nothing of a response with bytes waiting (0: no limit). */
  sendTimeout: number;
}

export interface Connections {
  /** The open client connections (not those handed to a tunnel). */
  sockets(): IterableIterator<Socket>;
  /** A socket handed to a tunnel (WebSocket) is no longer followed. */
  release(socket: Socket): void;
  /** Stop looking at sockets (the server closes). */
  stop(): void;
}

/** node's private link from a socket to the response being written on it. */
type WithResponse = { _httpMessage?: { _headerSent?: boolean } | null };

export function manageConnections(server: http.Server, policy: ConnectionPolicy): Connections {
  const open = new Map<Socket, Stall | null>();
  // node's headersTimeout starts with the first byte: a connection that never sends one
  // would stay open for good. Give it the same time, then close it.
  server.on('connection', (socket: Socket) => {
    socket.setTimeout(policy.headersTimeout);
    open.set(socket, null);
    socket.once('close', () => open.delete(socket));
  });
  // With a 'timeout' listener node no longer closes timed-out sockets itself, so decide here:
  // no response under way (silent, or idle past keepAliveTimeout) closes; a response under way
  // goes on: node's header/request timeouts and the send timeout below still apply.
  server.on('timeout', (socket: Socket) => {
    if ((socket as WithResponse)._httpMessage == null) socket.destroy();
    else socket.setTimeout(0);
  });
  // node's own answer to a request its parser refuses, but 501 for an unknown method
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    const res = (socket as WithResponse)._httpMessage;
    if (socket.writable && (res == null || !res._headerSent)) socket.write(parseErrorAnswer(err.code, err.rawPacket));
    socket.destroy(err);
  });
  // The send timeout: every socket is looked at a few times per period; one whose queued
  // bytes the client has not taken for the whole period is destroyed, which closes the file
  // or upstream stream feeding it. No cost per request.
  let sweep: NodeJS.Timeout | undefined;
  if (policy.sendTimeout > 0) {
    sweep = setInterval(() => {
      const now = performance.now();
      for (const [socket, prev] of open) {
        const pending = socket.writableLength;
        const next = look(prev, pending, socket.bytesWritten - pending, now, policy.sendTimeout);
        if (next === 'cut') socket.destroy();
        else if (next !== prev) open.set(socket, next);
      }
    }, lookInterval(policy.sendTimeout));
    sweep.unref();
  }
  return {
    sockets: () => open.keys(),
    release: (socket) => void open.delete(socket),
    stop: () => clearInterval(sweep),
  };
}
