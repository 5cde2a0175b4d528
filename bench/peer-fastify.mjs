/**
 * A peer for the small-br scenario (--peers): fastify with @fastify/static, preCompressed
 * (.br/.gz next to the original), mounted at PREFIX, with the bench's Cache-Control rule.
 * Bench only. Usage: node bench/peer-fastify.mjs ROOT PREFIX  (prints "listening on URL")
 */
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';

const [root, prefix] = process.argv.slice(2);
const HASHED = /\.[0-9a-f]{12}\.[^/.]+$/;
const app = Fastify({ logger: false });
await app.register(fastifyStatic, {
  root,
  prefix,
  preCompressed: true,
  cacheControl: false,
  etag: true,
  lastModified: true,
  // the path given is the variant's (name.css.br): the rule looks at the name without it
  setHeaders: (reply, p) => reply.header('Cache-Control', HASHED.test(p.replace(/\.(br|gz)$/, '')) ? 'public, max-age=31536000, immutable' : 'public, max-age=60'),
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stderr.write(`fastify-static: listening on ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
