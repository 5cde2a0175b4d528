import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../../src/config/index.js';
import { describeReload, reloadOnce, Reloader, type ReloadResult } from '../../src/runtime/reload.js';
import { createAssetServer } from '../../src/server/server.js';
import { buildIndex } from '../../src/static/build.js';
import { laneEnv } from '../helpers/lane.js';

function tree(t: Tap.Test) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-reload-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'a.111111111111.js'), 'a');
  fs.writeFileSync(path.join(dir, 'staticfiles.json'), JSON.stringify({ version: '1.1', paths: { 'a.js': 'a.111111111111.js' } }));
  return dir;
}

t.test('a good tree is swapped in; a broken manifest keeps the old index', async (t) => {
  const root = tree(t);
  const config = resolveConfig({ flags: { root }, env: laneEnv(), cwd: '/' });
  const server = createAssetServer(config, await buildIndex(config.static, config));
  const first = server.getIndex();
  t.ok(first.public.has('/static/a.111111111111.js'));

  fs.writeFileSync(path.join(root, 'b.222222222222.js'), 'b');
  fs.writeFileSync(path.join(root, 'staticfiles.json'), JSON.stringify({ version: '1.1', paths: { 'a.js': 'a.111111111111.js', 'b.js': 'b.222222222222.js' } }));
  const ok = await reloadOnce(config, server);
  t.match(ok, { ok: true, files: 2, missing: 0 });
  const second = server.getIndex();
  t.not(second, first, 'a new index object');
  t.ok(second.public.has('/static/b.222222222222.js'));
  t.equal(server.metrics.reloadsOk, 1);

  fs.writeFileSync(path.join(root, 'staticfiles.json'), '{"paths": ');
  const bad = await reloadOnce(config, server);
  t.match(bad, { ok: false, files: 2 });
  t.match(describeReload(bad), /^reload failed, still serving the previous index \(2 files\): .*staticfiles\.json: manifest is not valid JSON/);
  t.equal(server.getIndex(), second, 'the old index object stays');
  t.equal(server.metrics.reloadsFailed, 1);

  fs.rmSync(root, { recursive: true });
  const gone = await reloadOnce(config, server);
  t.equal(gone.ok, false, 'a vanished root is an error too');
  t.equal(server.getIndex(), second);
});

t.test('describeReload success line', async (t) => {
  t.equal(describeReload({ ok: true, files: 10, variants: 4, missing: 0, ms: 7 }, ' in 2 workers'), 'reload: 10 files indexed, 4 variants, 7 ms in 2 workers');
  t.equal(describeReload({ ok: true, files: 10, variants: 4, missing: 2, ms: 7 }), 'reload: 10 files indexed, 4 variants, 2 manifest names missing on disk, 7 ms');
});

t.test('Reloader runs one at a time and folds requests made during a run into one more', async (t) => {
  let runs = 0;
  let active = 0;
  let maxActive = 0;
  const gates: (() => void)[] = [];
  const r = new Reloader(async (): Promise<ReloadResult> => {
    runs++;
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((g) => gates.push(g));
    active--;
    return { ok: true, files: runs, variants: 0, missing: 0, ms: 0 };
  });
  const a = r.request();
  const b = r.request();
  const c = r.request();
  t.equal(b, c, 'requests during a run share the follow-up');
  await new Promise((res) => setImmediate(res));
  t.equal(runs, 1);
  gates.shift()!();
  t.match(await a, { files: 1 });
  await new Promise((res) => setImmediate(res));
  t.equal(runs, 2, 'one follow-up run for both');
  gates.shift()!();
  t.match(await b, { files: 2 });
  t.equal(maxActive, 1);
  const d = r.request();
  await new Promise((res) => setImmediate(res));
  t.equal(runs, 3, 'idle again: a new request runs at once');
  gates.shift()!();
  await d;
});

t.test('a reload build gives the event loop turns; a startup build does not', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-reload-slices-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  for (let i = 0; i < 500; i++) fs.writeFileSync(path.join(root, `f${i}.css`), `/* ${i} */`);
  const config = resolveConfig({ flags: { root }, env: laneEnv(), cwd: '/' });
  const turnsDuring = async (build: () => Promise<unknown>) => {
    let turns = 0;
    let done = false;
    const tick = () => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    await build();
    done = true;
    return turns;
  };
  t.equal(await turnsDuring(() => buildIndex(config.static, config)), 0, 'startup: one piece of work (nothing else is waiting)');
  // a slice so short that every file ends one: the loop runs between files
  const sliced = await turnsDuring(() => buildIndex(config.static, config, { sliceMs: 1e-9 }));
  t.ok(sliced >= 400, `a sliced build let the event loop run ${sliced} times`);
  const server = createAssetServer(config, await buildIndex(config.static, config));
  const r = await reloadOnce(config, server);
  t.match(r, { ok: true, files: 500 }, 'a reload (walk in a thread, sliced build) indexes the same tree');
});
