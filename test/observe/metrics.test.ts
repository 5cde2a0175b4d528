import t from 'tap';
import { encodingIndex, kindIndex, mergeSnapshots, Metrics, renderPrometheus, statusClass, UPSTREAM_BUCKETS } from '../../src/observe/metrics.js';

const facts = { workers: 2, workerRestarts: 1, uptimeSeconds: 12.7, version: '9.9.9' };

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  if (line === undefined) throw new Error(`no series ${series}`);
  return Number(line.slice(series.length + 1));
}

t.test('indices and status classes', async (t) => {
  t.same(['static', 'media', 'proxy', 'service', 'x'].map(kindIndex), [0, 1, 2, 3, 4]);
  t.same(['identity', 'br', 'zstd', 'gzip', 'deflate'].map(encodingIndex), [0, 1, 2, 3, 4]);
  t.same([100, 200, 206, 304, 404, 499, 503, 99, 600, 0].map(statusClass), [1, 2, 2, 3, 4, 4, 5, 0, 0, 0]);
});

t.test('counts by kind, status class and encoding, and the 304 share of static', async (t) => {
  const m = new Metrics();
  m.count('static', 200, 1000, 'br');
  m.count('static', 200, 500, 'gzip');
  m.count('static', 304, 0, 'identity');
  m.count('static', 404, 10, 'identity');
  m.count('proxy', 502, 20, 'identity');
  m.count('media', 206, 300, 'identity');
  m.count('other', 400, 12, 'identity');
  const s = m.snapshot();
  t.same(s.requests.static, [0, 0, 2, 1, 1, 0]);
  t.same(s.requests.proxy, [0, 0, 0, 0, 0, 1]);
  t.same(s.requests.media, [0, 0, 1, 0, 0, 0]);
  t.same(s.requests.other, [0, 0, 0, 0, 1, 0]);
  t.same(s.bytes, { identity: 342, br: 1000, zstd: 0, gzip: 500, other: 0 });
  t.equal(s.staticResponses, 4);
  t.equal(s.notModified, 1);
  const text = renderPrometheus(s, facts);
  t.equal(value(text, 'assetd_requests_total{kind="static",status="2xx"}'), 2);
  t.equal(value(text, 'assetd_requests_total{kind="proxy",status="5xx"}'), 1);
  t.equal(value(text, 'assetd_sent_bytes_total{encoding="br"}'), 1000);
  t.equal(value(text, 'assetd_static_not_modified_ratio'), 0.25);
  t.equal(value(text, 'assetd_workers'), 2);
  t.equal(value(text, 'assetd_worker_restarts_total'), 1);
  t.equal(value(text, 'assetd_uptime_seconds'), 12);
  t.match(text, /^assetd_build_info\{version="9\.9\.9"\} 1$/m);
});

t.test('upstream histogram is cumulative with +Inf, sum and count', async (t) => {
  const m = new Metrics();
  for (const s of [0.001, 0.005, 0.02, 0.3, 20]) m.observeUpstream(s);
  const text = renderPrometheus(m.snapshot(), facts);
  t.equal(value(text, 'assetd_upstream_duration_seconds_bucket{le="0.005"}'), 2, 'le is inclusive');
  t.equal(value(text, 'assetd_upstream_duration_seconds_bucket{le="0.025"}'), 3);
  t.equal(value(text, 'assetd_upstream_duration_seconds_bucket{le="0.5"}'), 4);
  t.equal(value(text, 'assetd_upstream_duration_seconds_bucket{le="10"}'), 4);
  t.equal(value(text, 'assetd_upstream_duration_seconds_bucket{le="+Inf"}'), 5);
  t.equal(value(text, 'assetd_upstream_duration_seconds_count'), 5);
  t.equal(value(text, 'assetd_upstream_duration_seconds_sum'), 20.326);
  t.equal(text.split('\n').filter((l) => l.startsWith('assetd_upstream_duration_seconds_bucket')).length, UPSTREAM_BUCKETS.length + 1);
});

t.test('index gauges and reloads', async (t) => {
  const m = new Metrics();
  m.setIndex(709, 1400, 5_000_000, 2, Date.UTC(2026, 0, 1));
  m.reloadsOk = 3;
  m.reloadsFailed = 1;
  const text = renderPrometheus(m.snapshot(), facts);
  t.equal(value(text, 'assetd_index_files'), 709);
  t.equal(value(text, 'assetd_index_variants'), 1400);
  t.equal(value(text, 'assetd_index_memory_bytes'), 5_000_000);
  t.equal(value(text, 'assetd_index_mounts'), 2);
  t.equal(value(text, 'assetd_index_built_timestamp_seconds'), Date.UTC(2026, 0, 1) / 1000);
  t.equal(value(text, 'assetd_reloads_total{result="ok"}'), 3);
  t.equal(value(text, 'assetd_reloads_total{result="failed"}'), 1);
});

t.test('every sample line is well formed and every metric has HELP and TYPE', async (t) => {
  const m = new Metrics();
  m.count('weird', 42, 1, 'deflate');
  const text = renderPrometheus(m.snapshot(), facts);
  t.ok(text.endsWith('\n'));
  const names = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('# TYPE ')) names.add(line.split(' ')[2]);
    else if (!line.startsWith('# HELP ')) t.match(line, /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$/, line);
  }
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
    const name = line.split(/[{ ]/)[0].replace(/_(bucket|sum|count)$/, '');
    t.ok(names.has(name) || names.has(line.split(/[{ ]/)[0]), `${name} has a TYPE`);
  }
  t.equal(value(text, 'assetd_requests_total{kind="other",status="other"}'), 1, 'odd status shows up in the "other" class');
  t.equal(value(text, 'assetd_sent_bytes_total{encoding="other"}'), 1);
});

t.test('merging sums counters and keeps the newest index', async (t) => {
  const a = new Metrics();
  const b = new Metrics();
  a.count('static', 200, 100, 'br');
  b.count('static', 200, 50, 'br');
  b.count('static', 304, 0, 'identity');
  a.observeUpstream(0.01);
  b.observeUpstream(3);
  a.setIndex(10, 1, 1, 1, 1000);
  b.setIndex(12, 2, 2, 1, 2000);
  a.reloadsOk = 1;
  b.reloadsOk = 1;
  const s = mergeSnapshots([a.snapshot(), b.snapshot()]);
  t.same(s.requests.static, [0, 0, 2, 1, 0, 0]);
  t.equal(s.bytes.br, 150);
  t.equal(s.staticResponses, 3);
  t.equal(s.notModified, 1);
  t.equal(s.upstream.count, 2);
  t.equal(s.upstream.sum, 3.01);
  t.equal(s.index.files, 12);
  t.equal(s.reloads.ok, 1, 'workers reload together: not summed');
  t.same(mergeSnapshots([]).requests.static, [0, 0, 0, 0, 0, 0]);
  const before = a.snapshot();
  mergeSnapshots([before, b.snapshot()]);
  t.same(before.requests.static, [0, 0, 1, 0, 0, 0], 'inputs are not changed');
});
