/**
 * The Dockerfile, built by Debian's podman and checked as a user would run the image: a
 * non-root user, healthy by its own HEALTHCHECK with `--port` passed as an argument, brotli
 * and immutable answers from a read-only mounted tree, an ASSETD_* variable and flags taking
 * effect, `--workers auto` following the container's CPU quota, exit 2 with one line on a bad
 * setting, a graceful stop, no dev dependencies; the image size and the RSS inside the
 * container are printed. podman runs with a private configuration and image store, against a
 * local stand-in for node:20-bookworm-slim made once and cached (test/helpers/podman.ts);
 * `--pull=never`, `--format docker` (podman's own format drops HEALTHCHECK).
 *
 * Skipped with its reason where podman, runc or debootstrap is missing or podman cannot run.
 */
import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { collectedTree, cssText, tempDir, write } from '../helpers/fixture.js';
import { BASE_TAG, CACHE, ensureStandIn, locked, podmanEnv, podmanSkipReason, run, type Ran } from '../helpers/podman.js';
import { freePort } from '../helpers/readme-blocks.js';
import { repoRoot, request } from '../helpers/run.js';

const skip = await podmanSkipReason();
/** podman's complaints that there is no systemd to schedule health checks with, left out of messages. */
const noise = (text: string) => text.split('\n').filter((l) => !/level=\w+ msg=".*systemd/.test(l)).join('\n').trim();
// the first run makes the stand-in (minutes of debootstrap) and an uncached image build
t.setTimeout(20 * 60_000);

t.test('the container image', { skip }, async (t) => {
  const env = podmanEnv();
  const podman = (args: string[], ms = 60_000): Promise<Ran> => run('podman', args, { env, ms });
  const id = `${process.pid}-${Date.now().toString(36)}`;
  // one tag per checkout, kept: the layers under it are the next run's cache (an image removed
  // takes its production-stage layers with it)
  const image = `localhost/assetd-suite:${crypto.createHash('sha256').update(repoRoot).digest('hex').slice(0, 12)}`;
  const names: string[] = [];
  t.teardown(async () => {
    if (names.length > 0) await podman(['rm', '-f', '-t', '0', ...names]);
  });

  const base = await ensureStandIn(env, (line) => t.comment(line));
  t.comment(`stand-in ${BASE_TAG} (${CACHE}): ${base.built ? 'made' : base.imported ? 'imported from the cached tarball' : 'cached'} in ${(base.ms / 1000).toFixed(1)} s`);

  // one build at a time in the store: a second suite run waits, then finds the layers cached
  const build = await locked(path.join(CACHE, 'build.lock'), () => podman(['build', '--format', 'docker', '--pull=never', '--layers', '-t', image, repoRoot], 15 * 60_000), 20 * 60_000);
  if (build.code !== 0) {
    t.fail(`podman build failed (exit ${build.code}):\n${(build.stderr + build.stdout).trim().split('\n').slice(-25).join('\n')}`);
    return;
  }
  t.comment(`podman build: ${(build.ms / 1000).toFixed(1)} s`);

  const inspected = JSON.parse((await podman(['image', 'inspect', image])).stdout)[0];
  const cfg = inspected.Config ?? {};
  t.comment(`image size: ${(inspected.Size / 1e6).toFixed(1)} MB (${inspected.Size} bytes)`);
  t.equal(cfg.User, 'node', 'runs as the node user');
  t.same(cfg.Entrypoint, ['assetd', 'serve'], 'extra arguments are serve flags');
  t.same((inspected.Healthcheck ?? inspected.HealthCheck ?? cfg.Healthcheck)?.Test, ['CMD', 'assetd', 'health', '--pid', '1'], 'the HEALTHCHECK is kept (docker format) and is assetd health');

  await t.test('non-root, and no dev dependencies', async (t) => {
    const uid = await podman(['run', '--rm', '--entrypoint', 'id', image, '-u']);
    t.equal(uid.stdout.trim(), '1000', `uid: ${noise(uid.stderr)}`);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const listed = await podman(['run', '--rm', '--entrypoint', 'node', image, '-e', "const fs=require('fs');const d='/app/node_modules';console.log(JSON.stringify(fs.readdirSync(d).flatMap(n=>n.startsWith('@')?fs.readdirSync(d+'/'+n).map(m=>n+'/'+m):[n])))"]);
    const installed = new Set<string>(JSON.parse(listed.stdout || '[]'));
    for (const dep of Object.keys(pkg.dependencies)) t.ok(installed.has(dep), `dependency ${dep} is installed`);
    const dev = Object.keys(pkg.devDependencies).filter((d) => installed.has(d));
    t.same(dev, [], 'no devDependency in /app/node_modules');
    t.ok(installed.size < 20, `${installed.size} packages in the image`);
  });

  await t.test('--workers auto follows the container\'s CPU quota', async (t) => {
    const probe = "import('/app/dist/runtime/index.js').then(m=>console.log(JSON.stringify(m.cpuBudget())))";
    const half = await podman(['run', '--rm', '--cpus', '0.5', '--entrypoint', 'node', image, '-e', probe]);
    const b = JSON.parse(half.stdout || '{}');
    t.equal(b.quota, 0.5, `--cpus 0.5 is read as a quota of 0.5 CPU (${half.stdout.trim()}${noise(half.stderr)})`);
    t.equal(b.cpus, 1, 'and starts 1 worker');
    const none = JSON.parse((await podman(['run', '--rm', '--entrypoint', 'node', image, '-e', probe])).stdout || '{}');
    t.equal(none.quota, null, 'no --cpus: no quota');
    t.equal(none.cpus, none.affinity, 'and the affinity decides');
  });

  await t.test('a bad setting: exit 2 and one line', async (t) => {
    const bad = await podman(['run', '--rm', '-e', 'ASSETD_PORT=99999', image]);
    t.equal(bad.code, 2, 'exit 2');
    const lines = noise(bad.stderr).split('\n').filter((l) => !/level=(error|warning)/.test(l));
    t.same(lines, ['assetd: ASSETD_PORT: expected a port from 0 to 65535, got "99999"'], 'one line naming the variable');
    const flag = await podman(['run', '--rm', image, '--max-age', 'soon']);
    t.equal(flag.code, 2, 'a bad flag: exit 2');
    t.match(flag.stderr, /^assetd: --max-age: expected a whole number, got "soon"$/m);
  });

  await t.test('serving a read-only mounted tree: health, brotli, immutable, a variable and flags', async (t) => {
    const tree = tempDir(t, 'assetd-container-');
    const css = cssText(20_000);
    const hashed = collectedTree(tree, [{ name: 'css/site.css', body: css }]).get('css/site.css')!;
    write(path.join(tree, 'robots.txt'), 'User-agent: *\n');
    // the container's node user (uid 1000) reads the tree
    fs.chmodSync(tree, 0o755);
    for (const d of ['css']) fs.chmodSync(path.join(tree, d), 0o755);
    const port = await freePort();
    const name = `assetd-suite-${id}`;
    names.push(name);
    const started = await podman([
      'run', '-d', '--name', name,
      // podman schedules health checks with systemd timers; this test runs the check itself
      '--health-interval', 'disable',
      '--cpus', '1',
      '-p', `127.0.0.1:${port}:9000`,
      '-e', 'ASSETD_MAX_AGE=123',
      '-v', `${tree}:/srv/static:ro`,
      image, '--port', '9000', '--access-log', 'json',
    ]);
    t.equal(started.code, 0, `started: ${noise(started.stderr)}`);
    const logs = async () => {
      const l = await podman(['logs', name]);
      return l.stdout + l.stderr;
    };
    const waitLogs = async (re: RegExp, tries = 100): Promise<string> => {
      let text = '';
      for (let i = 0; i < tries; i++) {
        text = await logs();
        if (re.test(text) || /exited|Error/.test(text)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      return text;
    };
    const text = await waitLogs(/listening on/);
    const up = /listening on/.test(text);
    t.ok(up, `start line: ${text.trim().split('\n').pop()}`);
    const line = /assetd: serving [^\n]*/.exec(text)?.[0] ?? '';
    t.match(line, /listening on http:\/\/0\.0\.0\.0:9000 \(pid 1\)$/, 'the --port flag, one process for --cpus 1 (workers auto), assetd is PID 1');

    const healthy = await podman(['healthcheck', 'run', name]);
    t.equal(healthy.code, 0, `the image's HEALTHCHECK passes with --port 9000 given as an argument: ${healthy.stdout.trim()} ${noise(healthy.stderr)}`);
    const wrong = await podman(['exec', name, 'assetd', 'health']);
    t.equal(wrong.code, 1, 'without --pid 1 the check asks ASSETD_PORT (8080) and fails: the HEALTHCHECK really follows the flag');
    t.match(wrong.stderr, /^assetd: health: http:\/\/127\.0\.0\.1:8080\/__assetd\/health: connect ECONNREFUSED/m);

    const url = `http://127.0.0.1:${port}`;
    const br = await request(`${url}/static/${hashed}`, { headers: { 'accept-encoding': 'br, gzip' } });
    t.equal(br.status, 200);
    t.equal(br.headers['content-encoding'], 'br', 'the .br variant');
    t.match(String(br.headers['cache-control']), /immutable/, 'hashed name: immutable');
    t.same(zlib.brotliDecompressSync(br.body), css, 'the file\'s bytes');
    const plain = await request(`${url}/static/robots.txt`);
    t.equal(plain.status, 200);
    t.equal(plain.headers['cache-control'], 'public, max-age=123', 'ASSETD_MAX_AGE=123 took effect');
    const health = await request(`${url}/__assetd/health`);
    t.equal(health.status, 200);
    t.equal(JSON.parse(health.body.toString()).files, 3, 'the three files of the tree (variants apart)');
    const json = (await waitLogs(new RegExp(`"path":"/static/${hashed.replace(/\./g, '\\.')}"`), 25)).split('\n').filter((l) => l.startsWith('{'));
    t.ok(json.some((l) => JSON.parse(l).path === `/static/${hashed}` && JSON.parse(l).encoding === 'br'), '--access-log json took effect');

    const writable = await podman(['exec', name, 'sh', '-c', 'touch /srv/static/x 2>&1; echo $?']);
    t.not(writable.stdout.trim().split('\n').pop(), '0', 'the tree is read-only inside');

    const rss = await podman(['exec', name, 'sh', '-c', 'grep -H VmRSS /proc/[0-9]*/status']);
    const kb = [...rss.stdout.matchAll(/VmRSS:\s+(\d+) kB/g)].map((m) => Number(m[1]));
    t.ok(kb.length > 0, 'RSS read inside the container');
    t.comment(`RSS in the container (one process, 3 files): ${(kb.reduce((a, b) => a + b, 0) / 1024).toFixed(1)} MiB over ${kb.length} process(es) (the sh and grep of the probe included)`);

    const stop = await podman(['stop', '-t', '10', name], 30_000);
    t.equal(stop.code, 0, `podman stop: ${noise(stop.stderr)}`);
    t.comment(`podman stop took ${(stop.ms / 1000).toFixed(2)} s`);
    const state = JSON.parse((await podman(['inspect', name])).stdout)[0].State;
    t.equal(state.ExitCode, 0, 'assetd exited 0 on SIGTERM (not killed at the end of the stop timeout)');
    t.match(await logs(), /SIGTERM: draining[^\n]*\n(?:[^\n]*\n)*assetd: drained, exiting/, 'a graceful drain');
  });
});
