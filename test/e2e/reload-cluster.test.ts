/**
 * SIGHUP with two workers, against the real process: the primary reloads one worker at a
 * time (each after the one before answered), requests are answered throughout, and the
 * new file is served by every worker afterwards.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { eventually, request, startAssetd } from '../helpers/run.js';

const FILES = 3000;

t.test('SIGHUP with 2 workers: one worker at a time, every request answered, the new file everywhere after', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-reload-cluster-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  for (let d = 0; d < 30; d++) {
    fs.mkdirSync(path.join(root, `d${d}`));
    for (let f = 0; f < FILES / 30; f++) fs.writeFileSync(path.join(root, `d${d}`, `f${f}.css`), `/* ${d} ${f} */\n`);
  }
  fs.writeFileSync(path.join(root, 'app.css'), 'body{}\n');
  const s = await startAssetd(['serve', '--root', root, '--port', '0', '--workers', '2', '--access-log', 'off']);
  t.teardown(s.stop);

  // a client that keeps asking while the reload runs
  const statuses = new Map<number, number>();
  let errors = 0;
  let running = true;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(() => agent.destroy());
  const loop = async () => {
    while (running) {
      try {
        const r = await request(s.url + '/static/app.css', { agent });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      } catch {
        errors++;
      }
    }
  };
  const loops = Array.from({ length: 4 }, loop);
  await eventually(() => (statuses.get(200) ?? 0) > 20, 5000);

  fs.writeFileSync(path.join(root, 'new.css'), 'h1{}\n');
  const before = (statuses.get(200) ?? 0) + errors;
  s.proc.kill('SIGHUP');
  t.ok(await eventually(() => /one at a time/.test(s.stderr()), 30_000), 'the reload finished');
  const during = (statuses.get(200) ?? 0) + errors - before;
  running = false;
  await Promise.all(loops);
  t.same([...statuses.keys()], [200], `every answer a 200 (${[...statuses].map(([k, v]) => `${k}x${v}`).join(' ')})`);
  t.equal(errors, 0, 'no failed request');
  t.ok(during > 0, `${during} requests answered between the signal and the end of the reload`);

  const lines = s.stderr().split('\n').filter((l) => l.startsWith('assetd: reload'));
  const files = FILES + 2;
  t.match(lines[0] ?? '', new RegExp(`^assetd: reload: ${files} files indexed, 0 variants, \\d+ ms in worker (\\d+) \\(1 of 2\\)$`), 'the first worker reloaded');
  t.match(lines[1] ?? '', new RegExp(`^assetd: reload: ${files} files indexed, 0 variants, \\d+ ms in worker (\\d+) \\(2 of 2\\)$`), 'then the second');
  t.match(lines[2] ?? '', new RegExp(`^assetd: reload: ${files} files indexed, 0 variants, \\d+ ms in 2 workers, one at a time$`), 'then the summary');
  t.equal(lines.length, 3, 'and nothing else');
  const pids = lines.slice(0, 2).map((l) => /in worker (\d+)/.exec(l)?.[1]);
  t.not(pids[0], pids[1], 'two different workers');

  // every worker serves the new tree: health names the worker and its index
  const seen = new Map<number, number>();
  for (let i = 0; i < 60 && seen.size < 2; i++) {
    const h = JSON.parse((await request(s.url + '/__assetd/health')).body.toString()) as { pid: number; files: number };
    seen.set(h.pid, h.files);
  }
  t.same([...seen.keys()].map(String).sort(), [...pids].sort(), 'both reloaded workers answer');
  t.same([...seen.values()], [files, files], `each with the new index (${files} files)`);
  for (let i = 0; i < 6; i++) t.equal((await request(s.url + '/static/new.css')).status, 200, 'the new file is served');
});
