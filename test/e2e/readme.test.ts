/** The README's quick start works as written: its curl line names a real hashed file of the example site. */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, request, runAssetd, startAssetd } from '../helpers/run.js';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const m = /curl -sI -H 'Accept-Encoding: br' (http:\/\/127\.0\.0\.1:8080(\/static\/css\/[^\s]+\.css))/.exec(readme);

t.test('the quick-start curl line', async (t) => {
  t.ok(m, 'README has the curl line');
  if (!m) return;
  t.match(readme, /npm ci && npm start/);
  t.match(readme, /npm ci && npm test/);
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  t.match(pkg.scripts.start, /serve --config example\/assetd\.json/);
  const s = await startAssetd(['serve', '--config', 'example/assetd.json', '--port', '0']);
  t.teardown(s.stop);
  const r = await request(s.url + m[2], { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
  t.equal(r.status, 200);
  t.equal(r.headers['content-encoding'], 'br');
  t.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.match(r.headers.etag, /^"[0-9a-f]+-[0-9a-f]+-br"$/);
  const page = await request(s.url + '/static/');
  t.equal(page.status, 200);
  t.match(page.body.toString(), /<link rel="stylesheet" href="css\/site\.css">/);
});

t.test('the check example prints what assetd check prints', async (t) => {
  const block = /```\n\$ npx assetd check --config example\/assetd\.json\n([\s\S]*?)```/.exec(readme);
  t.ok(block, 'README has the check example');
  if (!block) return;
  const r = await runAssetd(['check', '--config', 'example/assetd.json']);
  t.equal(r.code, 0);
  t.equal(r.stdout.split(repoRoot).join('/srv/app'), block[1], 'the same lines, with the checkout at /srv/app');
});
