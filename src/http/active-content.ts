/**
 * What a browser may do with an upload, by media type. Pure.
 *
 * An allow-list: only types known to be inert (no script, whatever bytes an uploader puts
 * in them, since every media answer also carries `X-Content-Type-Options: nosniff`) are shown
 * inline; every other type, known or not (HTML, SVG, any XML, JavaScript, `.foo`), is an
 * attachment. Both carry a CSP sandbox with `default-src 'none'`, always: a mount's
 * `inlineTypes` adds types to those shown inline (an SVG avatar opened on its own), never
 * takes the sandbox away, so nothing an uploader wrote runs in the site's origin.
 */

/** The default `inertTypes`: images other than SVG, audio, video, PDF, plain text and CSV, JSON, fonts, octet-stream. */
export const INERT_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/apng',
  'image/bmp',
  'image/vnd.microsoft.icon',
  'image/tiff',
  'image/heic',
  'image/heif',
  'image/jxl',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/wav',
  'audio/webm',
  'audio/x-flac',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'video/x-m4v',
  'application/pdf',
  'text/plain',
  'text/csv',
  'application/json',
  'font/woff',
  'font/woff2',
  'font/ttf',
  'font/otf',
  'font/collection',
  'application/octet-stream',
];

/** The policy on every media answer: an opaque origin where nothing runs and nothing loads. */
export const SANDBOX_CSP = "sandbox; default-src 'none'";

/**
 * Audio and video shown inline: the browser's own player (Chromium) fetches the file again
 * from the page it builds, which an opaque origin (CORS) or `default-src 'none'` would
 * block. Scripts stay off (no `allow-scripts`); the page holds nothing but that player.
 */
export const PLAYER_CSP = "sandbox allow-same-origin; default-src 'none'; media-src 'self'";

export interface MediaPolicy {
  /** Sent with `Content-Disposition: attachment`. */
  attachment: boolean;
  /** The Content-Security-Policy value: on every answer. */
  csp: string;
}

/** The media type without parameters, lower-cased. */
export function baseType(type: string): string {
  const semi = type.indexOf(';');
  return (semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase();
}

/** How a mount serves a type: inertTypes and inlineTypes inline, anything else an attachment; in the sandbox either way. */
/** The two lists of a media mount that decide what is shown inline. */
export interface InlineLists {
  inertTypes: readonly string[];
  inlineTypes: readonly string[];
}

export function mediaPolicy(mount: InlineLists, type: string): MediaPolicy {
  const b = baseType(type);
  if (mount.inertTypes.includes(b) || mount.inlineTypes.includes(b)) return { attachment: false, csp: b.startsWith('audio/') || b.startsWith('video/') ? PLAYER_CSP : SANDBOX_CSP };
  return { attachment: true, csp: SANDBOX_CSP };
}
