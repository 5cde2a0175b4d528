/**
 * End to end: the real CLI on port 0, in one process and with two workers. Fixtures are
 * generated in a temp dir; every process is killed (its whole group) in teardown.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(repoRoot, 'bin', 'assetd.js');
const BIG = 12 * 1024 * 1024;

interface Running {
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpMatchArray>;
}

function makeTree(t: Tap.Test): { root: string; bigHash: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-prod-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'static');
  fs.mkdirSync(path.join(root, 'css'), { recursive: true });
  const css = 'body { color: #123456; }\n'.repeat(200);
  fs.writeFileSync(path.join(root, 'css/app.aaaaaaaaaaaa.css'), css);
  fs.writeFileSync(path.join(root, 'css/app.aaaaaaaaaaaa.css.br'), zlib.brotliCompressSync(css));
  fs.writeFileSync(path.join(root, 'css/app.css'), css);
  const big = crypto.randomBytes(BIG);
  fs.writeFileSync(path.join(root, 'big.bin'), big);
  fs.writeFileSync(path.join(root, 'staticfiles.json'), JSON.stringify({ version: '1.1', paths: { 'css/app.css': 'css/app.aaaaaaaaaaaa.css' } }));
  return { root, bigHash: crypto.createHash('sha256').update(big).digest('hex') };
}

function start(t: Tap.Test, args: string[], env: Record<string, string> = {}): Promise<Running> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let err = '';
  let out = '';
  const waiters: (() => void)[] = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  proc.stderr!.on('data', (d) => {
    err += d;
    poke();
  });
  proc.stdout!.on('data', (d) => {
    out += d;
    poke();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const waitFor = (re: RegExp, ms = 15_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stderr: ${err}`)), ms);
      const check = () => {
        const m = (err + out).match(re);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else waiters.push(check);
      };
      check();
    });
  return waitFor(/listening on (http:\/\/[^\s]+)/).then((m) => ({ url: m[1], proc, stderr: () => err, stdout: () => out, exited, waitFor }));
}

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
  });
}

/** A download that reads the first chunk, then stops reading until `resume()`. */
function pausedDownload(url: string): Promise<{ resume: () => Promise<{ status: number; hash: string; length: number }> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const hash = crypto.createHash('sha256');
      let length = 0;
      res.once('data', (first: Buffer) => {
        hash.update(first);
        length += first.length;
        res.pause();
        resolve({
          resume: () =>
            new Promise((done, fail) => {
              res.on('data', (c: Buffer) => {
                hash.update(c);
                length += c.length;
              });
              res.on('end', () => done({ status: res.statusCode!, hash: hash.digest('hex'), length }));
              res.on('error', fail);
              res.on('aborted', () => fail(new Error(`download cut after ${length} bytes`)));
              res.resume();
            }),
        });
      });
    });
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('health and metrics content, one process', async (t) => {
  const { root } = makeTree(t);
  const s = await start(t, ['--root', root, '--workers', '1', '--access-log', 'off']);
  const h = await get(s.url + '/__assetd/health');
  t.equal(h.status, 200);
  t.equal(h.headers['content-type'], 'application/json');
  const body = JSON.parse(h.body.toString());
  t.equal(body.status, 'ok');
  t.equal(body.files, 3, 'app.css, its hashed copy and big.bin');
  t.equal(body.mounts, 1);
  t.match(body.version, /^\d+\.\d+\.\d+/);
  t.type(body.uptime, 'number');
  t.equal(body.pid, s.proc.pid, 'no primary with one worker');

  const br = await get(s.url + '/static/css/app.aaaaaaaaaaaa.css', { 'accept-encoding': 'br' });
  t.equal(br.headers['content-encoding'], 'br');
  const etag = br.headers.etag!;
  t.equal((await get(s.url + '/static/css/app.aaaaaaaaaaaa.css', { 'accept-encoding': 'br', 'if-none-match': etag })).status, 304);
  t.equal((await get(s.url + '/static/css/app.css')).status, 200);
  t.equal((await get(s.url + '/static/missing.css')).status, 404);
  t.equal((await get(s.url + '/elsewhere')).status, 404);

  const m = await get(s.url + '/__assetd/metrics');
  t.equal(m.status, 200);
  t.match(m.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const text = m.body.toString();
  const v = (series: string) => Number(text.split('\n').find((l) => l.startsWith(series + ' '))?.slice(series.length + 1));
  t.equal(v('assetd_requests_total{kind="static",status="2xx"}'), 2);
  t.equal(v('assetd_requests_total{kind="static",status="3xx"}'), 1);
  t.equal(v('assetd_requests_total{kind="static",status="4xx"}'), 1, '404 under the mount counts as static');
  t.equal(v('assetd_requests_total{kind="other",status="4xx"}'), 1);
  t.equal(v('assetd_requests_total{kind="service",status="2xx"}'), 1, 'the health request');
  t.equal(v('assetd_sent_bytes_total{encoding="br"}'), br.body.length, 'br bytes are the body sent');
  t.equal(v('assetd_static_not_modified_ratio'), 0.25);
  t.equal(v('assetd_index_files'), 3);
  t.equal(v('assetd_reloads_total{result="ok"}'), 0);
  t.equal(v('assetd_workers'), 1);
  t.equal((await get(s.url + '/static/__assetd/health')).status, 404, 'the health path is exact, not a suffix');
});

t.test('metrics can be disabled; health path is configurable', async (t) => {
  const { root } = makeTree(t);
  const s = await start(t, ['--root', root, '--workers', '1', '--access-log', 'off', '--health-path', '/healthz'], { ASSETD_METRICS_PATH: 'off' });
  t.equal((await get(s.url + '/__assetd/metrics')).status, 404);
  t.equal((await get(s.url + '/__assetd/health')).status, 404);
  t.equal((await get(s.url + '/healthz')).status, 200);
});

t.test('access log: combined and json lines on stdout', async (t) => {
  const { root } = makeTree(t);
  const combined = await start(t, ['--root', root, '--workers', '1']);
  await get(combined.url + '/static/css/app.css?x=1', { 'user-agent': 'probe/1.0 "quoted"', referer: 'http://ref.example/' });
  await get(combined.url + '/static/nope.js');
  await combined.waitFor(/nope\.js[^\n]*\n/);
  const lines = combined.stdout().trim().split('\n');
  t.equal(lines.length, 2, 'one line per request, nothing else on stdout');
  t.match(lines[0], /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/static\/css\/app\.css\?x=1 HTTP\/1\.1" 200 5000 "http:\/\/ref\.example\/" "probe\/1\.0 \\x22quoted\\x22"$/);
  t.match(lines[1], /"GET \/static\/nope\.js HTTP\/1\.1" 404 10 "-" "-"$/);
  t.notMatch(combined.stderr(), /GET/, 'access lines never go to stderr');

  const json = await start(t, ['--root', root, '--workers', '1', '--access-log', 'json']);
  await get(json.url + '/static/css/app.aaaaaaaaaaaa.css', { 'accept-encoding': 'gzip, br' });
  await json.waitFor(/\}\n/);
  const o = JSON.parse(json.stdout().trim().split('\n')[0]);
  t.equal(o.method, 'GET');
  t.equal(o.path, '/static/css/app.aaaaaaaaaaaa.css');
  t.equal(o.status, 200);
  t.equal(o.encoding, 'br');
  t.equal(o.bytes, fs.statSync(path.join(root, 'css/app.aaaaaaaaaaaa.css.br')).size);
  t.equal(o.kind, 'static');
  t.equal(o.upstream, null);
  t.type(o.duration, 'number');
  t.ok(o.duration >= 0);
  t.ok(!Number.isNaN(Date.parse(o.time)));
});

t.test('slowloris connections are cut off while a normal client is served', async (t) => {
  const { root } = makeTree(t);
  const s = await start(t, ['--root', root, '--workers', '1', '--access-log', 'off', '--headers-timeout', '1000', '--request-timeout', '2000']);
  const { port } = new URL(s.url);
  const slow: net.Socket[] = [];
  const closedAt: number[] = [];
  const t0 = Date.now();
  for (let i = 0; i < 40; i++) {
    const sock = net.connect(Number(port), '127.0.0.1');
    sock.on('error', () => {});
    sock.on('close', () => closedAt.push(Date.now() - t0));
    // half the connections trickle header lines, half say nothing at all
    if (i % 2 === 0) sock.write('GET /static/css/app.css HTTP/1.1\r\nHost: x\r\n');
    slow.push(sock);
  }
  t.teardown(() => slow.forEach((x) => x.destroy()));
  const trickle = setInterval(() => {
    slow.forEach((x, i) => {
      if (i % 2 === 0 && !x.destroyed) x.write(`X-Slow-${Date.now()}: 1\r\n`);
    });
  }, 200);
  t.teardown(() => clearInterval(trickle));
  let served = 0;
  while (Date.now() - t0 < 3500) {
    const r = await get(s.url + '/static/css/app.css');
    if (r.status === 200 && r.body.length === 5000) served++;
    await sleep(50);
  }
  clearInterval(trickle);
  t.ok(served > 10, `normal client served throughout (${served} responses)`);
  t.equal(closedAt.length, 40, 'every slow connection was closed by the server');
  t.ok(Math.max(...closedAt) < 3500, 'within the limits configured');
});

t.test('workers: a crashed worker is replaced and serving goes on', async (t) => {
  const { root } = makeTree(t);
  const s = await start(t, ['--root', root, '--workers', '2', '--access-log', 'off']);
  t.match(s.stderr(), /\(2 workers, primary pid \d+\)/);
  const pids = new Set<number>();
  for (let i = 0; i < 20 && pids.size < 2; i++) pids.add(JSON.parse((await get(s.url + '/__assetd/health')).body.toString()).pid);
  t.equal(pids.size, 2, 'two workers answer');
  t.notOk(pids.has(s.proc.pid!), 'the primary serves nothing');
  const victim = [...pids][0];
  process.kill(victim, 'SIGKILL');
  await s.waitFor(new RegExp(`worker ${victim} exited \\(signal SIGKILL\\); starting a new one`));
  const seen = new Set<number>();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    // one connection per round: round-robin then alternates between the workers
    const pid = JSON.parse((await get(s.url + '/__assetd/health')).body.toString()).pid as number;
    seen.add(pid);
    if ([...seen].some((p) => !pids.has(p))) break;
    await sleep(50);
  }
  t.notOk(seen.has(victim), 'the killed worker no longer answers');
  t.ok([...seen].some((p) => !pids.has(p)), 'a new worker answers');
  for (let i = 0; i < 4; i++) t.equal((await get(s.url + '/static/css/app.css')).status, 200, 'static files served after the restart');
  const m = (await get(s.url + '/__assetd/metrics')).body.toString();
  t.match(m, /^assetd_worker_restarts_total 1$/m);
  t.match(m, /^assetd_workers 2$/m);
});

t.test('SIGHUP: new tree served, in-flight download finishes on the old one; broken manifest keeps the old index', async (t) => {
  const { root, bigHash } = makeTree(t);
  const s = await start(t, ['--root', root, '--workers', '2', '--access-log', 'off']);
  const download = await pausedDownload(s.url + '/static/big.bin');

  // a new deploy: new hashed name and manifest, the old hashed file and big.bin gone
  const css2 = 'body { color: #654321; }\n';
  fs.writeFileSync(path.join(root, 'css/app.bbbbbbbbbbbb.css'), css2);
  fs.rmSync(path.join(root, 'css/app.aaaaaaaaaaaa.css'));
  fs.rmSync(path.join(root, 'css/app.aaaaaaaaaaaa.css.br'));
  fs.rmSync(path.join(root, 'big.bin'));
  fs.writeFileSync(path.join(root, 'staticfiles.json'), JSON.stringify({ version: '1.1', paths: { 'css/app.css': 'css/app.bbbbbbbbbbbb.css' } }));
  s.proc.kill('SIGHUP');
  await s.waitFor(/reload: 2 files indexed, 0 variants, \d+ ms in 2 workers/);
  for (let i = 0; i < 6; i++) {
    const r = await get(s.url + '/static/css/app.bbbbbbbbbbbb.css');
    t.equal(r.status, 200, 'new hashed file served by every worker');
    t.equal(r.body.toString(), css2);
    t.match(r.headers['cache-control'], /immutable/);
    t.equal((await get(s.url + '/static/css/app.aaaaaaaaaaaa.css')).status, 404, 'old hashed name gone');
  }
  const done = await download.resume();
  t.same(done, { status: 200, hash: bigHash, length: BIG }, 'the download started before the reload completed intact');

  fs.writeFileSync(path.join(root, 'staticfiles.json'), '{"version": "1.1", "paths": {');
  fs.writeFileSync(path.join(root, 'css/app.cccccccccccc.css'), 'x');
  s.proc.kill('SIGHUP');
  await s.waitFor(/reload failed, still serving the previous index \(2 files\) in all 2 workers \(worker \d+ \(1 of 2\) failed; the others were not asked\): .*staticfiles\.json: manifest is not valid JSON/);
  t.equal(s.stderr().match(/reload failed/g)!.length, 1, 'one error line for the whole cluster');
  for (let i = 0; i < 6; i++) {
    t.equal((await get(s.url + '/static/css/app.bbbbbbbbbbbb.css')).status, 200, 'old index kept');
    t.equal((await get(s.url + '/static/css/app.cccccccccccc.css')).status, 404, 'nothing from the broken tree');
  }
  const m = (await get(s.url + '/__assetd/metrics')).body.toString();
  t.match(m, /^assetd_reloads_total\{result="ok"\} 1$/m);
  t.match(m, /^assetd_reloads_total\{result="failed"\} 1$/m);
  t.match(m, /^assetd_index_files 2$/m);
});

for (const workers of ['1', '2']) {
  t.test(`SIGTERM with ${workers} worker(s): the large download in flight completes, then exit 0`, async (t) => {
    const { root, bigHash } = makeTree(t);
    const s = await start(t, ['--root', root, '--workers', workers, '--access-log', 'off', '--shutdown-timeout', '20000']);
    // an idle keep-alive connection must not hold the drain up
    const agent = new http.Agent({ keepAlive: true });
    t.teardown(() => agent.destroy());
    await new Promise<void>((resolve, reject) => http.get(s.url + '/__assetd/health', { agent }, (r) => r.resume().on('end', resolve)).on('error', reject));
    const download = await pausedDownload(s.url + '/static/big.bin');
    s.proc.kill('SIGTERM');
    await s.waitFor(/SIGTERM: draining/);
    await sleep(300);
    // still accepting while the download runs: a probe learns of the drain (test/e2e/drain.test.ts)
    t.equal((await get(s.url + '/__assetd/health')).status, 503, 'health answers 503 while draining');
    t.equal(s.proc.exitCode, null, 'still running while the download is in flight');
    const done = await download.resume();
    t.same(done, { status: 200, hash: bigHash, length: BIG }, 'not cut');
    t.equal(await s.exited, 0);
  });
}

t.test('the grace period is a bound: a stuck download is cut and the process still exits 0', async (t) => {
  const { root } = makeTree(t);
  const s = await start(t, ['--root', root, '--workers', '1', '--access-log', 'off', '--shutdown-timeout', '500']);
  const download = await pausedDownload(s.url + '/static/big.bin');
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0);
  t.match(s.stderr(), /grace period of 500 ms over/);
  await t.rejects(download.resume(), 'the stuck download was cut');
});

t.test('a bad flag is one line and exit 2, also with workers', async (t) => {
  const s = spawn(process.execPath, [CLI, 'serve', '--root', '/nonexistent-dir-for-assetd', '--workers', '2', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => s.kill('SIGKILL'));
  let err = '';
  s.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => s.on('exit', r));
  t.equal(code, 2);
  t.equal(err.trim().split('\n').length, 1, err);
  t.notMatch(err, /at .*\.js/, 'no stack trace');
});
