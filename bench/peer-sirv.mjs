/**
 * A peer for the small-br scenario (--peers): sirv in production mode (file list read at
 * startup) with its precompressed .br/.gz, mounted at PREFIX, with the bench's Cache-Control
 * rule. Bench only. Usage: node bench/peer-sirv.mjs ROOT PREFIX  (prints "listening on URL")
 */
import http from 'node:http';
import sirv from 'sirv';

const [root, prefix] = process.argv.slice(2);
const HASHED = /\.[0-9a-f]{12}\.[^/.]+$/;
const serve = sirv(root, {
  dev: false,
  etag: true,
  brotli: true,
  gzip: true,
  setHeaders: (res, pathname) => res.setHeader('Cache-Control', HASHED.test(pathname) ? 'public, max-age=31536000, immutable' : 'public, max-age=60'),
});
const notFound = (res) => {
  res.statusCode = 404;
  res.end('Not Found\n');
};
const server = http.createServer((req, res) => {
  if (!req.url.startsWith(prefix)) return notFound(res);
  req.url = req.url.slice(prefix.length - 1); // keep the leading slash
  serve(req, res, () => notFound(res));
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stderr.write(`sirv: listening on http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
