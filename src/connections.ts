/**
 * The client connections of the HTTP server, at the socket level: a timeout for connections
 * that never send a request, and the answer to requests node's parser refuses.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import { parseErrorAnswer } from './request-checks.js';

export interface ConnectionPolicy {
  /** Silence allowed before the first request's headers. */
  headersTimeout: number;
}

/** node's private link from a socket to the response being written on it. */
type WithResponse = { _httpMessage?: { _headerSent?: boolean } | null };

export function manageConnections(server: http.Server, policy: ConnectionPolicy): void {
  // node's headersTimeout starts with the first byte: a connection that never sends one
  // would stay open for good. Give it the same time, then close it.
  server.on('connection', (socket: Socket) => socket.setTimeout(policy.headersTimeout));
  // With a 'timeout' listener node no longer closes timed-out sockets itself, so decide here:
  // no response under way (silent, or idle past keepAliveTimeout) closes; a response being
  // sent to a slow reader goes on, and node's header/request timeouts still apply.
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
}
