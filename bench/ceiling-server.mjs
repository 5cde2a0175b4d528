/**
 * The Node ceiling: a bare node:http server answering from precomputed Buffers and header
 * lists, with no routing beyond one Map lookup and no negotiation beyond a substring test.
 * What assetd would score if it did nothing but write the bytes. Not a product: bench only.
 * Usage: node bench/ceiling-server.mjs ROOT PREFIX FILE[,FILE...] [PROCESSES]  (prints "listening on URL")
 * With PROCESSES > 1, that many node:cluster workers share the port, as assetd's workers do.
 */
import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [root, prefix, list, count = '1'] = process.argv.slice(2);
const processes = Number(count);
const TYPES = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
const HASHED = /\.[0-9a-f]{12}\.[^/.]+$/;
const table = new Map();
for (const rel of list.split(',').filter(Boolean)) {
  const reps = {};
  for (const [coding, suffix] of [['br', '.br'], ['gzip', '.gz'], ['identity', '']]) {
    const file = path.join(root, rel + suffix);
    if (!fs.existsSync(file)) continue;
    const body = fs.readFileSync(file);
    const st = fs.statSync(file);
    const etag = `"${Math.floor(st.mtimeMs / 1000).toString(16)}-${st.size.toString(16)}${coding === 'identity' ? '' : '-' + coding}"`;
    const common = [
      'ETag', etag,
      'Last-Modified', new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString(),
      'Cache-Control', HASHED.test(rel) ? 'public, max-age=31536000, immutable' : 'public, max-age=60',
      'Vary', 'Accept-Encoding',
      'Access-Control-Allow-Origin', '*',
      'X-Content-Type-Options', 'nosniff',
    ];
    const entity = ['Content-Type', TYPES[rel.split('.').pop()] ?? 'application/octet-stream', ...(coding === 'identity' ? [] : ['Content-Encoding', coding])];
    reps[coding] = { body, etag, h200: [...entity, 'Content-Length', String(body.length), 'Accept-Ranges', 'bytes', ...common], h304: common };
  }
  table.set(prefix + rel, reps);
}
const NOT_FOUND = Buffer.from('Not Found\n');
const H404 = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(NOT_FOUND.length)];

function answer(req, res) {
  const reps = table.get(req.url);
  if (reps === undefined) {
    res.writeHead(404, H404);
    res.end(NOT_FOUND);
    return;
  }
  const ae = req.headers['accept-encoding'] ?? '';
  const r = (reps.br && ae.includes('br') && reps.br) || (reps.gzip && ae.includes('gzip') && reps.gzip) || reps.identity;
  if (req.headers['if-none-match'] === r.etag) {
    res.writeHead(304, r.h304);
    res.end();
    return;
  }
  res.writeHead(200, r.h200);
  res.end(r.body);
}

if (cluster.isPrimary && processes > 1) {
  // the primary serves nothing: its workers share one port
  let listening = 0;
  let stopping = false;
  for (let i = 0; i < processes; i++) {
    cluster.fork().on('listening', (addr) => {
      if (++listening === processes) process.stderr.write(`ceiling: listening on http://127.0.0.1:${addr.port} (${processes} processes)\n`);
    });
  }
  cluster.on('exit', () => {
    if (!stopping) process.exit(1);
    else if (Object.values(cluster.workers ?? {}).every((w) => !w || w.isDead())) process.exit(0);
  });
  process.on('SIGTERM', () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  });
} else {
  const server = http.createServer(answer);
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1', () => {
    if (!cluster.isWorker) process.stderr.write(`ceiling: listening on http://127.0.0.1:${server.address().port}\n`);
  });
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
