import t from 'tap';
// @ts-ignore plain ESM JavaScript without declarations
import { fmtRps, fmtTree, formatAccessLog, formatPeers, formatProxy, formatSingle, formatStartup, formatTable, median, summarise } from '../../bench/report.mjs';
// @ts-ignore
import { formatRun } from '../../bench/run-info.mjs';

const m = (scenario: string, server: string, round: number, rps: number, extra: Record<string, unknown> = {}) => ({
  scenario, server, round, rps, p50: rps / 10000, p99: rps / 1000, bytesPerSec: rps * 100, requests: rps * 5, errors: 0, unexpected: 0, rssKb: 1000 * round, ...extra,
});

/** One round of each server on a scenario with a process count: { server: req/s }. */
const round = (scenario: string, processes: number, rps: Record<string, number>) => Object.entries(rps).map(([server, r]) => m(scenario, server, 1, r, { processes }));

t.test('median', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.equal(median([]), null);
  t.equal(median([NaN, 5]), 5);
});

t.test('summarise: medians over rounds, the ratio assetd/nginx, max RSS, errors summed', async (t) => {
  const s = summarise([
    m('small-br', 'assetd', 1, 60000),
    m('small-br', 'nginx', 1, 70000),
    m('small-br', 'assetd', 2, 64000, { errors: 2 }),
    m('small-br', 'nginx', 2, 80000, { unexpected: 3 }),
    m('small-br', 'assetd', 3, 10000),
    m('small-br', 'nginx', 3, 75000),
  ]);
  t.equal(s.length, 1);
  t.equal(s[0].servers.assetd.rps, 60000);
  t.equal(s[0].servers.nginx.rps, 75000);
  t.equal(s[0].ratio, 0.8);
  t.equal(s[0].servers.assetd.errors, 2);
  t.equal(s[0].servers.nginx.unexpected, 3);
  t.equal(s[0].servers.assetd.rssKb, 3000);
  t.equal(s[0].servers.assetd.rounds, 3);
  t.same(s[0].servers.assetd.rpsRuns, [60000, 64000, 10000]);
});

t.test('summarise: 404s are not counted where they are the point; proxy gets its share of the direct app', async (t) => {
  const s = summarise(
    [m('not-found-404', 'assetd', 1, 50000, { unexpected: 250000 }), m('not-found-404', 'nginx', 1, 100000, { unexpected: 500000 }), m('proxy', 'assetd', 1, 3600), m('proxy', 'nginx', 1, 4000), m('proxy', 'app', 1, 4500)],
    { errorStatusExpected: new Set(['not-found-404']) },
  );
  t.same(s.map((x: { scenario: string }) => x.scenario), ['not-found-404', 'proxy'], 'scenarios in the order measured');
  t.equal(s[0].servers.assetd.unexpected, 0);
  t.equal(s[0].ratio, 0.5);
  t.equal(s[1].shareOfDirect.assetd, 0.8);
  t.ok(Math.abs(s[1].shareOfDirect.nginx - 4000 / 4500) < 1e-12);
  t.notOk('app' in s[1].shareOfDirect);
});

t.test('no nginx: no ratio', async (t) => {
  const s = summarise([m('small-br', 'assetd', 1, 100)]);
  t.equal(s[0].ratio, null);
  t.match(formatSingle(s, 'assetd'), /\| small-br \| 100 \| 0\.01 \/ 0\.10 \|/);
});

t.test('formatTable: one row per scenario with the ratio', async (t) => {
  const s = summarise([m('small-br', 'assetd', 1, 61234), m('small-br', 'nginx', 1, 73000), m('proxy', 'assetd', 1, 3600), m('proxy', 'nginx', 1, 4000), m('proxy', 'app', 1, 4500)]);
  const out = formatTable(s);
  const lines = out.split('\n');
  t.equal(lines.length, 4);
  t.match(lines[0], /^\| scenario \| assetd req\/s \| nginx req\/s \| assetd\/nginx \|/);
  t.match(lines[2], /^\| small-br \| 61\.2k \| 73\.0k \| 0\.84 \| 6\.12 \/ 61\.2 \| 7\.30 \/ 73\.0 \|/);
  t.match(lines[3], /^\| proxy \| 3\.6k \| 4\.0k \| 0\.90 \(of app direct 4\.5k: assetd 0\.80, nginx 0\.89\) \|/);
});

t.test('formatTable: the share of the Node ceiling when it was measured', async (t) => {
  const s = summarise([m('small-br', 'assetd', 1, 54000), m('small-br', 'nginx', 1, 72000), m('small-br', 'ceiling', 1, 60000), m('large-gzip', 'assetd', 1, 30000), m('large-gzip', 'nginx', 1, 40000)]);
  t.equal(s[0].ratioCeiling, 0.9);
  t.equal(s[1].ratioCeiling, null);
  const lines = formatTable(s).split('\n');
  t.match(lines[0], /\| assetd\/node ceiling \|$/);
  t.match(lines[2], /\| 0\.90 \(60\.0k; – µs\/req\) \|$/);
  t.match(lines[3], /\| – \|$/);
  t.notMatch(formatTable(summarise([m('small-br', 'assetd', 1, 1), m('small-br', 'nginx', 1, 1)])), /ceiling/);
});

t.test('peers: the ratio assetd/peer from the medians, and the line under the table', async (t) => {
  const s = summarise([
    m('small-br', 'assetd', 1, 30000, { cpuUsPerReq: 30 }),
    m('small-br', 'nginx', 1, 60000),
    m('small-br', 'whitenoise', 1, 5000, { cpuUsPerReq: 350 }),
    m('small-br', 'sirv', 1, 7500, { cpuUsPerReq: 250.44 }),
    m('small-br', 'fastify-static', 1, 4000),
    m('small-br', 'assetd', 2, 32000),
    m('small-br', 'whitenoise', 2, 4000),
    m('small-br', 'sirv', 2, 0),
    m('large-gzip', 'assetd', 1, 20000),
    m('large-gzip', 'nginx', 1, 25000),
  ]);
  t.same(s[0].ratioPeers, { whitenoise: 31000 / 4500, sirv: 31000 / 3750, 'fastify-static': 31000 / 4000 });
  t.notOk('ratioPeers' in s[1], 'no peers in large-gzip');
  t.equal(s[0].ratio, 31000 / 60000, 'the ratio to nginx is unchanged');
  t.equal(
    formatPeers(s),
    'small-br: assetd is 6.9× whitenoise (4.5k req/s, 350.0 CPU µs/req), 8.3× sirv (3.8k req/s, 250.4 CPU µs/req), 7.8× fastify-static (4.0k req/s, – CPU µs/req)',
  );
  t.equal(formatPeers(summarise([m('small-br', 'assetd', 1, 1), m('small-br', 'nginx', 1, 1)])), null, 'no line without peers');
  const zero = summarise([m('small-br', 'assetd', 1, 100), m('small-br', 'sirv', 1, 0)]);
  t.same(zero[0].ratioPeers, { sirv: null });
  t.match(formatPeers(zero), /^small-br: assetd is – sirv \(0 req\/s/);
});

t.test('fmtRps and formatStartup', async (t) => {
  t.equal(fmtRps(999), '999');
  t.equal(fmtRps(1500), '1.5k');
  t.equal(fmtRps(null), '–');
  const out = formatStartup([{ files: 100000, onDisk: 250001, indexed: 100000, variants: 150000, inMemory: '80.0 MiB', indexMs: 2500.4, wallMs: 2800.6, rssKb: 204800 }]);
  t.match(out, /\| 100,000 \| 250,001 \| 100,000 \+ 150,000 variants \| 80\.0 MiB \| 2500 \| 2801 \| 200 \|$/m);
  t.notMatch(out, /primary/, 'no tree columns when only one process was measured');
});

t.test('startup at defaults: the total RSS of assetd\'s primary and workers beside nginx\'s master and workers', async (t) => {
  t.equal(fmtTree([51200, 102400, 102400]), '250 (50 + 100 + 100)');
  t.equal(fmtTree([76800]), '75', 'one process: no parts');
  t.equal(fmtTree(null), '–');
  t.equal(fmtTree([]), '–');
  const rows = [
    { files: 1000, onDisk: 2501, indexed: 1000, variants: 1500, inMemory: '785.5 KiB', indexMs: 105, wallMs: 384, rssKb: 76800, defaults: { workers: 2, rssKb: [51200, 76800, 77824] }, nginx: { workers: 2, rssKb: [7168, 4096, 4096] } },
    { files: 10000, onDisk: 25001, indexed: 10000, variants: 15000, inMemory: '7.9 MiB', indexMs: 545, wallMs: 761, rssKb: 141312, defaults: { workers: 2, rssKb: [51200, 141312, 141312] }, nginx: null },
  ];
  const lines = formatStartup(rows).split('\n');
  t.match(lines[0], /\| RSS MB \| assetd at defaults \(2 workers\) RSS MB: total \(primary \+ workers\) \| nginx \(2 workers\) RSS MB: total \(master \+ workers\) \|$/);
  t.match(lines[2], /\| 75 \| 201 \(50 \+ 75 \+ 76\) \| 15 \(7 \+ 4 \+ 4\) \|$/, 'the one-process figure kept beside the trees');
  t.match(lines[3], /\| 138 \| 326 \(50 \+ 138 \+ 138\) \| – \|$/, 'no nginx measured');
});

t.test('process counts: one summary per scenario and count, in the order measured', async (t) => {
  const s = summarise([
    ...round('small-br', 1, { assetd: 30000, nginx: 60000 }),
    ...round('large-gzip', 1, { assetd: 10000, nginx: 20000 }),
    ...round('small-br', 2, { assetd: 50000, nginx: 100000 }),
  ]);
  t.same(s.map((x: { scenario: string; processes: number }) => `${x.scenario} ×${x.processes}`), ['small-br ×1', 'large-gzip ×1', 'small-br ×2']);
  t.equal(s[0].servers.assetd.rps, 30000, 'one process');
  t.equal(s[2].servers.assetd.rps, 50000, 'two processes, not mixed with one');
  t.equal(s[2].ratio, 0.5);
  t.equal(summarise([m('small-br', 'assetd', 1, 1)])[0].processes, null, 'a measurement without a count (--target)');
});

t.test('variants: each assetd server against the nginx with the same access-log setting', async (t) => {
  const s = summarise([
    m('small-br', 'assetd', 1, 30000, { cpuUsPerReq: 30 }),
    m('small-br', 'assetd (node)', 1, 24000, { cpuUsPerReq: 40 }),
    m('small-br', 'assetd (log)', 1, 20000, { logBytes: 20000 * 5 * 180 }),
    m('small-br', 'assetd (node, log)', 1, 15000),
    m('small-br', 'nginx', 1, 60000, { cpuUsPerReq: 15 }),
    m('small-br', 'nginx (log)', 1, 50000, { logBytes: 50000 * 5 * 175 }),
    m('small-br', 'ceiling', 1, 40000),
  ]);
  t.same(s[0].ratios, { assetd: 0.5, 'assetd (node)': 0.4, 'assetd (log)': 0.4, 'assetd (node, log)': 0.3 });
  t.equal(s[0].ratio, 0.5, 'the plain ratio is the default variant\'s');
  t.equal(s[0].servers['assetd (log)'].logBytesPerReq, 180);
  t.equal(s[0].servers.assetd.logBytesPerReq, null, 'no log, no figure');
  const lines = formatTable(s).split('\n');
  t.equal(lines.length, 6, 'a head, a rule, a row per assetd server');
  t.match(lines[2], /^\| small-br \| 30\.0k \| 60\.0k \| 0\.50 \|.*\| 30\.0 \/ 15\.0 \|.*\| 0\.75 \(40\.0k; – µs\/req\) \|$/);
  t.match(lines[3], /^\| small-br \(node\) \| 24\.0k \| 60\.0k \| 0\.40 \|.*\| 40\.0 \/ 15\.0 \|.*\| 0\.60 \(40\.0k/);
  t.match(lines[4], /^\| small-br \(log\) \| 20\.0k \| 50\.0k \| 0\.40 \|/, 'against nginx (log)');
  t.match(lines[5], /^\| small-br \(node, log\) \| 15\.0k \| 50\.0k \| 0\.30 \|/);
  t.equal(formatAccessLog(s), 'small-br: access log bytes per request assetd (log) 180, nginx (log) 175');
  t.equal(formatAccessLog(summarise([m('small-br', 'assetd', 1, 1)])), null);
  const single = formatSingle(s, 'assetd').split('\n');
  t.same(single.slice(2).map((l: string) => l.split(' | ')[0]), ['| small-br', '| small-br (node)', '| small-br (log)', '| small-br (node, log)'], 'without nginx: every assetd server');
  t.match(single[0], /\| CPU µs\/req \|/);
});

t.test('proxy: each proxy\'s own CPU, the app\'s CPU direct and through each, the connections it was opened', async (t) => {
  const s = summarise([
    m('proxy-keepalive', 'assetd', 1, 8000, { processes: 1, cpuUsPerReq: 60, appCpuUsPerReq: 40, appConnections: 50 }),
    m('proxy-keepalive', 'nginx', 1, 10000, { processes: 1, cpuUsPerReq: 25, appCpuUsPerReq: 38, appConnections: 49 }),
    m('proxy-keepalive', 'app', 1, 16000, { processes: 1, cpuUsPerReq: 36, appConnections: 51 }),
  ]);
  t.same(s[0].shareOfDirect, { assetd: 0.5, nginx: 0.625 });
  t.match(formatTable(s), /\| proxy-keepalive \| 8\.0k \| 10\.0k \| 0\.80 \(of app direct 16\.0k: assetd 0\.50, nginx 0\.63\) \|/);
  t.equal(formatProxy(s), 'proxy-keepalive ×1: proxy CPU µs/req assetd 60.0, nginx 25.0; app CPU µs/req direct 36.0, through assetd 40.0, through nginx 38.0; connections opened to the app per measurement: direct 51, assetd 50, nginx 49');
  const gunicorn = summarise([m('proxy', 'assetd', 1, 1000, { cpuUsPerReq: 500, appCpuUsPerReq: 900 }), m('proxy', 'app', 1, 4000, { cpuUsPerReq: 800 })]);
  t.equal(formatProxy(gunicorn), 'proxy: proxy CPU µs/req assetd 500.0; app CPU µs/req direct 800.0, through assetd 900.0', 'no connection counts from gunicorn');
  t.equal(formatProxy(summarise([m('small-br', 'assetd', 1, 1)])), null);
});

t.test('formatRun: a table per process count, the variants and the log named', async (t) => {
  const measurements = [
    ...round('small-br', 1, { assetd: 30000, 'assetd (node)': 20000, nginx: 60000 }),
    ...round('small-br', 2, { assetd: 50000, 'assetd (node)': 40000, nginx: 100000 }),
  ];
  const result = {
    date: '2030-01-01T00:00:00.000Z', machine: { cpus: 2, cpuModel: 'CPU', distro: 'Debian', os: 'Linux', loadavgAtStart: [0.1, 0, 0] }, node: 'v20', nginx: '1.22.1', loadgen: 'wrk 4', commit: 'abcdef0123456', dirty: false,
    summary: summarise(measurements), skipped: { 'small-br ×2/peers': 'the peers run one process each' }, failed: {}, checks: { 'small-br ×1/nginx': ['x: status 404, expected 200'] }, startup: null, profileTop: null, assetdStart: null,
  };
  const opts = { loadgen: 'wrk', threads: 2, connections: 50, duration: 5, rounds: 2, variants: [{ name: 'default', env: {}, flags: [] }, { name: 'node', env: { ASSETD_FAST_LANE: 'false' }, flags: [] }], accessLog: 'off', target: null, profile: false };
  const out = formatRun(result, opts);
  t.match(out, /^assetd bench 2030-01-01T00:00:00\.000Z · 2 × CPU · Debian · Node v20 · nginx 1\.22\.1 · wrk 4 \(2 threads, 50 connections, 5 s × 2 rounds\) · commit abcdef0123/);
  t.match(out, /Variant node: assetd with ASSETD_FAST_LANE=false/);
  const one = out.indexOf('1 process each: assetd --workers 1, nginx worker_processes 1\n');
  const two = out.indexOf('2 processes each: assetd --workers 2, nginx worker_processes 2; CPU and RSS summed over the process tree\n');
  t.ok(one > 0 && two > one, 'one process first, then two');
  t.match(out.slice(one, two), /\| small-br \| 30\.0k \| 60\.0k \| 0\.50 \|[^\n]*\n\| small-br \(node\) \| 20\.0k \| 60\.0k \| 0\.33 \|/);
  t.match(out.slice(two), /\| small-br \| 50\.0k \| 100\.0k \| 0\.50 \|[^\n]*\n\| small-br \(node\) \| 40\.0k \| 100\.0k \| 0\.40 \|/);
  t.match(out, /skipped small-br ×2\/peers: the peers run one process each/);
  t.match(out, /CHECK small-br ×1\/nginx: x: status 404, expected 200$/);
  t.notMatch(out, /\n\n\n/, 'no runs of blank lines');
  t.notMatch(out, /Note: the load average/, 'a quiet machine');
});

t.test('cpuTicks: the CPU time of a process tree grows with work', async (t) => {
  const { cpuTicks } = await import('../../bench/processes.mjs');
  const before = cpuTicks(process.pid);
  if (before === null) return t.skip('no /proc here');
  // spin until this process has used 300 ms more CPU, however busy the machine is
  const start = process.cpuUsage();
  let x = 0;
  while (process.cpuUsage(start).user + process.cpuUsage(start).system < 300_000) x += Math.sqrt(x + 1);
  t.ok(x > 0);
  t.ok(cpuTicks(process.pid)! >= before + 20, 'at least 200 ms of CPU counted after 300 ms of CPU');
});
