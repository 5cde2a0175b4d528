/**
 * A pool of compression worker threads, one per core by default. Jobs are handed to the
 * first idle worker; the pool is closed when the run is over.
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FileOutcome } from './variant.js';
import type { Job, Reply } from './worker.js';

/** The worker module next to this one: compiled `.js`, or `.ts` when run from the sources. */
function workerUrl(): URL {
  const js = new URL('./worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(js))) return js;
  return new URL('./worker.ts', import.meta.url);
}

export class CompressPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { job: Job; resolve: (o: FileOutcome) => void; reject: (e: Error) => void }[] = [];
  private readonly pending = new Map<number, { resolve: (o: FileOutcome) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 0;

  constructor(size = os.availableParallelism()) {
    const url = workerUrl();
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(url);
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r.outcome);
        else p.reject(new Error(r.error));
        this.release(w);
      });
      w.on('error', (e) => {
        for (const [id, p] of this.pending) {
          if (p.worker === w) {
            this.pending.delete(id);
            p.reject(e);
          }
        }
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private release(w: Worker): void {
    const next = this.queue.shift();
    if (next) this.dispatch(w, next.job, next.resolve, next.reject);
    else this.idle.push(w);
  }

  private dispatch(w: Worker, job: Job, resolve: (o: FileOutcome) => void, reject: (e: Error) => void): void {
    this.pending.set(job.id, { resolve, reject, worker: w });
    w.postMessage(job);
  }

  compress(file: string): Promise<FileOutcome> {
    return new Promise((resolve, reject) => {
      const job = { id: this.nextId++, file };
      const w = this.idle.pop();
      if (w) this.dispatch(w, job, resolve, reject);
      else this.queue.push({ job, resolve, reject });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
