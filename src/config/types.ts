/** The validated configuration: what every other part of the server reads. Types only, and the access log formats. */
import type { ManifestFormat } from '../manifest/index.js';
import type { Secret } from './secret.js';

export interface StaticMount {
  /** URL prefix, starting and ending with '/'. */
  prefix: string;
  /** Absolute directory. */
  root: string;
  /** Manifest file (relative to root, or absolute); auto-detected when absent. */
  manifest: string | null;
  manifestFormat: ManifestFormat | null;
  /** max-age for names that are not hashed. */
  maxAge: number;
  /** Cache-Control for hashed (immutable) names. */
  immutableCacheControl: string;
  /** Without a manifest: which names count as hashed. */
  immutablePattern: string;
  /** Access-Control-Allow-Origin value, or false for none. */
  cors: string | false;
  /** Index file served for a directory path ending in '/', or null. */
  index: string | null;
  /** Follow symlinks whose target is outside the root. */
  followSymlinks: boolean;
  /** Manifest names missing on disk are fatal. */
  strict: boolean;
  /** Paths under the prefix that are not in the index go to the upstream instead of 404. */
  fallthrough: boolean;
  /** Reachable only through X-Accel-Redirect from the upstream. */
  internal: boolean;
  /** Compress, in memory at startup, compressible files that have no .br/.gz on disk. */
  compressMissing: boolean;
}

/** A media mount: user uploads, resolved per request (never indexed), served as untrusted. */
export interface MediaMount {
  /** URL prefix, starting and ending with '/'. */
  prefix: string;
  /** Absolute directory. */
  root: string;
  cacheControl: string;
  /** Types known not to run script: shown inline (in the CSP sandbox); any other type is an attachment. */
  inertTypes: string[];
  /** Types this mount serves as they are: inline, no sandbox (uploads it sanitises). */
  inlineTypes: string[];
  /** Reachable only through X-Accel-Redirect from the upstream. */
  internal: boolean;
  /** Signed links: the key, and where it came from (for messages; never the key itself). */
  signed: { secret: Secret; source: string } | null;
}

export interface Config {
  host: string;
  port: number;
  /** Files (and variants) up to this many bytes are held in memory. */
  memoryThreshold: number;
  /** Total bytes held in memory across all mounts; larger sets stream the rest. */
  memoryLimit: number;
  /** Worker processes, or "auto" (0 in a file or flag reads as "auto"): one per CPU the quota and affinity allow. 1 runs in a single process. */
  workers: number | 'auto';
  /** Milliseconds in-flight requests get to finish after SIGTERM/SIGINT. */
  shutdownTimeout: number;
  /** Milliseconds a drain keeps accepting (health answering 503) even with nothing in flight. */
  drainDelay: number;
  /** Milliseconds a client has to send the request headers. */
  headersTimeout: number;
  /** Milliseconds a client has to send the whole request (0: no limit, the default). */
  requestTimeout: number;
  /** Milliseconds a request body may go without a byte arriving (408 past it); 0 waits forever. */
  bodyTimeout: number;
  /** Milliseconds an idle keep-alive connection is kept open. */
  keepAliveTimeout: number;
  /** Milliseconds a client may take nothing of a response with bytes waiting (0: no limit). */
  sendTimeout: number;
  /** Largest request header block, in bytes. */
  maxHeaderSize: number;
  /** Open connections per worker before new ones are refused (0: no limit). */
  maxConnections: number;
  accessLog: AccessLogFormat;
  /** Health check path, or null for none. */
  healthPath: string | null;
  /** Prometheus metrics path, or null for none. */
  metricsPath: string | null;
  static: StaticMount[];
  /** The app server requests no mount claims go to: http://host:port or unix:/path, or null. */
  upstream: string | null;
  /** Most connections kept open to the upstream. */
  upstreamConnections: number;
  /** Milliseconds to establish a connection to the upstream (502 past it). */
  upstreamConnectTimeout: number;
  /** Milliseconds to wait for the upstream's response headers (504 past it); 0 waits forever. */
  upstreamHeadersTimeout: number;
  /** Milliseconds of silence allowed between two chunks of the upstream's body; 0 waits forever. */
  upstreamBodyTimeout: number;
  /** Forward the client's Host header (true) or send the upstream's own host (false). */
  upstreamKeepHost: boolean;
  /** Static answers from memory on node's llhttp binding, below node:http. */
  fastLane: boolean;
  /** Largest request body forwarded, in bytes (413 past it); 0 for no limit. */
  maxBodySize: number;
  media: MediaMount[];
}

export const ACCESS_LOG_FORMATS = ['combined', 'json', 'off'] as const;
export type AccessLogFormat = (typeof ACCESS_LOG_FORMATS)[number];
