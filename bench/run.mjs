/**
 * `npm run bench`: assetd side by side with nginx on one corpus, scenario by scenario,
 * alternating the servers round by round; or, with --target, one running deployment.
 * Prints the table on stdout, progress on stderr, and writes JSON under bench/results/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localSizes, pickFiles, readManifestNames } from './corpus.mjs';
import { measure } from './loadgen.mjs';
import { BROTLI_MODULE, nginxConf } from './nginx-conf.mjs';
import { BenchError, parseBenchArgs, USAGE } from './options.mjs';
import { formatProfile, selfTimes } from './profile.mjs';
import { assetdHasFlag, CLK_TCK, cpuTicks, freePort, nginxVersion, NODE_PEERS, rssKb, startApp, startAssetd, startCeiling, startNginx, startNodePeer, stopChild, whitenoiseProject, which } from './processes.mjs';
import { formatPeers, formatSingle, formatStartup, formatTable, fmtRps, summarise } from './report.mjs';
import { buildScenarios, schedule } from './scenarios.mjs';
import { parseStartLine, runStartup } from './startup.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** One GET (or HEAD) with the given headers: status, headers and the body length. */
function probe(url, headers, method = 'GET') {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method, headers, timeout: 10000 }, (res) => {
      let length = 0;
      res.on('data', (d) => (length += d.length));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, length }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A server's own requests: revalidations get If-None-Match with that server's ETag. */
async function resolveRequests(base, requests) {
  const out = [];
  for (const r of requests) {
    if (!r.revalidate) {
      out.push(r);
      continue;
    }
    const res = await probe(base + r.path, r.headers);
    const etag = res.headers.etag;
    if (!etag) throw new Error(`${base}${r.path}: no ETag to revalidate with (status ${res.status})`);
    out.push({ ...r, headers: { ...r.headers, 'If-None-Match': etag } });
  }
  return out;
}

/** Check every distinct request once before loading: status, Content-Encoding, length. */
async function checkRequests(base, requests) {
  const problems = [];
  for (const r of requests) {
    const res = await probe(base + r.path, r.headers);
    const e = r.expect;
    const enc = res.headers['content-encoding'] ?? 'identity';
    if (res.status !== e.status) problems.push(`${r.path}: status ${res.status}, expected ${e.status}`);
    else if (e.encoding && enc !== e.encoding) problems.push(`${r.path}: Content-Encoding ${enc}, expected ${e.encoding}`);
    else if (e.length !== undefined && res.length !== e.length) problems.push(`${r.path}: ${res.length} bytes, expected ${e.length}`);
    if (problems.length >= 3) break;
  }
  return problems;
}

function machine() {
  let distro = null;
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
  } catch {
    /* not Linux */
  }
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? null,
    cpus: cpus.length,
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    distro,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function gitInfo() {
  const rev = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  const st = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO, encoding: 'utf8' });
  return { commit: rev.status === 0 ? rev.stdout.trim() : null, dirty: st.status === 0 ? st.stdout.trim() !== '' : null };
}

function wrkVersion() {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return r.error ? null : `${r.stdout}${r.stderr}`.split('\n')[0].replace(/\s+Copyright.*$/, '').trim();
}

async function headSizes(base, names) {
  const sizes = new Map();
  let i = 0;
  const worker = async () => {
    while (i < names.length) {
      const n = names[i++];
      try {
        const res = await probe(base + n, { 'Accept-Encoding': 'identity' }, 'HEAD');
        const len = Number(res.headers['content-length']);
        if (res.status === 200 && Number.isFinite(len)) sizes.set(n, len);
      } catch {
        /* unreachable name: left out */
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return sizes;
}

function mediaTree(dir) {
  const rel = 'uploads/2024/photo.jpg';
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const size = 150 * 1024;
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 2654435761) >>> 24;
  fs.writeFileSync(file, body, { mode: 0o644 });
  for (let d = path.dirname(file); d.startsWith(dir); d = path.dirname(d)) fs.chmodSync(d, 0o755);
  return { root: dir, prefix: '/media/', file: rel, size };
}

async function main() {
  let opts;
  try {
    opts = parseBenchArgs(process.argv.slice(2), { repoRoot: REPO, cwd: process.cwd(), wrkInstalled: which('wrk') !== null });
  } catch (e) {
    if (e instanceof BenchError) {
      log(e.message);
      process.exit(2);
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-bench-'));
  fs.chmodSync(tmp, 0o755); // nginx runs as nobody and reads the media folder
  const children = [];
  const cleanup = async () => {
    for (const c of children.reverse()) await stopChild(c);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    node: process.version,
    nginx: null,
    loadgen: opts.loadgen === 'wrk' ? wrkVersion() : `autocannon ${JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/autocannon/package.json'), 'utf8')).version}`,
    ...gitInfo(),
    options: { ...opts, help: undefined },
    features: {},
    skipped: {},
    checks: {},
    failed: {},
    measurements: [],
    summary: null,
    startup: null,
    profileTop: null,
  };

  try {
    await runAll(opts, tmp, children, result);
  } finally {
    await cleanup();
  }

  // Output: the table(s), then the JSON file.
  const names = Object.keys(result.servers ?? {});
  result.summary = summarise(result.measurements, { errorStatusExpected: new Set(['not-found-404']) });
  const lines = [];
  lines.push(
    `assetd bench ${result.date} · ${result.machine.cpus} × ${result.machine.cpuModel} · ${result.machine.distro ?? result.machine.os} · Node ${result.node}` +
      (result.nginx ? ` · nginx ${result.nginx}` : '') +
      ` · ${result.loadgen} (${opts.loadgen === 'wrk' ? `${opts.threads} threads, ` : ''}${opts.connections} connections, ${opts.duration} s × ${opts.rounds} rounds)` +
      ` · commit ${result.commit?.slice(0, 10) ?? '?'}${result.dirty ? '+dirty' : ''}`,
    '',
  );
  const busy = result.machine.loadavgAtStart[0];
  if (busy > result.machine.cpus / 2) {
    lines.push(`Note: the load average was ${busy} on ${result.machine.cpus} cores when the run started: other work shared the machine, the figures are noisy.`, '');
  }
  if (opts.profile) lines.push('Note: assetd ran under node --cpu-prof (--profile): its figures include the profiler\'s cost; compare ratios from runs without it.', '');
  if (result.summary.length > 0) {
    if (names.includes('nginx')) lines.push(formatTable(result.summary));
    else lines.push(formatSingle(result.summary, names.includes('target') ? 'target' : 'assetd'));
    const peers = formatPeers(result.summary);
    if (peers) lines.push('', peers);
  }
  if (result.assetdStart) lines.push('', `assetd start: ${result.assetdStart.files} files, ${result.assetdStart.variants} variants, index ${result.assetdStart.ms} ms, RSS ${Math.round(result.assetdStart.rssKb / 1024)} MB once listening`);
  if (result.startup) lines.push('', 'Startup (generated trees):', '', formatStartup(result.startup));
  for (const [s, why] of Object.entries(result.skipped)) lines.push(`skipped ${s}: ${why}`);
  for (const [s, why] of Object.entries(result.failed)) lines.push(`FAILED ${s}: ${why}`);
  for (const [k, v] of Object.entries(result.checks)) if (v.length > 0) lines.push(`CHECK ${k}: ${v.join('; ')}`);
  if (result.profileTop) lines.push('', 'assetd CPU profile, self time (top 15):', formatProfile(result.profileTop));
  process.stdout.write(lines.join('\n') + '\n');

  fs.mkdirSync(opts.out, { recursive: true });
  const file = path.join(opts.out, `bench-${result.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`results written to ${path.relative(process.cwd(), file) || file}`);
  if (Object.keys(result.failed).length > 0) process.exitCode = 1;
}

async function runAll(opts, tmp, children, result) {
  const gen = { kind: opts.loadgen, threads: opts.threads, tmpDir: tmp };
  const servers = {};
  result.servers = servers;
  let plans;
  let prefix = opts.prefix;

  if (opts.target) {
    const u = new URL(opts.target);
    prefix = u.pathname.endsWith('/') ? u.pathname : u.pathname + '/';
    const base = u.origin;
    const pairs = readManifestNames(opts.manifest);
    log(`${opts.target}: sizing ${pairs.length} listed files with HEAD requests`);
    const sizes = await headSizes(base + prefix, [...new Set(pairs.map(([, h]) => h))]);
    const files = pickFiles(pairs, sizes);
    plans = buildScenarios(files, { prefix, connections: opts.connections });
    for (const s of Object.keys(plans)) if (!opts.scenarios.includes(s)) delete plans[s];
    for (const p of Object.values(plans)) p.servers = ['target'];
    servers.target = { url: base, pid: null };
  } else {
    if (!fs.existsSync(opts.root)) {
      throw new BenchError(`corpus ${opts.root} not found${opts.rootGiven ? '' : ' (the default, ../shared/corpus/django-admin)'}: give --root DIR of a collectstatic tree`);
    }
    const manifest = path.join(opts.root, 'staticfiles.json');
    if (!fs.existsSync(manifest)) throw new BenchError(`${opts.root}: no staticfiles.json; the bench picks its files from the manifest`);
    const pairs = readManifestNames(manifest);
    const files = pickFiles(pairs, localSizes(opts.root, pairs.map(([, h]) => h)));
    log(`corpus ${opts.root}: ${files.page.length} hashed files; small ${files.small}, large JS ${files.largeJs}, largest ${files.largest}`);

    const want = new Set(opts.scenarios);
    const has = (flag, sample) => assetdHasFlag(REPO, flag, sample);
    result.features = {
      upstream: want.has('proxy') ? has('upstream', 'http://127.0.0.1:9') : null,
      media: want.has('media') ? has('media-root', tmp) && has('media-prefix', '/media/') : null,
      workers: opts.workers !== null ? has('workers', String(opts.workers)) : null,
    };
    if (opts.workers !== null && !result.features.workers) throw new BenchError(`--workers: this assetd build has no --workers flag`);
    const skip = (s, why) => {
      if (want.has(s)) {
        result.skipped[s] = why;
        want.delete(s);
        log(`skipping ${s}: ${why}`);
      }
    };
    if (want.has('proxy') && !result.features.upstream) skip('proxy', 'this assetd build has no --upstream flag (serve --upstream is refused as an unknown option)');
    if (want.has('proxy') && !which('gunicorn')) skip('proxy', 'gunicorn is not installed (apt-get install gunicorn python3-django)');
    if (want.has('proxy') && !fs.existsSync(path.join(opts.appDir, 'manage.py'))) skip('proxy', `no Django project at ${opts.appDir} (give --app-dir)`);
    if (want.has('media') && !result.features.media) skip('media', 'this assetd build has no --media-root/--media-prefix flags');

    const media = want.has('media') ? mediaTree(path.join(tmp, 'media')) : null;
    plans = buildScenarios(files, { prefix, connections: opts.connections, media, ceiling: opts.ceiling, peers: opts.peers });
    for (const s of Object.keys(plans)) if (!want.has(s)) delete plans[s];
    const loadScenarios = Object.keys(plans);

    let app = null;
    if (plans.proxy) {
      const port = await freePort();
      app = await startApp(opts.appDir, port);
      children.push(app.child);
      servers.app = { url: app.url, pid: app.pid };
      log(`app: gunicorn on ${app.url}`);
    }

    if (loadScenarios.length > 0 || opts.profile) {
      const flags = ['--root', opts.root, '--prefix', prefix, '--host', '127.0.0.1', '--port', '0'];
      // the same number of processes as nginx, and no access log (nginx runs with access_log off)
      flags.push('--workers', String(opts.workers ?? 1), '--access-log', 'off');
      if (app) flags.push('--upstream', app.url);
      if (media) flags.push('--media-root', media.root, '--media-prefix', media.prefix);
      const profileDir = opts.profile ? path.join(tmp, 'profile') : null;
      const a = await startAssetd(REPO, { flags, profileDir, timeoutMs: 120000 });
      children.push(a.child);
      servers.assetd = { url: a.url, pid: a.pid, child: a.child, profileDir };
      const s = parseStartLine(a.startLine);
      result.assetdStart = s ? { ...s, rssKb: rssKb(a.pid) } : null;
      log(`assetd: ${a.startLine.replace(/^assetd: /, '')}`);

      if (opts.nginx && which('nginx')) {
        result.nginx = nginxVersion();
        const port = await freePort();
        const brotli = fs.existsSync(BROTLI_MODULE) ? BROTLI_MODULE : null;
        if (!brotli) log(`nginx: no brotli static module at ${BROTLI_MODULE} (apt-get install libnginx-mod-http-brotli-static); nginx will send gzip where assetd sends br`);
        const conf = nginxConf({
          runDir: path.join(tmp, 'nginx'),
          port,
          workers: opts.workers ?? 1,
          root: opts.root,
          prefix,
          brotliModule: brotli,
          mimeTypes: fs.existsSync('/etc/nginx/mime.types') ? '/etc/nginx/mime.types' : null,
          upstreamPort: app ? Number(new URL(app.url).port) : null,
          media,
        });
        const n = await startNginx(path.join(tmp, 'nginx'), conf, port);
        children.push(n.child);
        servers.nginx = { url: n.url, pid: n.pid };
        log(`nginx ${result.nginx}: ${n.url}, ${opts.workers ?? 1} worker(s)`);
      } else if (opts.nginx) {
        log('nginx is not installed (apt-get install nginx libnginx-mod-http-brotli-static): measuring assetd alone');
      }
      if (Object.values(plans).some((p) => p.servers.includes('ceiling'))) {
        const c = await startCeiling(REPO, opts.root, prefix, [files.small]);
        children.push(c.child);
        servers.ceiling = { url: c.url, pid: c.pid };
        log(`node ceiling (bench/ceiling-server.mjs): ${c.url}`);
      }
      if (plans['small-br'] && opts.peers) await startPeers(opts, prefix, tmp, children, servers, result);
    }
    for (const p of Object.values(plans)) p.servers = p.servers.filter((s) => servers[s]);
  }

  // The load scenarios, one after the other; within one, servers alternate round by round.
  for (const plan of Object.values(plans)) {
    try {
      await runScenario(plan, servers, gen, opts, result);
    } catch (e) {
      result.failed[plan.name] = e.message;
      log(`${plan.name} failed: ${e.message}`);
    }
  }

  if (!opts.target && opts.scenarios.includes('startup')) {
    try {
      result.startup = await runStartup(REPO, tmp, opts.startupSizes, log);
    } catch (e) {
      result.failed.startup = e.message;
      log(`startup failed: ${e.message}`);
    }
  }

  if (servers.assetd?.profileDir) {
    await stopChild(servers.assetd.child, 15000);
    const dir = servers.assetd.profileDir;
    const f = fs.existsSync(dir) ? fs.readdirSync(dir).find((x) => x.endsWith('.cpuprofile')) : undefined;
    if (f) {
      result.profileTop = selfTimes(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))).slice(0, 40);
      fs.mkdirSync(opts.out, { recursive: true });
      const keep = path.join(opts.out, `assetd-${result.date.replace(/[:.]/g, '-')}.cpuprofile`);
      fs.copyFileSync(path.join(dir, f), keep);
      log(`CPU profile: ${keep} (open it in Chrome DevTools > Performance)`);
    } else {
      log('no CPU profile was written');
    }
  }
}

/**
 * The peers of small-br (--peers): WhiteNoise under gunicorn (one sync worker, as one process),
 * sirv and @fastify/static, each on the corpus at the prefix. One that cannot start is left
 * out of the rotation and named under `skipped`.
 */
async function startPeers(opts, prefix, tmp, children, servers, result) {
  const skip = (name, why) => {
    result.skipped[`small-br/${name}`] = why;
    log(`peer ${name} left out: ${why}`);
  };
  if (prefix !== '/static/') skip('whitenoise', `Django serves STATIC_URL /static/, not ${prefix}`);
  else if (!which('gunicorn')) skip('whitenoise', 'gunicorn is not installed (apt-get install gunicorn python3-django python3-whitenoise)');
  else if (!fs.existsSync(path.join(opts.appDir, 'manage.py'))) skip('whitenoise', `no Django project at ${opts.appDir} (give --app-dir)`);
  else {
    try {
      const dir = whitenoiseProject(opts.appDir, opts.root, path.join(tmp, 'whitenoise'));
      const w = await startApp(dir, await freePort(), { workers: 1 });
      children.push(w.child);
      servers.whitenoise = { url: w.url, pid: w.pid };
      log(`peer whitenoise: gunicorn -w 1 on ${w.url}`);
    } catch (e) {
      skip('whitenoise', e.message);
    }
  }
  for (const name of Object.keys(NODE_PEERS)) {
    try {
      const p = await startNodePeer(REPO, name, opts.root, prefix);
      children.push(p.child);
      servers[name] = { url: p.url, pid: p.pid };
      log(`peer ${name} (${NODE_PEERS[name]}): ${p.url}`);
    } catch (e) {
      skip(name, e.message);
    }
  }
}

async function runScenario(plan, servers, gen, opts, result) {
  if (plan.servers.length === 0) throw new Error('no server to measure');
  const jobs = {};
  for (const s of plan.servers) {
    const base = servers[s].url;
    const requests = await resolveRequests(base, plan.requests);
    const problems = await checkRequests(base, requests);
    result.checks[`${plan.name}/${s}`] = problems;
    if (problems.length > 0) log(`CHECK ${plan.name} on ${s}: ${problems.join('; ')}`);
    jobs[s] = { base, requests: requests.map((r) => ({ path: r.path, headers: r.headers })), connections: plan.connections, duration: opts.duration };
  }
  log(`${plan.name}: ${plan.title} (${plan.requests.length} URL${plan.requests.length > 1 ? 's' : ''}, ${plan.connections} connections)`);
  if (opts.warmup > 0) for (const s of plan.servers) await measure(gen, { ...jobs[s], duration: opts.warmup });
  for (const { server, round } of schedule(plan.servers, opts.rounds)) {
    const pid = servers[server].pid;
    const cpu0 = pid ? cpuTicks(pid) : null;
    const m = await measure(gen, jobs[server]);
    const cpu1 = pid ? cpuTicks(pid) : null;
    const rss = pid ? rssKb(pid) : null;
    const cpuUsPerReq = cpu0 !== null && cpu1 !== null && m.requests > 0 ? ((cpu1 - cpu0) * 1e6) / CLK_TCK / m.requests : null;
    result.measurements.push({ scenario: plan.name, server, round, ...m, rssKb: rss, cpuUsPerReq, load1: Math.round(os.loadavg()[0] * 100) / 100 });
    log(
      `  ${server.padEnd(6)} round ${round}: ${fmtRps(m.rps)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms` +
        (m.errors ? `, ${m.errors} errors` : '') +
        (m.unexpected && plan.name !== 'not-found-404' ? `, ${m.unexpected} non-2xx/3xx` : '') +
        (rss ? `, RSS ${Math.round(rss / 1024)} MB` : '') +
        (cpuUsPerReq !== null ? `, ${cpuUsPerReq.toFixed(1)} CPU µs/request` : ''),
    );
  }
}

main().catch((e) => {
  if (e instanceof BenchError) {
    log(e.message);
    process.exit(2);
  }
  log(`error: ${e.stack ?? e}`);
  process.exit(1);
});
