/**
 * server/: the listening server and the routing decision. route.ts decides what answers a
 * request (pure, shared by every server path); handler.ts is the node:http path; server.ts
 * keeps the lifecycle: listen, timeouts and limits, drain, the index swap.
 *
 * May import: http/, config/, respond/, static/, media/, proxy/, observe/, the basics.
 */
export * from './connections.js';
export * from './drain.js';
export * from './fast-lane.js';
export * from './handler.js';
export * from './health.js';
export * from './lane-answers.js';
export * from './llhttp.js';
export * from './route.js';
export * from './server.js';
export * from './service.js';
export * from './stall.js';
