/**
 * The CPU count of `--workers auto` from the kernel's files: cgroup v2 `cpu.max`, v1
 * `cpu.cfs_quota_us`/`cpu.cfs_period_us`, /proc/self/cgroup and /proc/self/mountinfo to find
 * them, and the affinity. test/fixtures/cgroup/ holds files read on a cgroup v1 (hybrid) host
 * and inside a podman container started there with `--cpus 1.5`; the cgroup v2 texts below
 * are as a systemd host and a Kubernetes pod (own cgroup namespace) show them.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { cpuBudget, cpuCgroups, cpusFor, parseCfsQuota, parseCpuMax } from '../../src/runtime/index.js';
import { repoRoot } from '../helpers/run.js';

const fixture = (name: string) => fs.readFileSync(path.join(repoRoot, 'test/fixtures/cgroup', name), 'utf8');

const V2_HOST_CGROUP = '0::/user.slice/user-1000.slice/session-3.scope\n';
const V2_HOST_MOUNTINFO = [
  '22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '35 22 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
  '',
].join('\n');
const V2_POD_CGROUP = '0::/\n';
const V2_POD_MOUNTINFO = '1197 1189 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate,memory_recursiveprot\n';
const V1_DOCKER_CGROUP = [
  '12:pids:/docker/4d2f3bb1a0c9',
  '4:cpu,cpuacct:/docker/4d2f3bb1a0c9',
  '3:cpuset:/docker/4d2f3bb1a0c9',
  '0::/system.slice/containerd.service',
  '',
].join('\n');
const V1_DOCKER_MOUNTINFO = [
  '1134 1126 0:31 /docker/4d2f3bb1a0c9 /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:17 - cgroup cgroup rw,cpu,cpuacct',
  '1135 1126 0:32 /docker/4d2f3bb1a0c9 /sys/fs/cgroup/cpuset ro,nosuid,nodev,noexec,relatime master:18 - cgroup cgroup rw,cpuset',
  '',
].join('\n');

t.test('cgroup v2 cpu.max', async (t) => {
  t.equal(parseCpuMax('max 100000\n'), null, 'no limit');
  t.equal(parseCpuMax('150000 100000\n'), 1.5, '1.5 CPUs');
  t.equal(parseCpuMax('200000 100000\n'), 2);
  t.equal(parseCpuMax('50000 100000\n'), 0.5);
  t.equal(parseCpuMax('max\n'), null, 'the period left out');
  t.equal(parseCpuMax('100000\n'), 1, 'the default period of 100 ms');
  for (const bad of ['', '\n', 'garbage', '-1 100000', '150000 0', '1 2 3']) t.equal(parseCpuMax(bad), null, `unreadable ${JSON.stringify(bad)}: no limit`);
});

t.test('cgroup v1 cfs quota over period', async (t) => {
  t.equal(parseCfsQuota('-1\n', '100000\n'), null, 'no limit');
  t.equal(parseCfsQuota('150000\n', '100000\n'), 1.5);
  t.equal(parseCfsQuota('100000\n', '100000\n'), 1);
  t.equal(parseCfsQuota('25000\n', '50000\n'), 0.5);
  t.equal(parseCfsQuota('x', '100000'), null);
  t.equal(parseCfsQuota('100000', '0'), null);
});

t.test('auto: the affinity lowered by the quota, rounded up, at least 1', async (t) => {
  t.equal(cpusFor(8, [null]), 8, 'no quota: every CPU of the affinity');
  t.equal(cpusFor(8, [1.5]), 2, '1.5 CPUs round up to 2');
  t.equal(cpusFor(8, [2]), 2);
  t.equal(cpusFor(8, [0.5]), 1, 'half a CPU is still one worker');
  t.equal(cpusFor(2, [4]), 2, 'a quota above the affinity does not add CPUs');
  t.equal(cpusFor(8, [3, 1.2]), 2, 'the smallest quota wins');
  t.equal(cpusFor(0, []), 1, 'never 0');
});

t.test('the cgroup files of a hybrid v1 host: quota files at the root of the cpu hierarchy', async (t) => {
  const groups = cpuCgroups(fixture('host-hybrid.cgroup'), fixture('host-hybrid.mountinfo'));
  t.same(groups, [
    { version: 1, dirs: ['/sys/fs/cgroup/cpu'] },
    { version: 2, dirs: ['/sys/fs/cgroup/unified'] },
  ]);
});

t.test('inside a podman container (cgroup v1, the container\'s cgroup mounted at /sys/fs/cgroup/cpu)', async (t) => {
  const groups = cpuCgroups(fixture('podman-v1.cgroup'), fixture('podman-v1.mountinfo'));
  t.same(groups, [{ version: 1, dirs: ['/sys/fs/cgroup/cpu'] }], 'the mount root is the process\'s cgroup: only the mount point');
  const files: Record<string, string> = {
    '/proc/self/cgroup': fixture('podman-v1.cgroup'),
    '/proc/self/mountinfo': fixture('podman-v1.mountinfo'),
    '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '150000\n',
    '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
  };
  t.same(cpuBudget((f) => files[f], 2), { cpus: 2, affinity: 2, quota: 1.5, quotaFile: '/sys/fs/cgroup/cpu/cpu.cfs_quota_us' });
  t.same(cpuBudget((f) => files[f], 8).cpus, 2, 'on an 8-CPU host, 2 for --cpus 1.5');
});

t.test('cgroup v2 on a systemd host: the session scope, then each parent up to the mount point', async (t) => {
  t.same(cpuCgroups(V2_HOST_CGROUP, V2_HOST_MOUNTINFO), [
    {
      version: 2,
      dirs: [
        '/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope',
        '/sys/fs/cgroup/user.slice/user-1000.slice',
        '/sys/fs/cgroup/user.slice',
        '/sys/fs/cgroup',
      ],
    },
  ]);
  const files: Record<string, string> = {
    '/proc/self/cgroup': V2_HOST_CGROUP,
    '/proc/self/mountinfo': V2_HOST_MOUNTINFO,
    '/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/cpu.max': 'max 100000\n',
    '/sys/fs/cgroup/user.slice/user-1000.slice/cpu.max': '300000 100000\n',
    '/sys/fs/cgroup/user.slice/cpu.max': 'max 100000\n',
  };
  t.same(cpuBudget((f) => files[f], 16), { cpus: 3, affinity: 16, quota: 3, quotaFile: '/sys/fs/cgroup/user.slice/user-1000.slice/cpu.max' }, 'a parent\'s limit applies too');
});

t.test('cgroup v2 in a pod with its own cgroup namespace', async (t) => {
  t.same(cpuCgroups(V2_POD_CGROUP, V2_POD_MOUNTINFO), [{ version: 2, dirs: ['/sys/fs/cgroup'] }]);
  const files: Record<string, string> = { '/proc/self/cgroup': V2_POD_CGROUP, '/proc/self/mountinfo': V2_POD_MOUNTINFO, '/sys/fs/cgroup/cpu.max': '150000 100000\n' };
  t.equal(cpuBudget((f) => files[f], 4).cpus, 2, 'limits.cpu "1500m" on a 4-CPU node: 2');
  files['/sys/fs/cgroup/cpu.max'] = 'max 100000\n';
  t.equal(cpuBudget((f) => files[f], 4).cpus, 4, 'no limit: the node\'s CPUs the affinity allows');
});

t.test('cgroup v1 under docker: cpu and cpuacct joined, the container\'s cgroup as the mount root', async (t) => {
  t.same(cpuCgroups(V1_DOCKER_CGROUP, V1_DOCKER_MOUNTINFO), [{ version: 1, dirs: ['/sys/fs/cgroup/cpu,cpuacct'] }]);
  const files: Record<string, string> = {
    '/proc/self/cgroup': V1_DOCKER_CGROUP,
    '/proc/self/mountinfo': V1_DOCKER_MOUNTINFO,
    '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
    '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
  };
  t.equal(cpuBudget((f) => files[f], 4).cpus, 4, 'quota -1: no limit');
});

t.test('escaped mount points, and nothing readable at all', async (t) => {
  const mi = '40 30 0:37 / /sys/fs/cgroup/with\\040space rw - cgroup2 cgroup2 rw\n';
  t.same(cpuCgroups('0::/a\n', mi), [{ version: 2, dirs: ['/sys/fs/cgroup/with space/a', '/sys/fs/cgroup/with space'] }]);
  t.same(cpuBudget(() => undefined, 3), { cpus: 3, affinity: 3, quota: null, quotaFile: null }, 'no /proc: the affinity alone');
});

t.test('this process', async (t) => {
  const b = cpuBudget();
  t.ok(b.cpus >= 1 && b.cpus <= b.affinity, `${b.cpus} CPU(s) of ${b.affinity} by affinity; quota ${b.quota ?? 'none'}${b.quotaFile ? ` (${b.quotaFile})` : ''}`);
});
