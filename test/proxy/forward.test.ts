import crypto from 'node:crypto';
import http from 'node:http';
import t from 'tap';
import { closeServer, listen, request, startStack, waitFor } from '../helpers/stack.js';

t.setTimeout(60_000);

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

/** An app that records what it received and answers 200 with a short body. */
function recorder(seen: Seen[]): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('app\n');
    });
  };
}

function headerValues(raw: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) out.push(raw[i + 1]);
  return out;
}

t.test('method, path, query, headers and body reach the app exactly', async (t) => {
  const seen: Seen[] = [];
  const s = await startStack(t, { app: recorder(seen) });
  const body = crypto.randomBytes(70_000);
  const target = '/app/a%20b/%C3%A9t%C3%A9/c;p=1?x=1&y=%2F&z=a+b&x=2';
  const r = await request(s.url, {
    method: 'PATCH',
    path: target,
    headers: [
      'Host', 'shop.example',
      'X-Custom', 'one',
      'X-Custom', 'two',
      'Cookie', 'sid=abc',
      'Authorization', 'Bearer tok',
      'Content-Type', 'application/octet-stream',
      'Content-Length', String(body.length),
      'Connection', 'keep-alive, X-Hop',
      'X-Hop', 'must not pass',
      'Keep-Alive', 'timeout=9',
      'TE', 'trailers',
      'Proxy-Authorization', 'Basic abc',
      'X-Forwarded-For', '203.0.113.9',
    ],
    body,
  });
  t.equal(r.status, 200);
  t.equal(r.body.toString(), 'app\n');
  t.equal(seen.length, 1);
  const got = seen[0];
  t.equal(got.method, 'PATCH');
  t.equal(got.url, target, 'path and query are passed byte for byte');
  t.ok(got.body.equals(body), 'body passed exactly');
  t.same(headerValues(got.rawHeaders, 'x-custom'), ['one', 'two']);
  t.same(headerValues(got.rawHeaders, 'cookie'), ['sid=abc']);
  t.same(headerValues(got.rawHeaders, 'authorization'), ['Bearer tok']);
  t.same(headerValues(got.rawHeaders, 'host'), ['shop.example'], "the client's Host is kept");
  t.same(headerValues(got.rawHeaders, 'content-length'), [String(body.length)]);
  for (const hop of ['x-hop', 'keep-alive', 'te', 'proxy-authorization']) t.same(headerValues(got.rawHeaders, hop), [], `${hop} dropped`);
  t.same(headerValues(got.rawHeaders, 'x-forwarded-for'), ['203.0.113.9, 127.0.0.1']);
  t.same(headerValues(got.rawHeaders, 'x-forwarded-proto'), ['http']);
  t.same(headerValues(got.rawHeaders, 'x-forwarded-host'), ['shop.example']);
});

t.test('a chunked request body streams through intact', async (t) => {
  const seen: Seen[] = [];
  const s = await startStack(t, { app: recorder(seen) });
  const parts = [crypto.randomBytes(1000), crypto.randomBytes(200_000), crypto.randomBytes(7)];
  const u = new URL(s.url);
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/upload', agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
  t.equal(status, 200);
  t.ok(seen[0].body.equals(Buffer.concat(parts)));
  t.same(headerValues(seen[0].rawHeaders, 'transfer-encoding'), ['chunked'], 'sent on as chunked (its own hop)');
});

t.test('responses pass through: status, reason, every Set-Cookie, body bytes; hop-by-hop dropped', async (t) => {
  const payload = crypto.randomBytes(150_000);
  const s = await startStack(t, {
    app: (req, res) => {
      if (req.url === '/nocontent') {
        res.writeHead(204, { 'X-Kind': 'empty' });
        res.end();
        return;
      }
      if (req.url === '/notmodified') {
        res.writeHead(304, { ETag: '"v1"' });
        res.end();
        return;
      }
      res.writeHead(201, 'Made It', [
        ['Set-Cookie', 'a=1; Path=/'],
        ['Set-Cookie', 'b=2; HttpOnly'],
        ['Content-Type', 'application/octet-stream'],
        ['Content-Length', String(payload.length)],
        ['Connection', 'X-Private'],
        ['X-Private', 'hop'],
        ['Keep-Alive', 'timeout=1'],
        ['X-Accel-Buffering', 'no'],
        ['X-App', 'yes'],
      ].flat());
      res.end(req.method === 'HEAD' ? undefined : payload);
    },
  });
  const r = await request(s.url, { path: '/thing' });
  t.equal(r.status, 201);
  t.equal(r.statusMessage, 'Made It');
  t.same(headerValues(r.rawHeaders, 'set-cookie'), ['a=1; Path=/', 'b=2; HttpOnly'], 'each Set-Cookie on its own line');
  t.equal(r.headers['content-length'], String(payload.length));
  t.equal(r.headers['x-app'], 'yes');
  t.equal(r.headers['x-private'], undefined);
  t.equal(r.headers['x-accel-buffering'], undefined);
  t.notMatch(r.headers['keep-alive'] ?? '', /timeout=1/);
  t.ok(r.body.equals(payload), 'body unchanged');
  const head = await request(s.url, { method: 'HEAD', path: '/thing' });
  t.equal(head.status, 201);
  t.equal(head.body.length, 0);
  const nc = await request(s.url, { path: '/nocontent' });
  t.equal(nc.status, 204);
  t.equal(nc.headers['x-kind'], 'empty');
  t.equal(nc.body.length, 0);
  const nm = await request(s.url, { path: '/notmodified' });
  t.equal(nm.status, 304);
  t.equal(nm.headers.etag, '"v1"');
  t.equal(nm.body.length, 0);
});

t.test('routing: static first, mounts own their prefix, fallthrough and internal', async (t) => {
  const seen: Seen[] = [];
  const s = await startStack(t, {
    app: recorder(seen),
    files: { 'static/app.css': 'body{}\n', 'media/a.txt': 'a\n', 'prot/secret.txt': 'secret\n' },
    config: {
      static: [
        { prefix: '/static/', root: 'static' },
        { prefix: '/media/', root: 'media', fallthrough: true },
        { prefix: '/protected/', root: 'prot', internal: true },
      ],
    },
  });
  const css = await request(s.url, { path: '/static/app.css' });
  t.equal(css.status, 200);
  t.equal(css.body.toString(), 'body{}\n');
  t.equal((await request(s.url, { path: '/static/missing.css' })).status, 404, 'a mount without fallthrough keeps its 404');
  t.equal((await request(s.url, { method: 'POST', path: '/static/x', body: 'x' })).status, 405);
  t.equal((await request(s.url, { path: '/media/a.txt' })).body.toString(), 'a\n');
  const ft = await request(s.url, { path: '/media/generated/thumb.png?s=2' });
  t.equal(ft.body.toString(), 'app\n', 'fallthrough: not indexed, so the app answers');
  t.equal((await request(s.url, { path: '/protected/secret.txt' })).status, 404, 'internal mount refuses direct requests');
  t.equal((await request(s.url, { path: '/anything/else' })).body.toString(), 'app\n');
  t.same(
    seen.map((x) => x.url),
    ['/media/generated/thumb.png?s=2', '/anything/else'],
    'only unclaimed requests reached the app',
  );
});

t.test('without an upstream, unclaimed requests are 404', async (t) => {
  const s = await startStack(t, { app: 'none', config: { static: [{ prefix: '/static/', root: 'static', fallthrough: true }] } });
  t.equal((await request(s.url, { path: '/app/' })).status, 404);
  t.equal((await request(s.url, { path: '/static/nope' })).status, 404);
  t.equal((await request(s.url, { path: '/static/app.css' })).status, 200);
});

t.test('keepHost false sends the upstream host', async (t) => {
  const seen: Seen[] = [];
  const s = await startStack(t, { app: recorder(seen), config: { upstreamKeepHost: false } });
  await request(s.url, { path: '/', headers: { Host: 'shop.example' } });
  t.same(headerValues(seen[0].rawHeaders, 'host'), [`127.0.0.1:${s.upstreamPort}`]);
  t.same(headerValues(seen[0].rawHeaders, 'x-forwarded-host'), ['shop.example']);
});

t.test('refused upstream gives 502 and a log line; the proxy recovers when the app comes back', async (t) => {
  const s = await startStack(t, { app: 'dead' });
  const r = await request(s.url, { path: '/app/' });
  t.equal(r.status, 502);
  t.match(r.body.toString(), /Bad Gateway/);
  t.ok(
    s.logs.some((l) => l.includes(`upstream http://127.0.0.1:${s.upstreamPort}`) && l.includes('connection refused') && l.includes('502')),
    'the log line names the upstream',
  );
  const app = http.createServer((_req, res) => res.end('back\n'));
  await listen(app, s.upstreamPort);
  t.teardown(() => closeServer(app));
  const again = await request(s.url, { path: '/app/' });
  t.equal(again.status, 200);
  t.equal(again.body.toString(), 'back\n');
});

t.test('an app that sends no headers in time gives 504', async (t) => {
  const held: http.ServerResponse[] = [];
  const s = await startStack(t, { app: (_req, res) => void held.push(res), config: { upstreamHeadersTimeout: 300 } });
  t.teardown(() => held.forEach((r) => r.destroy()));
  const r = await request(s.url, { path: '/slow' });
  t.equal(r.status, 504);
  t.ok(s.logs.some((l) => l.includes('/slow') && l.includes('no response headers within 300 ms') && l.includes('504')));
});

t.test('a body that stalls past the body timeout closes the client connection', async (t) => {
  const held: http.ServerResponse[] = [];
  const s = await startStack(t, {
    app: (_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write('x'.repeat(100));
      held.push(res);
    },
    config: { upstreamBodyTimeout: 300 },
  });
  t.teardown(() => held.forEach((r) => r.destroy()));
  const r = await request(s.url, { path: '/stall' });
  t.equal(r.status, 200);
  t.equal(r.complete, false, 'the client sees a broken response, not a short one passed off as whole');
  t.ok(r.body.length < 1000);
});

t.test('an app that dies mid-body breaks the client connection', async (t) => {
  for (const chunked of [false, true]) {
    const s = await startStack(t, {
      app: (_req, res) => {
        res.writeHead(200, chunked ? {} : { 'Content-Length': '100000' });
        res.write(Buffer.alloc(5000, 1), () => setTimeout(() => res.socket?.destroy(), 50));
      },
    });
    const r = await request(s.url, { path: '/die' });
    t.equal(r.status, 200);
    t.equal(r.complete, false, `${chunked ? 'chunked' : 'Content-Length'}: truncated body is not passed off as complete`);
    t.ok(r.body.length < 100000);
    await waitFor('a log line', () => s.logs.find((l) => l.includes('/die') && l.includes('client connection closed')));
  }
});

t.test('a client that disconnects aborts its upstream request', async (t) => {
  let upstreamClosed = false;
  let upstreamGot: (() => void) | undefined;
  const gotIt = new Promise<void>((r) => (upstreamGot = r));
  const s = await startStack(t, {
    app: (req, res) => {
      res.on('close', () => {
        if (!res.writableFinished) upstreamClosed = true;
      });
      req.resume();
      upstreamGot!();
      // never answers: only the client going away can end this request
    },
  });
  const u = new URL(s.url);
  const req = http.request({ host: u.hostname, port: u.port, path: '/long-poll', agent: false });
  req.on('error', () => {});
  req.end();
  await gotIt;
  req.destroy();
  await waitFor('the upstream request to be aborted', () => upstreamClosed || undefined);
  t.ok(upstreamClosed);
});

t.test('request bodies over maxBodySize get 413 before more is forwarded', async (t) => {
  const seen: Seen[] = [];
  let bytesSeen = 0;
  const s = await startStack(t, {
    app: (req, res) => {
      req.on('data', (c: Buffer) => (bytesSeen += c.length));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.alloc(0) });
        res.end('app\n');
      });
      req.on('error', () => {});
    },
    config: { maxBodySize: 100_000 },
  });
  const big = await request(s.url, { method: 'POST', path: '/up', body: Buffer.alloc(100_001) });
  t.equal(big.status, 413);
  t.equal(seen.length, 0, 'a declared length over the limit never reaches the app');
  const ok = await request(s.url, { method: 'POST', path: '/up', body: Buffer.alloc(100_000) });
  t.equal(ok.status, 200, 'exactly the limit passes');
  bytesSeen = 0;
  // chunked: the size is only known while it streams
  const u = new URL(s.url);
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/chunked', agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    let sent = 0;
    const pump = () => {
      while (sent < 1_000_000) {
        sent += 10_000;
        if (!req.write(Buffer.alloc(10_000))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  t.equal(status, 413);
  t.ok(bytesSeen <= 100_000 + 64 * 1024, `the app saw at most about the limit (${bytesSeen} bytes)`);
  t.ok(s.logs.some((l) => l.includes('/chunked') && l.includes('413')));
});

t.test('X-Accel-Redirect serves the file from an internal mount with the app headers', async (t) => {
  const pdf = crypto.randomBytes(300_000);
  const s = await startStack(t, {
    files: { 'static/app.css': 'body{}\n', 'prot/invoices/42.pdf': pdf, 'prot/invoices/a b.txt': 'spaced\n', 'secret.txt': 'never\n' },
    config: {
      static: [
        { prefix: '/static/', root: 'static' },
        { prefix: '/protected/', root: 'prot', internal: true },
      ],
      memoryThreshold: 1000,
    },
    app: (req, res) => {
      const u = new URL(req.url!, 'http://x');
      const to = u.searchParams.get('to');
      if (to === null) {
        res.writeHead(403, { 'Content-Type': 'text/plain' });
        res.end('no\n');
        return;
      }
      res.writeHead(200, {
        'X-Accel-Redirect': to,
        'Content-Type': 'application/pdf',
        'Content-Disposition': 'attachment; filename="invoice-42.pdf"',
        'Cache-Control': 'private, no-store',
        'Set-Cookie': 'seen=1',
        'Content-Length': '15',
      });
      res.end('app body, unused');
    },
  });
  const r = await request(s.url, { path: '/invoice/42?to=/protected/invoices/42.pdf' });
  t.equal(r.status, 200);
  t.ok(r.body.equals(pdf), 'the file bytes, streamed from disk');
  t.equal(r.headers['content-type'], 'application/pdf');
  t.equal(r.headers['content-disposition'], 'attachment; filename="invoice-42.pdf"');
  t.equal(r.headers['cache-control'], 'private, no-store');
  t.equal(r.headers['content-length'], String(pdf.length));
  t.same(r.headers['set-cookie'], ['seen=1']);
  t.equal(r.headers['x-accel-redirect'], undefined, 'the control header is stripped');
  t.ok(r.headers.etag, 'the file keeps its validators');

  const part = await request(s.url, { path: '/invoice/42?to=/protected/invoices/42.pdf', headers: { Range: 'bytes=10-19' } });
  t.equal(part.status, 206);
  t.ok(part.body.equals(pdf.subarray(10, 20)));

  const cond = await request(s.url, { path: '/invoice/42?to=/protected/invoices/42.pdf', headers: { 'If-None-Match': r.headers.etag! } });
  t.equal(cond.status, 304);

  const post = await request(s.url, { method: 'POST', path: '/invoice/42?to=/protected/invoices/42.pdf', body: 'form=1' });
  t.equal(post.status, 200, 'a POST the app answered with a redirect gets the file');
  t.equal(post.body.length, pdf.length);

  const enc = await request(s.url, { path: '/x?to=' + encodeURIComponent('/protected/invoices/a%20b.txt') });
  t.equal(enc.body.toString(), 'spaced\n', 'the redirect path is percent-decoded once');

  const pub = await request(s.url, { path: '/x?to=/static/app.css' });
  t.equal(pub.body.toString(), 'body{}\n', 'a public mount is reachable too');

  t.equal((await request(s.url, { path: '/invoice/42' })).status, 403, 'the app still decides');
});

t.test('X-Accel-Redirect outside every mount, escaping a root or missing is a 404 and a log line', async (t) => {
  const s = await startStack(t, {
    files: { 'static/app.css': 'body{}\n', 'prot/ok.txt': 'ok\n', 'outside.txt': 'never\n', 'prot/.hidden': 'never\n' },
    config: { static: [{ prefix: '/static/', root: 'static' }, { prefix: '/protected/', root: 'prot', internal: true }] },
    app: (req, res) => {
      const to = new URL(req.url!, 'http://x').searchParams.get('to')!;
      res.writeHead(200, { 'X-Accel-Redirect': to });
      res.end();
    },
  });
  const attempts = [
    '/protected/../outside.txt',
    '/protected/%2e%2e/outside.txt',
    '/protected/..%2foutside.txt',
    '/protected/./ok.txt',
    '/../outside.txt',
    '/outside.txt',
    'protected/ok.txt',
    '/protected/.hidden',
    '/protected/missing.txt',
    '/protected/ok.txt%00',
    '/protected/',
  ];
  for (const to of attempts) {
    const before = s.logs.length;
    const r = await request(s.url, { path: '/dl?to=' + encodeURIComponent(to) });
    t.equal(r.status, 404, to);
    t.notMatch(r.body.toString(), /never|ok/, `${to}: no file bytes`);
    t.ok(
      s.logs.slice(before).some((l) => l.includes('X-Accel-Redirect') && l.includes('404')),
      `${to}: logged`,
    );
  }
  const good = await request(s.url, { path: '/dl?to=/protected/ok.txt' });
  t.equal(good.body.toString(), 'ok\n', 'the same setup serves a legitimate path');
});
