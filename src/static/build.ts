/**
 * The startup index: every file of every static mount, with each representation's
 * complete header block computed once. Serving then needs a Map lookup, a header choice
 * and the bytes: no filesystem call decides anything.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { isCompressible, worthKeeping } from '../compress/index.js';
import type { StaticMount } from '../config/index.js';
import { contentType } from '../http/index.js';
import { UserError } from '../errors.js';
import { findManifest, type Manifest } from '../manifest/index.js';
import { BR, GZIP, IDENTITY, ZSTD, type Coding } from '../http/index.js';
import { headerProblem, rawHeaders, type RawHeaders } from '../http/index.js';
import { scanRootSync, type ScanOptions, type ScannedFile, type ScanResult } from './scan.js';
import { slicer } from './slices.js';
import type { Entry, FileEntry, MountIndex, Representation, StaticIndex } from './entry.js';

export interface IndexOptions {
  memoryThreshold: number;
  memoryLimit: number;
}

/** How a build shares its process: at startup nothing waits; a reload runs beside serving. */
export interface BuildOptions {
  /** Walks a root; the default is the synchronous walk (a reload walks in a worker thread). */
  scan?: (root: string, opts: ScanOptions) => Promise<ScanResult>;
  /** Give the event loop a turn after this many ms of work, so requests are answered meanwhile (0: never). */
  sliceMs?: number;
}

const VARIANTS: { suffix: string; coding: Coding; bit: number }[] = [
  { suffix: '.br', coding: 'br', bit: BR },
  { suffix: '.zst', coding: 'zstd', bit: ZSTD },
  { suffix: '.gz', coding: 'gzip', bit: GZIP },
];

const EMPTY: string[] = [];

function etagOf(mtimeMs: number, size: number, coding: Coding): string {
  const base = `${Math.floor(mtimeMs / 1000).toString(16)}-${size.toString(16)}`;
  return coding === 'identity' ? `"${base}"` : `"${base}-${coding === 'gzip' ? 'gz' : coding}"`;
}

/** Shared memory budget across the mounts of one index build. */
class Budget {
  used = 0;
  constructor(private readonly threshold: number, private readonly limit: number) {}
  take(size: number): boolean {
    if (size > this.threshold || this.used + size > this.limit) return false;
    this.used += size;
    return true;
  }
  give(size: number): void {
    this.used -= size;
  }
}

export async function buildIndex(mounts: StaticMount[], opts: IndexOptions, build: BuildOptions = {}): Promise<StaticIndex> {
  const t0 = performance.now();
  const budget = new Budget(opts.memoryThreshold, opts.memoryLimit);
  const built: MountIndex[] = [];
  const turn = slicer(build.sliceMs ?? 0);
  for (const m of mounts) built.push(await indexMount(m, budget, build.scan, turn));
  const pub = new Map<string, Entry>();
  for (const mi of built) {
    if (mi.config.internal) continue;
    for (const [k, v] of mi.files) {
      pub.set(k, v);
      const wait = turn();
      if (wait) await wait;
    }
  }
  const sum = (f: (m: MountIndex) => number) => built.reduce((a, m) => a + f(m), 0);
  return {
    mounts: built,
    public: pub,
    fileCount: sum((m) => m.fileCount),
    variantCount: sum((m) => m.variantCount),
    bytesInMemory: sum((m) => m.bytesInMemory),
    symlinksSkipped: sum((m) => m.symlinksSkipped),
    ms: performance.now() - t0,
    builtAt: Date.now(),
  };
}

/** A configured header value node would refuse is a one-line startup error naming the key. */
function checkConfigured(name: string, value: string, where: string): void {
  const problem = headerProblem(name, value);
  if (problem !== undefined) throw new UserError(`${where}: ${problem}`);
}

async function indexMount(
  m: StaticMount,
  budget: Budget,
  walk: BuildOptions['scan'],
  turn: () => Promise<void> | undefined,
): Promise<MountIndex> {
  // the values every header block of the mount repeats are checked here, once
  checkConfigured('Cache-Control', m.immutableCacheControl, `${m.prefix}: immutableCacheControl`);
  if (m.cors !== false) checkConfigured('Access-Control-Allow-Origin', m.cors, `${m.prefix}: cors`);
  const scanOpts = { followSymlinks: m.followSymlinks };
  const scan = walk ? await walk(m.root, scanOpts) : scanRootSync(m.root, scanOpts);
  const manifest = findManifest(m.root, m.manifest ?? undefined, m.manifestFormat ?? undefined, { prefix: m.prefix });
  const byRel = new Map<string, ScannedFile>();
  for (const f of scan.files) {
    byRel.set(f.rel, f);
    const wait = turn();
    if (wait) await wait;
  }

  const manifestRel = manifest ? relativeManifest(m.root, manifest.file, scan.files) : undefined;
  const missing: string[] = [];
  if (manifest) {
    for (const h of manifest.hashed) if (!byRel.has(h)) missing.push(h);
    if (missing.length > 0 && m.strict) {
      throw new UserError(
        `${manifest.file}: ${missing.length} name(s) listed but missing under ${m.root} (first: ${missing.slice(0, 3).join(', ')}); run collectstatic, or drop --strict`,
      );
    }
  }
  const pattern = new RegExp(m.immutablePattern);
  const isImmutable = manifest ? (rel: string) => manifest.hashed.has(rel) : (rel: string) => pattern.test(rel);

  const mi: MountIndex = {
    config: m,
    prefix: m.prefix,
    manifest,
    files: new Map(),
    fileCount: 0,
    variantCount: 0,
    bytesInMemory: 0,
    symlinksSkipped: scan.symlinksSkipped,
    missing,
    streamed: 0,
    immutableCount: 0,
    compressedInMemory: 0,
  };
  for (const f of scan.files) {
    if (f.rel === manifestRel) continue;
    const variantOf = VARIANTS.find((v) => f.rel.endsWith(v.suffix) && byRel.has(f.rel.slice(0, -v.suffix.length)));
    if (variantOf) continue; // a representation of another file, not a file of its own
    addFile(mi, f, byRel, isImmutable(f.rel), budget);
    const wait = turn();
    if (wait) await wait;
  }
  if (m.index) addIndexRoutes(mi, m.index, `public, max-age=${m.maxAge}`);
  return mi;
}

function relativeManifest(root: string, file: string, files: ScannedFile[]): string | undefined {
  const hit = files.find((f) => f.abs === file || `${root}/${f.rel}` === file);
  return hit?.rel;
}

function readBody(file: string, size: number, budget: Budget): Buffer | undefined {
  if (!budget.take(size)) return undefined;
  // open + one read of the size the walk saw + close: no second stat, no growing buffer
  let fd = -1;
  try {
    fd = fs.openSync(file, 'r');
    const body = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, body, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got === size) return body; // shorter than the walk saw: changed meanwhile, streamed (and checked) instead
  } catch {
    // unreadable now: it will be streamed, and a read error answered per request
  } finally {
    if (fd !== -1) fs.closeSync(fd);
  }
  budget.give(size);
  return undefined;
}

function addFile(mi: MountIndex, f: ScannedFile, byRel: Map<string, ScannedFile>, immutable: boolean, budget: Budget): void {
  const m = mi.config;
  const type = contentType(f.rel);
  const lastModified = Math.floor(f.mtimeMs / 1000);
  const lastModifiedHttp = new Date(lastModified * 1000).toUTCString();
  const cacheControl = immutable ? m.immutableCacheControl : `public, max-age=${m.maxAge}`;

  const sources: { coding: Coding; bit: number; file: ScannedFile; body?: Buffer }[] = [{ coding: 'identity', bit: IDENTITY, file: f }];
  for (const v of VARIANTS) {
    const sib = byRel.get(f.rel + v.suffix);
    // a variant no smaller than the original is useless; skip it
    if (sib && sib.size < f.size) sources.push({ coding: v.coding, bit: v.bit, file: sib });
  }
  if (m.compressMissing && sources.length === 1 && isCompressible(f.rel)) {
    for (const made of compressInMemory(f, budget)) {
      sources.push(made);
      mi.compressedInMemory++;
    }
  }
  const varies = sources.length > 1;
  const reps: Representation[] = [];
  for (const s of sources) {
    const body = s.body ?? readBody(s.file.abs, s.file.size, budget);
    const etag = etagOf(s.file.mtimeMs, s.file.size, s.coding);
    const common: string[] = ['ETag', etag, 'Last-Modified', lastModifiedHttp, 'Cache-Control', cacheControl];
    if (varies) common.push('Vary', 'Accept-Encoding');
    if (m.cors !== false) common.push('Access-Control-Allow-Origin', m.cors);
    common.push('X-Content-Type-Options', 'nosniff');
    const entity = ['Content-Type', type];
    if (s.coding !== 'identity') entity.push('Content-Encoding', s.coding);
    const h200 = [...entity, 'Content-Length', String(s.file.size), 'Accept-Ranges', 'bytes', ...common];
    // only the identity representation answers ranges
    const h206 = s.coding === 'identity' ? [...entity, 'Accept-Ranges', 'bytes', ...common] : EMPTY;
    reps.push({ coding: s.coding, bit: s.bit, size: s.file.size, mtimeMs: s.file.mtimeMs, etag, file: s.file.abs, body, h200, h304: common, h206, r200: undefined, r304: undefined });
    if (body) mi.bytesInMemory += body.length;
    else mi.streamed++;
  }
  const identity = reps[0];
  reps.sort((a, b) => a.size - b.size || a.bit - b.bit);
  const h406 = ['Content-Type', 'text/plain; charset=utf-8', 'Vary', 'Accept-Encoding'];
  const urlPath = mi.prefix + f.rel;
  mi.files.set(urlPath, {
    kind: 'file',
    urlPath,
    rel: f.rel,
    mount: mi,
    immutable,
    contentType: type,
    lastModified,
    lastModifiedHttp,
    reps,
    identity,
    varies,
    h406,
  });
  mi.fileCount++;
  mi.variantCount += reps.length - 1;
  if (immutable) mi.immutableCount++;
}

/** Files larger than this are never compressed at startup, whatever the memory settings. */
export const COMPRESS_MISSING_MAX_SOURCE = 32 * 1024 * 1024;

/**
 * compressMissing: brotli (quality 11) and gzip (level 9) of a file that has no variant on
 * disk, kept when it saves at least 5% and fits the memory budget.
 */
function compressInMemory(f: ScannedFile, budget: Budget): { coding: Coding; bit: number; file: ScannedFile; body: Buffer }[] {
  if (f.size === 0 || f.size > COMPRESS_MISSING_MAX_SOURCE) return [];
  let data: Buffer;
  try {
    data = fs.readFileSync(f.abs);
  } catch {
    return [];
  }
  if (data.length !== f.size) return [];
  const out: { coding: Coding; bit: number; file: ScannedFile; body: Buffer }[] = [];
  const made: [Coding, number, Buffer][] = [
    ['br', BR, zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } })],
    ['gzip', GZIP, zlib.gzipSync(data, { level: 9 })],
  ];
  for (const [coding, bit, body] of made) {
    if (!worthKeeping(data.length, body.length) || !budget.take(body.length)) continue;
    out.push({ coding, bit, file: { rel: f.rel, abs: f.abs, size: body.length, mtimeMs: f.mtimeMs }, body });
  }
  return out;
}

/**
 * `dir/index.html` also answers `dir/`, and `dir` redirects to `dir/`, with the mount's
 * Cache-Control for unhashed names (without one a cache picks its own freshness for a 301).
 */
function addIndexRoutes(mi: MountIndex, indexName: string, cacheControl: string): void {
  const suffix = '/' + indexName;
  for (const [urlPath, entry] of [...mi.files]) {
    if (entry.kind !== 'file' || !urlPath.endsWith(suffix)) continue;
    const dir = urlPath.slice(0, -indexName.length); // ends with '/'
    if (!mi.files.has(dir)) mi.files.set(dir, entry);
    const bare = dir.slice(0, -1);
    if (bare.length > 0 && bare.length >= mi.prefix.length - 1 && !mi.files.has(bare)) {
      const last = bare.slice(bare.lastIndexOf('/') + 1);
      // at the mount's own root the bare path is the prefix without '/', whose last segment is the mount name
      // percent-encoded: a header value cannot carry the raw name (a name outside Latin-1 would throw)
      if (last !== '') mi.files.set(bare, { kind: 'redirect', urlPath: bare, location: `${encodeURIComponent(last)}/`, cacheControl });
    }
  }
}
