/**
 * static/: the static mounts: the startup scan (and its worker thread for reloads), the index
 * with each representation's header blocks computed once, and answering from it.
 *
 * May import: http/, config/, respond/, manifest/, compress/ (the policy), the basics.
 */
export * from './answer.js';
export * from './build.js';
export * from './entry.js';
export * from './scan.js';
export * from './scan-thread.js';
export * from './slices.js';
export * from './wire.js';
