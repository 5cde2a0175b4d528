/**
 * runtime/: processes and operations: starting a serving process, cluster workers and how
 * many (the CPUs the cgroup quota and affinity allow), reload, restart backoff.
 *
 * May import: server/ and everything it may import.
 */
export * from './backoff.js';
export * from './cluster.js';
export * from './cpu-quota.js';
export * from './cpus.js';
export * from './reload.js';
export * from './start.js';
