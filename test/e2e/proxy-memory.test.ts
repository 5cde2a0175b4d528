/**
 * Large bodies stream through the real CLI with flat memory: a 512 MiB upload and a
 * 512 MiB download, then the process's peak resident memory is read from /proc. Buffering
 * either body would put the peak above half a body; streaming keeps it near the baseline
 * (about 150 MiB here, mostly buffers waiting for the garbage collector, the same for 1 GiB).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startAssetd } from '../helpers/run.js';
import { closeServer, listen, tempDir } from '../helpers/stack.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Body size each way; ASSETD_TEST_BODY_MIB=1024 runs the full 1 GiB check by hand. */
const SIZE = Number(process.env.ASSETD_TEST_BODY_MIB ?? 512) * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024, 'x');

if (!fs.existsSync('/proc/self/status')) {
  t.plan(0, 'peak memory is read from /proc, which this system does not have');
} else if (!fs.existsSync(path.join(repoRoot, 'dist/cli.js'))) {
  t.fail('dist/cli.js is missing: build first (npm run build)');
} else {
  t.setTimeout(90_000);
  t.test(`${SIZE / 1024 / 1024} MiB each way with flat memory`, async (t) => {
    let uploaded = 0;
    const app = http.createServer((req, res) => {
      if (req.method === 'POST') {
        req.on('data', (c: Buffer) => (uploaded += c.length));
        req.on('end', () => res.end(String(uploaded)));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(SIZE) });
      let sent = 0;
      const pump = () => {
        while (sent < SIZE) {
          sent += CHUNK.length;
          const more = res.write(CHUNK);
          if (sent >= SIZE) return void res.end();
          if (!more) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const appPort = await listen(app);
    t.teardown(() => closeServer(app));

    const dir = tempDir(t, { 'static/a.css': 'a{}\n' });
    // one process (the helper's default), so the memory read below is the process that streams
    const server = await startAssetd(['serve', '--root', path.join(dir, 'static'), '--port', '0', '--upstream', `http://127.0.0.1:${appPort}`, '--max-body-size', '0', '--access-log', 'off']);
    t.teardown(server.stop);
    const child = server.proc;
    const url = server.url;
    const u = new URL(url);

    const uploadReply = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/upload', agent: false, headers: { 'Content-Length': String(SIZE) } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < SIZE) {
          sent += CHUNK.length;
          const more = req.write(CHUNK);
          if (sent >= SIZE) return void req.end();
          if (!more) return void req.once('drain', pump);
        }
      };
      pump();
    });
    t.equal(Number(uploadReply), SIZE, 'the app received every uploaded byte');

    const downloaded = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: u.hostname, port: u.port, path: '/download', agent: false }, (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => (n += c.length));
          res.on('end', () => resolve(n));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    t.equal(downloaded, SIZE, 'the client received every downloaded byte');

    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
    t.comment(`assetd peak resident memory: ${(hwm / 1024 / 1024).toFixed(1)} MiB after ${SIZE / 1024 / 1024} MiB up and down`);
    t.ok(hwm < SIZE / 2, `peak memory ${(hwm / 1024 / 1024).toFixed(1)} MiB stays below half of one ${SIZE / 1024 / 1024} MiB body`);
  });
}
