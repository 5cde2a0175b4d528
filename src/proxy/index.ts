/**
 * proxy/: the app behind assetd: forwarding (forward.ts) over our own client of the app
 * (upstream*.ts: kept-alive connections read by node's llhttp), request body timeouts,
 * WebSocket upgrades, and X-Accel-Redirect (accel.ts), the one named edge into static/ and
 * media/: the app's answer names a file one of them serves.
 *
 * May import: http/, config/, respond/, observe/, the basics; accel.ts also static/ and media/.
 */
export * from './accel.js';
export * from './body-timeout.js';
export * from './forward.js';
export * from './upgrade.js';
export * from './upstream.js';
export * from './upstream-pool.js';
