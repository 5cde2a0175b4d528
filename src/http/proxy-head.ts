/**
 * The proxy's header blocks as text, in one pass over the raw lists the parsers hand over:
 * the request head sent to the app, and the app's headers as the client gets them. The same
 * rules as hop-by-hop.ts (which builds lists for the Upgrade path); here no intermediate
 * list or record is made. Pure.
 */
import { connectionTokens, hasUnderscore, isHopByHop, isUntrustedForwarding, type ForwardInfo } from './hop-by-hop.js';

/**
 * The header names a Connection header lists beyond the always hop-by-hop ones, lower case,
 * or null when it lists none (the usual case, `keep-alive`: no set is made).
 */
function listedNames(raw: readonly string[]): Set<string> | null {
  let listed: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    for (const t of connectionTokens([raw[i + 1]])) if (!isHopByHop(t)) (listed ??= new Set()).add(t);
  }
  return listed;
}

/** How a request body is sent to the app. */
export type BodyFraming = 'none' | 'length' | 'chunked';

/**
 * The request head for the app: request line, headers, blank line, as latin1 text (header
 * values are latin1 strings, as node's parser hands them). Drops hop-by-hop headers and those
 * Connection names, Expect (this server has answered it), names with an underscore and the
 * client's forwarding headers; appends the client to X-Forwarded-For; sets X-Forwarded-Proto
 * and X-Forwarded-Host; keeps every other header, its case, order and repetitions; the same
 * headers upstreamRequestHeaders lists, in the same order. The framing is this hop's own
 * (RFC 9112 §6.2): `Content-Length: length` for a body of known length (`length` is the
 * client's, as node checked it), `Transfer-Encoding: chunked` for one that is not, and
 * `Content-Length: 0` for none when the client sent a length or the method expects a body.
 */
export function upstreamRequestHead(method: string, path: string, raw: readonly string[], info: ForwardInfo, body: BodyFraming, length: string | undefined): string {
  const listed = listedNames(raw);
  let lines = '';
  let host: string | undefined;
  let forwardedFor = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower === 'host') {
      if (host === undefined) host = raw[i + 1];
      continue;
    }
    if (lower === 'x-forwarded-for') {
      forwardedFor += `${raw[i + 1]}, `;
      continue;
    }
    if (lower === 'content-length' || lower === 'expect' || hasUnderscore(lower) || isUntrustedForwarding(lower) || isHopByHop(lower)) continue;
    if (listed !== null && listed.has(lower)) continue;
    lines += `${name}: ${raw[i + 1]}\r\n`;
  }
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${info.keepHost && host !== undefined ? host : info.upstreamHost}\r\n${lines}`;
  if (body === 'length') head += `Content-Length: ${length}\r\n`;
  else if (body === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
  else if (length !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH') head += 'Content-Length: 0\r\n';
  head += `X-Forwarded-For: ${forwardedFor}${info.clientIp}\r\nX-Forwarded-Proto: ${info.proto}\r\n`;
  if (host !== undefined) head += `X-Forwarded-Host: ${host}\r\n`;
  return head + '\r\n';
}

/** The app's response headers sorted for the client. */
export interface ClientHead {
  /** The app's Content-Length, which frames the body (node must see it), or undefined. */
  contentLength: string | undefined;
  /** Every other header the client gets, as `Name: value\r\n` lines. */
  tail: string;
  /** The app sent a Date (node must not add its own). */
  date: boolean;
  /** The first X-Accel-Redirect value, or undefined. */
  accel: string | undefined;
}

/**
 * The app's headers for the client, from the raw list of its answer. Drops hop-by-hop
 * headers, those its Connection names and the X-Accel-* control headers; keeps each repeated
 * header (every Set-Cookie) as its own line, names in the app's own case, values as given.
 */
export function clientHead(raw: readonly string[]): ClientHead {
  const listed = listedNames(raw);
  let tail = '';
  let contentLength: string | undefined;
  let date = false;
  let accel: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      contentLength = raw[i + 1];
      continue;
    }
    if (isHopByHop(lower)) continue;
    if (lower.startsWith('x-accel-')) {
      if (lower === 'x-accel-redirect' && accel === undefined) accel = raw[i + 1];
      continue;
    }
    if (listed !== null && listed.has(lower)) continue;
    if (lower === 'date') date = true;
    tail += `${name}: ${raw[i + 1]}\r\n`;
  }
  return { contentLength, tail, date, accel };
}

/** Milliseconds the app's `Keep-Alive: timeout=N` says it keeps an idle connection, or undefined. */
export function keepAliveHint(raw: readonly string[]): number | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 10 || raw[i].toLowerCase() !== 'keep-alive') continue;
    const m = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(raw[i + 1]);
    if (m) return Number(m[1]) * 1000;
  }
  return undefined;
}

/** A raw header list as a record by lower-case name, repeats as lists (as an HTTP client library hands them). */
export function headerRecord(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    const had = out[lower];
    if (had === undefined) out[lower] = raw[i + 1];
    else if (Array.isArray(had)) had.push(raw[i + 1]);
    else out[lower] = [had, raw[i + 1]];
  }
  return out;
}
