/**
 * `npm run bench`: assetd side by side with nginx on one corpus, scenario by scenario,
 * alternating the servers round by round; or, with --target, one running deployment.
 * Prints the table on stdout, progress on stderr, and writes JSON under bench/results/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localSizes, mediaTree, pickFiles, readManifestNames } from './corpus.mjs';
import { measure } from './loadgen.mjs';
import { BROTLI_MODULE } from './nginx-conf.mjs';
import { BenchError, parseBenchArgs, USAGE } from './options.mjs';
import { appStats, checkRequests, forwardedHeaders, forwardingProblems, headSizes, resolveRequests } from './probe.mjs';
import { selfTimes } from './profile.mjs';
import { CLK_TCK, cpuTicks, freePort, rssKb, stopChild, which } from './processes.mjs';
import { fmtRps, summarise } from './report.mjs';
import { formatRun, gitInfo, machine, wrkVersion } from './run-info.mjs';
import { buildScenarios, planPhases, schedule } from './scenarios.mjs';
import { startPhase, stopPhase } from './servers.mjs';
import { assetdHasFlag, nginxVersion, startApp, startFastApp } from './starters.mjs';
import { parseStartLine, runStartup } from './startup.mjs';
import { expandServers, isAssetd, splitName } from './variants.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

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
    phases: [],
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

  result.summary = summarise(result.measurements, { errorStatusExpected: new Set(['not-found-404']) });
  process.stdout.write(formatRun(result, opts) + '\n');

  fs.mkdirSync(opts.out, { recursive: true });
  const file = path.join(opts.out, `bench-${result.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`results written to ${path.relative(process.cwd(), file) || file}`);
  if (Object.keys(result.failed).length > 0) process.exitCode = 1;
}

/** --target: the scenarios a deployment answers, against it alone. */
async function runTarget(opts, gen, result) {
  const u = new URL(opts.target);
  const prefix = u.pathname.endsWith('/') ? u.pathname : u.pathname + '/';
  const pairs = readManifestNames(opts.manifest);
  log(`${opts.target}: sizing ${pairs.length} listed files with HEAD requests`);
  const sizes = await headSizes(u.origin + prefix, [...new Set(pairs.map(([, h]) => h))]);
  const plans = buildScenarios(pickFiles(pairs, sizes), { prefix, connections: opts.connections });
  const servers = { target: { url: u.origin, pid: null } };
  result.phases.push({ processes: null, upstream: null, servers: { target: { url: u.origin } } });
  for (const plan of Object.values(plans)) {
    if (opts.scenarios.includes(plan.name)) await runGuarded({ ...plan, servers: ['target'] }, servers, gen, opts, result, null);
  }
}

async function runGuarded(plan, servers, gen, opts, result, processes) {
  try {
    await runScenario(plan, servers, gen, opts, result, processes);
  } catch (e) {
    const key = processes ? `${plan.name} ×${processes}` : plan.name;
    result.failed[key] = e.message;
    log(`${key} failed: ${e.message}`);
  }
}

async function runAll(opts, tmp, children, result) {
  const gen = { kind: opts.loadgen, threads: opts.threads, tmpDir: tmp };
  if (opts.target) return runTarget(opts, gen, result);

  if (!fs.existsSync(opts.root)) {
    throw new BenchError(`corpus ${opts.root} not found${opts.rootGiven ? '' : ' (the default, ../shared/corpus/django-admin)'}: give --root DIR of a collectstatic tree`);
  }
  const manifest = path.join(opts.root, 'staticfiles.json');
  if (!fs.existsSync(manifest)) throw new BenchError(`${opts.root}: no staticfiles.json; the bench picks its files from the manifest`);
  const pairs = readManifestNames(manifest);
  const files = pickFiles(pairs, localSizes(opts.root, pairs.map(([, h]) => h)));
  const prefix = opts.prefix;
  log(`corpus ${opts.root}: ${files.page.length} hashed files; small ${files.small}, large JS ${files.largeJs}, largest ${files.largest}`);

  const want = new Set(opts.scenarios);
  const has = (flag, sample) => assetdHasFlag(REPO, flag, sample);
  const proxying = want.has('proxy') || want.has('proxy-keepalive') || want.has('page-load-proxy');
  const multi = opts.processCounts.some((n) => n !== 1);
  result.features = {
    upstream: proxying ? has('upstream', 'http://127.0.0.1:9') : null,
    media: want.has('media') ? has('media-root', tmp) && has('media-prefix', '/media/') : null,
    workers: multi ? has('workers', String(Math.max(...opts.processCounts))) : null,
  };
  if (multi && !result.features.workers) throw new BenchError('--workers/--process-counts: this assetd build has no --workers flag');
  const skip = (s, why) => {
    if (want.has(s)) {
      result.skipped[s] = why;
      want.delete(s);
      log(`skipping ${s}: ${why}`);
    }
  };
  for (const s of ['proxy', 'proxy-keepalive', 'page-load-proxy']) if (!result.features.upstream) skip(s, 'this assetd build has no --upstream flag (serve --upstream is refused as an unknown option)');
  if (!which('gunicorn')) skip('proxy', 'gunicorn is not installed (apt-get install gunicorn python3-django)');
  if (!fs.existsSync(path.join(opts.appDir, 'manage.py'))) skip('proxy', `no Django project at ${opts.appDir} (give --app-dir)`);
  if (want.has('media') && !result.features.media) skip('media', 'this assetd build has no --media-root/--media-prefix flags');

  const media = want.has('media') ? mediaTree(path.join(tmp, 'media'), opts.mediaFile) : null;
  const plans = buildScenarios(files, { prefix, connections: opts.connections, media, ceiling: opts.ceiling, peers: opts.peers });
  for (const s of Object.keys(plans)) if (!want.has(s)) delete plans[s];

  const apps = {};
  if (plans.proxy) {
    const a = await startApp(opts.appDir, await freePort());
    children.push(a.child);
    apps.gunicorn = a;
    log(`app: gunicorn (2 sync workers) on ${a.url}`);
  }
  if (plans['proxy-keepalive'] || plans['page-load-proxy']) {
    const a = await startFastApp(REPO);
    children.push(a.child);
    apps['fast-app'] = a;
    log(`app: bench/fast-app.mjs (one keep-alive process) on ${a.url}`);
  }

  let nginx = null;
  if (opts.nginx && which('nginx')) {
    result.nginx = nginxVersion();
    const brotli = fs.existsSync(BROTLI_MODULE) ? BROTLI_MODULE : null;
    if (!brotli) log(`nginx: no brotli static module at ${BROTLI_MODULE} (apt-get install libnginx-mod-http-brotli-static); nginx will send gzip where assetd sends br`);
    nginx = { version: result.nginx, brotliModule: brotli, mimeTypes: fs.existsSync('/etc/nginx/mime.types') ? '/etc/nginx/mime.types' : null };
  } else if (opts.nginx) {
    log('nginx is not installed (apt-get install nginx libnginx-mod-http-brotli-static): measuring assetd alone');
  }

  const phases = planPhases(Object.keys(plans), opts.processCounts);
  for (const [i, phase] of phases.entries()) {
    const wantsPeers = opts.peers && phase.scenarios.includes('small-br');
    if (wantsPeers && phase.processes !== 1) result.skipped[`small-br ×${phase.processes}/peers`] = 'the peers run one process each: measured only with 1 process';
    const ctx = {
      repo: REPO, opts, tmp, prefix, files, media, apps, nginx, log,
      profile: opts.profile && i === 0,
      wantsCeiling: phase.scenarios.some((s) => plans[s].servers.includes('ceiling')),
      wantsPeers: wantsPeers && phase.processes === 1,
      track: (child) => children.push(child),
      skip: (name, why) => (result.skipped[name] = why),
    };
    let servers;
    try {
      servers = await startPhase(ctx, phase);
    } catch (e) {
      for (const s of phase.scenarios) result.failed[`${s} ×${phase.processes}`] = `servers did not start: ${e.message}`;
      log(`servers of ${phase.scenarios.join(', ')} ×${phase.processes} did not start: ${e.message}`);
      continue;
    }
    result.phases.push({ ...phase, servers: Object.fromEntries(Object.entries(servers).map(([k, v]) => [k, { url: v.url, pid: v.pid, startLine: v.startLine }])) });
    const names = { assetd: Object.keys(servers).filter(isAssetd), nginx: Object.keys(servers).filter((k) => splitName(k).base === 'nginx') };
    const first = servers[names.assetd[0]];
    if (!result.assetdStart && first?.startLine) {
      const s = parseStartLine(first.startLine);
      result.assetdStart = s ? { ...s, rssKb: rssKb(first.pid) } : null;
    }
    try {
      for (const name of phase.scenarios) {
        const plan = plans[name];
        const rotation = expandServers(plan.servers, names).filter((s) => servers[s]);
        await runGuarded({ ...plan, servers: rotation }, servers, gen, opts, result, phase.processes);
      }
    } finally {
      await stopPhase(servers);
    }
    if (first?.profileDir) keepProfile(first.profileDir, opts, result);
  }

  if (opts.scenarios.includes('startup')) {
    try {
      result.startup = await runStartup(REPO, tmp, opts.startupSizes, log, { trees: true, nginx: nginx && { ...nginx, runDir: path.join(tmp, 'nginx-startup') } });
    } catch (e) {
      result.failed.startup = e.message;
      log(`startup failed: ${e.message}`);
    }
  }
}

/** After the profiled assetd has exited: the functions with the most self time, and the file kept. */
function keepProfile(dir, opts, result) {
  const f = fs.existsSync(dir) ? fs.readdirSync(dir).find((x) => x.endsWith('.cpuprofile')) : undefined;
  if (!f) {
    log('no CPU profile was written');
    return;
  }
  result.profileTop = selfTimes(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))).slice(0, 40);
  fs.mkdirSync(opts.out, { recursive: true });
  const keep = path.join(opts.out, `assetd-${result.date.replace(/[:.]/g, '-')}.cpuprofile`);
  fs.copyFileSync(path.join(dir, f), keep);
  log(`CPU profile: ${keep} (open it in Chrome DevTools > Performance)`);
}

/** Check every server's answers (and what a proxy forwards), then measure round by round. */
async function runScenario(plan, servers, gen, opts, result, processes) {
  if (plan.servers.length === 0) throw new Error('no server to measure');
  const label = processes ? `${plan.name} ×${processes}` : plan.name;
  const jobs = {};
  for (const s of plan.servers) {
    const base = servers[s].url;
    const requests = await resolveRequests(base, plan.requests);
    const problems = await checkRequests(base, requests);
    if (plan.forwarding && s !== 'app') problems.push(...forwardingProblems(await forwardedHeaders(base, plan.forwarding), { host: new URL(base).host, clientIp: '127.0.0.1', proto: 'http' }));
    result.checks[`${label}/${s}`] = problems;
    if (problems.length > 0) log(`CHECK ${label} on ${s}: ${problems.join('; ')}`);
    jobs[s] = { base, requests: requests.map((r) => ({ path: r.path, headers: r.headers })), connections: plan.connections, duration: opts.duration };
  }
  log(`${label}: ${plan.title} (${plan.requests.length} URL${plan.requests.length > 1 ? 's' : ''}, ${plan.connections} connections)`);
  if (opts.warmup > 0) for (const s of plan.servers) await measure(gen, { ...jobs[s], duration: opts.warmup });
  const app = plan.servers.includes('app') ? servers.app : null;
  for (const { server, round } of schedule(plan.servers, opts.rounds)) {
    const { pid, logFile } = servers[server];
    const appPid = app && server !== 'app' ? app.pid : null;
    if (logFile) fs.truncateSync(logFile, 0);
    const stats0 = plan.appStats ? await appStats(app.url + plan.appStats) : null;
    const cpu0 = pid ? cpuTicks(pid) : null;
    const appCpu0 = appPid ? cpuTicks(appPid) : null;
    const m = await measure(gen, jobs[server]);
    const cpu1 = pid ? cpuTicks(pid) : null;
    const appCpu1 = appPid ? cpuTicks(appPid) : null;
    // the second stats request opens one connection of its own
    const appConnections = stats0 ? (await appStats(app.url + plan.appStats)).connections - stats0.connections - 1 : null;
    const rss = pid ? rssKb(pid) : null;
    const logBytes = logFile ? fs.statSync(logFile).size : null;
    const perReq = (a, b) => (a !== null && b !== null && m.requests > 0 ? ((b - a) * 1e6) / CLK_TCK / m.requests : null);
    const cpuUsPerReq = perReq(cpu0, cpu1);
    const appCpuUsPerReq = perReq(appCpu0, appCpu1);
    result.measurements.push({ scenario: plan.name, processes, server, round, ...m, rssKb: rss, cpuUsPerReq, appCpuUsPerReq, appConnections, logBytes, load1: Math.round(os.loadavg()[0] * 100) / 100 });
    if (logFile && logBytes === 0 && m.requests > 0) result.checks[`${label}/${server}`].push('access log on, but nothing was written to it');
    log(
      `  ${server.padEnd(6)} round ${round}: ${fmtRps(m.rps)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms` +
        (m.errors ? `, ${m.errors} errors` : '') +
        (m.unexpected && plan.name !== 'not-found-404' ? `, ${m.unexpected} non-2xx/3xx` : '') +
        (rss ? `, RSS ${Math.round(rss / 1024)} MB` : '') +
        (cpuUsPerReq !== null ? `, ${cpuUsPerReq.toFixed(1)} CPU µs/request` : '') +
        (appCpuUsPerReq !== null ? ` (app ${appCpuUsPerReq.toFixed(1)})` : '') +
        (appConnections !== null && server !== 'app' ? `, ${appConnections} connections to the app` : '') +
        (logBytes !== null ? `, ${(logBytes / 1024 / 1024).toFixed(1)} MB of access log` : ''),
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
