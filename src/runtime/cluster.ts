/**
 * Several worker processes on one port (node:cluster). The primary serves nothing: it
 * starts the workers, replaces one that dies (with backoff when it keeps dying), passes
 * SIGHUP on as a reload (to one worker at a time) and SIGTERM/SIGINT as a drain, and sums
 * the workers' metrics.
 * Messages between primary and workers are plain objects tagged `assetd`.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/index.js';
import { logError, logInfo } from '../log.js';
import { mergeSnapshots, renderPrometheus, type MetricsSnapshot } from '../observe/index.js';
import type { ReloadResult } from './reload.js';
import { describeReload, Reloader } from './reload.js';
import { DEFAULT_BACKOFF, recordCrash, restartDelay } from './backoff.js';
import { VERSION } from '../version.js';

/** Primary → worker. */
export type ToWorker =
  | { assetd: 'reload'; id: number }
  | { assetd: 'stop' }
  | { assetd: 'bye' }
  | { assetd: 'snapshot'; id: number }
  | { assetd: 'metrics'; id: number; text: string };

/** Worker → primary. */
export type ToPrimary =
  | { assetd: 'ready'; line: string }
  | { assetd: 'reloaded'; id: number; result: ReloadResult }
  | { assetd: 'snapshot'; id: number; snapshot: MetricsSnapshot }
  | { assetd: 'metrics-request'; id: number }
  | { assetd: 'drained' }
  | { assetd: 'gone' };

function isTagged<T>(msg: unknown): msg is T {
  return typeof msg === 'object' && msg !== null && typeof (msg as { assetd?: unknown }).assetd === 'string';
}

/** Ask every live worker and collect the answers that arrive within `timeoutMs`. */
function gather<T>(workers: Worker[], ask: (w: Worker, id: number) => void, pick: (msg: ToPrimary, id: number) => T | undefined, timeoutMs: number): Promise<T[]> {
  const id = nextId++;
  return new Promise((resolve) => {
    const got: T[] = [];
    const waiting = new Set(workers);
    const cleanups: (() => void)[] = [];
    const done = () => {
      clearTimeout(timer);
      for (const c of cleanups) c();
      resolve(got);
    };
    const timer = setTimeout(done, timeoutMs);
    for (const w of workers) {
      const onMessage = (msg: unknown) => {
        if (!isTagged<ToPrimary>(msg)) return;
        const v = pick(msg, id);
        if (v === undefined) return;
        got.push(v);
        forget();
      };
      const forget = () => {
        if (!waiting.delete(w)) return;
        if (waiting.size === 0) done();
      };
      w.on('message', onMessage);
      w.once('exit', forget);
      cleanups.push(() => {
        w.off('message', onMessage);
        w.off('exit', forget);
      });
      try {
        ask(w, id);
      } catch {
        forget();
      }
    }
    if (workers.length === 0) done();
  });
}

let nextId = 1;

export async function runPrimary(config: Config, count: number): Promise<void> {
  const startedAt = Date.now();
  let stopping = false;
  let restarts = 0;
  let crashes: number[] = [];
  let reloadsOk = 0;
  let reloadsFailed = 0;
  let announced = false;
  /** Workers that are listening and answer messages. */
  const ready = new Set<Worker>();
  const live = () => [...ready].filter((w) => w.isConnected() && !w.isDead());
  let firstLine = '';

  const remaining = () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead()).length;
  const send = (w: Worker, msg: ToWorker) => {
    if (w.isConnected()) w.send(msg);
  };

  const fork = (): Worker => {
    const w = cluster.fork();
    w.once('exit', () => ready.delete(w));
    w.on('message', (msg: unknown) => {
      if (!isTagged<ToPrimary>(msg)) return;
      if (msg.assetd === 'ready') {
        ready.add(w);
        if (announced) return;
        if (firstLine === '') {
          // the first worker proved the config, tree and port: start the others
          firstLine = msg.line;
          for (let i = 1; i < count; i++) fork();
        }
        if (ready.size >= count) {
          announced = true;
          logInfo(`${firstLine} (${count} workers, primary pid ${process.pid})`);
        }
      } else if (msg.assetd === 'drained') {
        // this worker stopped listening (node told the primary before this message): no new
        // connection is handed to it after this answer, so once it has the answer it may exit
        send(w, { assetd: 'bye' });
      } else if (msg.assetd === 'metrics-request') {
        void metricsText().then((text) => send(w, { assetd: 'metrics', id: msg.id, text }));
      }
    });
    return w;
  };

  const metricsText = async (): Promise<string> => {
    const workers = live();
    const snaps = await gather(
      workers,
      (w, id) => send(w, { assetd: 'snapshot', id }),
      (m, id) => (m.assetd === 'snapshot' && m.id === id ? m.snapshot : undefined),
      1000,
    );
    const merged = mergeSnapshots(snaps);
    merged.reloads = { ok: reloadsOk, failed: reloadsFailed };
    return renderPrometheus(merged, { workers: workers.length, workerRestarts: restarts, uptimeSeconds: (Date.now() - startedAt) / 1000, version: VERSION });
  };

  cluster.on('exit', (w, code, signal) => {
    if (stopping) {
      if (remaining() === 0) process.exit(0);
      return;
    }
    if (firstLine === '') {
      // the first worker could not start: its error line is already out
      process.exit(code === 0 || code === null ? 1 : code);
    }
    crashes = recordCrash(crashes, Date.now(), DEFAULT_BACKOFF);
    const delay = restartDelay(crashes.length, DEFAULT_BACKOFF);
    restarts++;
    logError(`worker ${w.process.pid} exited (${signal ? `signal ${signal}` : `code ${code}`}); starting a new one${delay > 0 ? ` in ${delay} ms (${crashes.length} exits in the last minute)` : ''}`);
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  const reloadOne = async (w: Worker): Promise<ReloadResult | undefined> => {
    const [r] = await gather(
      [w],
      (w, id) => send(w, { assetd: 'reload', id }),
      (m, id) => (m.assetd === 'reloaded' && m.id === id ? m.result : undefined),
      120_000,
    );
    return r;
  };

  /**
   * One worker at a time, each waiting for the one before to answer: the others serve at full
   * speed meanwhile, and only one spare index is in memory. A failure stops the round, so a
   * broken tree leaves every worker on the previous index.
   */
  const reloadInTurn = async (): Promise<void> => {
    const workers = live();
    const t0 = performance.now();
    let done: Extract<ReloadResult, { ok: true }> | undefined;
    let reloaded = 0;
    for (const [i, w] of workers.entries()) {
      if (!w.isConnected() || w.isDead()) continue;
      const who = `worker ${w.process.pid} (${i + 1} of ${workers.length})`;
      const r = await reloadOne(w);
      if (r === undefined) {
        logError(`reload: ${who} did not answer`);
        continue;
      }
      if (!r.ok) {
        reloadsFailed++;
        const where = reloaded === 0 ? ` in all ${workers.length} workers (${who} failed; the others were not asked)` : ` in ${who}; ${reloaded} worker(s) before it serve the new index`;
        logError(describeReload(r, where));
        return;
      }
      logInfo(describeReload(r, ` in ${who}`));
      done = r;
      reloaded++;
    }
    if (done === undefined) {
      reloadsFailed++;
      logError('reload: no worker answered');
      return;
    }
    reloadsOk++;
    logInfo(describeReload({ ...done, ms: Math.round(performance.now() - t0) }, ` in ${reloaded} workers, one at a time`));
  };
  const reloader = new Reloader(reloadInTurn);
  process.on('SIGHUP', () => void reloader.request());

  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    const workers = live();
    logInfo(`${sig}: draining ${workers.length} workers (up to ${config.shutdownTimeout} ms)`);
    for (const w of workers) send(w, { assetd: 'stop' });
    if (remaining() === 0) process.exit(0);
    // workers cut their own stragglers at the grace period; this is the backstop
    setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(0);
    }, config.shutdownTimeout + 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  fork();
}

/** In a worker: the channel to the primary. */
export interface WorkerChannel {
  onReload(run: () => Promise<ReloadResult>): void;
  onStop(run: () => void): void;
  /**
   * After a drain: resolves once the primary can hand this worker no more connections and
   * every answer to one it handed meanwhile is written, so the process may exit.
   */
  leave(): Promise<void>;
  onSnapshot(take: () => MetricsSnapshot): void;
  ready(line: string): void;
  /** The summed metrics text of every worker, from the primary. */
  metricsText(timeoutMs: number): Promise<string>;
}

export function workerChannel(): WorkerChannel {
  const pending = new Map<number, (text: string) => void>();
  let reload: (() => Promise<ReloadResult>) | undefined;
  let stop: (() => void) | undefined;
  let bye: (() => void) | undefined;
  let snapshot: (() => MetricsSnapshot) | undefined;
  const send = (msg: ToPrimary) => {
    if (process.connected) process.send!(msg);
  };
  process.on('message', (msg: unknown) => {
    if (!isTagged<ToWorker>(msg)) return;
    switch (msg.assetd) {
      case 'reload':
        if (reload) void reload().then((result) => send({ assetd: 'reloaded', id: msg.id, result }));
        break;
      case 'stop':
        stop?.();
        break;
      case 'bye':
        bye?.();
        break;
      case 'snapshot':
        if (snapshot) send({ assetd: 'snapshot', id: msg.id, snapshot: snapshot() });
        break;
      case 'metrics': {
        const r = pending.get(msg.id);
        pending.delete(msg.id);
        r?.(msg.text);
        break;
      }
    }
  });
  // the primary is gone: drain and leave rather than run unsupervised
  process.on('disconnect', () => stop?.());
  return {
    onReload: (run) => (reload = run),
    onStop: (run) => (stop = run),
    leave: () =>
      new Promise<void>((resolve) => {
        if (!process.connected) return resolve();
        // a connection handed over while this worker closed is sent back to the primary; the
        // primary's 'bye' comes after every such hand-over, and 'gone' is written after the answers
        bye = () => process.send!({ assetd: 'gone' } satisfies ToPrimary, () => resolve());
        setTimeout(resolve, 2000).unref();
        send({ assetd: 'drained' });
      }),
    onSnapshot: (take) => (snapshot = take),
    ready: (line) => send({ assetd: 'ready', line }),
    metricsText: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the primary did not answer in time'));
        }, timeoutMs);
        pending.set(id, (text) => {
          clearTimeout(timer);
          resolve(text);
        });
        send({ assetd: 'metrics-request', id });
      }),
  };
}
