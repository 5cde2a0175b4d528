/**
 * media/: the media mounts: user uploads, checked before they are opened (resolve.ts), their
 * headers (attachment or inline, always in a CSP sandbox), signed links, and answering them.
 *
 * May import: http/, config/, respond/, the basics.
 */
export * from './answer.js';
export * from './headers.js';
export * from './resolve.js';
export * from './sign.js';
