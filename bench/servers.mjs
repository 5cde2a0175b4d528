/**
 * The servers of one phase of a local run (bench/scenarios.mjs planPhases): every assetd
 * server (variants, access log off or on) and every nginx, with `phase.processes` processes
 * each and the phase's app as upstream, then the Node ceiling and the peers when the phase's
 * scenarios have them. The apps themselves (gunicorn, bench/fast-app.mjs) live for the run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { nginxConf } from './nginx-conf.mjs';
import { freePort, stopChild, which } from './processes.mjs';
import { NODE_PEERS, startApp, startAssetd, startCeiling, startNginx, startNodePeer, whitenoiseProject } from './starters.mjs';
import { assetdServers, nginxServers } from './variants.mjs';

/** Connections to the app each nginx worker keeps in the proxy-keepalive scenario. */
export const KEEPALIVE_UPSTREAM_CONNECTIONS = 64;

/** A server name as a file name: 'assetd (node, log)' -> 'assetd-node-log'. */
export function slug(name) {
  return name.replace(/[^A-Za-z0-9.]+/g, '-').replace(/-+$/, '');
}

/**
 * The flags of one assetd server: the corpus at the prefix, as many workers as nginx has,
 * the access log on (combined) or off, the phase's upstream, the media folder, then the
 * variant's own flags (which may override any of these).
 */
export function assetdFlags(o) {
  const flags = ['--root', o.root, '--prefix', o.prefix, '--host', '127.0.0.1', '--port', '0', '--workers', String(o.processes), '--access-log', o.log ? 'combined' : 'off'];
  if (o.upstream) flags.push('--upstream', o.upstream);
  if (o.media) flags.push('--media-root', o.media.root, '--media-prefix', o.media.prefix);
  return [...flags, ...o.variantFlags];
}

/**
 * @param {{ repo: string, opts: object, tmp: string, prefix: string, files: object, media: object | null,
 *   apps: Record<string, { url: string, pid: number }>, nginx: { version: string, brotliModule: string | null, mimeTypes: string | null } | null,
 *   profile: boolean, wantsCeiling: boolean, wantsPeers: boolean, track: (child) => void, log: (msg: string) => void, skip: (name: string, why: string) => void }} ctx
 * @param {{ processes: number, upstream: string | null, scenarios: string[] }} phase
 * @returns {Promise<Record<string, { url: string, pid: number, child?, logFile?: string | null, profileDir?: string | null, startLine?: string }>>}
 */
export async function startPhase(ctx, phase) {
  const { opts, tmp, log } = ctx;
  const servers = {};
  const app = phase.upstream ? ctx.apps[phase.upstream] : null;
  if (app) servers.app = { url: app.url, pid: app.pid };
  const id = `${phase.processes}-${phase.upstream ?? 'none'}`;

  for (const [i, s] of assetdServers(opts.variants, opts.accessLog).entries()) {
    const logFile = s.log ? path.join(tmp, 'logs', `${slug(s.name)}-${id}.log`) : null;
    if (logFile) fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = logFile ? fs.openSync(logFile, 'a') : undefined;
    // --profile: the first assetd of the rotation
    const profileDir = ctx.profile && i === 0 ? path.join(tmp, 'profile') : null;
    const flags = assetdFlags({ root: opts.root, prefix: ctx.prefix, processes: phase.processes, log: s.log, upstream: app?.url, media: ctx.media, variantFlags: s.variant.flags });
    let a;
    try {
      a = await startAssetd(ctx.repo, { flags, profileDir, timeoutMs: 120000, env: s.variant.env, stdout: fd });
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    ctx.track(a.child);
    servers[s.name] = { url: a.url, pid: a.pid, child: a.child, logFile, profileDir, startLine: a.startLine };
    const env = Object.entries(s.variant.env).map(([k, v]) => `${k}=${v} `).join('');
    log(`${s.name}: ${env}${a.startLine.replace(/^assetd: /, '')}`);
  }

  if (ctx.nginx) {
    for (const n of nginxServers(opts.accessLog)) {
      const port = await freePort();
      const runDir = path.join(tmp, `${slug(n.name)}-${id}`);
      const logFile = n.log ? path.join(runDir, 'access.log') : null;
      const conf = nginxConf({
        runDir,
        port,
        workers: phase.processes,
        root: opts.root,
        prefix: ctx.prefix,
        brotliModule: ctx.nginx.brotliModule,
        mimeTypes: ctx.nginx.mimeTypes,
        upstreamPort: app ? Number(new URL(app.url).port) : null,
        upstreamKeepalive: phase.upstream === 'fast-app' ? KEEPALIVE_UPSTREAM_CONNECTIONS : undefined,
        media: ctx.media,
        accessLog: logFile,
      });
      const x = await startNginx(runDir, conf, port);
      ctx.track(x.child);
      servers[n.name] = { url: x.url, pid: x.pid, child: x.child, logFile };
      log(`${n.name} ${ctx.nginx.version}: ${x.url}, ${phase.processes} worker(s)${app ? `, proxy_pass to ${phase.upstream}` : ''}${logFile ? ', access_log to a file' : ''}`);
    }
  }

  if (ctx.wantsCeiling) {
    const c = await startCeiling(ctx.repo, opts.root, ctx.prefix, [ctx.files.small], phase.processes);
    ctx.track(c.child);
    servers.ceiling = { url: c.url, pid: c.pid, child: c.child };
    log(`node ceiling (bench/ceiling-server.mjs): ${c.url}, ${phase.processes} process(es)`);
  }
  if (ctx.wantsPeers) await startPeers(ctx, servers);
  return servers;
}

/** Stop every server a phase started, last started first. */
export async function stopPhase(servers) {
  for (const s of Object.values(servers).reverse()) if (s.child) await stopChild(s.child, 15000);
}

/**
 * The peers of small-br (--peers): WhiteNoise under gunicorn (one sync worker, as one process),
 * sirv and @fastify/static, each on the corpus at the prefix, one process each. One that cannot
 * start is left out of the rotation and named under `skipped`.
 */
async function startPeers(ctx, servers) {
  const { opts, prefix, tmp, log } = ctx;
  const skip = (name, why) => {
    ctx.skip(`small-br/${name}`, why);
    log(`peer ${name} left out: ${why}`);
  };
  if (prefix !== '/static/') skip('whitenoise', `Django serves STATIC_URL /static/, not ${prefix}`);
  else if (!which('gunicorn')) skip('whitenoise', 'gunicorn is not installed (apt-get install gunicorn python3-django python3-whitenoise)');
  else if (!fs.existsSync(path.join(opts.appDir, 'manage.py'))) skip('whitenoise', `no Django project at ${opts.appDir} (give --app-dir)`);
  else {
    try {
      const dir = path.join(tmp, 'whitenoise');
      if (!fs.existsSync(dir)) whitenoiseProject(opts.appDir, opts.root, dir);
      const w = await startApp(dir, await freePort(), { workers: 1 });
      ctx.track(w.child);
      servers.whitenoise = { url: w.url, pid: w.pid, child: w.child };
      log(`peer whitenoise: gunicorn -w 1 on ${w.url}`);
    } catch (e) {
      skip('whitenoise', e.message);
    }
  }
  for (const name of Object.keys(NODE_PEERS)) {
    try {
      const p = await startNodePeer(ctx.repo, name, opts.root, prefix);
      ctx.track(p.child);
      servers[name] = { url: p.url, pid: p.pid, child: p.child };
      log(`peer ${name} (${NODE_PEERS[name]}): ${p.url}`);
    } catch (e) {
      skip(name, e.message);
    }
  }
}
