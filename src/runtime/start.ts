/**
 * Starting a serving process: the media mounts checked, the static index built, the proxy
 * and the server made and listening, and the one start line.
 */
import cluster from 'node:cluster';
import type { Config } from '../config/index.js';
import { logInfo } from '../log.js';
import { prepareMedia, type MediaRuntime } from '../media/index.js';
import { mediaAccelSources, staticAccelSources } from '../proxy/index.js';
import { createProxy, type Proxy } from '../proxy/index.js';
import { createAssetServer, type AssetServer, type ServerOptions } from '../server/index.js';
import { buildIndex, type StaticIndex } from '../static/index.js';
import { cpuBudget } from './cpus.js';

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

/** Worker processes to run: the configured count, or for "auto" one per CPU the cgroup quota and the affinity allow. */
export function workerCount(config: Config): number {
  return config.workers === 'auto' ? cpuBudget().cpus : config.workers;
}

