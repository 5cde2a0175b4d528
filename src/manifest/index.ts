/**
 * manifest/: the manifests of build tools (Django's staticfiles.json, Vite, flat name maps,
 * Sprockets), found and read into one shape: logical name to hashed name.
 *
 * May import: the basics.
 */
export * from './common.js';
export * from './django.js';
export * from './find.js';
export * from './flat.js';
export * from './sprockets.js';
export * from './types.js';
export * from './vite.js';
