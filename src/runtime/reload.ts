/**
 * Reloading the static index from disk (SIGHUP): build a complete new index beside the one
 * in use, without stopping the serving thread for more than a slice, then swap it in with
 * one assignment. A tree or manifest that does not index leaves the old index in
 * place: the error is reported and nothing that was served stops being served.
 * Reloads asked for while one runs are folded into one more run after it.
 */
import type { Config } from '../config/index.js';
import { oneLine } from '../errors.js';
import type { AssetServer } from '../server/index.js';
import { scanRootInThread } from '../static/index.js';
import { buildIndex } from '../static/index.js';

/**
 * A reload runs beside serving: the walk in a worker thread, and the index (file bodies read,
 * headers built) in slices of this many ms, between which requests are answered.
 */
export const RELOAD_SLICE_MS = 10;

export type ReloadResult =
  | { ok: true; files: number; variants: number; missing: number; ms: number }
  | { ok: false; error: string; files: number };

export async function reloadOnce(config: Config, server: AssetServer): Promise<ReloadResult> {
  try {
    const next = await buildIndex(config.static, config, { scan: scanRootInThread, sliceMs: RELOAD_SLICE_MS });
    server.setIndex(next);
    server.metrics.reloadsOk++;
    const missing = next.mounts.reduce((a, m) => a + m.missing.length, 0);
    return { ok: true, files: next.fileCount, variants: next.variantCount, missing, ms: Math.round(next.ms) };
  } catch (e) {
    server.metrics.reloadsFailed++;
    return { ok: false, error: oneLine(e), files: server.getIndex().fileCount };
  }
}

/** The one log line for a reload result. */
export function describeReload(r: ReloadResult, where = ''): string {
  if (r.ok) {
    return `reload: ${r.files} files indexed, ${r.variants} variants${r.missing > 0 ? `, ${r.missing} manifest names missing on disk` : ''}, ${r.ms} ms${where}`;
  }
  return `reload failed, still serving the previous index (${r.files} files)${where}: ${r.error}`;
}

/** Serialises reloads: at most one runs, and requests during it share one follow-up run. */
export class Reloader<T = ReloadResult> {
  private running: Promise<T> | undefined;
  private queued: Promise<T> | undefined;

  constructor(private readonly run: () => Promise<T>) {}

  request(): Promise<T> {
    if (this.running === undefined) return this.start();
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<T> {
    const p = this.run().finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }
}
