/**
 * observe/: what the server tells about itself: the metrics, the access log, and the observer
 * that feeds both once per response.
 *
 * May import: http/, config/, the basics.
 */
export * from './access-log.js';
export * from './metrics.js';
export * from './observer.js';
