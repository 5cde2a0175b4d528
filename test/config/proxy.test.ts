import t from 'tap';
import { resolveConfig } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';

const base = { static: [{ root: '/srv/static' }] };

t.test('upstream keys default to no upstream and documented values', async (t) => {
  const c = resolveConfig({ file: base, cwd: '/' });
  t.equal(c.upstream, null);
  t.equal(c.upstreamKeepHost, true);
  t.equal(c.upstreamConnections, 32);
  t.equal(c.maxBodySize, 100 * 1024 * 1024);
});

t.test('file < environment < flags for the upstream keys', async (t) => {
  const c = resolveConfig({
    file: { ...base, upstream: 'http://127.0.0.1:8000', upstreamConnections: 4, maxBodySize: 10 },
    env: { ASSETD_UPSTREAM: 'unix:/run/app.sock', ASSETD_UPSTREAM_KEEP_HOST: 'false', ASSETD_MAX_BODY_SIZE: '20' },
    flags: { 'max-body-size': '30', 'upstream-headers-timeout': '1500' },
    cwd: '/',
  });
  t.equal(c.upstream, 'unix:/run/app.sock');
  t.equal(c.upstreamKeepHost, false);
  t.equal(c.upstreamConnections, 4);
  t.equal(c.maxBodySize, 30);
  t.equal(c.upstreamHeadersTimeout, 1500);
});

t.test('upstream is normalised to its origin', async (t) => {
  t.equal(resolveConfig({ file: base, flags: { upstream: 'http://LOCALHOST:8000/' }, cwd: '/' }).upstream, 'http://localhost:8000');
  t.equal(resolveConfig({ file: base, env: { ASSETD_UPSTREAM: '' }, cwd: '/' }).upstream, null, 'an empty variable means none');
});

t.test('bad values are one-line errors naming the key', async (t) => {
  const cases: [object, RegExp][] = [
    [{ file: { ...base, upstream: 'https://app' } }, /upstream: only http:\/\/ and unix:/],
    [{ file: { ...base, upstream: 8000 } }, /upstream: expected "http:\/\/host:port"/],
    [{ file: base, flags: { upstream: 'http://app/path' } }, /--upstream: the upstream is an origin only/],
    [{ file: base, flags: { 'upstream-connections': '0' } }, /--upstream-connections: expected a number of at least 1/],
    [{ file: base, env: { ASSETD_UPSTREAM_KEEP_HOST: 'maybe' } }, /ASSETD_UPSTREAM_KEEP_HOST: expected true or false/],
    [{ file: base, flags: { 'max-body-size': '-1' } }, /--max-body-size: expected a whole number/],
    [{ file: { ...base, upstreamBodyTimeout: 1.5 } }, /upstreamBodyTimeout: expected a whole number/],
  ];
  for (const [src, re] of cases) {
    let err: unknown;
    try {
      resolveConfig({ cwd: '/', ...src });
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof UserError, `${re.source}: a UserError`);
    t.match((err as Error).message, re);
    t.notOk((err as Error).message.includes('\n'), 'one line');
  }
});
