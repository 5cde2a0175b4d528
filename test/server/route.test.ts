/** The routing decision, every branch, and properties over generated targets. */
import t from 'tap';
import fc from 'fast-check';
import { route, routeUpgrade, type RouteTable } from '../../src/server/route.js';
import type { MediaRuntime } from '../../src/media/resolve.js';
import type { Entry, MountIndex } from '../../src/static/entry.js';

const file = (urlPath: string) => ({ kind: 'file', urlPath }) as unknown as Entry;
const mount = (prefix: string, o: { fallthrough?: boolean; internal?: boolean } = {}) =>
  ({ prefix, config: { prefix, fallthrough: o.fallthrough ?? false, internal: o.internal ?? false } }) as unknown as MountIndex;
const media = (prefix: string) => ({ prefix }) as unknown as MediaRuntime;

const css = file('/static/app.css');
const redirect = { kind: 'redirect', urlPath: '/static/docs', location: 'docs/', cacheControl: 'public, max-age=60' } as unknown as Entry;
function table(o: Partial<RouteTable> = {}): RouteTable {
  return {
    public: new Map([
      ['/static/app.css', css],
      ['/static/docs', redirect],
    ]),
    mounts: [mount('/static/fall/', { fallthrough: true }), mount('/static/'), mount('/private/', { internal: true })],
    media: [media('/media/')],
    proxy: true,
    healthPath: '/__assetd/health',
    metricsPath: '/__assetd/metrics',
    ...o,
  };
}
const H = ['Host', 'example.com'];
const req = (url: string, method = 'GET', rawHeaders = H) => ({ method, url, rawHeaders });
const kind = (url: string, method = 'GET', tb = table(), rawHeaders = H) => {
  const r = route(req(url, method, rawHeaders), tb);
  return 'metric' in r ? `${r.kind}/${r.metric}` : r.kind;
};

t.test('static entries come straight from the index, whatever the method (the answer judges it)', async (t) => {
  t.equal(route(req('/static/app.css'), table()), css, 'the entry itself: nothing allocated');
  t.equal(route(req('/static/app.css?v=2'), table()), css, 'the query is not part of the path');
  t.equal(route(req('/static/./app.css'), table()), css, 'normalised once');
  t.equal(route(req('/static/%61pp.css'), table()), css, 'decoded once');
  t.equal(route(req('/static/app.css', 'POST'), table()), css);
  t.equal(route(req('/static/docs'), table()), redirect);
  t.equal(route(req('http://example.com/static/app.css'), table()), css, 'absolute-form');
});

t.test('Host: several lines or a bad value is a 400 that closes, on every route', async (t) => {
  for (const url of ['/static/app.css', '/media/a.png', '/app', '/__assetd/health']) {
    const r = route(req(url, 'GET', ['Host', 'a', 'host', 'b']), table());
    t.same(r, { kind: 'bad-request', metric: 'other', close: true }, url);
    t.same(route(req(url, 'GET', ['Host', 'a b']), table()), { kind: 'bad-request', metric: 'other', close: true });
  }
  t.equal(kind('/static/app.css', 'GET', table(), []), 'file', 'no Host at all is node\'s to judge (HTTP/1.0)');
});

t.test('health and metrics', async (t) => {
  t.equal(kind('/__assetd/health'), 'health/service');
  t.equal(kind('/__assetd/metrics', 'HEAD'), 'metrics/service');
  t.equal(kind('/__assetd/health', 'POST'), 'method-not-allowed/service');
  t.equal(kind('/__assetd/health', 'GET', table({ healthPath: null })), 'proxy/proxy', 'switched off: an ordinary path');
});

t.test('media mounts, resolved later', async (t) => {
  t.same(route(req('/media/a%20b.png'), table()), { kind: 'media', metric: 'media', mount: table().media[0], path: '/media/a b.png' });
  t.equal(kind('/media/x', 'DELETE'), 'media/media', 'the media answer judges the method');
});

t.test('what the index does not hold under a static prefix', async (t) => {
  t.equal(kind('/static/missing.css'), 'not-found/static');
  t.equal(kind('/static/missing.css', 'POST'), 'method-not-allowed/static');
  t.equal(kind('/static/fall/page'), 'proxy/proxy', 'a mount that falls through passes it to the app');
  t.equal(kind('/static/fall/page', 'GET', table({ proxy: false })), 'not-found/static', 'with no app it is a 404');
  t.equal(kind('/private/invoice.pdf'), 'not-found/static', 'an internal mount answers nothing directly');
  t.equal(kind('/private/invoice.pdf', 'POST'), 'not-found/static', 'not even a 405');
});

t.test('everything else: the app, or 404 without one', async (t) => {
  t.equal(kind('/app/page'), 'proxy/proxy');
  t.equal(kind('/app/page', 'GET', table({ proxy: false })), 'not-found/other');
  t.equal(kind('/static/../app/page'), 'bad-request/proxy', 'a target climbing out of the mount it names is refused, not passed on');
  t.equal(kind('/app/../static/app.css'), 'file', 'one that normalises into a mount is that mount\'s');
  t.equal(kind('/app/%2e%2e/static/secret'), 'not-found/static', 'encoded dot segments resolve into the mount, which answers');
  t.equal(kind('/static/%2e%2e/app/page'), 'bad-request/proxy', 'and out of it: refused');
  t.equal(kind('/app/x%2Fy'), 'proxy/proxy', 'a path this server refuses is still the app\'s when no mount owns it');
  t.equal(kind('/static/x%2Fy'), 'bad-request/other', 'but not under a mount');
  t.equal(kind('/../static/app.css'), 'bad-request/other', 'nor one that climbs above the root into a mount, as an app would resolve it');
  t.equal(kind('/%2e%2e/media/a.png'), 'bad-request/other');
  t.equal(kind('/../app/page'), 'proxy/proxy', 'above the root into no mount: the app\'s to judge');
  t.equal(kind('*', 'OPTIONS'), 'bad-request/other', 'not origin-form');
  t.equal(kind('/app/x%2Fy', 'GET', table({ proxy: false })), 'bad-request/other');
});

t.test('upgrades go to the app only where a request of that path would', async (t) => {
  const u = (url: string, tb = table(), h = H) => routeUpgrade(req(url, 'GET', h), tb);
  t.equal(u('/ws'), 'proxy');
  t.equal(u('/static/fall/ws'), 'proxy');
  t.equal(u('/static/app.css'), 'not-found');
  t.equal(u('/static/nothing'), 'not-found');
  t.equal(u('/private/x'), 'not-found');
  t.equal(u('/media/x'), 'not-found');
  t.equal(u('/static/../ws'), 'bad-request');
  t.equal(u('/ws', table(), ['Host', 'a', 'Host', 'b']), 'bad-request');
  t.equal(u('/x%00'), 'bad-request');
});

t.test('property: the app never gets a target that names, or resolves into, a mount that owns its paths', async (t) => {
  const seg = fc.constantFrom('static', 'media', 'private', 'fall', 'app', '..', '.', '%2e%2e', '%2E.', 'app.css', 'x', '', '%2f', '%00', 'a%20b');
  const target = fc.array(seg, { maxLength: 6 }).map((s) => '/' + s.join('/'));
  fc.assert(
    fc.property(target, fc.constantFrom('GET', 'POST', 'HEAD'), (url, method) => {
      const r = route(req(url, method), table());
      if (r.kind !== 'proxy') return true;
      // what the app receives names no mount but a fallthrough one, as spelled and as resolved
      const owned = (p: string) => /^\/(media|private)\//.test(p) || (/^\/static\//.test(p) && !/^\/static\/fall\//.test(p));
      const spelled = decodeURIComponent(url.replace(/%(?![0-9a-f]{2})/gi, '%25')).replace(/\/+/g, '/');
      const resolved = new URL(spelled, 'http://x').pathname;
      return !owned(spelled) && !owned(resolved);
    }),
    { numRuns: 20000 },
  );
});
