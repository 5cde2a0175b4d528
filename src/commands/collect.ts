import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { djangoManifestJson } from '../collect/index.js';
import { planHashes, type PlanFile } from '../collect/index.js';
import { gatherSources } from '../collect/index.js';
import { writeIfChanged, type WriteStats } from '../collect/index.js';
import { compressTree, formatSummary, progressBar } from '../compress/index.js';
import { UserError } from '../errors.js';
import { logError, logInfo } from '../log.js';
import { limiter } from '../compress/index.js';

export const COLLECT_USAGE = 'usage: assetd collect SRC... --out DIR [--static-url /static/] [--strict] [--no-compress] [--workers N]';
export const MANIFEST_NAME = 'staticfiles.json';

export interface CollectOptions {
  sources: string[];
  out: string;
  staticUrl: string;
  strict: boolean;
  compress: boolean;
  workers?: number;
  cwd?: string;
  /** Where report lines go (default: stderr through the log). */
  report?: (line: string) => void;
}

export interface CollectResult {
  files: number;
  clashes: number;
  missing: number;
  write: WriteStats;
}

export function parseCollectArgs(argv: string[]): CollectOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        'static-url': { type: 'string' },
        strict: { type: 'boolean' },
        'no-compress': { type: 'boolean' },
        workers: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UserError(`collect: ${(e as Error).message.split('\n')[0]} (${COLLECT_USAGE})`);
  }
  const v = parsed.values;
  if (parsed.positionals.length === 0) throw new UserError(`collect: give at least one source folder (${COLLECT_USAGE})`);
  if (!v.out) throw new UserError(`collect: --out DIR is required (${COLLECT_USAGE})`);
  const staticUrl = v['static-url'] ?? '/static/';
  if (!/^(\/|https?:\/\/)/.test(staticUrl) || !staticUrl.endsWith('/')) {
    throw new UserError(`--static-url: expected a URL path or URL ending in "/", such as "/static/", got ${JSON.stringify(staticUrl)}`);
  }
  let workers: number | undefined;
  if (v.workers !== undefined) {
    if (!/^[0-9]+$/.test(v.workers)) throw new UserError(`--workers: expected a whole number, got ${JSON.stringify(v.workers)}`);
    workers = Number(v.workers);
  }
  return { sources: parsed.positionals, out: v.out, staticUrl, strict: v.strict ?? false, compress: !v['no-compress'], workers };
}

/** Copy, hash, rewrite, write the manifest; the compression step is left to the caller. */
export async function collectTree(o: CollectOptions): Promise<CollectResult> {
  const cwd = o.cwd ?? process.cwd();
  const report = o.report ?? ((l: string) => logInfo(l));
  const out = path.resolve(cwd, o.out);
  for (const s of o.sources) {
    const abs = path.resolve(cwd, s);
    if (out === abs || out.startsWith(abs + path.sep)) throw new UserError(`--out ${o.out}: is inside the source ${s}; collect into a separate folder`);
  }
  const gathered = await gatherSources(o.sources, cwd);
  for (const c of gathered.clashes) report(`${c.name}: found in ${c.kept} and ${c.ignored}; using the one in ${c.kept}`);
  const manifestClash = gathered.files.find((f) => f.name === MANIFEST_NAME);
  if (manifestClash) throw new UserError(`${path.join(manifestClash.source, MANIFEST_NAME)}: a source file has the name of the manifest collect writes; rename it`);

  const read = limiter(32);
  const files: PlanFile[] = await Promise.all(
    gathered.files.map((f) =>
      read(async () => {
        try {
          return { name: f.name, content: await fs.readFile(f.abs) };
        } catch (e) {
          throw new UserError(`${f.abs}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }),
    ),
  );
  const plan = planHashes(files, { staticUrl: o.staticUrl });
  for (const u of plan.undecodable) report(`${u}: not UTF-8 text, so its references are not rewritten`);
  for (const m of plan.missing) report(`${m.file}:${m.line}: ${m.url} points to ${m.target}, which is not among the collected files`);
  if (o.strict && plan.missing.length > 0) {
    const m = plan.missing[0];
    throw new UserError(`--strict: ${plan.missing.length} reference(s) to missing files (first: ${m.file}:${m.line}: ${m.url})`);
  }

  await fs.mkdir(out, { recursive: true });
  const write: WriteStats = { written: 0, unchanged: 0 };
  const run = limiter(32);
  await Promise.all(
    files.map((f) =>
      run(async () => {
        await writeIfChanged(out, f.name, f.content, write);
        const hashed = plan.paths.get(f.name)!;
        await writeIfChanged(out, hashed, plan.rewritten.get(f.name) ?? f.content, write);
      }),
    ),
  );
  await writeIfChanged(out, MANIFEST_NAME, Buffer.from(djangoManifestJson(plan.paths), 'utf8'), write);
  return { files: files.length, clashes: gathered.clashes.length, missing: plan.missing.length, write };
}

export async function collect(argv: string[]): Promise<void> {
  const o = parseCollectArgs(argv);
  const t0 = performance.now();
  const r = await collectTree(o);
  logInfo(
    `collected ${r.files} files into ${o.out}: ${r.write.written} written, ${r.write.unchanged} unchanged` +
      (r.clashes > 0 ? `, ${r.clashes} name clash(es)` : '') +
      (r.missing > 0 ? `, ${r.missing} missing reference(s)` : '') +
      `, ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
  if (o.compress) {
    const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
    const s = await compressTree(path.resolve(o.out), { workers: o.workers, progress: bar, skip: (rel) => rel === MANIFEST_NAME });
    bar?.end();
    logInfo(formatSummary(s));
  }
  if (r.missing > 0) logError(`${r.missing} reference(s) point to missing files (see above); --strict makes this an error`);
}
