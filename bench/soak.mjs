#!/usr/bin/env node
/**
 * Soak: mixed load against the built server (dist/) for a long time, so a leak shows as a
 * number. Not a test: it reports, it does not judge.
 *
 *   node bench/soak.mjs                 # 10 minutes on a generated site
 *   node bench/soak.mjs --duration 2m   # shorter (seconds, or with s/m suffix)
 *   node bench/soak.mjs --root DIR      # a real collected tree (e.g. ../shared/corpus/django-admin)
 *   node bench/soak.mjs --connections 16
 *   node bench/soak.mjs --no-proxy      # static rows only, no upstream app
 *
 * The mix per connection: plain GETs, negotiated GETs (br/gzip), conditional GETs (304),
 * ranges, 404s, 405s and hostile targets (400); (no HEAD: autocannon would wait for a body).
 * Proxy rows go through assetd to a tiny node:http app this script starts on 127.0.0.1
 * (bench/soak-app.mjs): small and large answers, chunked, 304 from the app, POST bodies,
 * a slow answer, the app's 404, X-Accel-Redirect to a static file, hop-by-hop and long
 * X-Forwarded-For headers. Plus, on the side, downloads of a large static file and of a
 * 16 MiB proxied answer aborted after 64 KiB, and upstream faults one after another (the
 * app resets mid-body, sends garbage, or promises more bytes than it sends). Media rows
 * join SCENARIOS when that mount exists (a row is a request template and the flags it needs).
 *
 * Reported: requests, responses by status, errors (socket errors, timeouts, 5xx), the
 * server's RSS and open descriptors at start (after a warm-up), at the end and the peak,
 * the upstream faults and what each got back, the server's log lines, and what the app
 * received (a request target that climbs or names the secret would be listed).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function seconds(s) {
  const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(s);
  if (!m) throw new Error(`--duration: expected seconds or e.g. 2m, got ${s}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    connections: { type: 'string', default: '16' },
    root: { type: 'string' },
    warmup: { type: 'string', default: '10s' },
    'no-proxy': { type: 'boolean', default: false },
  },
});
const duration = seconds(opts.duration);
const warmup = Math.min(seconds(opts.warmup), Math.max(1, duration / 10));
const connections = Number(opts.connections);
const withProxy = !opts['no-proxy'];

/** A generated site: small files (held in memory), precompressed variants, one large streamed file. */
function makeSite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-soak-'));
  const root = path.join(dir, 'static');
  fs.mkdirSync(path.join(root, 'css'), { recursive: true });
  fs.mkdirSync(path.join(root, 'js'));
  for (let i = 0; i < 200; i++) {
    const css = Buffer.from(`.c${i} { margin: ${i}px }\n`.repeat(40 + i));
    fs.writeFileSync(path.join(root, 'css', `f${i}.css`), css);
    if (i % 2 === 0) {
      fs.writeFileSync(path.join(root, 'css', `f${i}.css.gz`), zlib.gzipSync(css));
      fs.writeFileSync(path.join(root, 'css', `f${i}.css.br`), zlib.brotliCompressSync(css));
    }
    fs.writeFileSync(path.join(root, 'js', `m${i}.0123456789ab.js`), `export const v${i} = ${i};\n`.repeat(100));
  }
  fs.writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(16 * 1024 * 1024, 7));
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'SOAK-SECRET\n');
  return { dir, root };
}

function listFiles(root) {
  const out = [];
  const walk = (d, rel) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else if (e.isFile() && !/\.(gz|br|zst)$/.test(e.name)) out.push({ rel: r, size: fs.statSync(path.join(d, e.name)).size });
    }
  };
  walk(root, '');
  return out;
}

/** The app behind the proxy rows: bench/soak-app.mjs in a child process; resolves once it listens. */
function startApp() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bench/soak-app.mjs')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve({ child, origin: `http://127.0.0.1:${m[1]}` });
    });
    child.on('exit', (code) => reject(new Error(`soak app exited (${code})`)));
  });
}

/** What the app received so far (asked over IPC). */
function appReport(app) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 5000);
    app.child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    app.child.send('report');
  });
}

/** The server's stderr: kept until the start line, then only the last lines and a count (a soak must not grow its own memory). */
function startServer(root, upstream) {
  return new Promise((resolve, reject) => {
    const args = [path.join(repoRoot, 'bin/assetd.js'), 'serve', '--root', root, '--port', '0', '--host', '127.0.0.1'];
    // short headers timeout: the side faults include none that hang, but a hang must not stall the soak
    if (upstream) args.push('--upstream', upstream, '--upstream-headers-timeout', '5000');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let started = false;
    const log = { lines: 0, last: [], byKind: new Map() };
    child.stderr.on('data', (d) => {
      if (started) {
        for (const line of String(d).split('\n')) {
          if (line === '') continue;
          log.lines++;
          // group by what happened, without the request path
          const kind = line.replace(/^assetd: /, '').replace(/: (GET|POST|HEAD) \S+: /, ': ').replace(/\d+ ms/, 'N ms');
          log.byKind.set(kind, (log.byKind.get(kind) ?? 0) + 1);
          log.last.push(line);
          if (log.last.length > 5) log.last.shift();
        }
        return;
      }
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        started = true;
        resolve({ child, url: m[1], startLine: err.split('\n')[0], log });
      }
    });
    child.on('exit', (code) => {
      if (!started) reject(new Error(`server exited (${code}): ${err.trim()}`));
    });
  });
}

function procStats(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
  const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  return { rss, fds };
}

const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function head(url) {
  const res = await fetch(url, { method: 'HEAD' });
  return res.headers.get('etag');
}

/** Abort downloads of a large answer after 64 KiB, one after another, until stopped. */
function aborter(url, pathName) {
  const { hostname, port } = new URL(url);
  let stop = false;
  let count = 0;
  const loop = async () => {
    while (!stop) {
      await new Promise((resolve) => {
        const s = net.connect(Number(port), hostname);
        let got = 0;
        s.on('data', (d) => {
          got += d.length;
          if (got > 64 * 1024) s.destroy();
        });
        s.on('close', resolve);
        s.on('error', () => {});
        s.write(`GET ${pathName} HTTP/1.1\r\nHost: soak\r\n\r\n`);
      });
      count++;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const done = loop();
  return { stop: async () => ((stop = true), await done, count) };
}

/**
 * Upstream faults on the side, one after another: each request is sent over a raw socket and
 * its outcome recorded: the status, and whether a 200 body was cut short (which must show as
 * a closed connection, never as a complete response).
 */
function faulter(url, rows) {
  const { hostname, port } = new URL(url);
  let stop = false;
  const outcomes = new Map();
  const record = (k) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  const one = (row) =>
    new Promise((resolve) => {
      const s = net.connect(Number(port), hostname);
      const chunks = [];
      const timer = setTimeout(() => s.destroy(), 10_000);
      s.on('data', (d) => chunks.push(d));
      s.on('error', () => {});
      s.on('close', () => {
        clearTimeout(timer);
        const raw = Buffer.concat(chunks);
        const headEnd = raw.indexOf('\r\n\r\n');
        const status = /^HTTP\/1\.1 (\d{3})/.exec(raw.toString('latin1'))?.[1] ?? 'closed';
        let what = status;
        if (headEnd !== -1) {
          const cl = /\r\ncontent-length: *(\d+)/i.exec(raw.subarray(0, headEnd).toString('latin1'));
          const got = raw.length - headEnd - 4;
          if (cl && got < Number(cl[1])) what += ' cut short';
          else if (!cl && status === '200') what += ' no length';
        }
        record(`${row} -> ${what}`);
        resolve();
      });
      s.write(`GET ${row} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n`);
    });
  const loop = async () => {
    for (let i = 0; !stop; i++) {
      await one(rows[i % rows.length]);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const done = loop();
  return { stop: async () => ((stop = true), await done, outcomes) };
}

function run(url, requests, seconds) {
  return new Promise((resolve, reject) => {
    const inst = autocannon({ url, connections, duration: seconds, requests, timeout: 10 }, (err, res) => (err ? reject(err) : resolve(res)));
    autocannon.track(inst, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

async function main() {
  const made = opts.root ? undefined : makeSite();
  const root = opts.root ? path.resolve(opts.root) : made.root;
  const files = listFiles(root);
  if (files.length === 0) throw new Error(`${root}: no files`);
  const app = withProxy ? await startApp() : undefined;
  const { child, url, startLine, log } = await startServer(root, app?.origin).catch((e) => {
    app?.child.kill();
    throw e;
  });
  const cleanup = () => {
    child.kill();
    app?.child.kill();
    if (made) fs.rmSync(made.dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    console.log(`soak: ${startLine.replace(/^assetd: /, '')}`);
    const pick = (i) => files[(i * 7919) % files.length];
    const big = files.reduce((a, b) => (b.size > a.size ? b : a));
    const etags = await Promise.all(Array.from({ length: 20 }, (_, i) => head(`${url}/static/${pick(i).rel}`)));
    /** Scenario rows: a proxy or media row is added here with the flags it needs. */
    const SCENARIOS = [];
    for (let i = 0; i < 20; i++) {
      const p = `/static/${pick(i).rel}`;
      SCENARIOS.push({ method: 'GET', path: p });
      SCENARIOS.push({ method: 'GET', path: p, headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
      // the ETag fetched is the identity one: no Accept-Encoding, so the 304 is earned
      SCENARIOS.push({ method: 'GET', path: p, headers: { 'if-none-match': etags[i] ?? '"x"' } });
      if (i % 4 === 0) SCENARIOS.push({ method: 'GET', path: p, headers: { range: 'bytes=10-99' } });
    }
    SCENARIOS.push({ method: 'GET', path: `/static/${big.rel}`, headers: { range: 'bytes=0-65535' } });
    SCENARIOS.push({ method: 'GET', path: '/static/no-such-file.css' });
    SCENARIOS.push({ method: 'GET', path: '/static/%2e%2e/secret.txt' });
    SCENARIOS.push({ method: 'GET', path: '/static/..%2fsecret.txt' });
    SCENARIOS.push({ method: 'POST', path: `/static/${pick(0).rel}` });
    if (withProxy) {
      SCENARIOS.push({ method: 'GET', path: '/app/hello' });
      SCENARIOS.push({ method: 'GET', path: '/app/page?q=1', headers: { 'accept-encoding': 'gzip, br', cookie: 'sid=soak' } });
      SCENARIOS.push({ method: 'GET', path: '/app/big' });
      SCENARIOS.push({ method: 'GET', path: '/app/chunked' });
      SCENARIOS.push({ method: 'GET', path: '/app/etag', headers: { 'if-none-match': '"v1"' } });
      SCENARIOS.push({ method: 'POST', path: '/app/echo', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=' + 'y'.repeat(8 * 1024) });
      SCENARIOS.push({ method: 'GET', path: '/app/slow' });
      SCENARIOS.push({ method: 'GET', path: '/app/missing' });
      SCENARIOS.push({ method: 'GET', path: `/app/accel?to=/static/${pick(1).rel}` });
      SCENARIOS.push({ method: 'GET', path: '/app/hello', headers: { te: 'trailers', 'keep-alive': 'timeout=1', 'proxy-authorization': 'Basic eA==', 'x-forwarded-for': Array.from({ length: 200 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', ') } });
    }

    console.log(`soak: ${SCENARIOS.length} request kinds over ${connections} connections; warm-up ${warmup}s, then ${duration}s`);
    await run(url, SCENARIOS, warmup);
    const start = procStats(child.pid);
    const abort = aborter(url, `/static/${big.rel}`);
    const abortProxied = withProxy ? aborter(url, '/app/stream') : undefined;
    const faults = withProxy ? faulter(url, ['/app/reset', '/app/garbage', '/app/short']) : undefined;
    const logBefore = log.lines;
    let peak = start.rss;
    const sampler = setInterval(() => {
      const s = procStats(child.pid);
      peak = Math.max(peak, s.rss);
    }, 1000);
    const res = await run(url, SCENARIOS, duration);
    const aborted = await abort.stop();
    const abortedProxied = (await abortProxied?.stop()) ?? 0;
    const faultOutcomes = (await faults?.stop()) ?? new Map();
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 1000));
    const end = procStats(child.pid);
    const byStatus = Object.fromEntries(Object.entries(res.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
    const fivexx = Object.entries(byStatus).reduce((a, [k, v]) => a + (k.startsWith('5') ? v : 0), 0);
    const alive = child.exitCode === null;
    console.log(`soak: ${res.requests.total} requests in ${duration}s (${Math.round(res.requests.average)}/s), latency p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms`);
    console.log(`soak: responses by status ${JSON.stringify(byStatus)}; ${aborted} static and ${abortedProxied} proxied downloads aborted on the side`);
    if (withProxy) {
      const faultText = [...faultOutcomes].map(([k, v]) => `${k} x${v}`).join('; ');
      console.log(`soak: upstream faults on the side: ${faultText || 'none'}`);
      const rep = await appReport(app);
      if (rep) {
        const total = Object.values(rep.counts).reduce((a, b) => a + b, 0);
        console.log(`soak: the app received ${total} requests ${JSON.stringify(rep.counts)}; ${rep.escapeCount} with a climbing or secret target${rep.escapeCount ? ': ' + rep.escapes.join(' ') : ''}`);
      }
    }
    console.log(`soak: server log lines during the run: ${log.lines - logBefore}${log.byKind.size ? ' (' + [...log.byKind].map(([k, v]) => `${v}x ${k}`).join('; ') + ')' : ''}`);
    console.log(`soak: errors ${res.errors + res.timeouts + fivexx} (socket errors ${res.errors}, timeouts ${res.timeouts}, 5xx ${fivexx}); server ${alive ? 'alive' : 'EXITED'}`);
    console.log(`soak: server RSS ${mib(start.rss)} at start, ${mib(end.rss)} at end (peak ${mib(peak)}, ${end.rss >= start.rss ? '+' : ''}${mib(end.rss - start.rss)}); descriptors ${start.fds} -> ${end.fds}`);
  } finally {
    cleanup();
  }
}

main().catch((e) => {
  console.error(`soak: ${e.message}`);
  process.exit(1);
});
