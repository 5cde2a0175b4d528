/**
 * Configuration: defaults < config file < ASSETD_* environment < flags.
 * Pure: it is handed the parsed file, the environment and the flags, and returns a
 * validated Config or throws a one-line UserError naming the key and the problem.
 */
import path from 'node:path';
import { UserError } from '../errors.js';
import { MANIFEST_FORMATS, type ManifestFormat } from '../manifest/types.js';
import { parseUpstream } from '../http/upstream-target.js';
import { Secret } from '../media/sign.js';
import { INERT_TYPES } from '../media/policy.js';

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
  /** Worker processes; 0 means one per available CPU. 1 runs in a single process. */
  workers: number;
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
  /** Largest request body forwarded, in bytes (413 past it); 0 for no limit. */
  maxBodySize: number;
  media: MediaMount[];
}

export const ACCESS_LOG_FORMATS = ['combined', 'json', 'off'] as const;
export type AccessLogFormat = (typeof ACCESS_LOG_FORMATS)[number];

type Kind = 'string' | 'int' | 'bool' | 'port' | 'prefix' | 'cors' | 'nullable-string' | 'format' | 'regex' | 'upstream' | 'type-list' | 'signed' | 'access-log' | 'nullable-path';

interface Field {
  kind: Kind;
  default: unknown;
  /** Human description, used by config.example.json and the README. */
  doc: string;
  /** Minimum for ints. */
  min?: number;
}

export const TOP_FIELDS: Record<string, Field> = {
  host: { kind: 'string', default: '127.0.0.1', doc: 'Address to listen on.' },
  port: { kind: 'port', default: 8080, doc: 'TCP port to listen on (0 picks a free one).' },
  memoryThreshold: { kind: 'int', min: 0, default: 1024 * 1024, doc: 'Files and variants up to this many bytes are held in memory; larger ones stream from disk.' },
  memoryLimit: { kind: 'int', min: 0, default: 256 * 1024 * 1024, doc: 'Cap on the bytes held in memory over all mounts; past it, files stream from disk.' },
  upstream: { kind: 'upstream', default: null, doc: 'App server for requests no mount claims: http://host:port or unix:/path/to.sock; null answers them 404.' },
  upstreamConnections: { kind: 'int', min: 1, default: 32, doc: 'Most keep-alive connections open to the upstream.' },
  upstreamConnectTimeout: { kind: 'int', min: 1, default: 10_000, doc: 'Milliseconds to connect to the upstream before answering 502.' },
  upstreamHeadersTimeout: { kind: 'int', min: 0, default: 60_000, doc: "Milliseconds to wait for the upstream's response headers before answering 504; 0 waits forever." },
  upstreamBodyTimeout: { kind: 'int', min: 0, default: 60_000, doc: "Milliseconds of silence allowed inside the upstream's response body; 0 waits forever." },
  upstreamKeepHost: { kind: 'bool', default: true, doc: "Forward the client's Host header (true) or the upstream's own host (false)." },
  maxBodySize: { kind: 'int', min: 0, default: 100 * 1024 * 1024, doc: 'Largest request body forwarded to the upstream, in bytes (413 past it); 0 for no limit.' },
  workers: { kind: 'int', min: 0, default: 0, doc: 'Worker processes; 0 starts one per available CPU, 1 runs in a single process.' },
  shutdownTimeout: { kind: 'int', min: 0, default: 10_000, doc: 'Milliseconds in-flight requests get to finish after SIGTERM/SIGINT before the process exits.' },
  drainDelay: { kind: 'int', min: 0, default: 0, doc: 'Milliseconds a graceful stop keeps accepting connections (health answering 503) even with nothing in flight; at most shutdownTimeout.' },
  headersTimeout: { kind: 'int', min: 1, default: 10_000, doc: 'Milliseconds a client has to send its request headers (slow clients are cut off).' },
  requestTimeout: { kind: 'int', min: 0, default: 0, doc: 'Milliseconds a client has to send its whole request, uploads included; 0 for no total limit (headersTimeout and bodyTimeout still apply).' },
  bodyTimeout: { kind: 'int', min: 0, default: 60_000, doc: 'Milliseconds a request body (an upload) may go without a byte arriving before 408, as nginx client_body_timeout; 0 waits forever.' },
  keepAliveTimeout: { kind: 'int', min: 0, default: 5_000, doc: 'Milliseconds an idle keep-alive connection stays open.' },
  sendTimeout: { kind: 'int', min: 0, default: 60_000, doc: 'Milliseconds a client may take none of a response being sent before the connection is closed; 0 for no limit.' },
  maxHeaderSize: { kind: 'int', min: 1024, default: 16 * 1024, doc: 'Largest request header block in bytes; larger requests get 431.' },
  maxConnections: { kind: 'int', min: 0, default: 10_000, doc: 'Open connections per worker before new ones are dropped; 0 for no limit.' },
  accessLog: { kind: 'access-log', default: 'combined', doc: `Access log on stdout: ${ACCESS_LOG_FORMATS.join(', ')}.` },
  healthPath: { kind: 'nullable-path', default: '/__assetd/health', doc: 'Health check path (JSON, 503 while draining), or null for none.' },
  metricsPath: { kind: 'nullable-path', default: '/__assetd/metrics', doc: 'Prometheus metrics path, or null for none.' },
};

export const MOUNT_FIELDS: Record<string, Field> = {
  prefix: { kind: 'prefix', default: '/static/', doc: 'URL prefix of the mount.' },
  root: { kind: 'string', default: null, doc: 'Directory holding the collected files (relative to the config file).' },
  manifest: { kind: 'nullable-string', default: null, doc: 'Manifest file, relative to root; null auto-detects staticfiles.json.' },
  manifestFormat: { kind: 'format', default: null, doc: `Manifest format (${MANIFEST_FORMATS.join(', ')}); null detects it.` },
  maxAge: { kind: 'int', min: 0, default: 60, doc: 'max-age in seconds for names that are not hashed.' },
  immutableCacheControl: { kind: 'string', default: 'public, max-age=31536000, immutable', doc: 'Cache-Control for hashed names.' },
  immutablePattern: { kind: 'regex', default: '\\.[0-9a-f]{12}\\.[^/.]+$', doc: 'Without a manifest, names matching this regular expression count as hashed.' },
  cors: { kind: 'cors', default: '*', doc: 'Access-Control-Allow-Origin value, or false for none.' },
  index: { kind: 'nullable-string', default: null, doc: 'Index file for directory paths (e.g. "index.html"), or null.' },
  followSymlinks: { kind: 'bool', default: false, doc: 'Follow symlinks whose target is outside the root (trees made by collectstatic --link).' },
  strict: { kind: 'bool', default: false, doc: 'Make manifest names missing on disk a startup error.' },
  fallthrough: { kind: 'bool', default: false, doc: 'Paths under the prefix that are not indexed go to the upstream instead of a 404.' },
  internal: { kind: 'bool', default: false, doc: 'Answer 404 to direct requests; served only through X-Accel-Redirect.' },
  compressMissing: { kind: 'bool', default: false, doc: 'At startup, compress in memory (brotli and gzip) the compressible files that have no precompressed variant, within memoryThreshold and memoryLimit.' },
};

export const MEDIA_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
export const SIGNED_CACHE_CONTROL = 'private, max-age=0, must-revalidate';
/** Shortest signing key accepted, in bytes. */
export const MIN_SECRET_BYTES = 32;

export const MEDIA_FIELDS: Record<string, Field> = {
  prefix: { kind: 'prefix', default: '/media/', doc: 'URL prefix of the media mount.' },
  root: { kind: 'string', default: null, doc: 'Upload folder (relative to the config file); read per request, never indexed.' },
  cacheControl: { kind: 'nullable-string', default: null, doc: `Cache-Control; null means "${MEDIA_CACHE_CONTROL}" ("${SIGNED_CACHE_CONTROL}" on signed mounts).` },
  inertTypes: { kind: 'type-list', default: INERT_TYPES, doc: "Types known not to run script, shown inline (still with Content-Security-Policy: sandbox); any other type is sent with Content-Disposition: attachment." },
  inlineTypes: { kind: 'type-list', default: [], doc: 'Types added to those shown inline, still in the CSP sandbox (e.g. ["image/svg+xml"]).' },
  internal: { kind: 'bool', default: false, doc: 'Answer 404 to direct requests; served only through X-Accel-Redirect.' },
  signed: { kind: 'signed', default: null, doc: 'Require signed links: {"secretFile": path} or {"secretEnv": "ASSETD_..."}; null for none.' },
};

/**
 * Command-line flags of `serve` and the key each one sets. A key `mount.X` sets field X of
 * the first static mount (creating it when the config has none). Every flag also reads
 * from the environment as ASSETD_<FLAG_IN_UPPER_SNAKE_CASE>.
 */
export const SERVE_FLAGS: Record<string, { key: string; type: 'string' | 'boolean' }> = {
  host: { key: 'host', type: 'string' },
  port: { key: 'port', type: 'string' },
  'memory-threshold': { key: 'memoryThreshold', type: 'string' },
  'memory-limit': { key: 'memoryLimit', type: 'string' },
  root: { key: 'mount.root', type: 'string' },
  prefix: { key: 'mount.prefix', type: 'string' },
  manifest: { key: 'mount.manifest', type: 'string' },
  'manifest-format': { key: 'mount.manifestFormat', type: 'string' },
  'max-age': { key: 'mount.maxAge', type: 'string' },
  cors: { key: 'mount.cors', type: 'string' },
  index: { key: 'mount.index', type: 'string' },
  'follow-symlinks': { key: 'mount.followSymlinks', type: 'boolean' },
  strict: { key: 'mount.strict', type: 'boolean' },
  fallthrough: { key: 'mount.fallthrough', type: 'boolean' },
  upstream: { key: 'upstream', type: 'string' },
  'upstream-connections': { key: 'upstreamConnections', type: 'string' },
  'upstream-connect-timeout': { key: 'upstreamConnectTimeout', type: 'string' },
  'upstream-headers-timeout': { key: 'upstreamHeadersTimeout', type: 'string' },
  'upstream-body-timeout': { key: 'upstreamBodyTimeout', type: 'string' },
  'upstream-keep-host': { key: 'upstreamKeepHost', type: 'string' },
  'max-body-size': { key: 'maxBodySize', type: 'string' },
  'compress-missing': { key: 'mount.compressMissing', type: 'boolean' },
  'media-root': { key: 'media.root', type: 'string' },
  'media-prefix': { key: 'media.prefix', type: 'string' },
  workers: { key: 'workers', type: 'string' },
  'shutdown-timeout': { key: 'shutdownTimeout', type: 'string' },
  'drain-delay': { key: 'drainDelay', type: 'string' },
  'headers-timeout': { key: 'headersTimeout', type: 'string' },
  'request-timeout': { key: 'requestTimeout', type: 'string' },
  'body-timeout': { key: 'bodyTimeout', type: 'string' },
  'keep-alive-timeout': { key: 'keepAliveTimeout', type: 'string' },
  'send-timeout': { key: 'sendTimeout', type: 'string' },
  'max-header-size': { key: 'maxHeaderSize', type: 'string' },
  'max-connections': { key: 'maxConnections', type: 'string' },
  'access-log': { key: 'accessLog', type: 'string' },
  'health-path': { key: 'healthPath', type: 'string' },
  'metrics-path': { key: 'metricsPath', type: 'string' },
};

export function envName(flag: string): string {
  return 'ASSETD_' + flag.toUpperCase().replace(/-/g, '_');
}

export interface ConfigSources {
  /** Parsed config file, if any. */
  file?: unknown;
  /** Name of the config file, for messages. */
  fileName?: string;
  /** Directory relative roots in the file are resolved against. */
  fileDir?: string;
  /** Environment (only ASSETD_* is read). */
  env?: Record<string, string | undefined>;
  /** Flag values as parsed from the command line (strings, or true for booleans). */
  flags?: Record<string, string | boolean | undefined>;
  /** Directory relative roots from flags and env are resolved against. */
  cwd?: string;
  /** Reads a signing-key file (the one I/O resolveConfig may ask for); throws on failure. */
  readSecretFile?: (abs: string) => string;
}

/** Is this key a comment? `"//"` and `"//anything"` keys document a config file and are ignored. */
function isComment(key: string): boolean {
  return key.startsWith('//');
}

function coerce(kind: Kind, raw: unknown, where: string, field: Field, fromString: boolean): unknown {
  const bad = (what: string): never => {
    throw new UserError(`${where}: ${what}, got ${JSON.stringify(raw)}`);
  };
  switch (kind) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') bad('expected a non-empty string');
      return raw;
    case 'nullable-string':
      if (raw === null || (fromString && raw === '')) return null;
      if (typeof raw !== 'string' || raw === '') bad('expected a non-empty string or null');
      return raw;
    case 'regex':
      if (typeof raw !== 'string' || raw === '') bad('expected a regular expression string');
      try {
        new RegExp(raw as string);
      } catch {
        bad('not a valid regular expression');
      }
      return raw;
    case 'format':
      if (raw === null || (fromString && raw === '')) return null;
      if (typeof raw !== 'string' || !(MANIFEST_FORMATS as readonly string[]).includes(raw)) bad(`expected one of ${MANIFEST_FORMATS.join(', ')}`);
      return raw;
    case 'bool':
      if (fromString && typeof raw === 'string') {
        if (/^(1|true|yes|on)$/i.test(raw)) return true;
        if (/^(0|false|no|off)$/i.test(raw)) return false;
        bad('expected true or false');
      }
      if (typeof raw !== 'boolean') bad('expected true or false');
      return raw;
    case 'int':
    case 'port': {
      let n: unknown = raw;
      if (fromString && typeof raw === 'string' && /^\d+$/.test(raw.trim())) n = Number(raw);
      if (typeof n !== 'number' || !Number.isInteger(n)) bad('expected a whole number');
      const v = n as number;
      if (kind === 'port' && (v < 0 || v > 65535)) bad('expected a port from 0 to 65535');
      if (field.min !== undefined && v < field.min) bad(`expected a number of at least ${field.min}`);
      return v;
    }
    case 'prefix': {
      if (typeof raw !== 'string' || !raw.startsWith('/')) bad('expected a URL path starting with "/"');
      let p = raw as string;
      if (!p.endsWith('/')) p += '/';
      if (/\/\.{1,2}\/|\/\/|[?#%\\\s]/.test(p)) bad('expected a plain URL path (no "..", "//", "?", "#", "%", "\\" or spaces)');
      return p;
    }
    case 'upstream': {
      if (raw === null || (fromString && raw === '')) return null;
      if (typeof raw !== 'string') bad('expected "http://host:port", "unix:/path/to.sock" or null');
      const u = parseUpstream(raw as string);
      if (!u.ok) bad(u.why);
      return (u as { ok: true; target: { label: string } }).target.label;
    }
    case 'type-list': {
      const list = fromString && typeof raw === 'string' ? raw.split(',').map((x) => x.trim()).filter((x) => x !== '') : raw;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && /^[\w.+!#$&^-]+\/[\w.+!#$&^-]+$/.test(x))) {
        bad('expected a list of media types such as ["text/html", "image/svg+xml"]');
      }
      return (list as string[]).map((x) => x.toLowerCase());
    }
    case 'signed': {
      if (raw === null) return null;
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad('expected {"secretFile": "path"} or {"secretEnv": "ASSETD_..."}, or null');
      const o = raw as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => !isComment(k));
      if (keys.includes('secret')) {
        throw new UserError(`${where}.secret: keep the key out of the config file: put it in a file ("secretFile") or an ASSETD_* variable ("secretEnv")`);
      }
      for (const k of keys) if (k !== 'secretFile' && k !== 'secretEnv') throw new UserError(`${where}: unknown key "${k}"`);
      if (keys.length !== 1) bad('expected exactly one of "secretFile" or "secretEnv"');
      const v = o[keys[0]];
      if (typeof v !== 'string' || v === '') throw new UserError(`${where}.${keys[0]}: expected a non-empty string, got ${JSON.stringify(v)}`);
      if (keys[0] === 'secretEnv' && !/^ASSETD_[A-Z0-9_]+$/.test(v)) {
        throw new UserError(`${where}.secretEnv: expected the name of an ASSETD_* variable, got ${JSON.stringify(v)}`);
      }
      return { [keys[0]]: v };
    }
    case 'access-log':
      if (typeof raw !== 'string' || !(ACCESS_LOG_FORMATS as readonly string[]).includes(raw)) bad(`expected one of ${ACCESS_LOG_FORMATS.join(', ')}`);
      return raw;
    case 'nullable-path':
      if (raw === null || raw === false || (fromString && typeof raw === 'string' && /^(|off|none|false)$/i.test(raw))) return null;
      if (typeof raw !== 'string' || !raw.startsWith('/') || raw.length < 2) bad('expected a URL path starting with "/", or null');
      if (/\/\.{1,2}(\/|$)|\/\/|[?#%\\\s]/.test(raw as string)) bad('expected a plain URL path (no "..", "//", "?", "#", "%", "\\" or spaces)');
      return raw;
    case 'cors':
      if (raw === false || (fromString && typeof raw === 'string' && /^(false|off|none|)$/i.test(raw))) return false;
      if (typeof raw !== 'string' || raw === '' || /[\r\n]/.test(raw)) bad('expected an origin string such as "*", or false');
      return raw;
  }
}

function applyObject(target: Record<string, unknown>, fields: Record<string, Field>, obj: unknown, where: string): void {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new UserError(`${where}: expected an object`);
  for (const [k, v] of Object.entries(obj)) {
    if (isComment(k)) continue;
    const field = fields[k];
    if (!field) throw new UserError(`${where}: unknown key "${k}"`);
    target[k] = coerce(field.kind, v, `${where}.${k}`, field, false);
  }
}

function defaults(fields: Record<string, Field>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) o[k] = f.default;
  return o;
}

export function resolveConfig(src: ConfigSources): Config {
  const cwd = src.cwd ?? process.cwd();
  const fileName = src.fileName ?? 'config';
  const top = defaults(TOP_FIELDS);
  const mounts: Record<string, unknown>[] = [];
  const rootBase: string[] = [];
  const media: Record<string, unknown>[] = [];
  const mediaBase: string[] = [];

  if (src.file !== undefined) {
    const f = src.file;
    if (!f || typeof f !== 'object' || Array.isArray(f)) throw new UserError(`${fileName}: expected a JSON object at the top`);
    for (const [k, v] of Object.entries(f as Record<string, unknown>)) {
      if (isComment(k)) continue;
      if (k === 'static') {
        if (!Array.isArray(v)) throw new UserError(`${fileName}: static: expected a list of mounts`);
        v.forEach((m, i) => {
          const mount = defaults(MOUNT_FIELDS);
          applyObject(mount, MOUNT_FIELDS, m, `${fileName}: static[${i}]`);
          mounts.push(mount);
          rootBase.push(src.fileDir ?? cwd);
        });
        continue;
      }
      if (k === 'media') {
        if (!Array.isArray(v)) throw new UserError(`${fileName}: media: expected a list of mounts`);
        v.forEach((m, i) => {
          const mount = defaults(MEDIA_FIELDS);
          if (m && typeof m === 'object' && 'activeTypes' in m) {
            throw new UserError(`${fileName}: media[${i}].activeTypes was removed: types are now inline only when listed in inertTypes (an allow-list) and any other type is an attachment; delete the key`);
          }
          applyObject(mount, MEDIA_FIELDS, m, `${fileName}: media[${i}]`);
          media.push(mount);
          mediaBase.push(src.fileDir ?? cwd);
        });
        continue;
      }
      const field = TOP_FIELDS[k];
      if (!field) throw new UserError(`${fileName}: unknown key "${k}"`);
      top[k] = coerce(field.kind, v, `${fileName}: ${k}`, field, false);
    }
  }

  // Environment, then flags: same table, flags win.
  const layers: [string, (flag: string) => string | boolean | undefined][] = [
    ['environment', (flag) => src.env?.[envName(flag)]],
    ['flag', (flag) => src.flags?.[flag]],
  ];
  for (const [layer, get] of layers) {
    for (const [flag, spec] of Object.entries(SERVE_FLAGS)) {
      const raw = get(flag);
      if (raw === undefined) continue;
      const where = layer === 'flag' ? `--${flag}` : envName(flag);
      const value = typeof raw === 'boolean' ? raw : raw;
      if (spec.key.startsWith('media.')) {
        const key = spec.key.slice('media.'.length);
        if (media.length === 0) {
          media.push(defaults(MEDIA_FIELDS));
          mediaBase.push(cwd);
        }
        media[0][key] = coerce(MEDIA_FIELDS[key].kind, value, where, MEDIA_FIELDS[key], true);
        if (key === 'root') mediaBase[0] = cwd;
      } else if (spec.key.startsWith('mount.')) {
        const key = spec.key.slice('mount.'.length);
        if (mounts.length === 0) {
          mounts.push(defaults(MOUNT_FIELDS));
          rootBase.push(cwd);
        }
        mounts[0][key] = coerce(MOUNT_FIELDS[key].kind, value, where, MOUNT_FIELDS[key], true);
        if (key === 'root') rootBase[0] = cwd;
      } else {
        top[spec.key] = coerce(TOP_FIELDS[spec.key].kind, value, where, TOP_FIELDS[spec.key], true);
      }
    }
  }

  const staticMounts = mounts.map((m, i) => {
    if (typeof m.root !== 'string') {
      throw new UserError(`static[${i}].root: missing (give --root DIR, ASSETD_ROOT or "root" in the config file)`);
    }
    return { ...m, root: path.resolve(rootBase[i], m.root) } as unknown as StaticMount;
  });
  const mediaMounts = media.map((m, i) => resolveMedia(m, i, mediaBase[i], src));
  if (staticMounts.length === 0 && mediaMounts.length === 0) {
    throw new UserError('no static mount: give --root DIR, ASSETD_ROOT or a "static" list in the config file');
  }
  checkPrefixes(staticMounts.map((m) => m.prefix));
  checkMediaSeparation(staticMounts, mediaMounts);
  const config = { ...(top as unknown as Omit<Config, 'static' | 'media'>), static: staticMounts, media: mediaMounts };
  checkServicePaths(config);
  if (config.drainDelay > config.shutdownTimeout) {
    throw new UserError(`drainDelay (${config.drainDelay} ms) must not exceed shutdownTimeout (${config.shutdownTimeout} ms)`);
  }
  if (config.requestTimeout !== 0 && config.headersTimeout > config.requestTimeout) {
    throw new UserError(`headersTimeout (${config.headersTimeout} ms) must not exceed requestTimeout (${config.requestTimeout} ms)`);
  }
  return config;
}

function resolveMedia(m: Record<string, unknown>, i: number, base: string, src: ConfigSources): MediaMount {
  if (typeof m.root !== 'string') {
    throw new UserError(`media[${i}].root: missing (give --media-root DIR, ASSETD_MEDIA_ROOT or "root" in the media list)`);
  }
  const spec = m.signed as { secretFile?: string; secretEnv?: string } | null;
  let signed: MediaMount['signed'] = null;
  if (spec) {
    let value: string;
    let source: string;
    if (spec.secretEnv !== undefined) {
      source = spec.secretEnv;
      const v = src.env?.[spec.secretEnv];
      if (v === undefined || v === '') throw new UserError(`media[${i}].signed.secretEnv: ${spec.secretEnv} is not set`);
      value = v;
    } else {
      const file = path.resolve(base, spec.secretFile!);
      source = file;
      if (!src.readSecretFile) throw new UserError(`media[${i}].signed.secretFile: ${file} cannot be read here`);
      try {
        value = src.readSecretFile(file);
      } catch (e) {
        throw new UserError(`media[${i}].signed.secretFile: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      value = value.replace(/[\r\n]+$/, '');
    }
    const secret = new Secret(value);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new UserError(`media[${i}].signed: the key in ${source} is ${secret.length} bytes; use at least ${MIN_SECRET_BYTES} random bytes`);
    }
    signed = { secret, source };
  }
  const cacheControl = (m.cacheControl as string | null) ?? (signed ? SIGNED_CACHE_CONTROL : MEDIA_CACHE_CONTROL);
  if (/[\r\n]/.test(cacheControl)) throw new UserError(`media[${i}].cacheControl: may not contain a line break`);
  return {
    prefix: m.prefix as string,
    root: path.resolve(base, m.root),
    cacheControl,
    inertTypes: m.inertTypes as string[],
    inlineTypes: m.inlineTypes as string[],
    internal: m.internal as boolean,
    signed,
  };
}

/** True when `child` is `parent` or lies below it (absolute, resolved paths). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel));
}

/**
 * Uploads may never shadow or replace static files: no media prefix overlaps a static
 * prefix or another media prefix, and no media root is, is inside, or contains a static
 * root. Compares the paths as given; startup repeats the root check on real paths.
 */
export function checkMediaSeparation(statics: { prefix: string; root: string }[], media: { prefix: string; root: string }[]): void {
  media.forEach((m, i) => {
    for (const s of statics) {
      if (m.prefix.startsWith(s.prefix) || s.prefix.startsWith(m.prefix)) {
        throw new UserError(`media[${i}].prefix "${m.prefix}" overlaps static prefix "${s.prefix}": an upload could shadow a static file`);
      }
    }
    for (let j = 0; j < i; j++) {
      const o = media[j];
      if (m.prefix.startsWith(o.prefix) || o.prefix.startsWith(m.prefix)) {
        throw new UserError(`media[${i}].prefix "${m.prefix}" overlaps media[${j}].prefix "${o.prefix}": every URL must belong to at most one mount`);
      }
    }
  });
  checkMediaRoots(statics.map((s) => s.root), media.map((m) => m.root));
}

/**
 * No media root is, is inside, or contains a static root; no two media roots nest (files of
 * a private mount would be public through the other).
 */
export function checkMediaRoots(staticRoots: string[], mediaRoots: string[]): void {
  mediaRoots.forEach((m, i) => {
    for (let j = 0; j < i; j++) {
      const o = mediaRoots[j];
      if (isWithin(m, o) || isWithin(o, m)) {
        throw new UserError(`media[${i}].root ${m} overlaps media[${j}].root ${o}: files of one mount would be reachable through the other`);
      }
    }
    for (const s of staticRoots) {
      if (isWithin(m, s)) {
        throw new UserError(`media[${i}].root ${m} is ${m === s ? 'the same folder as' : 'inside'} static root ${s}: an upload could replace a static file`);
      }
      if (isWithin(s, m)) throw new UserError(`media[${i}].root ${m} contains static root ${s}: an upload could replace a static file`);
    }
  });
}

/**
 * The health and metrics paths answer before anything else, so they must not take a URL
 * an app or a static mount could own: they may not fall under a mount prefix nor be equal.
 */
export function checkServicePaths(config: Pick<Config, 'healthPath' | 'metricsPath' | 'static' | 'media'>): void {
  const own: [string, string | null][] = [
    ['healthPath', config.healthPath],
    ['metricsPath', config.metricsPath],
  ];
  for (const [key, p] of own) {
    if (p === null) continue;
    for (const m of [...config.static, ...config.media]) {
      if (p.startsWith(m.prefix) || p + '/' === m.prefix) throw new UserError(`${key} "${p}" falls under the mount prefix "${m.prefix}"; pick a path outside every mount (default /__assetd/...)`);
    }
  }
  if (config.healthPath !== null && config.healthPath === config.metricsPath) throw new UserError(`healthPath and metricsPath are both "${config.healthPath}"`);
}

/** Two mounts may not share or nest prefixes: every URL belongs to at most one mount. */
export function checkPrefixes(prefixes: string[]): void {
  for (let i = 0; i < prefixes.length; i++) {
    for (let j = i + 1; j < prefixes.length; j++) {
      const a = prefixes[i];
      const b = prefixes[j];
      if (a.startsWith(b) || b.startsWith(a)) throw new UserError(`prefixes "${a}" and "${b}" overlap: every URL must belong to at most one mount`);
    }
  }
}
