import cluster from 'node:cluster';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runPrimary, workerChannel } from '../runtime/cluster.js';
import { resolveConfig, SERVE_FLAGS, envName, type Config } from '../config/config.js';
import { UserError } from '../errors.js';
import { logError, logInfo } from '../log.js';
import { mediaAccelSources, staticAccelSources } from '../proxy/accel.js';
import { createProxy, type Proxy } from '../proxy/forward.js';
import { prepareMedia, type MediaRuntime } from '../media/resolve.js';
import { describeReload, reloadOnce, Reloader } from '../runtime/reload.js';
import { createAssetServer, type AssetServer, type ServerOptions } from '../server/server.js';
import { buildIndex, type StaticIndex } from '../static/build.js';

type FlagValues = Record<string, string | boolean | undefined>;

/** Parse `serve`-style flags (the SERVE_FLAGS table plus --config); unknown flags are a UserError. */
export function parseServeFlags(argv: string[]): FlagValues {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } };
  for (const [flag, spec] of Object.entries(SERVE_FLAGS)) options[flag] = { type: spec.type };
  try {
    const { values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true });
    return values as FlagValues;
  } catch (e) {
    throw new UserError(`serve: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Read the config file named by --config or ASSETD_CONFIG, and merge every layer. */
export function loadConfig(flags: FlagValues, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const configFile = (flags.config as string | undefined) ?? env[envName('config')];
  let file: unknown;
  let fileDir: string | undefined;
  if (configFile) {
    const abs = path.resolve(cwd, configFile);
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (e) {
      throw new UserError(`${configFile}: cannot read config file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      file = JSON.parse(text);
    } catch (e) {
      throw new UserError(`${configFile}: config file is not valid JSON (${(e as Error).message})`);
    }
    fileDir = path.dirname(abs);
  }
  return resolveConfig({ file, fileName: configFile, fileDir, env, flags, cwd, readSecretFile: (f) => fs.readFileSync(f, 'utf8') });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The one start line: mounts, files, variants, memory, time, address. */
export function startLine(index: StaticIndex, address: string, upstream: string | null = null, media: MediaRuntime[] = []): string {
  const mounts = index.mounts
    .map((m) => `${m.prefix} -> ${m.config.root}${m.manifest ? ` (${m.manifest.format} manifest)` : ''}${m.config.internal ? ' [internal]' : ''}`)
    .concat(media.map((m) => `media ${m.prefix} -> ${m.config.root}${m.config.internal ? ' [internal]' : ''}${m.config.signed ? ' [signed]' : ''}`))
    .join(', ');
  const missing = index.mounts.reduce((a, m) => a + m.missing.length, 0);
  const compressed = index.mounts.reduce((a, m) => a + m.compressedInMemory, 0);
  return (
    `serving ${mounts}; ${index.fileCount} files indexed, ${index.variantCount} variants, ` +
    `${formatBytes(index.bytesInMemory)} in memory, ${index.symlinksSkipped} symlinks skipped` +
    (missing > 0 ? `, ${missing} manifest names missing on disk` : '') +
    (compressed > 0 ? `, ${compressed} variants compressed in memory` : '') +
    `, ${Math.round(index.ms)} ms; ${upstream ? `other requests go to ${upstream}` : 'other requests get 404 (no upstream)'}; listening on ${address}`
  );
}

export interface Running {
  config: Config;
  server: AssetServer;
  url: string;
  /** The start line (logged unless this is a cluster worker). */
  line: string;
}

export async function startServer(config: Config, opts: ServerOptions = {}): Promise<Running> {
  const media = await prepareMedia(config);
  const index = await buildIndex(config.static, config);
  for (const m of index.mounts) {
    if (m.missing.length > 0) {
      logInfo(`${m.manifest!.file}: ${m.missing.length} name(s) listed but missing on disk (first: ${m.missing.slice(0, 3).join(', ')})`);
    }
  }
  let server: AssetServer | undefined;
  const proxy: Proxy | undefined = config.upstream
    ? createProxy(config, { accelSources: () => [...staticAccelSources(server!.getIndex()), ...mediaAccelSources(media)] })
    : undefined;
  server = createAssetServer(config, index, { ...opts, proxy, media });
  const addr = await server.listen();
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  const line = startLine(index, url, config.upstream, media);
  if (!cluster.isWorker) logInfo(`${line} (pid ${process.pid})`);
  return { config, server, url, line };
}

/** Worker processes to run: the configured count, or one per available CPU for 0. */
export function workerCount(config: Config): number {
  return config.workers > 0 ? config.workers : os.availableParallelism();
}

export async function serve(argv: string[]): Promise<void> {
  const flags = parseServeFlags(argv);
  const config = loadConfig(flags);
  const startedAt = Date.now();
  if (cluster.isPrimary && workerCount(config) > 1) {
    await runPrimary(config, workerCount(config));
    return;
  }
  const channel = cluster.isWorker ? workerChannel() : undefined;
  const opts: ServerOptions = { startedAt };
  if (channel) opts.renderMetrics = () => channel.metricsText(3000);
  const running = await startServer(config, opts);
  const { server } = running;
  const reloader = new Reloader(() => reloadOnce(config, server));

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    if (!channel) logInfo(`${why}: draining (up to ${config.shutdownTimeout} ms)`);
    void server.drain(config.shutdownTimeout, config.drainDelay).then(async (result) => {
      if (result === 'timeout') logError(`grace period of ${config.shutdownTimeout} ms over: remaining connections closed`);
      else if (!channel) logInfo('drained, exiting');
      // a worker shares the port through the primary: leave only once nothing more comes its way
      if (channel) await channel.leave();
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  if (channel) {
    channel.onReload(() => reloader.request());
    channel.onStop(() => stop('stop'));
    channel.onSnapshot(() => server.metrics.snapshot());
    // a SIGHUP sent to a worker alone reloads that worker
    process.on('SIGHUP', () => void reloader.request().then((r) => (r.ok ? logInfo : logError)(describeReload(r, ` (worker ${process.pid})`))));
    channel.ready(running.line);
  } else {
    process.on('SIGHUP', () => void reloader.request().then((r) => (r.ok ? logInfo : logError)(describeReload(r))));
  }
}
