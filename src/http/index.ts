/**
 * http/: the pure HTTP rules, no I/O: request paths and Host, content negotiation,
 * conditionals, ranges, the answer to a file request, content types, Content-Disposition,
 * what an upload may do in a browser (active content), headers crossing the proxy, header
 * overrides, raw header blocks, the upstream address.
 *
 * May import: nothing of ours (node built-ins that do no I/O, and mime).
 */
export * from './active-content.js';
export * from './conditional.js';
export * from './content-type.js';
export * from './disposition.js';
export * from './file-answer.js';
export * from './header-overrides.js';
export * from './hop-by-hop.js';
export * from './negotiate.js';
export * from './proxy-head.js';
export * from './range.js';
export * from './raw-headers.js';
export * from './request-checks.js';
export * from './request-fields.js';
export * from './request-path.js';
export * from './response-head.js';
export * from './upstream-target.js';
