import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { relayFraming, responseHead } from '../../src/proxy/upgrade.js';
import { rawTcpApp } from '../helpers/raw-app.js';
import { closeServer, startStack, tempDir, waitFor } from '../helpers/stack.js';

t.setTimeout(60_000);

t.test('response head: status line, headers in order, blank line, latin1 bytes kept', async (t) => {
  t.equal(responseHead(101, 'Switching Protocols', ['Upgrade', 'websocket', 'Connection', 'Upgrade']).toString('latin1'), 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  const bytes = responseHead(403, 'No', ['X-Name', 'caf\xe9']);
  t.ok(bytes.equals(Buffer.concat([Buffer.from('HTTP/1.1 403 No\r\nX-Name: caf'), Buffer.from([0xe9]), Buffer.from('\r\n\r\n')])), 'one byte per latin1 character');
});

t.test('relay framing: no body, the app length, chunked, or the end of the connection', async (t) => {
  t.equal(relayFraming('HEAD', 403, true, false), 'none');
  t.equal(relayFraming('GET', 204, false, false), 'none');
  t.equal(relayFraming('GET', 304, false, false), 'none');
  t.equal(relayFraming('GET', 403, true, false), 'length');
  t.equal(relayFraming('GET', 400, false, false), 'chunked');
  t.equal(relayFraming('GET', 400, false, true), 'close');
});

/** An app with a WebSocket echo at /ws, a refusal at /refuse and a server-side close at /bye. */
function wsApp(t: { teardown(fn: () => unknown): void }, events: string[]) {
  const wss = new WebSocketServer({ noServer: true });
  t.teardown(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  const upgradeHeaders: http.IncomingHttpHeaders[] = [];
  const app = (_req: http.IncomingMessage, res: http.ServerResponse) => res.end('plain\n');
  const onUpgrade = (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    upgradeHeaders.push(req.headers);
    if (req.url === '/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nConnection: close\r\n\r\nno!\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('close', (code) => events.push(`app saw close ${code}`));
      if (req.url === '/bye') {
        ws.close(4001, 'server says bye');
        return;
      }
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  };
  return { app, onUpgrade, upgradeHeaders };
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 5000 });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })));
  });
}

function next(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, binary) => resolve({ data: data as Buffer, binary })));
}

t.test('WebSocket echo through the proxy, both close directions', async (t) => {
  const events: string[] = [];
  const w = wsApp(t, events);
  const s = await startStack(t, { app: w.app });
  s.upstream!.on('upgrade', w.onUpgrade);
  const wsUrl = s.url.replace('http:', 'ws:');

  const ws = await open(`${wsUrl}/ws?room=1`, { 'X-Client': 'c1' });
  t.teardown(() => ws.terminate());
  ws.send('hello');
  const a = await next(ws);
  t.equal(a.data.toString(), 'hello');
  t.equal(a.binary, false);
  const bin = Buffer.from([0, 1, 2, 250, 255]);
  ws.send(bin);
  const b = await next(ws);
  t.ok(b.data.equals(bin));
  t.equal(b.binary, true);
  const big = Buffer.alloc(1_000_000, 7);
  ws.send(big);
  t.ok((await next(ws)).data.equals(big), 'a 1 MB frame both ways');
  const h = w.upgradeHeaders[0];
  t.equal(h['x-client'], 'c1');
  t.equal(h['x-forwarded-for'], '127.0.0.1');
  t.match(h.connection ?? '', /upgrade/i);
  t.equal(h.upgrade, 'websocket');

  // client closes: the app sees it
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  ws.close(1000, 'done');
  t.equal(await closed, 1000);
  await waitFor('the app to see the close', () => events.find((e) => e === 'app saw close 1000'));

  // app closes: the client sees it
  const ws2 = await open(`${wsUrl}/bye`);
  t.teardown(() => ws2.terminate());
  const code = await new Promise<number>((r) => ws2.once('close', (c) => r(c)));
  t.equal(code, 4001);
});

t.test('an app refusing the upgrade is answered as it is; a dead app is 502; mounts do not upgrade', async (t) => {
  const events: string[] = [];
  const w = wsApp(t, events);
  const s = await startStack(t, { app: w.app });
  s.upstream!.on('upgrade', w.onUpgrade);
  const wsUrl = s.url.replace('http:', 'ws:');
  await t.rejects(open(`${wsUrl}/refuse`), { status: 403 });
  await t.rejects(open(`${wsUrl}/static/app.css`), { status: 404 });

  const dead = await startStack(t, { app: 'dead' });
  await t.rejects(open(`${dead.url.replace('http:', 'ws:')}/ws`), { status: 502 });
  t.ok(dead.logs.some((l) => l.includes('Upgrade: websocket') && l.includes('502')));
});

/**
 * A raw app: every byte it receives is recorded. The first request head on a connection is
 * refused with a 400 that keeps the connection open; any later one is answered with the
 * app's secret, so a request that reaches it by the refused connection shows in the answer.
 */
async function refusingApp(t: { teardown(fn: () => unknown): void }) {
  const received: string[] = [];
  const port = await rawTcpApp(t, (socket) => {
    let buf = '';
    let heads = 0;
    socket.on('data', (d: Buffer) => {
      received.push(d.toString('latin1'));
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        buf = buf.slice(end + 4);
        heads++;
        if (heads === 1) socket.write('HTTP/1.1 400 Bad Request\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\nX-App: refused\r\nContent-Length: 8\r\n\r\nrefused\n');
        else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nAPP-SECRET-ANSWER');
      }
    });
  });
  return { port, received: () => received.join('') };
}

const UPGRADE_REQUEST = 'GET /ws HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
const SMUGGLED = 'GET /static/../protected/secret.txt HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n';

/** Send the upgrade, read the answer, then send `later` on the same socket; everything the client got, until the server closes. */
function upgradeThenSend(port: number, first: string, later: string | undefined): Promise<{ raw: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let raw = '';
    let sent = later === undefined;
    const done = (closedByServer: boolean) => {
      clearTimeout(timer);
      c.destroy();
      resolve({ raw, closedByServer });
    };
    const timer = setTimeout(() => done(false), 3000);
    c.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      if (!sent && raw.includes('\r\n\r\n')) {
        sent = true;
        c.write(later!);
      }
    });
    c.on('error', () => {});
    c.on('close', () => done(true));
    c.write(first);
  });
}

t.test('a refused upgrade is relayed as a plain answer and closed: a second request on the socket never reaches the app', async (t) => {
  const app = await refusingApp(t);
  const s = await startStack(t, {
    app: 'none',
    files: { 'static/app.css': 'body{}\n', 'protected/secret.txt': 'PROTECTED FILE\n' },
    config: { upstream: `http://127.0.0.1:${app.port}`, static: [{ prefix: '/static/', root: 'static' }, { prefix: '/protected/', root: 'protected', internal: true }] },
  });
  const port = Number(new URL(s.url).port);

  // the second request sent after the refusal has arrived
  const a = await upgradeThenSend(port, UPGRADE_REQUEST, SMUGGLED);
  t.match(a.raw, /^HTTP\/1\.1 400 Bad Request\r\n/, "the app's status");
  t.match(a.raw, /\r\nX-App: refused\r\n/i, "the app's headers");
  t.match(a.raw, /\r\nConnection: close\r\n/i, 'Connection: close');
  t.notMatch(a.raw, /keep-alive/i, "the app's Connection: keep-alive is not relayed");
  t.match(a.raw, /\r\n\r\n(8\r\n)?refused\n/, "the app's body");
  t.notMatch(a.raw, /APP-SECRET-ANSWER|PROTECTED FILE/, 'nothing answers the second request');
  t.ok(a.closedByServer, 'assetd closed the connection');

  // the second request pipelined right behind the upgrade, in the same write
  const b = await upgradeThenSend(port, UPGRADE_REQUEST + SMUGGLED, undefined);
  t.match(b.raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.notMatch(b.raw, /APP-SECRET-ANSWER|PROTECTED FILE/);
  t.ok(b.closedByServer);

  const got = app.received();
  t.equal((got.match(/ HTTP\/1\.1\r\n/g) ?? []).length, 2, 'the app received the two upgrade requests and nothing else');
  t.notMatch(got, /secret\.txt|10\.0\.0\.1|https/, 'the smuggled request never reached the app');
});

t.test('a refusal with a chunked or close-delimited body reaches the client whole, then the connection closes', async (t) => {
  const seen: string[] = [];
  const appPort = await rawTcpApp(t, (socket) => {
    socket.once('data', (d: Buffer) => {
      const head = d.toString('latin1');
      seen.push(head.split(' ')[1]);
      if (head.startsWith('GET /chunked ')) socket.write('HTTP/1.1 426 Upgrade Required\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Accel-Redirect: /protected/x\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
      else if (head.startsWith('GET /eof ')) socket.end('HTTP/1.1 403 Forbidden\r\n\r\nuntil the end');
      else if (head.startsWith('GET /cut ')) socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\nshort');
      else socket.end('HTTP/1.1 204 No Content\r\n\r\n');
    });
  });
  const s = await startStack(t, { app: 'none', config: { upstream: `http://127.0.0.1:${appPort}` } });
  const port = Number(new URL(s.url).port);
  const ask = (p: string) => upgradeThenSend(port, UPGRADE_REQUEST.replace('GET /ws ', `GET ${p} `), undefined);

  const c = await ask('/chunked');
  t.match(c.raw, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
  t.match(c.raw, /\r\nTransfer-Encoding: chunked\r\n/i);
  t.match(c.raw, /\r\nConnection: close\r\n/i);
  t.notMatch(c.raw, /X-Hop|X-Accel|keep-alive/i, 'hop-by-hop, Connection-listed and X-Accel-* headers dropped');
  t.equal((c.raw.match(/\r\nSet-Cookie: /gi) ?? []).length, 2, 'each Set-Cookie on its own line');
  t.match(c.raw, /\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n$/, 'the body, chunked, with its last chunk');
  t.ok(c.closedByServer);

  const e = await ask('/eof');
  t.match(e.raw, /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*\r\n\r\n[0-9a-f]+\r\nuntil the end\r\n0\r\n\r\n$/i, 'a close-delimited body is sent chunked, whole');

  const cut = await ask('/cut');
  t.match(cut.raw, /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*Content-Length: 100\r\n[\s\S]*\r\n\r\nshort$/i, 'a body the app cuts short stays short');
  t.ok(cut.closedByServer, 'and the connection is closed, not left to look complete');

  const n = await ask('/none');
  t.match(n.raw, /^HTTP\/1\.1 204 No Content\r\n/);
  t.notMatch(n.raw, /Transfer-Encoding|Content-Length/i, 'no body, no framing headers');

  // an Upgrade request that declares a body is refused before anything reaches the app
  const before = seen.length;
  const body = await upgradeThenSend(port, UPGRADE_REQUEST.replace('\r\n\r\n', '\r\nContent-Length: 5\r\n\r\nhello'), undefined);
  t.match(body.raw, /^HTTP\/1\.1 400 /);
  t.equal(seen.length, before, 'the app received nothing');
});

t.test('WebSocket echo to an app on a unix socket; an app that never answers the upgrade is a 504', async (t) => {
  const events: string[] = [];
  const w = wsApp(t, events);
  const dir = tempDir(t);
  const sock = path.join(dir, 'app.sock');
  const app = http.createServer(w.app);
  app.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    // never answers; closes when assetd gives up (node's server sockets stay half-open otherwise)
    if (req.url === '/silent') return void socket.once('end', () => socket.destroy());
    w.onUpgrade(req, socket, head);
  });
  await new Promise<void>((r) => app.listen(sock, r));
  t.teardown(() => closeServer(app));
  const s = await startStack(t, { app: 'none', config: { upstream: `unix:${sock}`, upstreamHeadersTimeout: 300 } });
  const wsUrl = s.url.replace('http:', 'ws:');
  const ws = await open(`${wsUrl}/ws`);
  t.teardown(() => ws.terminate());
  ws.send('over a unix socket');
  t.equal((await next(ws)).data.toString(), 'over a unix socket');
  t.equal(w.upgradeHeaders[0].host, s.url.slice('http://'.length), "the client's Host is kept");
  await t.rejects(open(`${wsUrl}/silent`), { status: 504 });
  t.ok(s.logs.some((l) => /\/silent \(Upgrade: websocket\): no answer within 300 ms; answered 504$/.test(l)), s.logs.join('\n'));
});
