/**
 * runtime/: processes and operations: starting a serving process, cluster workers, reload,
 * restart backoff.
 *
 * May import: server/ and everything it may import.
 */
export * from './backoff.js';
export * from './cluster.js';
export * from './reload.js';
export * from './start.js';
