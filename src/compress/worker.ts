/** A compression worker thread: receives file paths, answers with each outcome. */
import { parentPort } from 'node:worker_threads';
import { compressFile } from './variant.js';

export interface Job {
  id: number;
  file: string;
}

export type Reply = { id: number; ok: true; outcome: import('./variant.js').FileOutcome } | { id: number; ok: false; error: string };

parentPort!.on('message', (job: Job) => {
  compressFile(job.file).then(
    (outcome) => parentPort!.postMessage({ id: job.id, ok: true, outcome } satisfies Reply),
    (e: unknown) => {
      const err = e as NodeJS.ErrnoException;
      parentPort!.postMessage({ id: job.id, ok: false, error: err.code ? `${err.code}` : String(err.message ?? e) } satisfies Reply);
    },
  );
});
