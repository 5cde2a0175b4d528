/**
 * Configuration: defaults < config file < ASSETD_* environment < flags.
 * Pure: it is handed the parsed file, the environment and the flags, and returns a
 * validated Config or throws a one-line UserError naming the key and the problem.
 */
import path from 'node:path';
import { UserError } from './errors.js';
import { MANIFEST_FORMATS, type ManifestFormat } from './manifest/types.js';

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
  /** Milliseconds a client has to send the request headers. */
  headersTimeout: number;
  /** Milliseconds a client has to send the whole request (0: no limit). */
  requestTimeout: number;
  /** Milliseconds an idle keep-alive connection is kept open. */
  keepAliveTimeout: number;
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
}

export const ACCESS_LOG_FORMATS = ['combined', 'json', 'off'] as const;
export type AccessLogFormat = (typeof ACCESS_LOG_FORMATS)[number];

type Kind = 'string' | 'int' | 'bool' | 'port' | 'prefix' | 'cors' | 'nullable-string' | 'format' | 'regex' | 'access-log' | 'nullable-path';

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
  memoryThreshold: { kind: 'int', min: 0, default: 256 * 1024, doc: 'Files and variants up to this many bytes are held in memory; larger ones stream from disk.' },
  memoryLimit: { kind: 'int', min: 0, default: 256 * 1024 * 1024, doc: 'Cap on the bytes held in memory over all mounts; past it, files stream from disk.' },
  workers: { kind: 'int', min: 0, default: 0, doc: 'Worker processes; 0 starts one per available CPU, 1 runs in a single process.' },
  shutdownTimeout: { kind: 'int', min: 0, default: 10_000, doc: 'Milliseconds in-flight requests get to finish after SIGTERM/SIGINT before the process exits.' },
  headersTimeout: { kind: 'int', min: 1, default: 10_000, doc: 'Milliseconds a client has to send its request headers (slow clients are cut off).' },
  requestTimeout: { kind: 'int', min: 0, default: 30_000, doc: 'Milliseconds a client has to send its whole request; 0 for no limit.' },
  keepAliveTimeout: { kind: 'int', min: 0, default: 5_000, doc: 'Milliseconds an idle keep-alive connection stays open.' },
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
  workers: { key: 'workers', type: 'string' },
  'shutdown-timeout': { key: 'shutdownTimeout', type: 'string' },
  'headers-timeout': { key: 'headersTimeout', type: 'string' },
  'request-timeout': { key: 'requestTimeout', type: 'string' },
  'keep-alive-timeout': { key: 'keepAliveTimeout', type: 'string' },
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
      if (spec.key.startsWith('mount.')) {
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
  if (staticMounts.length === 0) throw new UserError('no static mount: give --root DIR, ASSETD_ROOT or a "static" list in the config file');
  checkPrefixes(staticMounts.map((m) => m.prefix));
  const config = { ...(top as unknown as Omit<Config, 'static'>), static: staticMounts };
  checkServicePaths(config);
  if (config.requestTimeout !== 0 && config.headersTimeout > config.requestTimeout) {
    throw new UserError(`headersTimeout (${config.headersTimeout} ms) must not exceed requestTimeout (${config.requestTimeout} ms)`);
  }
  return config;
}

/**
 * The health and metrics paths answer before anything else, so they must not take a URL
 * an app or a static mount could own: they may not fall under a mount prefix nor be equal.
 */
export function checkServicePaths(config: Pick<Config, 'healthPath' | 'metricsPath' | 'static'>): void {
  const own: [string, string | null][] = [
    ['healthPath', config.healthPath],
    ['metricsPath', config.metricsPath],
  ];
  for (const [key, p] of own) {
    if (p === null) continue;
    for (const m of config.static) {
      if (p.startsWith(m.prefix) || p + '/' === m.prefix) throw new UserError(`${key} "${p}" falls under the static prefix "${m.prefix}"; pick a path outside every mount (default /__assetd/...)`);
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
