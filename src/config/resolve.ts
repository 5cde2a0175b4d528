/**
 * Configuration layers merged and validated: defaults < config file < ASSETD_* environment
 * < flags. Pure: it is handed the parsed file, the environment and the flags (load.ts reads
 * them), and returns a validated Config or throws a one-line UserError naming the key.
 */
import path from 'node:path';
import { UserError } from '../errors.js';
import { parseUpstream } from '../http/index.js';
import { MANIFEST_FORMATS } from '../manifest/index.js';
import { checkMediaSeparation, checkPrefixes, checkServicePaths } from './checks.js';
import { envName, MEDIA_CACHE_CONTROL, MEDIA_FIELDS, MIN_SECRET_BYTES, MOUNT_FIELDS, SERVE_FLAGS, SIGNED_CACHE_CONTROL, TOP_FIELDS, type Field, type Kind } from './schema.js';
import { Secret } from './secret.js';
import { ACCESS_LOG_FORMATS, type Config, type MediaMount, type StaticMount } from './types.js';

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
    case 'workers': {
      if (raw === 'auto' || raw === 0 || (fromString && typeof raw === 'string' && /^\s*(auto|0)\s*$/.test(raw))) return 'auto';
      let n: unknown = raw;
      if (fromString && typeof raw === 'string' && /^\d+$/.test(raw.trim())) n = Number(raw);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) bad('expected "auto" or a whole number of at least 1');
      return n;
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
      const list = spec.key.startsWith('media.') ? { lists: media, bases: mediaBase, fields: MEDIA_FIELDS } : spec.key.startsWith('mount.') ? { lists: mounts, bases: rootBase, fields: MOUNT_FIELDS } : undefined;
      if (list !== undefined) {
        // a mount flag sets the first mount of its kind, or makes one
        const key = spec.key.slice(spec.key.indexOf('.') + 1);
        if (list.lists.length === 0) {
          list.lists.push(defaults(list.fields));
          list.bases.push(cwd);
        }
        list.lists[0][key] = coerce(list.fields[key].kind, raw, where, list.fields[key], true);
        if (key === 'root') list.bases[0] = cwd;
      } else {
        top[spec.key] = coerce(TOP_FIELDS[spec.key].kind, raw, where, TOP_FIELDS[spec.key], true);
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
