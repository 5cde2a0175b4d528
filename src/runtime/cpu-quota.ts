/**
 * How many CPUs the process may use, decided from the text of the kernel's files: the cgroup
 * CPU quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us` over `cpu.cfs_period_us`) and the affinity
 * count. Pure: cpus.ts reads the files and hands their contents here.
 */

/** One cgroup hierarchy holding the CPU controller: its version and where its files are. */
export interface CpuCgroup {
  version: 1 | 2;
  /** Directories to read the limit from: the process's own cgroup first, then each parent up to the mount point. */
  dirs: string[];
}

/** `\040`-style escapes of /proc/self/mountinfo (space, tab, newline, backslash) undone. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * The cgroup hierarchies of /proc/self/mountinfo that can limit the CPU (cgroup2, or cgroup v1
 * with the `cpu` controller), each with the directories of this process's cgroup (from
 * /proc/self/cgroup) and its parents inside the mount. A mount whose root is not an ancestor
 * of the process's cgroup (a bind mount of another cgroup) falls back to the mount point alone.
 */
export function cpuCgroups(procSelfCgroup: string, mountinfo: string): CpuCgroup[] {
  let v2Path: string | undefined;
  let v1Path: string | undefined;
  for (const line of procSelfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2Path = m[3];
    else if (m[2]!.split(',').includes('cpu')) v1Path = m[3];
  }
  const out: CpuCgroup[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fields.length < 5) continue;
    const root = unescapeMount(fields[3]!);
    const mountPoint = unescapeMount(fields[4]!);
    let own: string | undefined;
    let version: 1 | 2;
    if (fsType === 'cgroup2') {
      own = v2Path;
      version = 2;
    } else if (fsType === 'cgroup' && superOptions.split(',').includes('cpu')) {
      own = v1Path;
      version = 1;
    } else continue;
    if (own === undefined) continue;
    out.push({ version, dirs: dirsUp(mountPoint, root, own) });
  }
  return out;
}

/** The process's cgroup directory under a mount, then each parent up to the mount point. */
function dirsUp(mountPoint: string, root: string, own: string): string[] {
  const trim = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  const r = trim(root);
  const o = trim(own);
  let rel: string;
  if (r === '/') rel = o;
  else if (o === r) rel = '/';
  else if (o.startsWith(r + '/')) rel = o.slice(r.length);
  else return [mountPoint];
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  const dirs: string[] = [];
  for (let n = parts.length; n >= 0; n--) dirs.push([trim(mountPoint), ...parts.slice(0, n)].join('/').replace(/\/+/g, '/'));
  return dirs;
}

/** CPUs allowed by a cgroup v2 `cpu.max` ("max 100000", "150000 100000"); null for no limit or unreadable text. */
export function parseCpuMax(text: string): number | null {
  const [max, period = '100000', ...rest] = text.trim().split(/\s+/);
  if (rest.length > 0 || max === undefined || max === 'max' || max === '') return null;
  return quotaOver(max, period);
}

/** CPUs allowed by cgroup v1 `cpu.cfs_quota_us` ("-1" for none) over `cpu.cfs_period_us`; null for no limit. */
export function parseCfsQuota(quota: string, period: string): number | null {
  const q = quota.trim();
  if (q === '-1') return null;
  return quotaOver(q, period.trim());
}

function quotaOver(quota: string, period: string): number | null {
  if (!/^\d+$/.test(quota) || !/^\d+$/.test(period)) return null;
  const q = Number(quota);
  const p = Number(period);
  if (q <= 0 || p <= 0) return null;
  return q / p;
}

/**
 * Worker count for "auto": the affinity count, lowered by the smallest quota found (as CPUs,
 * possibly fractional), rounded up; at least 1. A quota of 1.5 CPUs gives 2.
 */
export function cpusFor(affinity: number, quotas: (number | null)[]): number {
  let cpus = Number.isFinite(affinity) && affinity >= 1 ? Math.floor(affinity) : 1;
  for (const q of quotas) if (q !== null && q > 0) cpus = Math.min(cpus, Math.ceil(q - 1e-9));
  return Math.max(1, cpus);
}
