/**
 * The app behind the proxy in the proxy-keepalive scenario: one node:http process that
 * answers `GET /app/page` with a fixed 1 KiB HTML page and keeps connections open, so that
 * what is measured is the proxy and its connection reuse, not the app. Not a product: bench only.
 *
 *   GET /app/page      200, 1,024 bytes of text/html
 *   GET /app/headers   200, the request headers it received as JSON (what the proxy forwards)
 *   GET /app/stats     200, {"connections": N, "requests": N} since it started
 *   anything else      404
 *
 * Usage: node bench/fast-app.mjs [PORT]  (prints "fast app: listening on URL" on stderr)
 */
import http from 'node:http';

/** The page: 1,024 bytes exactly. */
const PAGE = (() => {
  const head = '<!doctype html>\n<html><head><meta charset="utf-8"><title>page</title></head><body>\n';
  const tail = '</body></html>\n';
  const line = '<p>the app answered this page from memory</p>\n';
  let body = head;
  while (body.length + line.length + tail.length + 7 <= 1024) body += line;
  return Buffer.from(body + '<!--' + '-'.repeat(1024 - body.length - tail.length - 7) + '-->' + tail);
})();

const PAGE_HEADERS = ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', String(PAGE.length), 'Cache-Control', 'private, no-cache'];
const NOT_FOUND = Buffer.from('not found\n');

let connections = 0;
let requests = 0;

function json(res, value) {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(200, ['Content-Type', 'application/json', 'Content-Length', String(body.length)]);
  res.end(body);
}

const server = http.createServer((req, res) => {
  requests++;
  if (req.method === 'GET' && req.url === '/app/page') {
    res.writeHead(200, PAGE_HEADERS);
    res.end(PAGE);
  } else if (req.method === 'GET' && req.url === '/app/headers') {
    json(res, req.headers);
  } else if (req.method === 'GET' && req.url === '/app/stats') {
    json(res, { connections, requests });
  } else {
    res.writeHead(404, ['Content-Type', 'text/plain', 'Content-Length', String(NOT_FOUND.length)]);
    res.end(NOT_FOUND);
  }
});
server.on('connection', () => connections++);
// longer than any proxy keeps an idle connection (assetd 4 s, nginx 60 s), so that the app
// never closes one under a proxy about to reuse it
server.keepAliveTimeout = 75_000;
server.headersTimeout = 80_000;

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stderr.write(`fast app: listening on http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
