/**
 * The upstream address: `http://host:port` or `unix:/path/to.sock`. Pure: parsing only.
 */

export interface UpstreamTarget {
  /** Origin handed to the HTTP client (for a unix socket, a placeholder host). */
  origin: string;
  /** Host and port, or the socket path, for raw (Upgrade) connections. */
  host: string;
  port: number;
  socketPath: string | null;
  /** The address as the user wrote it, normalised, for log lines. */
  label: string;
  /** The Host header naming the upstream itself (upstreamKeepHost false, or no Host from the client). */
  hostHeader: string;
}

export type UpstreamParse = { ok: true; target: UpstreamTarget } | { ok: false; why: string };

/** Parse an upstream address; the `why` of a refusal is a short phrase for a one-line error. */
export function parseUpstream(raw: string): UpstreamParse {
  const s = raw.trim();
  if (s.startsWith('unix:')) {
    const p = s.slice('unix:'.length);
    if (!p.startsWith('/')) return { ok: false, why: 'expected unix:/absolute/path/to.sock' };
    if (/[\0\r\n]/.test(p)) return { ok: false, why: 'the socket path has control characters' };
    return { ok: true, target: { origin: 'http://localhost', host: 'localhost', port: 80, socketPath: p, label: `unix:${p}`, hostHeader: 'localhost' } };
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return { ok: false, why: 'expected http://host:port or unix:/path/to.sock' };
  }
  if (u.protocol !== 'http:') return { ok: false, why: `only http:// and unix: upstreams are supported (not ${u.protocol.replace(/:$/, '')})` };
  if (u.username || u.password) return { ok: false, why: 'credentials in the upstream address are not supported' };
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
    return { ok: false, why: 'the upstream is an origin only (no path, query or fragment): requests keep their own path' };
  }
  if (u.hostname === '') return { ok: false, why: 'expected a host' };
  const port = u.port === '' ? 80 : Number(u.port);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { ok: true, target: { origin: u.origin, host, port, socketPath: null, label: u.origin, hostHeader: port === 80 ? u.hostname : `${u.hostname}:${port}` } };
}
