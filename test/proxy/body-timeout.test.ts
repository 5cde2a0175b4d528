/**
 * bodyTimeout: the time allowed between two reads of a request body (nginx's
 * client_body_timeout). A slow upload that keeps sending passes however long it takes; one
 * that stops gets 408 and its upstream request is aborted. Timeouts are test-sized (hundreds
 * of ms) with wide margins; the assertions are on outcomes, never on durations.
 */
import type http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { IdleWatch } from '../../src/proxy/body-timeout.js';
import { resolveConfig } from '../../src/config/index.js';
import { request, startStack, waitFor } from '../helpers/stack.js';

t.setTimeout(60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('IdleWatch: touched often it never fires; left alone it fires once; not reading never counts', async (t) => {
  let fired = 0;
  const w = new IdleWatch(300, () => true, () => fired++);
  for (let i = 0; i < 30; i++) {
    await sleep(20);
    w.touch();
  }
  t.equal(fired, 0, 'a chunk every 20 ms for 600 ms against a 300 ms idle limit');
  await waitFor('the watch to fire', () => fired > 0 || undefined, 5000);
  await sleep(400);
  t.equal(fired, 1, 'it fires once');

  let paused = 0;
  const p = new IdleWatch(50, () => false, () => paused++);
  await sleep(400);
  p.stop();
  t.equal(paused, 0, 'time spent not reading (backpressure from the app) is not the client idling');

  let stopped = 0;
  const s = new IdleWatch(50, () => true, () => stopped++);
  s.stop();
  await sleep(300);
  t.equal(stopped, 0, 'a stopped watch never fires');
});

t.test('config: bodyTimeout defaults to 60 s, requestTimeout to no total limit', async (t) => {
  const c = resolveConfig({ cwd: '/srv', flags: { root: 'static' } });
  t.equal(c.bodyTimeout, 60_000);
  t.equal(c.requestTimeout, 0);
  t.equal(resolveConfig({ cwd: '/srv', flags: { root: 'static', 'body-timeout': '0' } }).bodyTimeout, 0, '0 turns it off');
  t.equal(resolveConfig({ cwd: '/srv', flags: { root: 'static' }, env: { ASSETD_BODY_TIMEOUT: '1500' } }).bodyTimeout, 1500);
  t.throws(() => resolveConfig({ cwd: '/srv', flags: { root: 'static', 'body-timeout': 'soon' } }), /--body-timeout: expected a whole number/);
  t.throws(() => resolveConfig({ cwd: '/srv', flags: { root: 'static' }, file: { bodyTimeout: -1 } }), /bodyTimeout/);
  t.throws(() => resolveConfig({ cwd: '/srv', flags: { root: 'static', 'headers-timeout': '5000', 'request-timeout': '1000' } }), /headersTimeout \(5000 ms\) must not exceed requestTimeout \(1000 ms\)/);
});

interface Upload {
  url: string;
  bytes: number;
  complete: boolean;
}

/** An app that reads each upload and answers with its size; every upload is recorded when it ends or is cut. */
function uploadApp(uploads: Upload[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const u: Upload = { url: req.url!, bytes: 0, complete: false };
    req.on('data', (c: Buffer) => (u.bytes += c.length));
    req.on('end', () => {
      u.complete = true;
      res.end(`got ${u.bytes} bytes\n`);
    });
    req.on('close', () => uploads.push(u));
    req.on('error', () => {});
  };
}

/** A raw client: writes `head`, then each piece every `everyMs`, then `tail` (unless null); collects the answer until the server closes. */
function slowUpload(url: string, head: string, pieces: number, everyMs: number, piece: string, tail: string | null): Promise<{ raw: string; closedByServer: boolean }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const c = net.connect(Number(u.port), '127.0.0.1');
    let raw = '';
    let timer: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => done(false), 20_000);
    const done = (closedByServer: boolean) => {
      clearTimeout(limit);
      clearInterval(timer);
      c.destroy();
      resolve({ raw, closedByServer });
    };
    c.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    c.on('error', () => {});
    c.on('close', () => done(true));
    c.write(head);
    let sent = 0;
    timer = setInterval(() => {
      if (sent < pieces) {
        c.write(piece);
        sent++;
      } else {
        clearInterval(timer);
        if (tail !== null) c.write(tail);
      }
    }, everyMs);
  });
}

const CHUNKED = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
const CHUNK = 'a\r\n0123456789\r\n';

t.test('a trickling upload longer than any total limit passes; one that stops gets 408 and the app request is aborted', async (t) => {
  const uploads: Upload[] = [];
  const s = await startStack(t, { app: uploadApp(uploads), config: { bodyTimeout: 600, headersTimeout: 1000 } });

  // 40 chunks, one every 50 ms: about 2 s in all, never 600 ms without a byte
  const slow = await slowUpload(s.url, CHUNKED('/trickle'), 40, 50, CHUNK, '0\r\n\r\n');
  t.match(slow.raw, /^HTTP\/1\.1 200 /, 'the slow upload succeeds');
  t.match(slow.raw, /got 400 bytes/, 'the app received all of it');

  // 10 chunks, then silence on an open connection
  const stalled = await slowUpload(s.url, CHUNKED('/stalled'), 10, 50, CHUNK, null);
  t.match(stalled.raw, /^HTTP\/1\.1 408 Request Timeout\r\n/, 'a stalled upload is answered 408');
  t.match(stalled.raw, /\r\nConnection: close\r\n/i);
  t.ok(stalled.closedByServer, 'and its connection closed by assetd');
  const cut = await waitFor('the app to see the upload end', () => uploads.find((u) => u.url === '/stalled'));
  t.equal(cut.complete, false, 'the upstream request was aborted, not completed');
  t.ok(cut.bytes <= 100, `the app got at most what was sent (${cut.bytes} bytes)`);
  t.equal(s.logs.filter((l) => /POST \/stalled: request body idle for 600 ms \(bodyTimeout\); upstream request aborted; answered 408$/.test(l)).length, 1, s.logs.join('\n'));

  // a declared length that never arrives in full
  const short = await slowUpload(s.url, 'POST /short HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n', 3, 50, 'x'.repeat(10), null);
  t.match(short.raw, /^HTTP\/1\.1 408 /);
  t.ok(short.closedByServer);
});

t.test('an explicit requestTimeout still limits the whole request', async (t) => {
  const uploads: Upload[] = [];
  const s = await startStack(t, { app: uploadApp(uploads), config: { bodyTimeout: 600, headersTimeout: 500, requestTimeout: 1000 } });
  // the same 2 s trickle, against a 1 s total: node's own 408
  const slow = await slowUpload(s.url, CHUNKED('/trickle'), 40, 50, CHUNK, '0\r\n\r\n');
  t.match(slow.raw, /^HTTP\/1\.1 408 /, 'cut by the total limit');
  t.notMatch(slow.raw, /got 400 bytes/);
  t.ok(slow.closedByServer);
});

t.test('with no total limit, headersTimeout still bounds the header phase and bodyTimeout a body nothing reads', async (t) => {
  const s = await startStack(t, { app: uploadApp([]), config: { bodyTimeout: 600, headersTimeout: 600 } });
  // header lines trickled one every 50 ms for up to 20 s: cut by headersTimeout
  const headers = await slowUpload(s.url, 'GET /app HTTP/1.1\r\nHost: x\r\n', 400, 50, 'X-Slow: 1\r\n', null);
  t.ok(headers.closedByServer, 'a slowloris connection is closed');
  t.match(headers.raw, /^(HTTP\/1\.1 408 |$)/, 'with a 408 or nothing');
  // a body sent to a static file (405) that stops half way: the connection is closed
  const dropped = await slowUpload(s.url, 'POST /static/app.css HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n', 3, 50, 'x'.repeat(10), null);
  t.match(dropped.raw, /^HTTP\/1\.1 405 /, 'the static answer comes at once');
  t.ok(dropped.closedByServer, 'then the idle body closes the connection');
  t.ok(s.logs.some((l) => /POST "\/static\/app\.css": request body idle for 600 ms \(bodyTimeout\); connection closed$/.test(l)), s.logs.join('\n'));
});

t.test('an app that stops reading for longer than bodyTimeout does not get its client cut off', async (t) => {
  let paused = false;
  const s = await startStack(t, {
    config: { bodyTimeout: 400, maxBodySize: 0 },
    app: (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        if (!paused) {
          // the app is busy for well over bodyTimeout: backpressure holds the client, which is not idle
          paused = true;
          req.pause();
          setTimeout(() => req.resume(), 1500);
        }
      });
      req.on('end', () => res.end(`got ${n} bytes\n`));
    },
  });
  const body = Buffer.alloc(16 * 1024 * 1024, 1);
  const r = await request(s.url, { method: 'POST', path: '/busy', body, timeout: 20_000 });
  t.ok(paused, 'the app did pause');
  t.equal(r.status, 200);
  t.equal(r.body.toString(), `got ${body.length} bytes\n`, 'the whole body arrived');
  t.notOk(s.logs.some((l) => l.includes('bodyTimeout')), 'no idle timeout was logged');
});
