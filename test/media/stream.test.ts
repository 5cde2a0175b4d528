/**
 * A 1 GiB upload streamed through the real server, in a child process whose memory (VmRSS)
 * is read from /proc while clients download it: one that stops reading, then several at
 * once. Memory must stay flat: the file is never held, only a few 64 KiB chunks per client.
 */
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startAssetd } from '../helpers/run.js';

const GIB = 1024 ** 3;
const MAX_GROWTH = 100 * 1024 * 1024;

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Download and discard; with `onPaused`, stop reading after the first chunk until it resolves. */
function download(base: string, target: string, onPaused?: () => Promise<void>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(base + target, { agent: false }, (res) => {
      let bytes = 0;
      let paused = false;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (onPaused && !paused) {
          paused = true;
          res.pause();
          onPaused().then(() => res.resume(), reject);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('download timed out')));
    req.on('error', reject);
  });
}

t.test('a 1 GiB file streams with flat memory', { timeout: 180_000, skip: process.platform !== 'linux' ? 'reads /proc (Linux only)' : false }, async (t) => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-big-')));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'static'));
  fs.mkdirSync(path.join(dir, 'media'));
  fs.writeFileSync(path.join(dir, 'static/a.css'), 'a{}');
  const big = path.join(dir, 'media/video.mp4');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, GIB); // sparse: no disk used
  fs.writeFileSync(path.join(dir, 'media/small.txt'), 'small');

  // one process (--workers 1), so the RSS read below is the process that streams
  const server = await startAssetd(['serve', '--root', 'static', '--media-root', 'media', '--port', '0', '--workers', '1', '--access-log', 'off'], { cwd: dir });
  t.teardown(server.stop);
  const child = server.proc;
  const base = server.url;

  // warm up the code paths with small requests only, so the baseline hides no big transfer
  t.equal((await download(base, '/media/small.txt')).bytes, 5);
  const baseline = rss(child.pid!);
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss(child.pid!));
  }, 50);
  t.teardown(() => clearInterval(sampler));

  // a client that stops reading: the server must stop reading the file too
  const slow = await download(base, '/media/video.mp4', () => new Promise((r) => setTimeout(r, 1500)));
  t.same(slow, { status: 200, bytes: GIB }, 'the stalled client still gets every byte');
  const afterStall = peak;

  // several at once
  const many = await Promise.all([0, 1, 2].map(() => download(base, '/media/video.mp4')));
  t.same(many, [0, 1, 2].map(() => ({ status: 200, bytes: GIB })), 'three concurrent downloads complete');
  clearInterval(sampler);
  peak = Math.max(peak, rss(child.pid!));
  t.comment(`server RSS: baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, peak during stall ${(afterStall / 2 ** 20).toFixed(1)} MiB, peak overall ${(peak / 2 ** 20).toFixed(1)} MiB`);
  t.ok(peak - baseline < MAX_GROWTH, `RSS growth ${((peak - baseline) / 2 ** 20).toFixed(1)} MiB stays under ${MAX_GROWTH / 2 ** 20} MiB while 4 GiB stream`);
});
