/**
 * collect/: `assetd collect`'s engine: the source folders, the plan (content hashes and
 * rewritten references, as Django's ManifestStaticFilesStorage names them), writing the tree.
 *
 * May import: static/ (the scan), compress/, manifest/, the basics.
 */
export * from './django-manifest.js';
export * from './hash.js';
export * from './plan.js';
export * from './rewrite.js';
export * from './sources.js';
export * from './write.js';
