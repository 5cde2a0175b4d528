/**
 * The traversal corpus against the real server, over raw sockets: no response may contain a
 * secret, and every answer is a 4xx, a 3xx to a safe relative location, or (for lines that
 * are not HTTP at all) a closed connection. The server keeps serving afterwards.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { hostileTargets, redirectTargets, type HostileTarget } from '../helpers/hostile-targets.js';
import { inBatches, rawRequest, requestBytes, statusesIn, type RawResponse } from '../helpers/raw-http.js';
import { captureLog, makeSite, startSite } from '../helpers/site.js';
import { startStack } from '../helpers/stack.js';

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
    // a method the parser does not know (lower-case "get") is 501 Not Implemented (RFC 9110 §9.1)
    if (s === 501 && target.name.startsWith('method ')) continue;
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

/**
 * The path the app would see, decoded leniently (each valid %XX once, bytes as Latin-1 when
 * not UTF-8), with absolute-form reduced and repeated slashes collapsed. Independent of
 * src/http/request-path.ts on purpose: it judges what the server forwarded.
 */
function appView(target: string): string {
  let p = target.replace(/^[a-z]+:\/\/[^/?#]*/i, '').split(/[?#]/)[0];
  const bytes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '%' && /^[0-9a-f]{2}$/i.test(p.slice(i + 1, i + 3))) {
      bytes.push(parseInt(p.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(p[i], 'utf8'));
  }
  p = Buffer.from(bytes).toString('latin1');
  return p.replace(/\/+/g, '/');
}

t.test('traversal corpus through a server with an upstream: no secret, nothing under the mount reaches the app', async (t) => {
  const site = makeSite(t);
  const log = captureLog(t);
  const received: string[] = [];
  const app = http.createServer((req, res) => {
    received.push(req.url ?? '');
    req.resume();
    // a 200 that is visibly the app's: what the app answers for a path is the app's business
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-From-App': '1' });
    res.end('app\n');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => {
    app.close(() => resolve());
    app.closeAllConnections();
  }));
  const upstream = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const { port } = await startSite(t, site, { upstream });
  const targets = hostileTargets('/static/');
  const results = await inBatches(targets, 8, (target) => rawRequest(port, target.bytes, { untilClose: true, waitMs: 5000 }));
  let failures = 0;
  let fromApp = 0;
  targets.forEach((target, i) => {
    const res = results[i];
    let why: string | undefined;
    if (res.headers['x-from-app'] === '1' && statusesIn(res.raw).length === 1) {
      fromApp++;
      why = leaks(res, site.secrets) === undefined ? undefined : 'response contains a secret';
    } else {
      why = judge(target, res, site.secrets, false);
    }
    if (why !== undefined) {
      failures++;
      t.fail(`${target.name}: ${why}`, { target: target.bytes.toString('latin1').slice(0, 200) });
    }
  });
  t.equal(failures, 0, `${targets.length} targets: no secret, ${fromApp} answered by the app, the rest refused`);
  t.ok(fromApp > 0, 'targets outside every mount do reach the app (the check below is not vacuous)');
  // as spelled, and as an app resolving '..' leniently (at most to the root) would see it
  const names = (p: string) => p.startsWith('/static/') || p === '/static';
  const named = received.filter((u) => names(appView(u)) || names(new URL(appView(u).replace(/[?#]/g, encodeURIComponent), 'http://app').pathname));
  t.same(named.slice(0, 10), [], `no target naming the static mount reached the app (${named.length} of ${received.length} did)`);
  const ok = await rawRequest(port, requestBytes('/static/app.css'));
  t.equal(ok.status, 200, 'still serving static files');
  const proxied = await rawRequest(port, requestBytes('/app/page'));
  t.equal(proxied.status, 200, 'and still proxying');
  t.equal(proxied.headers['x-from-app'], '1');
  t.notOk(log.some((l) => /internal error/.test(l)), 'no internal error logged');
});

t.test('dot segments never carry a request across a mount boundary to the app', async (t) => {
  const received: string[] = [];
  const s = await startStack(t, {
    files: { 'static/app.css': 'body{}\n', 'media/a.txt': 'a\n' },
    config: { static: [{ prefix: '/static/', root: 'static' }, { prefix: '/media/', root: 'media', fallthrough: true }] },
    app: (req, res) => {
      received.push(req.url!);
      res.end('app\n');
    },
  });
  const port = Number(new URL(s.url).port);
  const refused: [string, number][] = [
    ['/media/%2e%2e/app/x', 400], // out of a fallthrough mount
    ['/app/../media/nope', 400], // from outside into a fallthrough mount
    ['/%6dedia/%2e%2e/app/x', 400],
    ['//static/%2e%2e/app/x', 400],
    ['/media/../static/nope.css', 404], // into a mount that keeps its 404
  ];
  for (const [target, status] of refused) {
    const res = await rawRequest(port, requestBytes(target));
    t.equal(res.status, status, `${target}: refused`);
    const up = await rawRequest(port, requestBytes(target, { headers: [['Connection', 'Upgrade'], ['Upgrade', 'websocket']] }));
    t.equal(up.status, status, `${target}: refused as an Upgrade too`);
  }
  t.same(received, [], 'none reached the app');
  const allowed = ['/media/x/../gen/thumb.png', '/app/./x/../y', '/media/gen/a.png'];
  for (const target of allowed) {
    const res = await rawRequest(port, requestBytes(target));
    t.equal(res.status, 200, `${target}: stays where it points, so the app answers`);
  }
  t.same(received, allowed, 'passed on as spelled');
  t.equal((await rawRequest(port, requestBytes('/app/../static/app.css'))).body.toString(), 'body{}\n', 'into a mount, to an indexed file: served');
});
