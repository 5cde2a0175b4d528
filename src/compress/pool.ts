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

/**
 * A worker running the module next to this one: the compiled `.js`, or the `.ts` when run
 * from the TypeScript sources (the worker inherits the loader flags of the process).
 */
function startWorker(): Worker {
  const js = new URL('./worker.js', import.meta.url);
  return new Worker(fs.existsSync(fileURLToPath(js)) ? js : new URL('./worker.ts', import.meta.url));
}

export class CompressPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { job: Job; resolve: (o: FileOutcome) => void; reject: (e: Error) => void }[] = [];
  private readonly pending = new Map<number, { resolve: (o: FileOutcome) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 0;
  private readonly dead = new Set<Worker>();
  private closing = false;

  constructor(size = os.availableParallelism()) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = startWorker();
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r.outcome);
        else p.reject(new Error(r.error));
        this.release(w);
      });
      const fail = (e: Error) => {
        this.dead.add(w);
        const i = this.idle.indexOf(w);
        if (i !== -1) this.idle.splice(i, 1);
        for (const [id, p] of this.pending) {
          if (p.worker === w) {
            this.pending.delete(id);
            p.reject(e);
          }
        }
        // with no worker left, nothing queued can ever run
        if (this.dead.size === this.workers.length) for (const q of this.queue.splice(0)) q.reject(e);
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!this.closing) fail(new Error(`compression worker stopped (exit code ${code})`));
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
      if (this.dead.size === this.workers.length) {
        reject(new Error('no compression worker is running'));
        return;
      }
      const job = { id: this.nextId++, file };
      const w = this.idle.pop();
      if (w) this.dispatch(w, job, resolve, reject);
      else this.queue.push({ job, resolve, reject });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
