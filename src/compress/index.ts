/**
 * compress/: which files are worth compressing, the codecs, and writing .br/.gz variants
 * beside the originals (`assetd compress`).
 *
 * May import: the basics.
 */
export * from './codecs.js';
export * from './limiter.js';
export * from './policy.js';
export * from './run.js';
export * from './variant.js';
