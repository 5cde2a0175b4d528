import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { logInfo } from '../log.js';
import { compressTree, formatSummary, progressBar } from '../compress/index.js';

export const COMPRESS_USAGE = 'usage: assetd compress DIR [--workers N]   (N files at once, default one per core; 0: one at a time)';

/** `assetd compress DIR`: write .br and .gz next to every compressible file under DIR. */
export async function compress(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { workers: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UserError(`compress: ${(e as Error).message.split('\n')[0]} (${COMPRESS_USAGE})`);
  }
  const dirs = parsed.positionals;
  if (dirs.length !== 1) throw new UserError(`compress: expected one directory (${COMPRESS_USAGE})`);
  let workers: number | undefined;
  if (parsed.values.workers !== undefined) {
    if (!/^[0-9]+$/.test(parsed.values.workers)) throw new UserError(`--workers: expected a whole number, got ${JSON.stringify(parsed.values.workers)}`);
    workers = Number(parsed.values.workers);
  }
  const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  const summary = await compressTree(dirs[0], { workers, progress: bar });
  bar?.end();
  logInfo(formatSummary(summary));
}
