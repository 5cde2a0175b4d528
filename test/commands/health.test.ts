/**
 * `assetd health`: the server the same flags, ASSETD_* variables and config file would start is
 * asked its health path; 0 for 200, 1 with one line otherwise, 2 for a bad configuration;
 * `--pid N` reads the serve flags of process N's command line (the container's HEALTHCHECK).
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import path from 'node:path';
import { probeTarget, serveArgsOf } from '../../src/commands/health.js';
import { tempDir, write } from '../helpers/fixture.js';
import { freePort } from '../helpers/readme-blocks.js';
import { runAssetd, startAssetd } from '../helpers/run.js';

// each case is a node process of its own: minutes on a loaded machine
t.setTimeout(300_000);

const dir = tempDir(t);
write(path.join(dir, 'static', 'a.css'), 'a{}');
// only the health command's own environment counts: none of the suite's ASSETD_* leaks in
const env = (more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ASSETD_WORKERS: '1', ASSETD_ROOT: undefined, ASSETD_PORT: undefined, ASSETD_CONFIG: undefined, ...more });

function oneLine(t: Test, stderr: string, re: RegExp) {
  const lines = stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${stderr.trim()}`);
  t.match(lines[0], re);
}

t.test('the pure parts: the serve flags of a command line, and where to ask', async (t) => {
  t.same(serveArgsOf('node\0/usr/local/bin/assetd\0serve\0--port\x009000\0'), ['--port', '9000'], 'the image: node runs the assetd link');
  t.same(serveArgsOf('/usr/bin/node\0/work/x/bin/assetd.js\0serve\0'), [], 'a checkout, no flags');
  t.same(serveArgsOf('node\0/usr/local/bin/assetd\0serve\0--root\0serve\0'), ['--root', 'serve'], 'a folder named serve is a value');
  t.equal(serveArgsOf('sleep\0infinity\0'), undefined, 'not assetd');
  t.equal(serveArgsOf('node\0/usr/local/bin/assetd\0check\0'), undefined, 'assetd, but not serve');
  t.same(probeTarget({ host: '0.0.0.0', port: 8080, healthPath: '/__assetd/health' }), { host: '127.0.0.1', port: 8080, path: '/__assetd/health', url: 'http://127.0.0.1:8080/__assetd/health' });
  t.same(probeTarget({ host: '::', port: 80, healthPath: '/h' }).url, 'http://[::1]:80/h');
  t.same(probeTarget({ host: '10.1.2.3', port: 80, healthPath: '/h' }).host, '10.1.2.3');
  t.throws(() => probeTarget({ host: '127.0.0.1', port: 8080, healthPath: null }), { name: 'UserError', message: /health path is off/ });
  t.throws(() => probeTarget({ host: '127.0.0.1', port: 0, healthPath: '/h' }), { name: 'UserError', message: /port 0/ });
});

t.test('a running server: flags, variables and the config file lead to it', async (t) => {
  const port = await freePort();
  const s = await startAssetd(['serve', '--root', 'static', '--port', String(port), '--health-path', '/healthz'], { cwd: dir, env: env() });
  t.teardown(() => s.stop());
  write(path.join(dir, 'assetd.json'), JSON.stringify({ port, healthPath: '/healthz', static: [{ root: 'static' }] }));

  const byFlags = await runAssetd(['health', '--root', 'static', '--port', String(port), '--health-path', '/healthz'], { cwd: dir, env: env() });
  t.equal(byFlags.code, 0, `flags: ${byFlags.stderr}`);
  t.equal(byFlags.stdout, `ok: http://127.0.0.1:${port}/healthz answered 200\n`);

  const byEnv = await runAssetd(['health'], { cwd: dir, env: env({ ASSETD_ROOT: 'static', ASSETD_PORT: String(port), ASSETD_HEALTH_PATH: '/healthz' }) });
  t.equal(byEnv.code, 0, `ASSETD_* variables: ${byEnv.stderr}`);

  const byFile = await runAssetd(['health', '--config', 'assetd.json'], { cwd: dir, env: env() });
  t.equal(byFile.code, 0, `config file: ${byFile.stderr}`);
  const byFileEnv = await runAssetd(['health'], { cwd: dir, env: env({ ASSETD_CONFIG: 'assetd.json' }) });
  t.equal(byFileEnv.code, 0, `ASSETD_CONFIG: ${byFileEnv.stderr}`);

  const byPid = await runAssetd(['health', '--pid', String(s.proc.pid)], { cwd: '/', env: env() });
  t.equal(byPid.code, 0, `--pid: the server's own flags, and its working folder for --root static: ${byPid.stderr}`);

  const wrongPath = await runAssetd(['health', '--root', 'static', '--port', String(port)], { cwd: dir, env: env() });
  t.equal(wrongPath.code, 1, 'the default health path is not the one this server answers');
  oneLine(t, wrongPath.stderr, new RegExp(`^assetd: health: http://127\\.0\\.0\\.1:${port}/__assetd/health answered 404$`));

  const pidWrongPath = await runAssetd(['health', '--pid', String(s.proc.pid), '--health-path', '/elsewhere'], { cwd: dir, env: env() });
  t.equal(pidWrongPath.code, 1, 'a flag given beside --pid wins over the process\'s own');
});

t.test('nothing listening, and an answer that is not 200', async (t) => {
  const free = await freePort();
  const none = await runAssetd(['health', '--root', 'static', '--port', String(free)], { cwd: dir, env: env() });
  t.equal(none.code, 1);
  oneLine(t, none.stderr, /^assetd: health: http:\/\/127\.0\.0\.1:\d+\/__assetd\/health: connect ECONNREFUSED/);

  // a server that answers as assetd does while draining
  const srv = http.createServer((_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"draining"}'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const port = (srv.address() as { port: number }).port;
  const draining = await runAssetd(['health', '--root', 'static', '--port', String(port)], { cwd: dir, env: env() });
  t.equal(draining.code, 1);
  oneLine(t, draining.stderr, /answered 503 \(draining\)$/);
});

t.test('a bad configuration: exit 2 and one line', async (t) => {
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['health', '--root', 'static', '--port', 'x'], {}, /^assetd: --port: expected a whole number/],
    [['health', '--root', 'static'], { ASSETD_PORT: '99999' }, /^assetd: ASSETD_PORT: expected a port from 0 to 65535/],
    [['health', '--root', 'static', '--colour', 'red'], {}, /^assetd: health: Unknown option '--colour'/],
    [['health', '--root', 'static', '--health-path', 'off'], {}, /health path is off/],
    [['health', '--root', 'static', '--port', '0'], {}, /port 0 picks a free port/],
    [['health', '--config', 'none.json'], {}, /none\.json: cannot read config file/],
    [['health', '--pid', String(process.pid)], {}, /--pid \d+: not an assetd serve process/],
    [['health', '--pid', 'one'], {}, /--pid: expected a process id/],
  ];
  for (const [args, more, re] of cases) {
    const r = await runAssetd(args, { cwd: dir, env: env(more) });
    t.equal(r.code, 2, `exit 2: ${args.join(' ')}`);
    oneLine(t, r.stderr, re);
  }
});
