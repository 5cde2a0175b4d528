/**
 * About a run: the machine, the commit, the load generator's version (I/O), and the text a
 * run prints on stdout from its result (`formatRun`, pure).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProfile } from './profile.mjs';
import { formatAccessLog, formatPeers, formatProxy, formatSingle, formatStartup, formatTable } from './report.mjs';
import { splitName } from './variants.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function machine() {
  let distro = null;
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
  } catch {
    /* not Linux */
  }
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? null,
    cpus: cpus.length,
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    distro,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function gitInfo() {
  const rev = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  const st = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO, encoding: 'utf8' });
  return { commit: rev.status === 0 ? rev.stdout.trim() : null, dirty: st.status === 0 ? st.stdout.trim() !== '' : null };
}

export function wrkVersion() {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return r.error ? null : `${r.stdout}${r.stderr}`.split('\n')[0].replace(/\s+Copyright.*$/, '').trim();
}

/** The text on stdout: the run's header, a table per process count, the notes under them. */
export function formatRun(result, opts) {
  const lines = [];
  lines.push(
    `assetd bench ${result.date} · ${result.machine.cpus} × ${result.machine.cpuModel} · ${result.machine.distro ?? result.machine.os} · Node ${result.node}` +
      (result.nginx ? ` · nginx ${result.nginx}` : '') +
      ` · ${result.loadgen} (${opts.loadgen === 'wrk' ? `${opts.threads} threads, ` : ''}${opts.connections} connections, ${opts.duration} s × ${opts.rounds} rounds)` +
      ` · commit ${result.commit?.slice(0, 10) ?? '?'}${result.dirty ? '+dirty' : ''}`,
    '',
  );
  const busy = result.machine.loadavgAtStart[0];
  if (busy > result.machine.cpus / 2) {
    lines.push(`Note: the load average was ${busy} on ${result.machine.cpus} cores when the run started: other work shared the machine, the figures are noisy.`, '');
  }
  if (opts.profile) lines.push("Note: assetd ran under node --cpu-prof (--profile): its figures include the profiler's cost; compare ratios from runs without it.", '');
  for (const v of opts.variants ?? []) {
    if (v.name !== 'default') lines.push(`Variant ${v.name}: assetd with ${[...Object.entries(v.env).map(([k, x]) => `${k}=${x}`), ...v.flags].join(' ') || 'nothing added'}`);
  }
  if (opts.accessLog && opts.accessLog !== 'off') lines.push('(log): access log on, combined format, to a file (assetd: stdout; nginx: access_log with buffer=4k flush=1s)');
  if (lines[lines.length - 1] !== '') lines.push('');
  const counts = [...new Set(result.summary.map((s) => s.processes))];
  const nginxRan = result.summary.some((s) => Object.keys(s.servers).some((k) => splitName(k).base === 'nginx'));
  for (const count of counts) {
    const part = result.summary.filter((s) => s.processes === count);
    if (count !== null) lines.push(`${count} process${count > 1 ? 'es' : ''} each: assetd --workers ${count}${nginxRan ? `, nginx worker_processes ${count}` : ''}${count > 1 ? '; CPU and RSS summed over the process tree' : ''}`, '');
    if (opts.target) lines.push(formatSingle(part, 'target'));
    else if (nginxRan) lines.push(formatTable(part));
    else lines.push(formatSingle(part, 'assetd'));
    for (const extra of [formatPeers(part), formatProxy(part), formatAccessLog(part)]) if (extra) lines.push('', extra);
    lines.push('');
  }
  if (result.assetdStart) lines.push(`assetd start: ${result.assetdStart.files} files, ${result.assetdStart.variants} variants, index ${result.assetdStart.ms} ms, RSS ${Math.round(result.assetdStart.rssKb / 1024)} MB once listening`);
  if (result.startup) lines.push('', 'Startup (generated trees):', '', formatStartup(result.startup));
  for (const [s, why] of Object.entries(result.skipped)) lines.push(`skipped ${s}: ${why}`);
  for (const [s, why] of Object.entries(result.failed)) lines.push(`FAILED ${s}: ${why}`);
  for (const [k, v] of Object.entries(result.checks)) if (v.length > 0) lines.push(`CHECK ${k}: ${v.join('; ')}`);
  if (result.profileTop) lines.push('', 'assetd CPU profile, self time (top 15):', formatProfile(result.profileTop));
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd();
}

