import t from 'tap';
import { checkServicePaths, resolveConfig, TOP_FIELDS, type ConfigSources } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';

const withRoot = (more: ConfigSources = {}): ConfigSources => ({ cwd: '/srv', ...more, flags: { root: 'static', ...(more.flags ?? {}) } });

t.test('production defaults', async (t) => {
  const c = resolveConfig(withRoot());
  t.equal(c.workers, TOP_FIELDS.workers!.default, 'workers: the schema\'s default');
  t.equal(c.shutdownTimeout, 10_000);
  t.equal(c.headersTimeout, 10_000);
  t.equal(c.requestTimeout, 0, 'no total limit on a request');
  t.equal(c.bodyTimeout, 60_000, 'an idle limit on request bodies instead');
  t.equal(c.keepAliveTimeout, 5_000);
  t.equal(c.maxHeaderSize, 16 * 1024);
  t.equal(c.maxConnections, 10_000);
  t.equal(c.accessLog, 'combined');
  t.equal(c.healthPath, '/__assetd/health');
  t.equal(c.metricsPath, '/__assetd/metrics');
});

t.test('workers: "auto" or a count; 0 reads as "auto"', async (t) => {
  t.equal(resolveConfig(withRoot({ flags: { workers: 'auto' } })).workers, 'auto');
  t.equal(resolveConfig(withRoot({ env: { ASSETD_WORKERS: 'auto' } })).workers, 'auto');
  t.equal(resolveConfig(withRoot({ file: { workers: 'auto' } })).workers, 'auto');
  t.equal(resolveConfig(withRoot({ flags: { workers: '0' } })).workers, 'auto', 'the count of earlier versions');
  t.equal(resolveConfig(withRoot({ file: { workers: 0 } })).workers, 'auto');
  t.equal(resolveConfig(withRoot({ file: { workers: 'auto' }, flags: { workers: '1' } })).workers, 1);
  t.equal(resolveConfig(withRoot({ env: { ASSETD_WORKERS: '3' } })).workers, 3);
});

t.test('file, environment and flags set the production keys, flags win', async (t) => {
  const c = resolveConfig(
    withRoot({
      file: { workers: 4, accessLog: 'json', metricsPath: null, shutdownTimeout: 2500 },
      env: { ASSETD_WORKERS: '3', ASSETD_ACCESS_LOG: 'off', ASSETD_HEADERS_TIMEOUT: '2000', ASSETD_HEALTH_PATH: '/healthz' },
      flags: { workers: '2', 'keep-alive-timeout': '75000', 'max-connections': '0', 'max-header-size': '8192' },
    }),
  );
  t.equal(c.workers, 2);
  t.equal(c.accessLog, 'off');
  t.equal(c.metricsPath, null);
  t.equal(c.shutdownTimeout, 2500);
  t.equal(c.headersTimeout, 2000);
  t.equal(c.healthPath, '/healthz');
  t.equal(c.keepAliveTimeout, 75_000);
  t.equal(c.maxConnections, 0);
  t.equal(c.maxHeaderSize, 8192);
  t.equal(resolveConfig(withRoot({ flags: { 'metrics-path': 'off' } })).metricsPath, null, '"off" disables from a flag');
});

t.test('bad values are one-line errors naming the key', async (t) => {
  const cases: [ConfigSources, RegExp][] = [
    [withRoot({ flags: { 'access-log': 'verbose' } }), /^--access-log: expected one of combined, json, off/],
    [withRoot({ file: { accessLog: true } }), /accessLog: expected one of/],
    [withRoot({ flags: { workers: '-1' } }), /^--workers: expected "auto" or a whole number of at least 1/],
    [withRoot({ env: { ASSETD_WORKERS: 'many' } }), /^ASSETD_WORKERS: expected "auto" or a whole number/],
    [withRoot({ file: { workers: '2' } }), /workers: expected "auto" or a whole number/],
    [withRoot({ env: { ASSETD_SHUTDOWN_TIMEOUT: 'soon' } }), /^ASSETD_SHUTDOWN_TIMEOUT: expected a whole number/],
    [withRoot({ flags: { 'headers-timeout': '0' } }), /--headers-timeout: expected a number of at least 1/],
    [withRoot({ flags: { 'max-header-size': '100' } }), /--max-header-size: expected a number of at least 1024/],
    [withRoot({ flags: { 'health-path': 'health' } }), /--health-path: expected a URL path starting with "\/"/],
    [withRoot({ flags: { 'health-path': '/a/../b' } }), /--health-path: expected a plain URL path/],
    [withRoot({ flags: { 'metrics-path': '/m?x=1' } }), /--metrics-path: expected a plain URL path/],
    [withRoot({ flags: { 'health-path': '/static/health' } }), /healthPath "\/static\/health" falls under the mount prefix "\/static\/"/],
    [withRoot({ flags: { 'metrics-path': '/static' } }), /metricsPath "\/static" falls under the mount prefix/],
    [withRoot({ flags: { 'health-path': '/x', 'metrics-path': '/x' } }), /healthPath and metricsPath are both "\/x"/],
    [withRoot({ flags: { 'headers-timeout': '40000', 'request-timeout': '30000' } }), /headersTimeout \(40000 ms\) must not exceed requestTimeout \(30000 ms\)/],
    [withRoot({ file: { gracePeriod: 3 } }), /unknown key "gracePeriod"/],
  ];
  for (const [src, re] of cases) {
    try {
      resolveConfig(src);
      t.fail(`accepted: ${re}`);
    } catch (e) {
      t.type(e, UserError);
      t.match((e as Error).message, re);
      t.notOk((e as Error).message.includes('\n'), 'one line');
    }
  }
  t.equal(resolveConfig(withRoot({ flags: { 'headers-timeout': '40000', 'request-timeout': '0' } })).headersTimeout, 40_000, 'no request limit: any headers timeout');
});

t.test('service paths outside every mount are fine, also next to one', async (t) => {
  const mounts = [{ prefix: '/static/' }, { prefix: '/media/' }] as never;
  t.doesNotThrow(() => checkServicePaths({ healthPath: '/__assetd/health', metricsPath: '/metrics', static: mounts, media: [] }));
  t.doesNotThrow(() => checkServicePaths({ healthPath: '/staticky', metricsPath: null, static: mounts, media: [] }));
  t.throws(() => checkServicePaths({ healthPath: null, metricsPath: '/media/m', static: mounts, media: [] }), /metricsPath "\/media\/m" falls under/);
});

t.test('a service path may not fall under a media prefix either', async (t) => {
  t.throws(
    () => checkServicePaths({ healthPath: '/uploads/health', metricsPath: null, static: [{ prefix: '/static/' }] as never, media: [{ prefix: '/uploads/' }] as never }),
    /healthPath "\/uploads\/health" falls under the mount prefix "\/uploads\/"/,
  );
});

t.test('sendTimeout and drainDelay: defaults, flags, and a drain delay longer than the grace period refused', async (t) => {
  const d = resolveConfig(withRoot());
  t.equal(d.sendTimeout, 60_000, "nginx's send_timeout");
  t.equal(d.drainDelay, 0, 'a stop with nothing in flight is immediate');
  const c = resolveConfig(withRoot({ env: { ASSETD_SEND_TIMEOUT: '0' }, flags: { 'drain-delay': '5000' } }));
  t.equal(c.sendTimeout, 0, '0: no send timeout');
  t.equal(c.drainDelay, 5000);
  t.throws(() => resolveConfig(withRoot({ flags: { 'drain-delay': '20000' } })), new UserError('drainDelay (20000 ms) must not exceed shutdownTimeout (10000 ms)'));
  t.throws(() => resolveConfig(withRoot({ flags: { 'send-timeout': '-1' } })), UserError);
});
