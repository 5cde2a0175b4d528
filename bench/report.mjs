/**
 * Results: medians per scenario (and process count) and server, the ratio of each assetd
 * server to its nginx, and the tables printed on stdout (also pasted into the README). Pure.
 */
import { PEERS } from './scenarios.mjs';
import { counterpart, isAssetd, rowSuffix } from './variants.mjs';

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Medians per scenario, process count and server, in the order measured.
 * @param {{ scenario: string, server: string, round: number, rps: number, p50: number, p99: number,
 *   bytesPerSec: number, requests: number, errors: number, unexpected: number, rssKb: number | null,
 *   processes?: number, cpuUsPerReq?: number | null, appCpuUsPerReq?: number | null,
 *   appConnections?: number | null, logBytes?: number | null }[]} ms
 * @param {{ errorStatusExpected?: Set<string> }} [opts] scenarios whose answers are meant to be 4xx
 */
export function summarise(ms, opts = {}) {
  const expected = opts.errorStatusExpected ?? new Set();
  const order = [];
  const by = new Map();
  for (const m of ms) {
    const key = `${m.scenario}\0${m.processes ?? ''}`;
    if (!by.has(key)) {
      by.set(key, new Map());
      order.push({ key, scenario: m.scenario, processes: m.processes ?? null });
    }
    const s = by.get(key);
    if (!s.has(m.server)) s.set(m.server, []);
    s.get(m.server).push(m);
  }
  return order.map(({ key, scenario, processes }) => {
    const servers = {};
    for (const [server, runs] of by.get(key)) {
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
        appCpuUsPerReq: median(runs.map((r) => r.appCpuUsPerReq)),
        appConnections: median(runs.map((r) => r.appConnections)),
        logBytesPerReq: median(runs.map((r) => (typeof r.logBytes === 'number' && r.requests > 0 ? r.logBytes / r.requests : null))),
        rpsRuns: runs.map((r) => r.rps),
      };
    }
    const a = servers.assetd?.rps;
    const app = servers.app?.rps;
    const c = servers.ceiling?.rps;
    // every assetd server against the nginx with the same access-log setting
    const ratios = {};
    for (const [k, v] of Object.entries(servers)) {
      const n = servers[counterpart(k)]?.rps;
      if (isAssetd(k)) ratios[k] = v.rps && n ? v.rps / n : null;
    }
    const out = { scenario, processes, servers, ratio: ratios.assetd ?? null, ratios, ratioCeiling: a && c ? a / c : null };
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

/**
 * The side-by-side table: one row per scenario and assetd server (`small-br`, then
 * `small-br (node)` for the variant node...), each against its nginx (`nginx (log)` for a
 * server with the access log on); for proxy scenarios, each server's share of the app direct.
 */
export function formatTable(summary) {
  const ceiling = summary.some((s) => s.servers.ceiling);
  const rows = [];
  for (const s of summary) {
    const assetds = Object.keys(s.servers).filter(isAssetd);
    for (const name of assetds.length > 0 ? assetds : ['assetd']) {
      const A = s.servers[name] ?? {};
      const B = s.servers[counterpart(name)] ?? {};
      const bad = (x) => (x.rounds ? `${x.errors}/${x.unexpected}` : '–');
      const r = s.ratios?.[name] ?? null;
      let ratio = r === null ? '–' : r.toFixed(2);
      if (s.shareOfDirect && name === assetds[0]) {
        const parts = Object.entries(s.shareOfDirect).map(([k, v]) => `${k} ${v.toFixed(2)}`);
        ratio += ` (of app direct ${fmtRps(s.servers.app.rps)}: ${parts.join(', ')})`;
      }
      const cells = [
        s.scenario + rowSuffix(name),
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
        cells.push(c && A.rps && c.rps ? `${(A.rps / c.rps).toFixed(2)} (${fmtRps(c.rps)}; ${fmtUs(c.cpuUsPerReq)} µs/req)` : '–');
      }
      rows.push(cells);
    }
  }
  const head = ['scenario', 'assetd req/s', 'nginx req/s', 'assetd/nginx', 'assetd p50 / p99 ms', 'nginx p50 / p99 ms', 'MB/s', 'RSS MB', 'CPU µs/req', 'errors/non-2xx-3xx'];
  if (ceiling) head.push('assetd/node ceiling');
  return table(head, rows);
}

/**
 * Lines under the table for the proxy scenarios: each proxy's own CPU per request, the app's
 * CPU per request direct and through each proxy, and the connections the app was opened
 * (when the app counts them). null when no proxy scenario was measured.
 */
export function formatProxy(summary) {
  const lines = summary
    .filter((s) => s.servers.app)
    .map((s) => {
      const proxies = Object.keys(s.servers).filter((k) => k !== 'app');
      const own = proxies.map((k) => `${k} ${fmtUs(s.servers[k].cpuUsPerReq)}`).join(', ');
      const app = [`direct ${fmtUs(s.servers.app.cpuUsPerReq)}`, ...proxies.map((k) => `through ${k} ${fmtUs(s.servers[k].appCpuUsPerReq)}`)].join(', ');
      let line = `${s.scenario}${s.processes ? ` ×${s.processes}` : ''}: proxy CPU µs/req ${own}; app CPU µs/req ${app}`;
      const conns = proxies.filter((k) => typeof s.servers[k].appConnections === 'number');
      if (conns.length > 0) line += `; connections opened to the app per measurement: ${[`direct ${s.servers.app.appConnections ?? '–'}`, ...conns.map((k) => `${k} ${s.servers[k].appConnections}`)].join(', ')}`;
      return line;
    });
  return lines.length > 0 ? lines.join('\n') : null;
}

/**
 * The access-log line: bytes of log each server with its log on wrote per request (about one
 * combined line each); null when no server logged.
 */
export function formatAccessLog(summary) {
  const lines = [];
  for (const s of summary) {
    const logged = Object.entries(s.servers).filter(([, v]) => typeof v.logBytesPerReq === 'number');
    if (logged.length > 0) lines.push(`${s.scenario}${s.processes ? ` ×${s.processes}` : ''}: access log bytes per request ${logged.map(([k, v]) => `${k} ${v.logBytesPerReq.toFixed(0)}`).join(', ')}`);
  }
  return lines.length > 0 ? lines.join('\n') : null;
}

/** One server alone (--target), or every assetd server without nginx (--no-nginx). */
export function formatSingle(summary, name) {
  const rows = [];
  for (const s of summary) {
    const names = name === 'assetd' ? Object.keys(s.servers).filter(isAssetd) : [name];
    for (const n of names.length > 0 ? names : [name]) {
      const x = s.servers[n] ?? {};
      rows.push([s.scenario + (name === 'assetd' ? rowSuffix(n) : ''), fmtRps(x.rps), x.rps ? `${fmtMs(x.p50)} / ${fmtMs(x.p99)}` : '–', fmtMBs(x.bytesPerSec), fmtMb(x.rssKb), fmtUs(x.cpuUsPerReq), x.rounds ? `${x.errors}/${x.unexpected}` : '–']);
    }
  }
  return table(['scenario', `${name} req/s`, 'p50 / p99 ms', 'MB/s', 'RSS MB', 'CPU µs/req', 'errors/non-2xx-3xx'], rows);
}

/** Total RSS of a process tree and its parts in MB: '230 (50 + 90 + 90)'. */
export function fmtTree(kbs) {
  if (!kbs || kbs.length === 0) return '–';
  const total = kbs.reduce((a, b) => a + b, 0);
  return kbs.length === 1 ? fmtMb(total) : `${fmtMb(total)} (${kbs.map(fmtMb).join(' + ')})`;
}

/**
 * The startup table: per generated tree, assetd in one process (index time, time until it
 * listens, RSS) and, when measured, assetd at its default worker count (primary + workers)
 * beside nginx with as many workers (master + workers), RSS once listening.
 * @param {{ files: number, indexed: number, variants: number, onDisk: number, inMemory: string | null, indexMs: number, wallMs: number, rssKb: number | null,
 *   defaults?: { workers: number, rssKb: number[] } | null, nginx?: { workers: number, rssKb: number[] } | null }[]} rows
 */
export function formatStartup(rows) {
  const trees = rows.some((r) => r.defaults || r.nginx);
  const workers = rows.find((r) => r.defaults)?.defaults.workers ?? rows.find((r) => r.nginx)?.nginx.workers;
  const head = ['files', 'on disk (with .br/.gz)', 'indexed', 'in memory', 'index ms', 'listening after ms', 'RSS MB'];
  if (trees) head.push(`assetd at defaults (${workers} workers) RSS MB: total (primary + workers)`, `nginx (${workers} workers) RSS MB: total (master + workers)`);
  return table(
    head,
    rows.map((r) => [
      r.files.toLocaleString('en'),
      r.onDisk.toLocaleString('en'),
      `${r.indexed.toLocaleString('en')} + ${r.variants.toLocaleString('en')} variants`,
      r.inMemory ?? '–',
      r.indexMs === null ? '–' : String(Math.round(r.indexMs)),
      r.wallMs === null ? '–' : String(Math.round(r.wallMs)),
      fmtMb(r.rssKb),
      ...(trees ? [fmtTree(r.defaults?.rssKb), fmtTree(r.nginx?.rssKb)] : []),
    ]),
  );
}
