import http from 'node:http';
import t from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { requestHead } from '../src/upgrade.js';
import { startStack, waitFor } from './helpers/stack.js';

t.setTimeout(60_000);

t.test('request head: request line, headers in order, blank line', async (t) => {
  t.equal(requestHead('GET', '/ws?x=1', ['Host', 'h', 'Upgrade', 'websocket']), 'GET /ws?x=1 HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n');
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
