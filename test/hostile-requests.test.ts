/**
 * The traversal corpus against the real server, over raw sockets: no response may contain a
 * secret, and every answer is a 4xx, a 3xx to a safe relative location, or (for lines that
 * are not HTTP at all) a closed connection. The server keeps serving afterwards.
 */
import t from 'tap';
import { hostileTargets, redirectTargets, type HostileTarget } from './helpers/hostile-targets.js';
import { inBatches, rawRequest, requestBytes, statusesIn, type RawResponse } from './helpers/raw-http.js';
import { captureLog, makeSite, startSite } from './helpers/site.js';

/** A Location that stays on the origin it came from: relative, not scheme-relative, no control characters. */
export function safeLocation(loc: string | undefined): boolean {
  if (loc === undefined || loc === '') return false;
  if (/[\x00-\x20\x7f\\]/.test(loc)) return false;
  if (/^[a-z][a-z0-9+.-]*:/i.test(loc)) return false; // absolute URL
  if (loc.startsWith('//')) return false; // scheme-relative
  for (const base of ['http://assetd.test/static/dir', 'http://assetd.test/', 'http://assetd.test//a/b']) {
    if (new URL(loc, base).origin !== 'http://assetd.test') return false;
  }
  return true;
}

t.test('safeLocation', async (t) => {
  for (const ok of ['dir/', 'dir/?next=//evil.example/', '%E6%97%A5/', '../x/']) t.ok(safeLocation(ok), ok);
  for (const bad of ['//evil.example/', 'http://evil.example/', '/\\evil.example', 'javascript:alert(1)', 'dir/\r\nSet-Cookie: x', '', undefined]) {
    t.notOk(safeLocation(bad), String(bad));
  }
});

function leaks(res: RawResponse, secrets: string[]): string | undefined {
  const text = res.raw.toString('latin1');
  return secrets.find((s) => text.includes(s));
}

function judge(target: HostileTarget, res: RawResponse, secrets: string[], allowRedirect: boolean): string | undefined {
  const leaked = leaks(res, secrets);
  if (leaked !== undefined) return `response contains the secret ${leaked}`;
  if (res.timedOut) return 'no answer and no close within the wait';
  const statuses = statusesIn(res.raw);
  if (statuses.length === 0) return res.raw.length === 0 ? 'connection closed without an answer' : `not an HTTP response: ${JSON.stringify(res.raw.subarray(0, 80).toString('latin1'))}`;
  for (const s of statuses) {
    if (s >= 400 && s < 500) continue;
    if (allowRedirect && s >= 300 && s < 400) {
      if (!safeLocation(res.headers.location)) return `redirect to unsafe location ${JSON.stringify(res.headers.location)}`;
      continue;
    }
    return `status ${s}`;
  }
  return undefined;
}

t.test('traversal corpus: nothing outside the root, no hidden file, no crash', async (t) => {
  const site = makeSite(t);
  const log = captureLog(t);
  const { port } = await startSite(t, site);
  const targets = hostileTargets('/static/');
  t.ok(targets.length >= 100, `${targets.length} hostile targets`);
  const results = await inBatches(targets, 8, (target) => rawRequest(port, target.bytes, { untilClose: true, waitMs: 5000 }));
  let failures = 0;
  const statusCount = new Map<number, number>();
  targets.forEach((target, i) => {
    const why = judge(target, results[i], site.secrets, false);
    for (const s of statusesIn(results[i].raw)) statusCount.set(s, (statusCount.get(s) ?? 0) + 1);
    if (why !== undefined) {
      failures++;
      t.fail(`${target.name}: ${why}`, { target: target.bytes.toString('latin1').slice(0, 200) });
    }
  });
  t.equal(failures, 0, `all ${targets.length} targets refused (statuses: ${[...statusCount].map(([s, n]) => `${s}x${n}`).join(' ')})`);
  // the server is still there and still serving the real files
  const ok = await rawRequest(port, requestBytes('/static/app.css'));
  t.equal(ok.status, 200, 'still serving after the corpus');
  t.equal(ok.body.toString(), 'body { color: black }\n');
  t.notOk(log.some((l) => /internal error/.test(l)), 'no internal error logged');
});

t.test('redirect targets: a 3xx only to a safe relative location', async (t) => {
  const site = makeSite(t);
  const { port } = await startSite(t, site);
  const targets = redirectTargets('/static/');
  for (const target of targets) {
    const res = await rawRequest(port, target.bytes, { untilClose: true });
    const why = judge(target, res, site.secrets, true);
    t.equal(why, undefined, target.name);
    t.equal(res.status, 301, `${target.name}: redirected`);
    t.equal(res.headers.location, target.location, `${target.name}: Location`);
  }
});

t.test('the harness can fail: following symlinks out of the root is reported as a leak', async (t) => {
  const site = makeSite(t);
  const { port } = await startSite(t, site, { 'follow-symlinks': true });
  const symlinkRows = hostileTargets('/static/').filter((x) => x.name.startsWith('symlink '));
  const verdicts = await inBatches(symlinkRows, 4, async (target) => judge(target, await rawRequest(port, target.bytes, { untilClose: true }), site.secrets, false));
  const leaked = verdicts.filter((v) => v !== undefined && v.startsWith('response contains the secret'));
  t.ok(leaked.length >= 3, `${leaked.length} symlink rows leak when followSymlinks is on (by configuration)`);
});
