/**
 * Results: medians per scenario and server, the assetd/nginx ratio, and the tables printed
 * on stdout (also pasted into the README). Pure.
 */
import { PEERS } from './scenarios.mjs';

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * @param {{ scenario: string, server: string, round: number, rps: number, p50: number, p99: number,
 *   bytesPerSec: number, requests: number, errors: number, unexpected: number, rssKb: number | null }[]} ms
 * @param {{ errorStatusExpected?: Set<string> }} [opts] scenarios whose answers are meant to be 4xx
 */
export function summarise(ms, opts = {}) {
  const expected = opts.errorStatusExpected ?? new Set();
  const order = [];
  const by = new Map();
  for (const m of ms) {
    if (!by.has(m.scenario)) {
      by.set(m.scenario, new Map());
      order.push(m.scenario);
    }
    const s = by.get(m.scenario);
    if (!s.has(m.server)) s.set(m.server, []);
    s.get(m.server).push(m);
  }
  return order.map((scenario) => {
    const servers = {};
    for (const [server, runs] of by.get(scenario)) {
      const rss = runs.map((r) => r.rssKb).filter((x) => typeof x === 'number');
      servers[server] = {
        rounds: runs.length,
        rps: median(runs.map((r) => r.rps)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        bytesPerSec: median(runs.map((r) => r.bytesPerSec)),
        errors: runs.reduce((a, r) => a + r.errors, 0),
        unexpected: expected.has(scenario) ? 0 : runs.reduce((a, r) => a + r.unexpected, 0),
        rssKb: rss.length > 0 ? Math.max(...rss) : null,
        cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)),
        rpsRuns: runs.map((r) => r.rps),
      };
    }
    const a = servers.assetd?.rps;
    const n = servers.nginx?.rps;
    const app = servers.app?.rps;
    const c = servers.ceiling?.rps;
    const out = { scenario, servers, ratio: a && n ? a / n : null, ratioCeiling: a && c ? a / c : null };
    const peers = PEERS.filter((p) => servers[p]);
    if (peers.length > 0) out.ratioPeers = Object.fromEntries(peers.map((p) => [p, a && servers[p].rps ? a / servers[p].rps : null]));
    if (app) {
      out.shareOfDirect = {};
      for (const [k, v] of Object.entries(servers)) if (k !== 'app' && v.rps) out.shareOfDirect[k] = v.rps / app;
    }
    return out;
  });
}

/**
 * The line under the table for a run with --peers: assetd's req/s as a multiple of each
 * peer's, with the peer's own req/s and CPU µs per request; null when no scenario had peers.
 */
export function formatPeers(summary) {
  const lines = summary
    .filter((s) => s.ratioPeers)
    .map((s) => {
      const parts = Object.entries(s.ratioPeers).map(([p, r]) => `${r === null ? '–' : `${r.toFixed(1)}×`} ${p} (${fmtRps(s.servers[p].rps)} req/s, ${fmtUs(s.servers[p].cpuUsPerReq)} CPU µs/req)`);
      return `${s.scenario}: assetd is ${parts.join(', ')}`;
    });
  return lines.length > 0 ? lines.join('\n') : null;
}

/** CPU microseconds per request, or '–'. */
export function fmtUs(x) {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(1) : '–';
}

export function fmtRps(x) {
  if (x === null || x === undefined) return '–';
  return x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0);
}

function fmtMs(x) {
  if (x === null || x === undefined) return '–';
  return x < 10 ? x.toFixed(2) : x.toFixed(1);
}

function fmtMb(kb) {
  return kb === null || kb === undefined ? '–' : `${(kb / 1024).toFixed(0)}`;
}

function fmtMBs(bps) {
  return bps === null || bps === undefined ? '–' : `${(bps / 1024 / 1024).toFixed(0)}`;
}

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The side-by-side table: one row per scenario, ratio assetd/nginx (or share of direct app). */
export function formatTable(summary, names = { a: 'assetd', b: 'nginx' }) {
  const { a, b } = names;
  const ceiling = summary.some((s) => s.servers.ceiling);
  const rows = summary.map((s) => {
    const A = s.servers[a] ?? {};
    const B = s.servers[b] ?? {};
    const bad = (x) => (x.rounds ? `${x.errors}/${x.unexpected}` : '–');
    let ratio = s.ratio === null ? '–' : s.ratio.toFixed(2);
    if (s.shareOfDirect) {
      const parts = Object.entries(s.shareOfDirect).map(([k, v]) => `${k} ${v.toFixed(2)}`);
      ratio += ` (of app direct ${fmtRps(s.servers.app.rps)}: ${parts.join(', ')})`;
    }
    const cells = [
      s.scenario,
      fmtRps(A.rps),
      fmtRps(B.rps),
      ratio,
      A.rps ? `${fmtMs(A.p50)} / ${fmtMs(A.p99)}` : '–',
      B.rps ? `${fmtMs(B.p50)} / ${fmtMs(B.p99)}` : '–',
      A.rps ? `${fmtMBs(A.bytesPerSec)} / ${fmtMBs(B.bytesPerSec)}` : '–',
      `${fmtMb(A.rssKb)} / ${fmtMb(B.rssKb)}`,
      `${fmtUs(A.cpuUsPerReq)} / ${fmtUs(B.cpuUsPerReq)}`,
      `${bad(A)} / ${bad(B)}`,
    ];
    if (ceiling) {
      const c = s.servers.ceiling;
      cells.push(s.ratioCeiling === null ? '–' : `${s.ratioCeiling.toFixed(2)} (${fmtRps(c.rps)}; ${fmtUs(c.cpuUsPerReq)} µs/req)`);
    }
    return cells;
  });
  const head = ['scenario', `${a} req/s`, `${b} req/s`, `${a}/${b}`, `${a} p50 / p99 ms`, `${b} p50 / p99 ms`, 'MB/s', 'RSS MB', 'CPU µs/req', 'errors/non-2xx-3xx'];
  if (ceiling) head.push(`${a}/node ceiling`);
  return table(head, rows);
}

/** One server alone (--target, --no-nginx). */
export function formatSingle(summary, name) {
  const rows = summary.map((s) => {
    const x = s.servers[name] ?? {};
    return [s.scenario, fmtRps(x.rps), x.rps ? `${fmtMs(x.p50)} / ${fmtMs(x.p99)}` : '–', fmtMBs(x.bytesPerSec), fmtMb(x.rssKb), x.rounds ? `${x.errors}/${x.unexpected}` : '–'];
  });
  return table(['scenario', `${name} req/s`, 'p50 / p99 ms', 'MB/s', 'RSS MB', 'errors/non-2xx-3xx'], rows);
}

/** @param {{ files: number, indexed: number, variants: number, onDisk: number, inMemory: string | null, indexMs: number, wallMs: number, rssKb: number | null }[]} rows */
export function formatStartup(rows) {
  return table(
    ['files', 'on disk (with .br/.gz)', 'indexed', 'in memory', 'index ms', 'listening after ms', 'RSS MB'],
    rows.map((r) => [
      r.files.toLocaleString('en'),
      r.onDisk.toLocaleString('en'),
      `${r.indexed.toLocaleString('en')} + ${r.variants.toLocaleString('en')} variants`,
      r.inMemory ?? '–',
      String(Math.round(r.indexMs)),
      String(Math.round(r.wallMs)),
      fmtMb(r.rssKb),
    ]),
  );
}
