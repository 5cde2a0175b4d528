/**
 * The package's public entry (package.json "main"): the engine for use from code. The
 * `assetd` command (bin/assetd.js → cli.ts) is built on the same pieces.
 */
export { UserError, isUserError } from './errors.js';
export { VERSION } from './version.js';
export { resolveConfig, loadConfig, type Config, type StaticMount, type MediaMount, type ConfigSources } from './config/index.js';
export { buildIndex, type StaticIndex, type MountIndex, type FileEntry, type Representation } from './static/index.js';
export { createAssetServer, type AssetServer, type ServerOptions } from './server/index.js';
export { startServer, type Running } from './runtime/index.js';
