/**
 * Which files are worth compressing, and whether a compressed variant is worth keeping.
 * Pure: decided from the name and the sizes only (WhiteNoise's rules).
 */

/** Extensions of formats that are already compressed: compressing them again only wastes time. */
export const ALREADY_COMPRESSED = new Set([
  // images
  'jpg', 'jpeg', 'jpe', 'jfif', 'png', 'apng', 'gif', 'webp', 'avif', 'heic', 'heif', 'jxl',
  // fonts
  'woff', 'woff2',
  // archives and compressed streams
  'zip', 'gz', 'tgz', 'bz2', 'tbz', 'tbz2', 'xz', 'txz', 'br', 'zst', 'zstd', 'lz', 'lzma', 'lz4', '7z', 'rar', 'jar', 'whl', 'apk', 'dmg', 'swf',
  // audio
  'mp3', 'ogg', 'oga', 'opus', 'm4a', 'aac', 'flac', 'weba',
  // video
  'mp4', 'm4v', 'mov', 'webm', 'mkv', 'avi', 'wmv', 'mpeg', 'mpg', 'flv', '3gp', '3gpp', 'asf', 'ogv',
]);

/** Suffixes of the variants this tool writes. */
export const VARIANT_SUFFIXES = ['.br', '.gz'] as const;

/** The lower-cased extension of a file name, without the dot ('' when none). */
export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/** Should a variant of this file be made at all? */
export function isCompressible(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (base === '' || base.startsWith('.')) return false;
  return !ALREADY_COMPRESSED.has(extensionOf(name));
}

/** The largest share of the original a variant may take and still be kept (WhiteNoise: 95%). */
export const KEEP_RATIO = 0.95;

/** Keep a variant only when it saves at least 5% of a non-empty original. */
export function worthKeeping(originalSize: number, compressedSize: number): boolean {
  if (originalSize <= 0) return false;
  return compressedSize / originalSize <= KEEP_RATIO;
}

/**
 * Incremental rule: a variant whose modification time is not older than its source's was
 * made from the current source, so it is not made again.
 */
export function isFresh(sourceMtimeMs: number, variantMtimeMs: number | undefined): boolean {
  return variantMtimeMs !== undefined && variantMtimeMs >= sourceMtimeMs;
}

/**
 * Name of the temporary file a variant is written to before it is renamed into place.
 * It starts with a dot, so neither the server nor a scan ever picks it up.
 */
export function tempName(variantBase: string, tag: string): string {
  return `.${variantBase}.tmp-${tag}`;
}

/** Is this base name a temporary variant left behind by an interrupted run? */
export function isLeftoverTemp(base: string): boolean {
  return /^\..+\.(br|gz)\.tmp-[0-9]+-[0-9]+$/.test(base);
}
