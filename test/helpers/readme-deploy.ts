/**
 * Runners of test/readme-snippets.test.ts for the README's deploy snippets: private media
 * (the key, `assetd sign`, the Django signing function and view) and the reload after
 * collectstatic. Each runs its blocks as written, with only the substitutions of readme-blocks.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { DJANGO } from './gunicorn.js';
import { commands, forHere, readme, runSh, shownOutput, shownPattern, snippetEnv, startSh, type Block } from './readme-blocks.js';
import { DJANGO_FIXTURE, projectDir } from './readme-serve.js';
import { cliPath, eventually, request } from './run.js';

const PYTHON = '/usr/bin/python3';
export const pythonSkip = fs.existsSync(PYTHON) && fs.existsSync(DJANGO) ? undefined : `needs Debian's python3 and python3-django (${DJANGO})`;

/** Run Debian's python3 (bounded), in `cwd`. */
function python(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, { cwd, env: snippetEnv(), encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function privateMedia(t: Test, [sign, signing, views]: Block[]): Promise<void> {
  const cwd = projectDir(t, {
    'private-media/report.pdf': '%PDF-1.4 report\n',
    'private-media/reports/q3.pdf': '%PDF-1.4 third quarter\n',
    'media/.keep': '',
    'protected-media/.keep': '',
  });
  // the README's media list (a fragment of a config file) is the config `assetd sign --config assetd.json` reads
  const fragment = /^```json\n("media": \[[\s\S]*?)^```$/m.exec(readme)?.[1];
  t.ok(fragment, 'the README has the media list');
  fs.writeFileSync(path.join(cwd, 'assetd.json'), `{${forHere(fragment!, { cwd })}}`);

  const r = await runSh(t, forHere(sign!.body, { cwd }), { cwd, env: snippetEnv() });
  t.equal(r.code, 0, `the key is made and the link signed: ${r.stderr}`);
  t.ok(fs.readFileSync(path.join(cwd, 'run-secrets/media.key'), 'utf8').trim().length >= 32, 'a key of at least 32 bytes');
  const link = r.stdout.trim();
  t.ok(sign!.body.includes('# https://example.com/private/report.pdf?expires='), 'the README shows the link');
  const m = /^https:\/\/example\.com(\/private\/report\.pdf\?expires=(\d+)&signature=[0-9a-f]{64})$/.exec(link);
  t.ok(m, `assetd sign printed a link like the README's: ${link}`);
  if (!m) return;

  const s = await startSh(t, `${process.execPath} ${cliPath} serve --config assetd.json`, { cwd, env: snippetEnv({ ASSETD_PORT: '0' }) });
  t.teardown(s.stop);
  const got = await request(s.url + m[1]);
  t.same([got.status, got.body.toString()], [200, '%PDF-1.4 report\n'], 'assetd serve accepts the link');
  t.equal((await request(`${s.url}/private/report.pdf`)).status, 403, 'and nothing unsigned');

  await t.test('the Django signing function and view', { skip: pythonSkip }, async (t) => {
    // the two blocks as the files they say they are, in a package of the app
    fs.mkdirSync(path.join(cwd, 'reports'));
    fs.writeFileSync(path.join(cwd, 'reports/__init__.py'), '');
    fs.writeFileSync(path.join(cwd, 'reports/signing.py'), forHere(signing!.body, { cwd }));
    fs.writeFileSync(path.join(cwd, 'reports/views.py'), forHere(views!.body, { cwd }));

    // signed_url at the moment assetd sign ran makes the very same link
    const same = python(
      ['-c', 'import sys, time\nfrom reports.signing import signed_url\ntime.time = lambda: int(sys.argv[1]) - 3600\nprint(signed_url("/private/report.pdf", 3600, open(sys.argv[2]).read().rstrip("\\r\\n")))', m[2]!, 'run-secrets/media.key'],
      cwd,
    );
    t.equal(same.code, 0, same.stderr);
    t.equal(same.stdout.trim(), m[1], 'signed_url agrees with assetd sign');

    const called = python([path.join(DJANGO_FIXTURE, 'call_report.py'), cwd, 'q3.pdf'], cwd);
    t.equal(called.code, 0, `the view ran: ${called.stderr}`);
    if (called.code !== 0) return;
    const out = JSON.parse(called.stdout) as { anonymous: string; allowed: { status: number; location: string } };
    t.equal(out.anonymous, 'PermissionDenied', 'an anonymous user: PermissionDenied (Django answers 403)');
    t.equal(out.allowed.status, 302, 'a user with the permission is redirected');
    t.match(out.allowed.location, /^\/private\/reports\/q3\.pdf\?expires=\d+&signature=[0-9a-f]{64}$/);
    const file = await request(s.url + out.allowed.location);
    t.same([file.status, file.body.toString()], [200, '%PDF-1.4 third quarter\n'], 'assetd serves where the view redirects');
  });
}

/** The README's output lines of a reload, by kind. */
function reloadLines(block: Block): { workers: RegExp[]; single: RegExp; failed: RegExp } {
  const shown = shownOutput(block.body);
  const pick = (re: RegExp) => shown.filter((l) => re.test(l)).map(shownPattern);
  const workers = pick(/^assetd: reload: .*(in worker \d+ \(\d+ of \d+\)|in \d+ workers, one at a time)$/);
  const [single] = pick(/^assetd: reload: [^()]* ms$/);
  const [failed] = pick(/^assetd: reload failed/);
  if (workers.length !== 3 || !single || !failed) throw new Error(`the reload block shows unexpected output: ${shown.join(' | ')}`);
  return { workers, single, failed };
}

/** The systemd unit's ExecReload command, as systemd runs it: $MAINPID is the service's main pid. */
function execReload(): string | undefined {
  return /^```ini\n[\s\S]*?^ExecReload=(.*)$/m.exec(readme)?.[1];
}

export async function reload(t: Test, [block]: Block[]): Promise<void> {
  // run only a kill that names the example pid, replaced by the test's server's: a pid found
  // by name (pgrep) could be anyone's process
  const kills = commands(block!.body).filter((c) => /^kill\b/.test(c));
  if (!t.same(kills, ['kill -HUP 4242'], 'the block signals the example pid 4242')) return;
  const lines = reloadLines(block!);
  for (const workers of [1, 2]) {
    await t.test(`${workers === 1 ? 'one process' : `${workers} workers`}`, async (t) => {
      const cwd = projectDir(t, {}, true);
      // the deploy before: collected once, then served
      const first = python(['manage.py', 'collectstatic', '--noinput'], cwd);
      t.equal(first.code, 0, first.stderr);
      const s = await startSh(t, `${process.execPath} ${cliPath} serve --root staticfiles`, { cwd, env: snippetEnv({ ASSETD_PORT: '0', ASSETD_WORKERS: String(workers) }) });
      t.teardown(s.stop);
      t.match(s.line, workers === 1 ? /\(pid \d+\)$/ : /\(2 workers, primary pid \d+\)$/, 'the start line ends with the pid to signal');

      // the next deploy adds a file; the README's two lines collect it and signal the pid
      fs.writeFileSync(path.join(cwd, 'assets/css/new.css'), '.new { color: teal }\n');
      t.equal((await request(`${s.url}/static/css/new.css`)).status, 404, 'not served before the reload');
      const before = s.stderr().length;
      const r = await runSh(t, forHere(block!.body, { cwd, pid: s.pid }), { cwd, env: snippetEnv() });
      t.equal(r.code, 0, `collectstatic and kill -HUP ran: ${r.stderr}`);
      const want = workers === 1 ? [lines.single] : lines.workers;
      const seen = () => s.stderr().slice(before).split('\n');
      const all = await eventually(() => want.every((re) => seen().some((l) => re.test(l))), 20_000);
      t.ok(all, `the reload lines the README shows: ${seen().join(' | ')}`);
      const hashed = (JSON.parse(fs.readFileSync(path.join(cwd, 'staticfiles/staticfiles.json'), 'utf8')) as { paths: Record<string, string> }).paths['css/new.css'];
      t.match(hashed, /^css\/new\.[0-9a-f]{12}\.css$/, 'collectstatic hashed the new file');
      const after = await request(`${s.url}/static/${hashed}`);
      t.same([after.status, after.headers['cache-control']], [200, 'public, max-age=31536000, immutable'], 'served after the reload, immutable');

      if (workers === 1) {
        const cmd = execReload();
        t.equal(cmd, '/bin/kill -HUP $MAINPID', "the unit's ExecReload");
        const mark = s.stderr().length;
        const again = await runSh(t, cmd!, { cwd, env: snippetEnv({ MAINPID: String(s.pid) }) });
        t.equal(again.code, 0, again.stderr);
        t.ok(await eventually(() => s.stderr().slice(mark).split('\n').some((l) => lines.single.test(l)), 20_000), 'ExecReload reloads too');
      } else {
        // a broken manifest: the README's failure line, and the previous index still served
        fs.writeFileSync(path.join(cwd, 'staticfiles/staticfiles.json'), '{"paths": ');
        const mark = s.stderr().length;
        const bad = await runSh(t, forHere(kills[0]!, { cwd, pid: s.pid }), { cwd, env: snippetEnv() });
        t.equal(bad.code, 0, bad.stderr);
        t.ok(await eventually(() => s.stderr().slice(mark).split('\n').some((l) => lines.failed.test(l)), 20_000), `the failure line the README shows: ${s.stderr().slice(mark)}`);
        t.equal((await request(`${s.url}/static/${hashed}`)).status, 200, 'the previous index still serves');
      }
    });
  }
}
