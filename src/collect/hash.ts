/**
 * Content-hashed names compatible with Django's ManifestStaticFilesStorage:
 * `dir/name.<first 12 hex digits of the MD5 of the content>.ext`. Pure.
 */
import { createHash } from 'node:crypto';

/** The first 12 hex digits of the MD5 of `content`. */
export function contentHash(content: Buffer | string): string {
  return createHash('md5').update(content).digest('hex').slice(0, 12);
}

/**
 * Split a base name like Python's os.path.splitext: the extension starts at the last dot,
 * unless every dot before it is leading (".htaccess" has none).
 */
export function splitExt(base: string): [string, string] {
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return [base, ''];
  if (/^\.+$/.test(base.slice(0, dot))) return [base, ''];
  return [base.slice(0, dot), base.slice(dot)];
}

/** `admin/css/base.css` with hash `5af66c1b1797` -> `admin/css/base.5af66c1b1797.css`. */
export function hashedName(name: string, hash: string): string {
  const slash = name.lastIndexOf('/');
  const dir = name.slice(0, slash + 1);
  const [root, ext] = splitExt(name.slice(slash + 1));
  return `${dir}${root}.${hash}${ext}`;
}
