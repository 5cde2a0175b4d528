/** `assetd serve`: one serving process, or a primary with workers; signals wired to reload and drain. */
import cluster from 'node:cluster';
import { loadConfig, parseServeFlags } from '../config/index.js';
import { flagHelp } from '../config/index.js';
import { logError, logInfo } from '../log.js';
import { runPrimary, workerChannel } from '../runtime/index.js';
import { describeReload, reloadOnce, Reloader } from '../runtime/index.js';
import { startServer, workerCount } from '../runtime/index.js';
import type { ServerOptions } from '../server/index.js';

export const SERVE_USAGE = `usage: assetd serve [--config FILE] [flags]

Serves the static mounts (indexed at startup), the media mounts (read per request) and
passes every other request to --upstream. Precedence: flags > ASSETD_* variables > the
config file (--config, ASSETD_CONFIG; see config.example.json) > defaults.`;

export async function serve(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${SERVE_USAGE}\n${flagHelp()}\n`);
    return;
  }
  const flags = parseServeFlags(argv);
  const config = loadConfig(flags);
  const startedAt = Date.now();
  const workers = cluster.isPrimary ? workerCount(config) : 1;
  if (workers > 1) {
    await runPrimary(config, workers);
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
