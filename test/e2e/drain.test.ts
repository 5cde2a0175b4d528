/**
 * SIGTERM from outside, against the real process: while a slow download is in flight the
 * server keeps accepting, answers health with 503 and closes every connection after its
 * answer; idle keep-alive connections are closed; the download completes; exit 0. In one
 * process and with two workers (the primary passes the signal on; the port is shared).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { rawRequest, requestBytes, type RawResponse } from '../helpers/raw-http.js';
import { startAssetd, type Started } from '../helpers/run.js';
import { bigContent } from '../helpers/site.js';

const BIG = 32 * 1024 * 1024;

function tree(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-drain-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'big.bin'), bigContent(BIG));
  fs.writeFileSync(path.join(dir, 'app.css'), 'body{}\n');
  return dir;
}

async function start(t: Test, args: string[]): Promise<Started & { exited: Promise<number | null> }> {
  const s = await startAssetd(['serve', '--port', '0', '--access-log', 'off', ...args]);
  t.teardown(s.stop);
  const exited = new Promise<number | null>((resolve) => {
    if (s.proc.exitCode !== null) resolve(s.proc.exitCode);
    else s.proc.once('exit', (code) => resolve(code));
  });
  return { ...s, exited };
}

/** A download the client stops reading after its first bytes; `finish()` reads the rest. */
function pausedDownload(t: Test, port: number): Promise<{ finish(): Promise<{ head: string; body: Buffer; closedByServer: boolean }> }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    t.teardown(() => s.destroy());
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.once('data', () => {
      s.pause();
      resolve({
        finish: () =>
          new Promise((done) => {
            s.once('close', () => {
              const all = Buffer.concat(chunks);
              const end = all.indexOf('\r\n\r\n');
              done({ head: all.subarray(0, end).toString('latin1'), body: all.subarray(end + 4), closedByServer: true });
            });
            s.resume();
          }),
      });
    });
    // keep-alive asked for: that the connection closes after the answer is the drain's doing
    s.write(requestBytes('/static/big.bin', { headers: [['Connection', 'keep-alive']] }));
  });
}

/** An idle keep-alive connection (one answered request); resolves to a promise of its close. */
async function idleKeepAlive(t: Test, url: string): Promise<Promise<void>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    http
      .get(url + '/static/app.css', { agent }, (res) => {
        res.resume();
        res.on('end', () => setImmediate(() => resolve(Object.values(agent.freeSockets).flat()[0] as net.Socket)));
      })
      .on('error', reject);
  });
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/**
 * Probe on new connections until the drain has reached the process (a 200 means it has not
 * yet): the first answer that is not a 200. A refused connection is status 0.
 */
async function probeUntilDraining(port: number, target: string): Promise<RawResponse> {
  for (let i = 0; ; i++) {
    const res = await rawRequest(port, requestBytes(target, { headers: [['Connection', 'keep-alive']] }), { untilClose: true, waitMs: 5000 });
    if (res.status !== 200 || i === 200) return res;
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const workers of ['1', '2']) {
  t.test(`SIGTERM with ${workers} worker(s): health 503 on new connections while a download finishes, then exit 0`, async (t) => {
    const root = tree(t);
    const s = await start(t, ['--root', root, '--workers', workers, '--shutdown-timeout', '20000']);
    const idleClosed = await idleKeepAlive(t, s.url);
    const download = await pausedDownload(t, s.port);

    s.proc.kill('SIGTERM');
    const health = await probeUntilDraining(s.port, '/__assetd/health');
    t.equal(health.status, 503, 'health on a new connection: 503, not a refused connection');
    t.equal(JSON.parse(health.body.toString()).status, 'draining', 'status draining');
    t.equal(health.headers.connection, 'close', 'Connection: close');
    t.notOk(health.timedOut, 'and the server closed that connection');
    const file = await rawRequest(s.port, requestBytes('/static/app.css', { headers: [['Connection', 'keep-alive']] }), { untilClose: true, waitMs: 5000 });
    t.equal(file.status, 200, 'files are still served on new connections');
    t.equal(file.headers.connection, 'close', 'with Connection: close');
    t.notOk(file.timedOut, 'and the connection closed after the answer');
    await idleClosed;
    t.pass('the idle keep-alive connection was closed by the server');
    t.equal(s.proc.exitCode, null, 'still running while the download is in flight');

    const done = await download.finish();
    t.match(done.head, /^HTTP\/1\.1 200 /, 'the download: 200');
    t.equal(done.body.length, BIG, 'the download completed');
    t.ok(done.body.equals(bigContent(BIG)), 'byte for byte');
    t.ok(done.closedByServer, 'its connection closed after the answer');
    t.equal(await s.exited, 0, 'exit 0');
    if (workers === '1') t.match(s.stderr(), /SIGTERM: draining \(up to 20000 ms\)\n.*drained, exiting/, 'logged the drain');
    else t.match(s.stderr(), /SIGTERM: draining 2 workers \(up to 20000 ms\)/, 'logged the drain');
    t.notMatch(s.stderr(), /grace period .* over/, 'nothing had to be cut');
  });
}

for (const workers of ['1', '2']) {
  t.test(`SIGTERM with ${workers} worker(s) and drainDelay: health answers 503 with nothing in flight, then exit 0`, async (t) => {
    const root = tree(t);
    const s = await start(t, ['--root', root, '--workers', workers, '--drain-delay', '3000', '--shutdown-timeout', '10000']);
    s.proc.kill('SIGTERM');
    const health = await probeUntilDraining(s.port, '/__assetd/health');
    t.equal(health.status, 503, 'health on a new connection: 503');
    t.equal(health.headers.connection, 'close', 'Connection: close');
    t.equal(JSON.parse(health.body.toString()).status, 'draining', 'status draining');
    t.equal(await s.exited, 0, 'exit 0 once the delay is over');
  });
}

t.test('SIGTERM with nothing in flight and no drainDelay: the process exits without waiting out the grace period', async (t) => {
  const root = tree(t);
  const s = await start(t, ['--root', root, '--workers', '1', '--shutdown-timeout', '60000']);
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0, 'exit 0');
  t.match(s.stderr(), /drained, exiting/, 'drained');
  t.notMatch(s.stderr(), /grace period/, 'not by running out the grace period');
});
