/**
 * The configuration schema: every key with its kind, default, flag (and so its ASSETD_*
 * variable) and a one-line description. Validation (resolve.ts), `assetd serve --help`,
 * config.example.json (checked by test/docs.test.ts) and the README's reference table
 * (reference.ts) all come from here.
 */
import { INERT_TYPES } from '../http/index.js';
import { MANIFEST_FORMATS } from '../manifest/index.js';
import { ACCESS_LOG_FORMATS } from './types.js';

export type Kind = 'string' | 'int' | 'bool' | 'port' | 'prefix' | 'cors' | 'nullable-string' | 'format' | 'regex' | 'upstream' | 'type-list' | 'signed' | 'access-log' | 'nullable-path' | 'workers';

export interface Field {
  kind: Kind;
  default: unknown;
  /** Human description, used by --help, config.example.json and the README. */
  doc: string;
  /** Minimum for ints. */
  min?: number;
  /** The `serve` flag that sets it (and its ASSETD_* variable), if any. */
  flag?: string;
  /** The flag is a switch (`--strict`), not a flag with a value. */
  switch?: boolean;
}

export const TOP_FIELDS: Record<string, Field> = {
  host: { flag: 'host', kind: 'string', default: '127.0.0.1', doc: 'Address to listen on.' },
  port: { flag: 'port', kind: 'port', default: 8080, doc: 'TCP port to listen on (0 picks a free one).' },
  memoryThreshold: { flag: 'memory-threshold', kind: 'int', min: 0, default: 1024 * 1024, doc: 'Files and variants up to this many bytes are held in memory; larger ones stream from disk.' },
  memoryLimit: { flag: 'memory-limit', kind: 'int', min: 0, default: 256 * 1024 * 1024, doc: 'Cap on the bytes held in memory over all mounts; past it, files stream from disk.' },
  upstream: { flag: 'upstream', kind: 'upstream', default: null, doc: 'App server for requests no mount claims: http://host:port or unix:/path/to.sock; null answers them 404.' },
  upstreamConnections: { flag: 'upstream-connections', kind: 'int', min: 1, default: 32, doc: 'Most keep-alive connections open to the upstream.' },
  upstreamConnectTimeout: { flag: 'upstream-connect-timeout', kind: 'int', min: 1, default: 10_000, doc: 'Milliseconds to connect to the upstream before answering 502.' },
  upstreamHeadersTimeout: { flag: 'upstream-headers-timeout', kind: 'int', min: 0, default: 60_000, doc: "Milliseconds to wait for the upstream's response headers before answering 504; 0 waits forever." },
  upstreamBodyTimeout: { flag: 'upstream-body-timeout', kind: 'int', min: 0, default: 60_000, doc: "Milliseconds of silence allowed inside the upstream's response body; 0 waits forever." },
  upstreamKeepHost: { flag: 'upstream-keep-host', kind: 'bool', default: true, doc: "Forward the client's Host header (true) or the upstream's own host (false)." },
  maxBodySize: { flag: 'max-body-size', kind: 'int', min: 0, default: 100 * 1024 * 1024, doc: 'Largest request body forwarded to the upstream, in bytes (413 past it); 0 for no limit.' },
  workers: { flag: 'workers', kind: 'workers', default: 'auto', doc: 'Worker processes: "auto" starts one per CPU the process may use (the cgroup CPU quota rounded up, within the CPU affinity; 0 means the same), 1 runs in a single process.' },
  shutdownTimeout: { flag: 'shutdown-timeout', kind: 'int', min: 0, default: 10_000, doc: 'Milliseconds in-flight requests get to finish after SIGTERM/SIGINT before the process exits.' },
  drainDelay: { flag: 'drain-delay', kind: 'int', min: 0, default: 0, doc: 'Milliseconds a graceful stop keeps accepting connections (health answering 503) even with nothing in flight; at most shutdownTimeout.' },
  headersTimeout: { flag: 'headers-timeout', kind: 'int', min: 1, default: 10_000, doc: 'Milliseconds a client has to send its request headers (slow clients are cut off).' },
  requestTimeout: { flag: 'request-timeout', kind: 'int', min: 0, default: 0, doc: 'Milliseconds a client has to send its whole request, uploads included; 0 for no total limit (headersTimeout and bodyTimeout still apply).' },
  bodyTimeout: { flag: 'body-timeout', kind: 'int', min: 0, default: 60_000, doc: 'Milliseconds a request body (an upload) may go without a byte arriving before 408, as nginx client_body_timeout; 0 waits forever.' },
  keepAliveTimeout: { flag: 'keep-alive-timeout', kind: 'int', min: 0, default: 5_000, doc: 'Milliseconds an idle keep-alive connection stays open.' },
  sendTimeout: { flag: 'send-timeout', kind: 'int', min: 0, default: 60_000, doc: 'Milliseconds a client may take none of a response being sent before the connection is closed; 0 for no limit.' },
  maxHeaderSize: { flag: 'max-header-size', kind: 'int', min: 1024, default: 16 * 1024, doc: 'Largest request header block in bytes; larger requests get 431.' },
  fastLane: { flag: 'fast-lane', kind: 'bool', default: true, doc: "Answer static files from memory on node's own HTTP parser below node:http (one write per answer); false serves every request through node:http." },
  maxConnections: { flag: 'max-connections', kind: 'int', min: 0, default: 10_000, doc: 'Open connections per worker before new ones are dropped; 0 for no limit.' },
  accessLog: { flag: 'access-log', kind: 'access-log', default: 'combined', doc: `Access log on stdout: ${ACCESS_LOG_FORMATS.join(', ')}.` },
  healthPath: { flag: 'health-path', kind: 'nullable-path', default: '/__assetd/health', doc: 'Health check path (JSON, 503 while draining), or null for none.' },
  metricsPath: { flag: 'metrics-path', kind: 'nullable-path', default: '/__assetd/metrics', doc: 'Prometheus metrics path, or null for none.' },
};

export const MOUNT_FIELDS: Record<string, Field> = {
  prefix: { flag: 'prefix', kind: 'prefix', default: '/static/', doc: 'URL prefix of the mount.' },
  root: { flag: 'root', kind: 'string', default: null, doc: 'Directory holding the collected files (relative to the config file).' },
  manifest: { flag: 'manifest', kind: 'nullable-string', default: null, doc: 'Manifest file, relative to root; null auto-detects staticfiles.json.' },
  manifestFormat: { flag: 'manifest-format', kind: 'format', default: null, doc: `Manifest format (${MANIFEST_FORMATS.join(', ')}); null detects it.` },
  maxAge: { flag: 'max-age', kind: 'int', min: 0, default: 60, doc: 'max-age in seconds for names that are not hashed.' },
  immutableCacheControl: { kind: 'string', default: 'public, max-age=31536000, immutable', doc: 'Cache-Control for hashed names.' },
  immutablePattern: { kind: 'regex', default: '\\.[0-9a-f]{12}\\.[^/.]+$', doc: 'Without a manifest, names matching this regular expression count as hashed.' },
  cors: { flag: 'cors', kind: 'cors', default: '*', doc: 'Access-Control-Allow-Origin value, or false for none.' },
  index: { flag: 'index', kind: 'nullable-string', default: null, doc: 'Index file for directory paths (e.g. "index.html"), or null.' },
  followSymlinks: { flag: 'follow-symlinks', switch: true, kind: 'bool', default: false, doc: 'Follow symlinks whose target is outside the root (trees made by collectstatic --link).' },
  strict: { flag: 'strict', switch: true, kind: 'bool', default: false, doc: 'Make manifest names missing on disk a startup error.' },
  fallthrough: { flag: 'fallthrough', switch: true, kind: 'bool', default: false, doc: 'Paths under the prefix that are not indexed go to the upstream instead of a 404.' },
  internal: { kind: 'bool', default: false, doc: 'Answer 404 to direct requests; served only through X-Accel-Redirect.' },
  compressMissing: { flag: 'compress-missing', switch: true, kind: 'bool', default: false, doc: 'At startup, compress in memory (brotli and gzip) the compressible files that have no precompressed variant, within memoryThreshold and memoryLimit.' },
};

export const MEDIA_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
export const SIGNED_CACHE_CONTROL = 'private, max-age=0, must-revalidate';
/** Shortest signing key accepted, in bytes. */
export const MIN_SECRET_BYTES = 32;

export const MEDIA_FIELDS: Record<string, Field> = {
  prefix: { flag: 'media-prefix', kind: 'prefix', default: '/media/', doc: 'URL prefix of the media mount.' },
  root: { flag: 'media-root', kind: 'string', default: null, doc: 'Upload folder (relative to the config file); read per request, never indexed.' },
  cacheControl: { kind: 'nullable-string', default: null, doc: `Cache-Control; null means "${MEDIA_CACHE_CONTROL}" ("${SIGNED_CACHE_CONTROL}" on signed mounts).` },
  inertTypes: { kind: 'type-list', default: INERT_TYPES, doc: "Types known not to run script, shown inline (still with Content-Security-Policy: sandbox); any other type is sent with Content-Disposition: attachment." },
  inlineTypes: { kind: 'type-list', default: [], doc: 'Types added to those shown inline, still in the CSP sandbox (e.g. ["image/svg+xml"]).' },
  internal: { kind: 'bool', default: false, doc: 'Answer 404 to direct requests; served only through X-Accel-Redirect.' },
  signed: { kind: 'signed', default: null, doc: 'Require signed links: {"secretFile": path} or {"secretEnv": "ASSETD_..."}; null for none.' },
};

/** The three groups of keys: the top level, each static mount, each media mount. */
export const GROUPS: readonly { name: string; fields: Record<string, Field>; docPrefix: string; flagKey: string; what: string }[] = [
  { name: 'top-level', fields: TOP_FIELDS, docPrefix: '', flagKey: '', what: '' },
  { name: 'static', fields: MOUNT_FIELDS, docPrefix: 'static[].', flagKey: 'mount.', what: 'the static mounts, indexed at startup' },
  { name: 'media', fields: MEDIA_FIELDS, docPrefix: 'media[].', flagKey: 'media.', what: 'the media mounts, read per request' },
];

/**
 * Command-line flags of `serve` and the key each one sets, from the fields' `flag`. A key
 * `mount.X` sets field X of the first static mount (creating it when the config has none),
 * `media.X` of the first media mount. Every flag also reads from the environment as
 * ASSETD_<FLAG_IN_UPPER_SNAKE_CASE>.
 */
export const SERVE_FLAGS: Record<string, { key: string; type: 'string' | 'boolean' }> = Object.fromEntries(
  GROUPS.flatMap(({ fields, flagKey }) =>
    Object.entries(fields)
      .filter(([, f]) => f.flag !== undefined)
      .map(([k, f]) => [f.flag!, { key: flagKey + k, type: f.switch ? ('boolean' as const) : ('string' as const) }]),
  ),
);

export function envName(flag: string): string {
  return 'ASSETD_' + flag.toUpperCase().replace(/-/g, '_');
}
