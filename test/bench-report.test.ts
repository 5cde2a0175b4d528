import t from 'tap';
// @ts-ignore plain ESM JavaScript without declarations
import { fmtRps, formatPeers, formatSingle, formatStartup, formatTable, median, summarise } from '../bench/report.mjs';

const m = (scenario: string, server: string, round: number, rps: number, extra: Record<string, unknown> = {}) => ({
  scenario, server, round, rps, p50: rps / 10000, p99: rps / 1000, bytesPerSec: rps * 100, requests: rps * 5, errors: 0, unexpected: 0, rssKb: 1000 * round, ...extra,
});

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
  t.match(out, /\| 100,000 \| 250,001 \| 100,000 \+ 150,000 variants \| 80\.0 MiB \| 2500 \| 2801 \| 200 \|/);
});

t.test('cpuTicks: the CPU time of a process tree grows with work', async (t) => {
  const { cpuTicks } = await import('../bench/processes.mjs');
  const before = cpuTicks(process.pid);
  if (before === null) return t.skip('no /proc here');
  const end = Date.now() + 300;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  t.ok(x > 0);
  t.ok(cpuTicks(process.pid)! >= before + 10, 'at least 100 ms of CPU counted after 300 ms of busy work');
});
