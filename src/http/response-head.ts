/**
 * A response head written byte for byte as node:http writes it for the answers this server
 * gives (writeHead with a header list, then Date, Connection and Keep-Alive, then any
 * precomputed lines spliced before the blank line, as raw-headers.ts does). Pure: the fast
 * lane builds its heads with it, so a client gets the same bytes from either server path
 * (test/e2e/fast-lane-differential.test.ts holds the two paths to it).
 */
import { STATUS_CODES } from 'node:http';

export interface HeadOptions {
  /** Keep the connection open after this answer (node: res.shouldKeepAlive). */
  keepAlive: boolean;
  /** server.keepAliveTimeout in ms: node announces it as Keep-Alive: timeout=<s>. */
  keepAliveTimeout: number;
  /** The Date value, an IMF-fixdate (29 characters). */
  date: string;
}

/** The Date header's value for a time: an IMF-fixdate, always 29 characters (RFC 9110 §5.6.7). */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** The Connection (and Keep-Alive) lines node writes after Date. */
export function connectionLines(keepAlive: boolean, keepAliveTimeout: number): string {
  if (!keepAlive) return 'Connection: close\r\n';
  return keepAliveTimeout > 0 ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveTimeout / 1000)}\r\n` : 'Connection: keep-alive\r\n';
}

/**
 * The head: status line, `list` ([name, value, ...] in order), Date, Connection, then `tail`
 * (precomputed `Name: value\r\n` lines) and the blank line.
 */
export function responseHead(status: number, list: readonly string[], tail: string, o: HeadOptions): string {
  let h = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
  for (let i = 0; i < list.length; i += 2) h += `${list[i]}: ${list[i + 1]}\r\n`;
  return `${h}Date: ${o.date}\r\n${connectionLines(o.keepAlive, o.keepAliveTimeout)}${tail}\r\n`;
}
