import { loadConfig, parseServeFlags } from '../config/index.js';
import { formatBytes } from '../runtime/index.js';
import { buildIndex, type MountIndex } from '../static/index.js';

export interface MountReport {
  lines: string[];
  problems: string[];
}

/** What one mount would serve, and what is wrong with it. */
export function describeMount(m: MountIndex, memoryThreshold: number): MountReport {
  const lines: string[] = [];
  const problems: string[] = [];
  let large = 0;
  const largeNames: string[] = [];
  for (const e of m.files.values()) {
    if (e.kind !== 'file' || e.urlPath !== m.prefix + e.rel) continue; // index aliases count once
    if (e.identity.size > memoryThreshold) {
      large++;
      if (largeNames.length < 3) largeNames.push(e.rel);
    }
  }
  const share = m.fileCount > 0 ? ((m.immutableCount / m.fileCount) * 100).toFixed(1) : '0.0';
  lines.push(`${m.prefix} -> ${m.config.root}`);
  lines.push(`  manifest: ${m.manifest ? `${m.manifest.file} (${m.manifest.format}, ${m.manifest.names.size} names)` : 'none (hashed names by pattern)'}`);
  lines.push(`  files: ${m.fileCount}, precompressed variants: ${m.variantCount}${m.compressedInMemory > 0 ? ` (${m.compressedInMemory} compressed in memory)` : ''}, immutable: ${m.immutableCount} (${share}%)`);
  lines.push(`  in memory: ${formatBytes(m.bytesInMemory)}; larger than the memory threshold (${formatBytes(memoryThreshold)}): ${large}${large > 0 ? ` (${largeNames.join(', ')}${large > 3 ? ', ...' : ''})` : ''}`);
  if (m.symlinksSkipped > 0) lines.push(`  symlinks skipped: ${m.symlinksSkipped}`);
  if (m.missing.length > 0) {
    lines.push(`  manifest names missing on disk: ${m.missing.length} (${m.missing.slice(0, 5).join(', ')}${m.missing.length > 5 ? ', ...' : ''})`);
    problems.push(`${m.prefix}: ${m.missing.length} manifest name(s) missing on disk`);
  }
  if (m.fileCount === 0) problems.push(`${m.prefix}: no files under ${m.config.root}`);
  return { lines, problems };
}

/**
 * `assetd check [serve flags]`: load the config exactly as `serve` would, index every
 * mount, print what would be served; exit 1 when there are problems (2 for a bad config).
 */
export async function check(argv: string[]): Promise<void> {
  const flags = parseServeFlags(argv);
  const config = loadConfig(flags);
  const index = await buildIndex(config.static, config);
  const problems: string[] = [];
  for (const m of index.mounts) {
    const r = describeMount(m, config.memoryThreshold);
    process.stdout.write(r.lines.join('\n') + '\n');
    problems.push(...r.problems);
  }
  if (problems.length > 0) {
    process.stdout.write(`problems: ${problems.join('; ')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`ok: ${index.fileCount} files, ${index.variantCount} variants\n`);
  }
}
