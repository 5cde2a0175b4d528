import mime from 'mime';

/** Types that are text even though they are not text/*: they get `; charset=utf-8`. */
const TEXT_LIKE = new Set([
  'application/javascript',
  'application/json',
  'application/manifest+json',
  'application/ld+json',
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/x-javascript',
  'image/svg+xml',
]);

/** Content-Type for a file name, with `; charset=utf-8` on text types. */
export function contentType(name: string): string {
  const type = mime.getType(name) ?? 'application/octet-stream';
  if (type.startsWith('text/') || TEXT_LIKE.has(type)) return `${type}; charset=utf-8`;
  return type;
}
