import t from 'tap';
// @ts-ignore plain ESM JavaScript without declarations
import { BROWSER_ACCEPT_ENCODING, buildScenarios, FAST_APP_PAGE_BYTES, mediaHandling, OWN_UPSTREAM, PEERS, planPhases, REVALIDATE_EVERY, schedule } from '../../bench/scenarios.mjs';
// @ts-ignore
import { MEDIA_CACHE_CONTROL } from '../../bench/nginx-conf.mjs';
// @ts-ignore
import { SCENARIOS } from '../../bench/options.mjs';

const files = {
  small: 'admin/css/base.1f418065fc2c.css',
  largeJs: 'admin/js/jquery.cccccccccccc.js',
  largest: 'admin/img/x.dddddddddddd.png',
  missing: 'admin/css/does-not-exist.0123456789ab.css',
  page: ['a.000000000001.css', 'b.000000000002.js', 'c.000000000003.png', 'd.000000000004.svg', 'e.000000000005.js', 'f.000000000006.css'],
  sizes: { 'admin/img/x.dddddddddddd.png': 500000 } as Record<string, number>,
};

t.test('every load scenario has a plan with what each answer must be', async (t) => {
  const plans = buildScenarios(files, { prefix: '/static/', connections: 50, media: { prefix: '/media/', file: 'u/p.jpg', size: 1234 } });
  t.same(Object.keys(plans).sort(), SCENARIOS.filter((s: string) => s !== 'startup').sort());
  t.same(plans['small-br'].requests, [{ path: '/static/' + files.small, headers: { 'Accept-Encoding': 'br, gzip' }, expect: { status: 200, encoding: 'br' } }]);
  t.same(plans['large-gzip'].requests[0].expect, { status: 200, encoding: 'gzip' });
  t.equal(plans['large-gzip'].requests[0].path, '/static/' + files.largeJs);
  t.equal(plans['revalidate-304'].requests[0].revalidate, true);
  t.equal(plans['revalidate-304'].requests[0].expect.status, 304);
  t.equal(plans['not-found-404'].requests[0].expect.status, 404);
  t.same(plans['large-stream'].requests[0].expect, { status: 200, encoding: 'identity', length: 500000 });
  t.same(plans['large-stream'].requests[0].headers, {}, 'no Accept-Encoding: identity bytes');
  t.equal(plans['keepalive-1000'].connections, 1000);
  t.equal(plans['small-br'].connections, 50);
  t.same(plans.proxy.servers, ['assetd', 'nginx', 'app']);
  t.equal(plans.proxy.needs, 'upstream');
  t.equal(plans.media.requests[0].path, '/media/u/p.jpg');
  t.equal(plans.media.requests[0].expect.length, 1234);
});

t.test('media: the same headers from every server, the sandbox on every answer, attachments for all but inert types', async (t) => {
  const jpg = buildScenarios(files, { prefix: '/static/', connections: 50, media: { prefix: '/media/', file: 'u/p.jpg', size: 1234 } }).media;
  t.same(jpg.servers, ['assetd', 'nginx'], 'nginx side by side');
  t.same(jpg.requests[0].expect, { status: 200, encoding: 'identity', length: 1234, headers: { 'x-content-type-options': 'nosniff', 'cache-control': MEDIA_CACHE_CONTROL, 'content-security-policy': "sandbox; default-src 'none'" } });
  t.equal(MEDIA_CACHE_CONTROL, 'public, max-age=0, must-revalidate');
  const svg = buildScenarios(files, { prefix: '/static/', connections: 50, media: { prefix: '/m/', file: 'u/logo.SVG', size: 9 } }).media;
  t.equal(svg.requests[0].expect.headers['content-security-policy'], "sandbox; default-src 'none'");
  t.ok(mediaHandling('a/b.html').attachment);
  t.ok(mediaHandling('b.mjs').attachment);
  t.ok(mediaHandling('feed.rdf').attachment, 'any type not on the allow-list');
  t.ok(mediaHandling('a.jpg/b').attachment, 'the extension of the name, not of a folder');
  t.notOk(mediaHandling('photo.jpg').attachment);
  t.notOk(mediaHandling('README.txt').attachment);
  t.match(mediaHandling('clip.mp4').csp, /media-src 'self'/, 'audio and video get the player policy');
});

t.test('proxy-keepalive: the 1 KiB page through both proxies and direct, checked for length and forwarding', async (t) => {
  const p = buildScenarios(files, { prefix: '/static/', connections: 50 })['proxy-keepalive'];
  t.same(p.servers, ['assetd', 'nginx', 'app']);
  t.equal(p.needs, 'upstream');
  t.equal(FAST_APP_PAGE_BYTES, 1024);
  t.same(p.requests, [{ path: '/app/page', headers: { 'Accept-Encoding': 'gzip' }, expect: { status: 200, encoding: 'identity', length: 1024 } }]);
  t.equal(p.forwarding, '/app/headers');
  t.equal(p.appStats, '/app/stats');
  t.equal(p.connections, 50);
  t.equal(buildScenarios(files, { prefix: '/static/', connections: 50 }).proxy.forwarding, undefined, 'gunicorn has no /app/headers');
});

t.test('planPhases: per process count, the shared servers, then one phase per scenario with its own app', async (t) => {
  t.same(OWN_UPSTREAM, { 'proxy-keepalive': 'fast-app', 'page-load-proxy': 'fast-app' });
  t.same(planPhases(['small-br', 'media', 'proxy', 'proxy-keepalive', 'startup'], [1, 2]), [
    { processes: 1, upstream: 'gunicorn', scenarios: ['small-br', 'media', 'proxy'] },
    { processes: 1, upstream: 'fast-app', scenarios: ['proxy-keepalive'] },
    { processes: 2, upstream: 'gunicorn', scenarios: ['small-br', 'media', 'proxy'] },
    { processes: 2, upstream: 'fast-app', scenarios: ['proxy-keepalive'] },
  ]);
  t.same(planPhases(['small-br', 'not-found-404'], [1]), [{ processes: 1, upstream: null, scenarios: ['small-br', 'not-found-404'] }], 'no app without a proxy scenario');
  t.same(planPhases(['proxy-keepalive'], [2]), [{ processes: 2, upstream: 'fast-app', scenarios: ['proxy-keepalive'] }]);
  t.same(planPhases(['startup'], [1, 2]), [], 'startup runs apart');
});

t.test('page load: every asset once, browser Accept-Encoding, one in three revalidated', async (t) => {
  const plans = buildScenarios(files, { prefix: '/s/', connections: 8 });
  const reqs = plans['page-load'].requests;
  t.same(reqs.map((r: { path: string }) => r.path), files.page.map((p) => '/s/' + p));
  for (const r of reqs) t.equal(r.headers['Accept-Encoding'], BROWSER_ACCEPT_ENCODING);
  const revalidated = reqs.filter((r: { revalidate: boolean }) => r.revalidate);
  t.equal(revalidated.length, Math.floor(files.page.length / REVALIDATE_EVERY));
  for (const r of reqs) t.equal(r.expect.status, r.revalidate ? 304 : 200);
});

t.test('no media plan without a media folder; no large-gzip without JS', async (t) => {
  const plans = buildScenarios({ ...files, largeJs: null }, { prefix: '/static/', connections: 50 });
  t.notOk('media' in plans);
  t.notOk('large-gzip' in plans);
  t.ok('proxy' in plans);
});

t.test('the Node ceiling joins the three scenarios its server can answer', async (t) => {
  const plans = buildScenarios(files, { prefix: '/static/', connections: 50, ceiling: true });
  for (const s of ['small-br', 'revalidate-304', 'not-found-404']) t.same(plans[s].servers, ['assetd', 'nginx', 'ceiling'], s);
  for (const s of ['large-gzip', 'page-load', 'keepalive-1000', 'large-stream']) t.same(plans[s].servers, ['assetd', 'nginx'], s);
  t.same(buildScenarios(files, { prefix: '/static/', connections: 50 })['small-br'].servers, ['assetd', 'nginx']);
});

t.test('the peers join small-br only, after the ceiling, with the same request and check', async (t) => {
  t.same(PEERS, ['whitenoise', 'sirv', 'fastify-static']);
  const plans = buildScenarios(files, { prefix: '/static/', connections: 50, ceiling: true, peers: true });
  t.same(plans['small-br'].servers, ['assetd', 'nginx', 'ceiling', 'whitenoise', 'sirv', 'fastify-static']);
  t.same(plans['small-br'].requests[0].expect, { status: 200, encoding: 'br' });
  for (const [name, p] of Object.entries(plans) as [string, { servers: string[] }][]) {
    if (name !== 'small-br') for (const peer of PEERS) t.notOk(p.servers.includes(peer), `${peer} not in ${name}`);
  }
  t.same(buildScenarios(files, { prefix: '/static/', connections: 50, peers: true })['small-br'].servers, ['assetd', 'nginx', 'whitenoise', 'sirv', 'fastify-static'], 'without the ceiling');
});

t.test('keepalive keeps more connections when asked for more', async (t) => {
  t.equal(buildScenarios(files, { prefix: '/static/', connections: 2000 })['keepalive-1000'].connections, 2000);
});

t.test('schedule alternates the servers round by round', async (t) => {
  t.same(schedule(['assetd', 'nginx'], 2), [
    { server: 'assetd', round: 1 },
    { server: 'nginx', round: 1 },
    { server: 'assetd', round: 2 },
    { server: 'nginx', round: 2 },
  ]);
  t.same(schedule(['a', 'b', 'c'], 1).map((x: { server: string }) => x.server), ['a', 'b', 'c']);
  t.same(schedule(['a'], 0), []);
});
