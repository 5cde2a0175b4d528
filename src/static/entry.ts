/**
 * The shapes of the static index: a mount's entries (files with their representations, and
 * directory redirects), and the header blocks of a representation as text, made on first use.
 */
import type { StaticMount } from '../config/index.js';
import { rawHeaders, type Coding, type RawHeaders } from '../http/index.js';
import type { Manifest } from '../manifest/index.js';

/** One representation of a file: the identity bytes or a precompressed sibling. */
export interface Representation {
  coding: Coding;
  /** Negotiation bit (see http/negotiate.ts). */
  bit: number;
  size: number;
  /** Modification time the walk saw: a streamed file changed since is refused, not sent under stale validators. */
  mtimeMs: number;
  etag: string;
  /** Absolute file to stream from when `body` is not held. */
  file: string;
  /** The bytes, when small enough to hold in memory. */
  body: Buffer | undefined;
  /** Flat [name, value, ...] header lists, ready for writeHead. */
  h200: string[];
  h304: string[];
  /** h200 and h304 ready to write as text (http/raw-headers.ts), made on first use. */
  r200: RawHeaders | undefined;
  r304: RawHeaders | undefined;
  /** 206 headers without Content-Range and Content-Length (added per request). */
  h206: string[];
  /** The whole keep-alive 200 and 304 as the fast lane writes them (wire.ts), made on first use. */
  w200?: Wire;
  w304?: Wire;
}

/**
 * A response ready to write: head (its Date patched in place each second) and, for a body up
 * to WIRE_INLINE bytes, the body after it in the same buffer, so the answer is one write.
 */
export interface Wire {
  buf: Buffer;
  /** Bytes of head at the start of `buf` (a HEAD request gets only these). */
  headLen: number;
  /** Offset of the 29 bytes of the Date value. */
  dateAt: number;
  /** The clock second the Date bytes were last written for. */
  second: number;
  /** A body too large to copy after the head: written after it. */
  body: Buffer | undefined;
}

export interface FileEntry {
  kind: 'file';
  /** URL path, e.g. /static/admin/css/base.5af66c1b1797.css */
  urlPath: string;
  rel: string;
  mount: MountIndex;
  immutable: boolean;
  contentType: string;
  /** Last-Modified in whole seconds, and as the HTTP-date sent. */
  lastModified: number;
  lastModifiedHttp: string;
  /** Representations, smallest first: the first acceptable one is served. */
  reps: Representation[];
  identity: Representation;
  /** True when there is more than one representation (Vary: Accept-Encoding). */
  varies: boolean;
  /** Headers for a 406, when no representation is acceptable. */
  h406: string[];
}

export interface RedirectEntry {
  kind: 'redirect';
  urlPath: string;
  /** Relative Location: the last segment, percent-encoded, plus '/'. */
  location: string;
  /** The mount's Cache-Control for unhashed names. */
  cacheControl: string;
}

export type Entry = FileEntry | RedirectEntry;

export interface MountIndex {
  config: StaticMount;
  prefix: string;
  manifest: Manifest | undefined;
  files: Map<string, Entry>;
  fileCount: number;
  variantCount: number;
  bytesInMemory: number;
  symlinksSkipped: number;
  /** Manifest names not found on disk (hashed names). */
  missing: string[];
  /** Files over the memory threshold, streamed from disk. */
  streamed: number;
  immutableCount: number;
  /** Variants made in memory at startup (compressMissing). */
  compressedInMemory: number;
}

export interface StaticIndex {
  mounts: MountIndex[];
  /** Every servable URL path of the mounts that are not internal: the hot-path lookup. */
  public: Map<string, Entry>;
  fileCount: number;
  variantCount: number;
  bytesInMemory: number;
  symlinksSkipped: number;
  ms: number;
  builtAt: number;
}

/** The 200 headers of a representation as text, made once, when first served. */
export function raw200(rep: Representation): RawHeaders {
  return (rep.r200 ??= rawHeaders(rep.h200, true));
}

/** The 304 headers of a representation as text, made once, when first served. */
export function raw304(rep: Representation): RawHeaders {
  return (rep.r304 ??= rawHeaders(rep.h304, true));
}
