/**
 * Counters for the Prometheus metrics path. Counting is plain number arithmetic on the
 * hot path; `snapshot()` copies them out, `mergeSnapshots()` sums workers' snapshots and
 * `renderPrometheus()` writes the text exposition format. No I/O here.
 */

export const ROUTE_KINDS = ['static', 'media', 'proxy', 'service', 'other'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

export const ENCODINGS = ['identity', 'br', 'zstd', 'gzip', 'other'] as const;

/** Status classes, index = first digit; index 0 holds anything outside 100..599. */
const CLASSES = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** Upper bounds (seconds) of the upstream latency histogram. */
export const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsSnapshot {
  /** requests[kind][statusClass] */
  requests: Record<string, number[]>;
  bytes: Record<string, number>;
  /** Static responses, and how many of them were 304 Not Modified. */
  staticResponses: number;
  notModified: number;
  /** Cumulative-free bucket counts (one per bound, plus +Inf last), sum and count. */
  upstream: { buckets: number[]; sum: number; count: number };
  index: { files: number; variants: number; bytesInMemory: number; mounts: number; builtAt: number };
  reloads: { ok: number; failed: number };
}

export function kindIndex(kind: string): number {
  switch (kind) {
    case 'static':
      return 0;
    case 'media':
      return 1;
    case 'proxy':
      return 2;
    case 'service':
      return 3;
    default:
      return 4;
  }
}

export function encodingIndex(encoding: string): number {
  switch (encoding) {
    case 'identity':
      return 0;
    case 'br':
      return 1;
    case 'zstd':
      return 2;
    case 'gzip':
      return 3;
    default:
      return 4;
  }
}

export function statusClass(status: number): number {
  return status >= 100 && status <= 599 ? Math.floor(status / 100) : 0;
}

export class Metrics {
  /** kinds × 6 status classes */
  private readonly requests = new Array<number>(ROUTE_KINDS.length * 6).fill(0);
  private readonly bytes = new Array<number>(ENCODINGS.length).fill(0);
  private staticResponses = 0;
  private notModified = 0;
  private readonly upstreamBuckets = new Array<number>(UPSTREAM_BUCKETS.length + 1).fill(0);
  private upstreamSum = 0;
  private upstreamCount = 0;
  private index = { files: 0, variants: 0, bytesInMemory: 0, mounts: 0, builtAt: 0 };
  reloadsOk = 0;
  reloadsFailed = 0;

  /** One response: its route kind, status, body bytes sent and content coding. */
  count(kind: string, status: number, bytes: number, encoding: string): void {
    const k = kindIndex(kind);
    this.requests[k * 6 + statusClass(status)]++;
    this.bytes[encodingIndex(encoding)] += bytes;
    if (k === 0) {
      this.staticResponses++;
      if (status === 304) this.notModified++;
    }
  }

  /** Time an upstream took to answer, in seconds. */
  observeUpstream(seconds: number): void {
    let i = 0;
    while (i < UPSTREAM_BUCKETS.length && seconds > UPSTREAM_BUCKETS[i]) i++;
    this.upstreamBuckets[i]++;
    this.upstreamSum += seconds;
    this.upstreamCount++;
  }

  setIndex(files: number, variants: number, bytesInMemory: number, mounts: number, builtAt: number): void {
    this.index = { files, variants, bytesInMemory, mounts, builtAt };
  }

  snapshot(): MetricsSnapshot {
    const requests: Record<string, number[]> = {};
    ROUTE_KINDS.forEach((k, i) => (requests[k] = this.requests.slice(i * 6, i * 6 + 6)));
    const bytes: Record<string, number> = {};
    ENCODINGS.forEach((e, i) => (bytes[e] = this.bytes[i]));
    return {
      requests,
      bytes,
      staticResponses: this.staticResponses,
      notModified: this.notModified,
      upstream: { buckets: [...this.upstreamBuckets], sum: this.upstreamSum, count: this.upstreamCount },
      index: { ...this.index },
      reloads: { ok: this.reloadsOk, failed: this.reloadsFailed },
    };
  }
}

function addArrays(a: number[], b: number[]): number[] {
  return a.map((v, i) => v + (b[i] ?? 0));
}

/**
 * Sum of several workers' snapshots: counters add up; the index gauges and reload counts
 * (every worker holds the same index and reloads together) come from the newest index.
 */
export function mergeSnapshots(snaps: MetricsSnapshot[]): MetricsSnapshot {
  if (snaps.length === 0) return new Metrics().snapshot();
  const [first, ...rest] = snaps;
  const out: MetricsSnapshot = JSON.parse(JSON.stringify(first));
  for (const s of rest) {
    for (const k of Object.keys(out.requests)) out.requests[k] = addArrays(out.requests[k], s.requests[k] ?? []);
    for (const e of Object.keys(out.bytes)) out.bytes[e] += s.bytes[e] ?? 0;
    out.staticResponses += s.staticResponses;
    out.notModified += s.notModified;
    out.upstream.buckets = addArrays(out.upstream.buckets, s.upstream.buckets);
    out.upstream.sum += s.upstream.sum;
    out.upstream.count += s.upstream.count;
    if (s.index.builtAt > out.index.builtAt) out.index = { ...s.index };
    out.reloads.ok = Math.max(out.reloads.ok, s.reloads.ok);
    out.reloads.failed = Math.max(out.reloads.failed, s.reloads.failed);
  }
  return out;
}

/** Extra gauges from the process that renders (workers, restarts, uptime). */
export interface ProcessFacts {
  workers: number;
  workerRestarts: number;
  uptimeSeconds: number;
  version: string;
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1e6) / 1e6);
}

/** Prometheus text exposition format 0.0.4. */
export function renderPrometheus(s: MetricsSnapshot, p: ProcessFacts): string {
  const out: string[] = [];
  const head = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  head('assetd_requests_total', 'counter', 'Responses by route kind and status class.');
  for (const kind of ROUTE_KINDS) {
    const row = s.requests[kind] ?? [];
    CLASSES.forEach((cls, i) => {
      if (i === 0 && !row[0]) return;
      out.push(`assetd_requests_total{kind="${kind}",status="${cls}"} ${num(row[i] ?? 0)}`);
    });
  }
  head('assetd_sent_bytes_total', 'counter', 'Body bytes sent, by content coding.');
  for (const e of ENCODINGS) out.push(`assetd_sent_bytes_total{encoding="${e}"} ${num(s.bytes[e] ?? 0)}`);
  head('assetd_static_responses_total', 'counter', 'Responses for static files.');
  out.push(`assetd_static_responses_total ${num(s.staticResponses)}`);
  head('assetd_static_not_modified_total', 'counter', 'Static responses that were 304 Not Modified.');
  out.push(`assetd_static_not_modified_total ${num(s.notModified)}`);
  head('assetd_static_not_modified_ratio', 'gauge', 'Share of static responses that were 304 Not Modified.');
  out.push(`assetd_static_not_modified_ratio ${num(s.staticResponses === 0 ? 0 : s.notModified / s.staticResponses)}`);

  head('assetd_upstream_duration_seconds', 'histogram', 'Time the upstream took to answer.');
  let cumulative = 0;
  UPSTREAM_BUCKETS.forEach((le, i) => {
    cumulative += s.upstream.buckets[i] ?? 0;
    out.push(`assetd_upstream_duration_seconds_bucket{le="${le}"} ${num(cumulative)}`);
  });
  cumulative += s.upstream.buckets[UPSTREAM_BUCKETS.length] ?? 0;
  out.push(`assetd_upstream_duration_seconds_bucket{le="+Inf"} ${num(cumulative)}`);
  out.push(`assetd_upstream_duration_seconds_sum ${num(s.upstream.sum)}`);
  out.push(`assetd_upstream_duration_seconds_count ${num(s.upstream.count)}`);

  head('assetd_index_files', 'gauge', 'Files in the static index.');
  out.push(`assetd_index_files ${num(s.index.files)}`);
  head('assetd_index_variants', 'gauge', 'Precompressed variants in the static index.');
  out.push(`assetd_index_variants ${num(s.index.variants)}`);
  head('assetd_index_memory_bytes', 'gauge', 'Bytes of file content held in memory, per worker.');
  out.push(`assetd_index_memory_bytes ${num(s.index.bytesInMemory)}`);
  head('assetd_index_mounts', 'gauge', 'Static mounts.');
  out.push(`assetd_index_mounts ${num(s.index.mounts)}`);
  head('assetd_index_built_timestamp_seconds', 'gauge', 'When the index in use was built.');
  out.push(`assetd_index_built_timestamp_seconds ${num(Math.floor(s.index.builtAt / 1000))}`);
  head('assetd_reloads_total', 'counter', 'Index reloads (SIGHUP), by result.');
  out.push(`assetd_reloads_total{result="ok"} ${num(s.reloads.ok)}`, `assetd_reloads_total{result="failed"} ${num(s.reloads.failed)}`);

  head('assetd_workers', 'gauge', 'Worker processes serving.');
  out.push(`assetd_workers ${num(p.workers)}`);
  head('assetd_worker_restarts_total', 'counter', 'Workers replaced after they exited unexpectedly.');
  out.push(`assetd_worker_restarts_total ${num(p.workerRestarts)}`);
  head('assetd_uptime_seconds', 'gauge', 'Seconds since the server started.');
  out.push(`assetd_uptime_seconds ${num(Math.floor(p.uptimeSeconds))}`);
  head('assetd_build_info', 'gauge', 'Version of assetd.');
  out.push(`assetd_build_info{version="${p.version.replace(/["\\\n]/g, '')}"} 1`);
  return out.join('\n') + '\n';
}
