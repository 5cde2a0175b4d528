/**
 * The CPUs this process may use, read from the kernel: /proc/self/cgroup and
 * /proc/self/mountinfo to find the cgroup, its CPU quota files up to the mount point, and the
 * affinity (os.availableParallelism()). The decision is cpu-quota.ts's; this is the I/O.
 */
import fs from 'node:fs';
import os from 'node:os';
import { cpuCgroups, cpusFor, parseCfsQuota, parseCpuMax } from './cpu-quota.js';

export interface CpuBudget {
  /** Whole CPUs to use: what `--workers auto` starts. */
  cpus: number;
  /** CPUs the process's affinity allows (os.availableParallelism()). */
  affinity: number;
  /** The smallest cgroup quota found, in CPUs (1.5 for "150000 100000"), or null for none. */
  quota: number | null;
  /** The file the quota came from. */
  quotaFile: string | null;
}

type Read = (file: string) => string | undefined;

const readOrNone: Read = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** The CPUs this process may use now (cgroup v1 or v2 quota, and affinity). */
export function cpuBudget(read: Read = readOrNone, affinity: number = os.availableParallelism()): CpuBudget {
  let quota: number | null = null;
  let quotaFile: string | null = null;
  const groups = cpuCgroups(read('/proc/self/cgroup') ?? '', read('/proc/self/mountinfo') ?? '');
  for (const g of groups) {
    for (const dir of g.dirs) {
      let q: number | null = null;
      let file: string;
      if (g.version === 2) {
        file = `${dir}/cpu.max`;
        const text = read(file);
        q = text === undefined ? null : parseCpuMax(text);
      } else {
        file = `${dir}/cpu.cfs_quota_us`;
        const text = read(file);
        const period = read(`${dir}/cpu.cfs_period_us`);
        q = text === undefined || period === undefined ? null : parseCfsQuota(text, period);
      }
      if (q !== null && (quota === null || q < quota)) {
        quota = q;
        quotaFile = file;
      }
    }
  }
  return { cpus: cpusFor(affinity, [quota]), affinity, quota, quotaFile };
}
