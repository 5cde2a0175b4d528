/**
 * The send timeout against the real process: a client that takes nothing of a large answer
 * is disconnected and the server's descriptors return to where they were (static file,
 * media file); a proxied answer's upstream request is let go; a slow reader that keeps
 * taking bytes gets the whole body.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable, pipeline } from 'node:stream';
import t, { type Test } from 'tap';
import { requestBytes } from '../helpers/raw-http.js';
import { eventually, request, startAssetd, type Started } from '../helpers/run.js';
import { bigContent } from '../helpers/site.js';

const BIG = 32 * 1024 * 1024;
const SLOW = 16 * 1024 * 1024;
const SEND_TIMEOUT = 1500;

function tree(t: Test): { root: string; media: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-send-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'static');
  const media = path.join(dir, 'media');
  fs.mkdirSync(root);
  fs.mkdirSync(media);
  fs.writeFileSync(path.join(root, 'big.bin'), bigContent(BIG));
  fs.writeFileSync(path.join(root, 'slow.bin'), bigContent(SLOW));
  fs.writeFileSync(path.join(root, 'app.css'), 'body{}\n');
  fs.writeFileSync(path.join(media, 'upload.bin'), bigContent(BIG));
  return { root, media };
}

const fds = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;

/** Descriptors settle asynchronously: the count once it has stopped changing (bounded). */
async function settledFds(pid: number): Promise<number> {
  let last = fds(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = fds(pid);
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** Ask for `target` and read nothing; resolves with the client socket once bytes arrived. */
function stalledClient(t: Test, port: number, target: string): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    t.teardown(() => s.destroy());
    s.on('error', () => {});
    s.once('readable', () => resolve(s));
    s.pause();
    s.write(requestBytes(target, { headers: [['Connection', 'keep-alive']] }));
  });
}

/** Read what is left and wait for the end of the connection (bounded): the bytes received. */
function drainClient(s: net.Socket, ms = 10_000): Promise<{ bytes: number; closed: boolean }> {
  return new Promise((resolve) => {
    let bytes = 0;
    const timer = setTimeout(() => resolve({ bytes, closed: false }), ms);
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes, closed: true });
    });
    s.resume();
  });
}

async function server(t: Test, args: string[]): Promise<Started> {
  const s = await startAssetd(['serve', '--port', '0', '--access-log', 'off', '--send-timeout', String(SEND_TIMEOUT), ...args]);
  t.teardown(s.stop);
  return s;
}

for (const [what, target] of [
  ['a static file streamed from disk', '/static/big.bin'],
  ['a media file', '/media/upload.bin'],
] as const) {
  t.test(`send timeout: a client that reads nothing of ${what} is disconnected and its descriptors freed`, async (t) => {
    const { root, media } = tree(t);
    const s = await server(t, ['--root', root, '--media-root', media]);
    const pid = s.proc.pid!;
    // warm up: lazily opened handles are not leaks
    t.equal((await request(s.url + target)).body.length, BIG, 'the whole file for a reading client');
    const baseline = await settledFds(pid);
    const client = await stalledClient(t, s.port, target);
    t.ok(await eventually(() => fds(pid) > baseline, 5000), 'the stalled answer holds a socket and a file open');
    t.ok(await eventually(() => fds(pid) <= baseline, SEND_TIMEOUT * 10), `descriptors back to ${baseline} (now ${fds(pid)})`);
    const rest = await drainClient(client);
    t.ok(rest.closed, 'the server closed the connection');
    t.ok(rest.bytes < BIG, `the client got ${rest.bytes} bytes in all, not the whole ${BIG}`);
    t.equal((await request(s.url + '/static/app.css')).status, 200, 'others are still served');
  });
}

t.test('send timeout: a slow reader that keeps taking bytes gets the whole body', async (t) => {
  const { root } = tree(t);
  const s = await server(t, ['--root', root]);
  const started = Date.now();
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.connect(s.port, '127.0.0.1');
    c.on('error', reject);
    // one chunk, then a pause: a few MB/s, so the answer takes longer than the send timeout,
    // while the server's writes (which progress in bursts, as the client's TCP window reopens)
    // keep completing well within it
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      c.pause();
      setTimeout(() => c.resume(), 10);
    });
    c.on('close', () => resolve(Buffer.concat(chunks)));
    c.write(requestBytes('/static/slow.bin'));
  });
  const head = body.indexOf('\r\n\r\n');
  t.comment(`${body.length} bytes in ${Date.now() - started} ms`);
  t.match(body.subarray(0, head).toString('latin1'), /^HTTP\/1\.1 200 /);
  t.ok(body.subarray(head + 4).equals(bigContent(SLOW)), 'every byte, in order');
});

t.test('send timeout: a proxied answer nobody reads is cut, and the app sees its answer abandoned', async (t) => {
  const { root } = tree(t);
  const content = bigContent(BIG);
  let appAborted = false;
  let appFinished = false;
  const app = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(BIG) });
    const step = 256 * 1024;
    const body = Readable.from(
      (function* () {
        for (let off = 0; off < BIG; off += step) yield content.subarray(off, off + step);
      })(),
    );
    // the app's side: its answer ends whole, or the connection to it closes first
    pipeline(body, res, (e) => (e ? (appAborted = true) : (appFinished = true)));
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => app.close());
  t.teardown(() => app.closeAllConnections());
  const s = await server(t, ['--root', root, '--upstream', `http://127.0.0.1:${(app.address() as net.AddressInfo).port}`]);
  const client = await stalledClient(t, s.port, '/app/huge');
  t.ok(await eventually(() => appAborted || appFinished, SEND_TIMEOUT * 10), 'the app saw the end of its answer');
  t.ok(appAborted && !appFinished, 'the upstream request was abandoned, not read to the end');
  const rest = await drainClient(client);
  t.ok(rest.closed, 'the server closed the client connection');
  t.ok(rest.bytes < BIG, `the client got ${rest.bytes} bytes in all, not the whole ${BIG}`);
});
