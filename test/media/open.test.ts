/**
 * Media checks before it opens: a symlink planted in the upload folder never makes the
 * server open what it points to (a FIFO, a device, a file elsewhere), and a file that is
 * there but cannot be opened (EACCES, EMFILE, EIO) is a 500 with one log line, not a 404.
 *
 * Whether a FIFO was opened is seen from its other end: a writer blocked in open() waits
 * in the kernel ("wait_for_partner" in /proc/PID/wchan) until some process opens the FIFO
 * for reading, even for an instant. The server's answer comes after any open it made, so a
 * writer still waiting once the answer is in proves that nobody opened the FIFO.
 */
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveConfig } from '../../src/config/index.js';
import { startServer } from '../../src/runtime/start.js';
import { setQuiet } from '../../src/log.js';
import { handleMedia } from '../../src/media/answer.js';
import { MediaError, NODE_MEDIA_FS, prepareMedia, resolveMedia, type MediaRuntime } from '../../src/media/resolve.js';
import { tempDir, write } from '../helpers/fixture.js';
import { spawnGroup } from '../helpers/process-group.js';
import { cliPath, request, startAssetd } from '../helpers/run.js';
import { laneEnv } from '../helpers/lane.js';

setQuiet(true);

function site(t: Test): string {
  const dir = fs.realpathSync(tempDir(t));
  write(path.join(dir, 'media/photo.png'), 'PNGDATA');
  write(path.join(dir, 'outside/secret.txt'), 'TOP-SECRET');
  return dir;
}

async function serve(t: Test, dir: string): Promise<string> {
  const run = await startServer(resolveConfig({ file: { port: 0, media: [{ prefix: '/media/', root: 'media' }] }, fileDir: dir, env: laneEnv() }));
  t.teardown(() => run.server.close());
  return run.url;
}

/** A writer blocked opening `fifo` until someone opens it for reading; null when this kernel does not show that wait. */
async function blockedWriter(t: Test, fifo: string): Promise<{ waiting: () => boolean } | null> {
  let out = '';
  const proc = spawnGroup(t, '/bin/sh', ['-c', 'exec 3>"$0"; echo opened', fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const wchan = () => {
    try {
      return fs.readFileSync(`/proc/${proc.pid}/wchan`, 'utf8');
    } catch {
      return '';
    }
  };
  const waiting = () => wchan() === 'wait_for_partner' && out === '';
  for (let i = 0; i < 250 && !waiting(); i++) await new Promise((r) => setTimeout(r, 20));
  return waiting() ? { waiting } : null;
}

t.test('a symlink to a FIFO, a device or a file outside is refused before it is opened', async (t) => {
  const dir = site(t);
  execFileSync('mkfifo', [path.join(dir, 'outside/pipe')]);
  execFileSync('mkfifo', [path.join(dir, 'media/inner-pipe.txt')]);
  fs.symlinkSync(path.join(dir, 'outside/pipe'), path.join(dir, 'media/pipe-link.txt'));
  fs.symlinkSync('/dev/zero', path.join(dir, 'media/zero.bin'));
  fs.symlinkSync('../outside/secret.txt', path.join(dir, 'media/secret-link.txt'));
  fs.symlinkSync(path.join(dir, 'outside'), path.join(dir, 'media/outdir'));
  const base = await serve(t, dir);
  const outsideWriter = await blockedWriter(t, path.join(dir, 'outside/pipe'));
  const insideWriter = await blockedWriter(t, path.join(dir, 'media/inner-pipe.txt'));
  for (const target of ['/media/zero.bin', '/media/secret-link.txt', '/media/outdir/secret.txt', '/media/outdir/pipe', '/media/pipe-link.txt', '/media/inner-pipe.txt']) {
    const r = await request(base + target);
    t.equal(r.status, 404, target);
    t.notMatch(r.body.toString(), /TOP-SECRET/, `${target}: nothing from outside`);
  }
  if (outsideWriter === null || insideWriter === null) {
    t.pass('no FIFO was opened', { skip: 'this kernel does not show a FIFO writer waiting in /proc/PID/wchan, so an open cannot be observed' });
    return;
  }
  t.ok(outsideWriter.waiting(), 'the FIFO outside the folder, behind a symlink, was never opened');
  t.ok(insideWriter.waiting(), 'a FIFO inside the folder was never opened either (not a regular file)');
  t.equal((await request(base + '/media/photo.png')).body.toString(), 'PNGDATA', 'regular uploads are still served');
});

/** What the server logs (stderr), collected instead of printed; each test starts it afresh. */
const logs: string[] = [];
const stderrWrite = process.stderr.write;
process.stderr.write = ((chunk: string | Uint8Array) => (logs.push(String(chunk)), true)) as typeof process.stderr.write;
t.teardown(() => {
  process.stderr.write = stderrWrite;
});

/** Serve one mount through handleMedia with some of its file system calls replaced. */
async function withFs(t: Test, dir: string, io: Partial<typeof NODE_MEDIA_FS>): Promise<{ base: string; mount: MediaRuntime }> {
  const config = resolveConfig({ file: { port: 0, media: [{ prefix: '/media/', root: 'media' }] }, fileDir: dir, env: laneEnv() });
  const [prepared] = await prepareMedia(config);
  const mount: MediaRuntime = { ...prepared, io: { ...NODE_MEDIA_FS, ...io } };
  const server = http.createServer((req, res) => void handleMedia(req, res, mount, new URL(req.url!, 'http://x').pathname));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  logs.length = 0;
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, mount };
}

const fail = (code: string) => () => Promise.reject(Object.assign(new Error(`${code}: injected`), { code }));

t.test('an open that fails for a reason other than "not there" is a 500 with one log line', async (t) => {
  for (const code of ['EMFILE', 'EACCES', 'EIO', 'ENFILE']) {
    const dir = site(t);
    const { base, mount } = await withFs(t, dir, { open: fail(code) });
    const r = await request(base + '/media/photo.png');
    t.equal(r.status, 500, `${code}: 500`);
    t.notMatch(r.body.toString(), /PNGDATA/);
    t.equal(logs.length, 1, `${code}: one log line`);
    t.match(logs[0], new RegExp(`^assetd: GET /media/photo\\.png: ${dir}/media/photo\\.png: cannot open \\(${code}\\); answered 500\\n$`), `${code}: the line names the file and the error`);
    const thrown = await resolveMedia(mount, '/media/photo.png').then(() => null, (e: unknown) => e);
    t.ok(thrown instanceof MediaError, `${code}: resolveMedia throws a MediaError (for X-Accel-Redirect callers too)`);
  }
  const dir = site(t);
  const { base } = await withFs(t, dir, { realpath: fail('EACCES') });
  t.equal((await request(base + '/media/photo.png')).status, 500, 'a folder that cannot be searched (realpath EACCES) is a 500 too');
  t.match(logs.join(''), /cannot check \(EACCES\); answered 500/);
});

t.test('"not there" errors stay a silent 404', async (t) => {
  for (const [stage, code] of [['open', 'ENOENT'], ['open', 'ENOTDIR'], ['open', 'ELOOP'], ['realpath', 'ENOENT'], ['realpath', 'ELOOP'], ['realpath', 'ENAMETOOLONG']] as const) {
    const dir = site(t);
    const { base } = await withFs(t, dir, { [stage]: fail(code) });
    t.equal((await request(base + '/media/photo.png')).status, 404, `${stage} ${code}: 404`);
    t.same(logs, [], `${stage} ${code}: nothing logged`);
  }
});

t.test('the descriptor opened must be the file checked', async (t) => {
  const dir = site(t);
  write(path.join(dir, 'media/other.txt'), 'OTHER');
  let opens = 0;
  // every open lands on another file than the one checked, as if the path were swapped each time in between
  const { base } = await withFs(t, dir, { open: (_p, flags) => (opens++, fs.promises.open(path.join(dir, 'media/other.txt'), flags)) });
  const r = await request(base + '/media/photo.png');
  t.equal(r.status, 404, 'never served');
  t.notMatch(r.body.toString(), /OTHER/);
  t.equal(opens, 2, 'checked again once (an upload replaced by rename), then given up');
  t.same(logs, []);
});

/** Run the CLI as an unprivileged user when this process is root (a mode-000 file is readable by root). */
function unprivileged(): { wrapper: string[] } | { skip: string } {
  if (process.getuid?.() !== 0) return { wrapper: [] };
  const wrapper = ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  if (!fs.existsSync(wrapper[0])) return { skip: 'running as root without setpriv(1): cannot make EACCES happen' };
  const probe = spawnSync(wrapper[0], [...wrapper.slice(1), process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(cliPath)}, 4)`], { timeout: 10_000 });
  if (probe.status !== 0) return { skip: `the checkout is not readable by uid 65534, so the server cannot run as that user` };
  return { wrapper };
}

const how = unprivileged();
t.test('a real EACCES: an upload the server may not read is a 500 with one log line', { skip: 'skip' in how ? how.skip : false }, async (t) => {
  if ('skip' in how) return;
  const dir = site(t);
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(path.join(dir, 'media'), 0o755);
  fs.chmodSync(path.join(dir, 'media/photo.png'), 0o644);
  write(path.join(dir, 'media/locked.txt'), 'LOCKED');
  fs.chmodSync(path.join(dir, 'media/locked.txt'), 0o000);
  write(path.join(dir, 'media/private/inner.txt'), 'INNER');
  fs.chmodSync(path.join(dir, 'media/private/inner.txt'), 0o644);
  fs.chmodSync(path.join(dir, 'media/private'), 0o700);
  const s = await startAssetd(['serve', '--media-root', path.join(dir, 'media'), '--port', '0', '--access-log', 'off'], { wrapper: how.wrapper });
  t.teardown(s.stop);
  t.equal((await request(s.url + '/media/photo.png')).status, 200, 'a readable upload is served');
  const locked = await request(s.url + '/media/locked.txt');
  t.equal(locked.status, 500, 'mode 000: 500');
  t.notMatch(locked.body.toString(), /LOCKED/);
  const inner = await request(s.url + '/media/private/inner.txt');
  t.equal(inner.status, 500, 'inside a folder the server may not search: 500');
  t.equal((await request(s.url + '/media/missing.txt')).status, 404, 'a missing upload is still a 404');
  const lines = s.stderr().split('\n').filter((l) => l.includes('answered 500'));
  t.same(lines.length, 2, 'one log line per 500');
  t.match(lines[0], /^assetd: GET \/media\/locked\.txt: .*\/media\/locked\.txt: cannot open \(EACCES\); answered 500$/);
  t.match(lines[1], /^assetd: GET \/media\/private\/inner\.txt: .*\/media\/private\/inner\.txt: cannot check \(EACCES\); answered 500$/);
});

t.test('a real EACCES through X-Accel-Redirect: a 500 naming the file, not a 502 blamed on the app', { skip: 'skip' in how ? how.skip : false }, async (t) => {
  if ('skip' in how) return;
  const dir = site(t);
  fs.chmodSync(dir, 0o755);
  write(path.join(dir, 'private/locked.pdf'), 'LOCKED');
  fs.chmodSync(path.join(dir, 'private'), 0o755);
  fs.chmodSync(path.join(dir, 'private/locked.pdf'), 0o000);
  const app = http.createServer((_req, res) => res.writeHead(200, { 'x-accel-redirect': '/private/locked.pdf' }).end());
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  t.teardown(() => app.close());
  const config = path.join(dir, 'assetd.json');
  write(config, JSON.stringify({ port: 0, accessLog: 'off', upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, media: [{ prefix: '/private/', root: 'private', internal: true }] }));
  fs.chmodSync(config, 0o644);
  const s = await startAssetd(['serve', '--config', config], { wrapper: how.wrapper });
  t.teardown(s.stop);
  const r = await request(s.url + '/download');
  t.equal(r.status, 500, 'the app allowed it, the server cannot read it: 500');
  t.notMatch(r.body.toString(), /LOCKED/);
  const lines = s.stderr().split('\n').filter((l) => l.includes('X-Accel-Redirect'));
  t.equal(lines.length, 1, 'one log line');
  t.match(lines[0], /locked\.pdf: cannot open \(EACCES\); answered 500$/);
  t.notMatch(s.stderr(), /answered 502/);
});
