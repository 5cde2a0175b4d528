/**
 * config/: the configuration. One schema (schema.ts: every key, its kind, default, flag,
 * ASSETD_* variable and description) from which validation (resolve.ts), `--help` and the
 * README reference (reference.ts) come; loading the layers (load.ts: flags, variables, the
 * JSON file) is kept apart from validating them; checks.ts holds the rules across keys.
 *
 * May import: http/ (upstream parsing, the inert types), manifest/types, the basics
 * (errors, log). Imported by everything that reads a setting.
 */
export * from './checks.js';
export * from './load.js';
export * from './reference.js';
export * from './resolve.js';
export * from './schema.js';
export * from './secret.js';
export * from './types.js';
