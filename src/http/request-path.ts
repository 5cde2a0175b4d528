/**
 * Request-target to URL path: the one place a path is decoded and normalised.
 * Pure: no filesystem. The result starts with '/', has no '.' or '..' segments, no
 * empty segments, no NUL, backslash or control characters, and was percent-decoded once.
 */

/** Why a target was refused (always answered 400). */
export type BadPath = 'absolute-form' | 'bad-encoding' | 'encoded-slash' | 'nul' | 'backslash' | 'control' | 'escapes-root' | 'not-origin-form';

export type PathResult = { ok: true; path: string } | { ok: false; why: BadPath };

const CODE_PERCENT = 37; // %
const CODE_SLASH = 47; // /
const CODE_DOT = 46; // .
const CODE_BACKSLASH = 92; // \
const CODE_QUERY = 63; // ?
const CODE_HASH = 35; // #

/** An absolute-form target (RFC 9112 §3.2.2): scheme and authority, then the rest. */
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*(.*)$/i;

/**
 * The origin-form of a target (path and query): itself when it starts with '/', the part
 * after the authority of an absolute-form one ('/' when empty), or null for any other form.
 */
export function originForm(target: string): string | null {
  if (target.charCodeAt(0) === CODE_SLASH) return target;
  const m = ABSOLUTE_FORM.exec(target);
  if (!m) return null;
  return m[1] === '' ? '/' : m[1].charCodeAt(0) === CODE_QUERY ? '/' + m[1] : m[1];
}

/**
 * Decode and normalise the path of a request target. The query is dropped.
 * `http://host/path` (absolute-form) is accepted and reduced to its path, as RFC 9112 asks.
 */
export function requestPath(target: string): PathResult {
  if (target.charCodeAt(0) !== CODE_SLASH) {
    const m = ABSOLUTE_FORM.exec(target);
    if (!m) return { ok: false, why: 'not-origin-form' };
    target = m[1] === '' ? '/' : m[1];
    if (target.charCodeAt(0) !== CODE_SLASH) return { ok: false, why: 'not-origin-form' };
  }
  // One pass: find the end of the path and whether it needs decoding or normalising.
  let end = target.length;
  let needsDecode = false;
  let needsNormalise = false;
  let prev = 0;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === CODE_QUERY || c === CODE_HASH) {
      end = i;
      break;
    }
    if (c === CODE_PERCENT) needsDecode = true;
    else if (c === CODE_BACKSLASH) return { ok: false, why: 'backslash' };
    else if (c < 0x20 || c === 0x7f) return { ok: false, why: 'control' };
    else if (prev === CODE_SLASH && (c === CODE_SLASH || c === CODE_DOT)) needsNormalise = true;
    prev = c;
  }
  let p = end === target.length ? target : target.slice(0, end);
  if (needsDecode) {
    if (/%(2f|5c)/i.test(p)) return { ok: false, why: 'encoded-slash' };
    try {
      p = decodeURIComponent(p);
    } catch {
      return { ok: false, why: 'bad-encoding' };
    }
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c === 0) return { ok: false, why: 'nul' };
      if (c === CODE_BACKSLASH) return { ok: false, why: 'backslash' };
      if (c < 0x20 || c === 0x7f) return { ok: false, why: 'control' };
    }
    needsNormalise = needsNormalise || p.includes('/.') || p.includes('//');
  }
  if (!needsNormalise) return { ok: true, path: p };
  return normalise(p);
}

/** Resolve '.', '..' and empty segments; refuse a '..' that would climb above '/'. */
export function normalise(p: string): PathResult {
  const parts = p.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const s = parts[i];
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length === 0) return { ok: false, why: 'escapes-root' };
      out.pop();
      continue;
    }
    out.push(s);
  }
  const last = parts[parts.length - 1];
  const trailing = out.length > 0 && (last === '' || last === '.' || last === '..');
  return { ok: true, path: '/' + out.join('/') + (trailing ? '/' : '') };
}

/**
 * The path of a request target as the client spelled it, for deciding which mount it names:
 * absolute-form reduced to its path, query dropped, each valid %XX decoded once (as UTF-8
 * when it is, else byte by byte), repeated slashes collapsed, '.' and '..' segments KEPT.
 * Never refuses: a target requestPath() refuses still names a mount here.
 */
export function declaredPath(target: string): string {
  let p = target.charCodeAt(0) === CODE_SLASH ? target : (ABSOLUTE_FORM.exec(target)?.[1] ?? target);
  const q = p.search(/[?#]/);
  if (q !== -1) p = p.slice(0, q);
  if (p.includes('%')) {
    try {
      p = decodeURIComponent(p);
    } catch {
      p = p.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  }
  return p.includes('//') ? p.replace(/\/{2,}/g, '/') : p;
}

/**
 * A declared path resolved the lenient way many apps and URL parsers do: '.' dropped, '..'
 * taking one segment off and staying at '/' when there is none left. Used to ask which mount
 * a target would name once an app resolves it, even when requestPath() refuses it.
 */
export function clampedPath(declared: string): string {
  const parts = declared.split('/');
  const out: string[] = [];
  for (const s of parts) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  // a last segment of '', '.' or '..' names a folder
  const last = parts[parts.length - 1];
  return '/' + out.join('/') + (out.length > 0 && (last === '' || last === '.' || last === '..') ? '/' : '');
}

/** True when a name (one path segment) is hidden: dotfiles and dot-directories are never served. */
export function isHidden(segment: string): boolean {
  return segment.charCodeAt(0) === CODE_DOT;
}

/** True when any segment of a relative or URL path is hidden. */
export function hasHiddenSegment(p: string): boolean {
  return p.startsWith('.') || p.includes('/.');
}
