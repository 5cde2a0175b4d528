#!/usr/bin/env node
/**
 * The app behind assetd during the soak: a tiny node:http server on 127.0.0.1, port 0.
 * It prints its port on stdout and, when the parent asks over IPC ('report'), sends back
 * what it received: requests by route, and any request whose target climbs with '..' or
 * names the static tree's secret file (which must never happen).
 *
 * Routes (every path under /app/):
 *   hello          small text with a Set-Cookie
 *   page           ~20 KiB HTML
 *   big            256 KiB with Content-Length
 *   chunked        ~64 KiB in 16 chunked writes
 *   etag           ETag "v1", 304 on If-None-Match: "v1"
 *   echo           POST: answers the number of body bytes received
 *   slow           answers after 20 ms
 *   missing        404 from the app
 *   accel?to=P     X-Accel-Redirect: P (a static file served by assetd)
 *   stream         16 MiB streamed with backpressure (for downloads aborted on the side)
 *   reset          headers and 1 KiB of a promised 100 KiB, then the socket is destroyed
 *   garbage        not HTTP at all
 *   short          Content-Length: 10000 with 100 bytes, then the connection closes
 */
import http from 'node:http';

const counts = new Map();
const escapes = [];
const big = Buffer.alloc(256 * 1024, 'b');
const page = Buffer.from('<p>soak page</p>\n'.repeat(1200));
const chunk = Buffer.alloc(4096, 'c');
const mib = Buffer.alloc(1024 * 1024, 's');

const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://app');
  const route = u.pathname.startsWith('/app/') ? u.pathname.slice(5) : '(other)';
  counts.set(route, (counts.get(route) ?? 0) + 1);
  if (/\.\.|%2e|secret/i.test(req.url)) escapes.push(req.url.slice(0, 200));
  req.on('error', () => {});
  res.on('error', () => {});
  let received = 0;
  req.on('data', (c) => (received += c.length));
  req.on('end', () => {
    switch (route) {
      case 'hello':
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Set-Cookie': 'sid=soak; HttpOnly' });
        return res.end('hello from the app\n');
      case 'page':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length });
        return res.end(page);
      case 'big':
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': big.length });
        return res.end(big);
      case 'chunked': {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        for (let i = 0; i < 15; i++) res.write(chunk);
        return res.end(chunk);
      }
      case 'etag':
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { ETag: '"v1"' });
          return res.end();
        }
        res.writeHead(200, { ETag: '"v1"', 'Content-Type': 'text/plain' });
        return res.end('versioned\n');
      case 'echo':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end(`${received}\n`);
      case 'slow':
        return void setTimeout(() => res.end('slow\n'), 20);
      case 'accel':
        res.writeHead(200, { 'X-Accel-Redirect': u.searchParams.get('to') ?? '/static/none', 'Cache-Control': 'private' });
        return res.end();
      case 'stream': {
        const total = 16;
        let sent = 0;
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': total * mib.length });
        const pump = () => {
          while (sent < total) {
            sent++;
            if (sent === total) return void res.end(mib);
            if (!res.write(mib)) return void res.once('drain', pump);
          }
        };
        return pump();
      }
      case 'reset':
        res.writeHead(200, { 'Content-Length': '102400' });
        return void res.write(Buffer.alloc(1024, 'r'), () => res.socket?.destroy());
      case 'garbage':
        return void res.socket?.end('HELLO\r\n\r\n');
      case 'short':
        return void res.socket?.end(`HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n${'s'.repeat(100)}`);
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('not found in the app\n');
    }
  });
});

server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

process.on('message', (m) => {
  if (m === 'report') process.send?.({ counts: Object.fromEntries(counts), escapes: escapes.slice(0, 20), escapeCount: escapes.length });
});
process.on('disconnect', () => process.exit(0));
