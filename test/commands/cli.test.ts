/** The command line: exit code 2 and one line on stderr for every bad input at startup. */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir, write } from '../helpers/fixture.js';
import { runAssetd, startAssetd } from '../helpers/run.js';

const dir = tempDir(t);
const root = path.join(dir, 'static');
write(path.join(root, 'a.css'), 'a{}');
write(path.join(dir, 'bad.json'), '{ "port": ');
write(path.join(dir, 'unknown.json'), JSON.stringify({ static: [{ root: 'static' }], colour: 'red' }));
write(path.join(dir, 'badmanifest', 'staticfiles.json'), '{"paths": ');
write(path.join(dir, 'othermanifest', 'staticfiles.json'), '{"hello": "world"}');
write(path.join(dir, 'version9', 'staticfiles.json'), '{"paths": {}, "version": "9"}');
write(path.join(dir, 'missing', 'staticfiles.json'), JSON.stringify({ paths: { 'a.css': 'a.0123456789ab.css' }, version: '1.0' }));
write(path.join(dir, 'file-not-dir'), 'x');

async function expectFailure(t: Test, args: string[], re: RegExp, env: NodeJS.ProcessEnv = {}) {
  const r = await runAssetd(args, { cwd: dir, env });
  t.equal(r.code, 2, `exit code 2 for ${args.join(' ')}`);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${r.stderr}`);
  t.match(lines[0], re);
  t.notOk(/\n\s+at /.test(r.stderr), 'no stack trace');
}

t.test('bad input at startup', async (t) => {
  await expectFailure(t, ['serve', '--root', 'nowhere', '--port', '0'], /nowhere: root does not exist/);
  await expectFailure(t, ['serve', '--root', 'file-not-dir', '--port', '0'], /root is not a directory/);
  await expectFailure(t, ['serve', '--config', 'bad.json'], /bad\.json: config file is not valid JSON/);
  await expectFailure(t, ['serve', '--config', 'none.json'], /none\.json: cannot read config file \(ENOENT\)/);
  await expectFailure(t, ['serve', '--config', 'unknown.json'], /unknown key "colour"/);
  await expectFailure(t, ['serve', '--root', 'badmanifest', '--port', '0'], /staticfiles\.json: manifest is not valid JSON/);
  await expectFailure(t, ['serve', '--root', 'othermanifest', '--port', '0'], /not a django manifest/);
  await expectFailure(t, ['serve', '--root', 'version9', '--port', '0'], /unsupported Django manifest version "9"/);
  await expectFailure(t, ['serve', '--root', 'static', '--manifest', 'nope.json', '--port', '0'], /nope\.json: cannot read manifest \(ENOENT\)/);
  await expectFailure(t, ['serve', '--root', 'missing', '--strict', '--port', '0'], /1 name\(s\) listed but missing .*a\.0123456789ab\.css/);
  await expectFailure(t, ['serve', '--root', 'static', '--port', 'x'], /--port: expected a whole number/);
  await expectFailure(t, ['serve', '--root', 'static', '--bogus'], /Unknown option '--bogus'/);
  await expectFailure(t, ['serve'], /no static mount/);
  await expectFailure(t, ['serve', '--port', '0'], /expected a whole number|no static mount/, { ASSETD_ROOT: 'static', ASSETD_PORT: 'abc' });
  await expectFailure(t, ['frobnicate'], /unknown command "frobnicate"/);
});

t.test('a port in use', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  await expectFailure(t, ['serve', '--root', 'static', '--port', String(port)], new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
});

t.test('missing manifest names are reported, not fatal without --strict', async (t) => {
  const s = await startAssetd(['serve', '--root', 'missing', '--port', '0'], { cwd: dir });
  t.teardown(s.stop);
  t.match(s.stderr(), /1 name\(s\) listed but missing on disk \(first: a\.0123456789ab\.css\)/);
  t.match(s.stderr(), /1 manifest names missing on disk/);
});

t.test('environment variables configure a container', async (t) => {
  const s = await startAssetd(['serve'], { cwd: dir, env: { ASSETD_ROOT: 'static', ASSETD_PORT: '0', ASSETD_PREFIX: '/assets/' } });
  t.teardown(s.stop);
  const r = await fetch(`${s.url}/assets/a.css`);
  t.equal(r.status, 200);
  t.equal(await r.text(), 'a{}');
});

t.test('config.example.json starts as it is', async (t) => {
  const repo = path.resolve(import.meta.dirname, '../..');
  const example = JSON.parse(fs.readFileSync(path.join(repo, 'config.example.json'), 'utf8'));
  t.ok(example.static?.length >= 1);
  const s = await startAssetd(['serve', '--config', 'config.example.json', '--port', '0']);
  t.teardown(s.stop);
  t.match(s.stderr(), /files indexed/);
});

t.test('help', async (t) => {
  const r = await runAssetd(['help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /usage: assetd <command>/);
});
