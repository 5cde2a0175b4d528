/**
 * The walk of a root (scan.ts) in a worker thread: a reload scans while the serving thread
 * goes on answering. The result is plain data (names, sizes, times), cloned back; the index
 * itself, with its Buffers, is built in the serving thread. This module is also the thread's
 * entry point.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { scanRootSync, type ScanOptions, type ScanResult } from './scan.js';

interface Job {
  assetdScan: true;
  root: string;
  opts: ScanOptions;
}

/**
 * Files come in parts, each asked for once the one before is taken: the serving thread takes
 * one part per turn of its event loop (node hands over every queued message at once).
 */
type Answer = { part: ScanResult['files'] } | { ok: true; result: ScanResult } | { ok: false; user: boolean; message: string };

/** Files per message: each one is cloned into the serving thread in a few milliseconds. */
const PART = 2000;

export function scanRootInThread(root: string, opts: ScanOptions): Promise<ScanResult> {
  return new Promise((resolve, reject) => {
    const job: Job = { assetdScan: true, root, opts };
    const worker = new Worker(new URL(import.meta.url), { workerData: job, stdout: false, stderr: false });
    let answered = false;
    const parts: ScanResult['files'][] = [];
    worker.on('message', (a: Answer) => {
      if ('part' in a) {
        parts.push(a.part);
        worker.postMessage('next');
        return;
      }
      answered = true;
      if (a.ok) resolve({ ...a.result, files: parts.flat() });
      else reject(a.user ? new UserError(a.message) : new Error(a.message));
      void worker.terminate();
    });
    worker.once('error', (e) => reject(e));
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the scan of ${root} stopped (thread exit ${code})`));
    });
  });
}

if (!isMainThread && (workerData as Partial<Job> | null)?.assetdScan === true) {
  const job = workerData as Job;
  const answers: Answer[] = [];
  try {
    const result = scanRootSync(job.root, job.opts);
    for (let i = 0; i < result.files.length; i += PART) answers.push({ part: result.files.slice(i, i + PART) });
    answers.push({ ok: true, result: { ...result, files: [] } });
  } catch (e) {
    answers.push({ ok: false, user: e instanceof UserError, message: (e as Error).message });
  }
  const next = () => parentPort!.postMessage(answers.shift());
  parentPort!.on('message', next);
  next();
}
