/**
 * Which headers cross the proxy, both ways. Pure: flat [name, value, ...] lists in, out.
 * Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are dropped; the
 * X-Forwarded-* headers describe the client connection to the app.
 */

/** Always connection-specific, whatever Connection lists. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy']);

/** Header names listed in Connection values (comma-separated tokens), lower case. */
export function connectionTokens(values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    for (const t of v.split(',')) {
      const n = t.trim().toLowerCase();
      if (n !== '') out.add(n);
    }
  }
  return out;
}

/** True for a header that is always hop-by-hop: the fixed set and every Proxy-* header. */
export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName) || lowerName.startsWith('proxy-');
}

function connectionValues(flat: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === 'connection') out.push(flat[i + 1]);
  return out;
}

/**
 * Headers by which a proxy in front of this one tells the app about the client: its
 * address, scheme, port, host or path prefix. A client could send them to pose as such a
 * proxy (gunicorn trusts several from 127.0.0.1 by default; Django reads
 * SECURE_PROXY_SSL_HEADER), so they are dropped from every request. X-Forwarded-Proto
 * and X-Forwarded-Host are then set by this server, X-Forwarded-For appended to. This is
 * the one place a trusted-proxies setting would let them through from a trusted peer.
 */
export const UNTRUSTED_FORWARDING_HEADERS: ReadonlySet<string> = new Set([
  'forwarded',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-ssl',
  'x-forwarded-protocol',
  'x-forwarded-scheme',
  'x-url-scheme',
  'front-end-https',
  'x-real-ip',
]);

/** True for a client's forwarding header this server does not pass on (see UNTRUSTED_FORWARDING_HEADERS). */
export function isUntrustedForwarding(lowerName: string): boolean {
  return UNTRUSTED_FORWARDING_HEADERS.has(lowerName);
}

/**
 * True for a request header name with an underscore: dropped, as nginx does by default
 * (`underscores_in_headers off`), since CGI-style servers map `X_Forwarded_Proto` and
 * `X-Forwarded-Proto` to the same variable and would merge a client's value into ours.
 */
export function hasUnderscore(name: string): boolean {
  return name.includes('_');
}

/** The client address as the app should see it: IPv4-mapped IPv6 shown as plain IPv4. */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return 'unknown';
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
}

export interface ForwardInfo {
  /** Address of the client connection (req.socket.remoteAddress). */
  clientIp: string;
  /** Scheme the client used to reach us. */
  proto: 'http' | 'https';
  /** Keep the client's Host (true) or send `upstreamHost` (false). */
  keepHost: boolean;
  /** Host header naming the upstream itself, used when keepHost is false or the client sent none. */
  upstreamHost: string;
  /** An Upgrade request being tunnelled: keep `Connection: upgrade` and `Upgrade`. */
  upgrade?: boolean;
}

/**
 * Headers for the upstream request, from the client's raw headers (req.rawHeaders).
 * Drops hop-by-hop headers and those Connection names, Expect (this server has already
 * answered it), names with an underscore and the client's forwarding headers; appends the
 * client to X-Forwarded-For; sets X-Forwarded-Proto and X-Forwarded-Host; keeps every
 * other header, its case, order and repetitions.
 */
export function upstreamRequestHeaders(raw: readonly string[], info: ForwardInfo): string[] {
  const listed = connectionTokens(connectionValues(raw));
  const out: string[] = [];
  const forwardedFor: string[] = [];
  let host: string | undefined;
  let upgradeValue: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    const lower = name.toLowerCase();
    if (lower === 'host') {
      if (host === undefined) host = value;
      continue;
    }
    if (lower === 'upgrade') {
      if (upgradeValue === undefined) upgradeValue = value;
      continue;
    }
    if (lower === 'x-forwarded-for') {
      forwardedFor.push(value);
      continue;
    }
    if (lower === 'expect' || hasUnderscore(lower) || isUntrustedForwarding(lower)) continue;
    if (isHopByHop(lower) || listed.has(lower)) continue;
    out.push(name, value);
  }
  const head: string[] = ['Host', info.keepHost && host !== undefined ? host : info.upstreamHost];
  if (info.upgrade && upgradeValue !== undefined) head.push('Connection', 'upgrade', 'Upgrade', upgradeValue);
  forwardedFor.push(info.clientIp);
  const tail: string[] = ['X-Forwarded-For', forwardedFor.join(', '), 'X-Forwarded-Proto', info.proto];
  if (host !== undefined) tail.push('X-Forwarded-Host', host);
  return head.concat(out, tail);
}

/** Response header values as an HTTP client library hands them: one string, or a list for repeats. */
export type HeaderRecord = Record<string, string | string[] | undefined>;

/**
 * Headers for the client, from the upstream's response. Drops hop-by-hop headers, those
 * its Connection names, and the X-Accel-* control headers meant for this server; keeps
 * each repeated header (every Set-Cookie) as its own line.
 */
export function clientResponseHeaders(headers: HeaderRecord): string[] {
  const conn = headers['connection'];
  const listed = connectionTokens(conn === undefined ? [] : Array.isArray(conn) ? conn : [conn]);
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || listed.has(lower) || lower.startsWith('x-accel-')) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}

/** The first value of a header in a record, as a string. */
export function firstHeader(headers: HeaderRecord, lowerName: string): string | undefined {
  const v = headers[lowerName];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The app's answer to an Upgrade request as relayed to the client, from its raw headers
 * (res.rawHeaders). Hop-by-hop headers, those Connection names and the X-Accel-* controls
 * are dropped; a 101 (`switching`) keeps its `Upgrade` and a `Connection: upgrade`, the
 * switch itself. Any other answer gets its framing and `Connection` from the relay.
 */
export function relayedResponseHeaders(raw: readonly string[], switching: boolean): string[] {
  const listed = connectionTokens(connectionValues(raw));
  const out: string[] = [];
  let connectionSent = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (switching && lower === 'upgrade') {
      out.push(name, raw[i + 1]);
      continue;
    }
    if (switching && lower === 'connection') {
      if (!connectionSent) out.push(name, 'Upgrade');
      connectionSent = true;
      continue;
    }
    if (isHopByHop(lower) || listed.has(lower) || lower.startsWith('x-accel-')) continue;
    out.push(name, raw[i + 1]);
  }
  return out;
}
