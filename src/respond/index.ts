/**
 * respond/: the send edge shared by static files and media: the canned answers, the one
 * responder for a file (what http/file-answer.ts decided, written from held bytes, a path or
 * an open descriptor), streaming with backpressure and the truncation check.
 *
 * May import: http/, the basics (errors, log).
 */
export * from './clock.js';
export * from './file.js';
export * from './open-cache.js';
export * from './send.js';
