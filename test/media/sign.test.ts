import t from 'tap';
import fc from 'fast-check';
import { inspect } from 'node:util';
import { encodePath, Secret, signature, signedUrl, verify } from '../../src/media/sign.js';
import { requestPath } from '../../src/http/request-path.js';

const secret = new Secret('correct horse battery staple 0123456789');
const NOW = 1_700_000_000;

function query(url: string): string {
  return url.slice(url.indexOf('?') + 1);
}

t.test('a fresh link verifies; the path it carries decodes to the signed path', async (t) => {
  const url = signedUrl(secret, '/private/report.pdf', NOW + 60);
  t.match(url, /^\/private\/report\.pdf\?expires=1700000060&signature=[0-9a-f]{64}$/);
  t.equal(verify(secret, '/private/report.pdf', query(url), NOW), 'ok');
  t.equal(verify(secret, '/private/report.pdf', query(url), NOW + 60), 'ok', 'valid through its expiry second');
});

t.test('expired, tampered, wrong path, wrong secret', async (t) => {
  const url = signedUrl(secret, '/private/report.pdf', NOW + 60);
  t.equal(verify(secret, '/private/report.pdf', query(url), NOW + 61), 'expired');
  const sig = signature(secret, '/private/report.pdf', NOW + 60);
  const flipped = sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0');
  t.equal(verify(secret, '/private/report.pdf', `expires=${NOW + 60}&signature=${flipped}`, NOW), 'bad-signature');
  t.equal(verify(secret, '/private/report.pdf', `expires=${NOW + 6000}&signature=${sig}`, NOW), 'bad-signature', 'extended expiry');
  t.equal(verify(secret, '/private/other.pdf', query(url), NOW), 'bad-signature', 'signature for another path');
  t.equal(verify(secret, '/private/report.pdf/', query(url), NOW), 'bad-signature');
  t.equal(verify(new Secret('another secret of some length!!'), '/private/report.pdf', query(url), NOW), 'bad-signature');
  t.equal(verify(secret, '/private/report.pdf', `expires=${NOW - 1}&signature=${signature(secret, '/private/report.pdf', NOW - 1)}`, NOW), 'expired');
});

t.test('an expired link with a forged signature is reported as forged', async (t) => {
  t.equal(verify(secret, '/p/x', `expires=1&signature=${'0'.repeat(64)}`, NOW), 'bad-signature');
});

t.test('missing and malformed parameters', async (t) => {
  const sig = signature(secret, '/p/x', NOW + 5);
  t.equal(verify(secret, '/p/x', '', NOW), 'missing');
  t.equal(verify(secret, '/p/x', 'foo=bar', NOW), 'missing');
  t.equal(verify(secret, '/p/x', `expires=${NOW + 5}`, NOW), 'malformed');
  t.equal(verify(secret, '/p/x', `signature=${sig}`, NOW), 'malformed');
  t.equal(verify(secret, '/p/x', `expires=${NOW + 5}&signature=${sig}&signature=${sig}`, NOW), 'malformed', 'repeated signature');
  t.equal(verify(secret, '/p/x', `expires=${NOW + 5}&expires=${NOW + 5}&signature=${sig}`, NOW), 'malformed', 'repeated expires');
  t.equal(verify(secret, '/p/x', `expires=+${NOW + 5}&signature=${sig}`, NOW), 'malformed');
  t.equal(verify(secret, '/p/x', `expires=${NOW + 5}.0&signature=${sig}`, NOW), 'malformed');
  t.equal(verify(secret, '/p/x', `expires=${NOW + 5}&signature=${sig.slice(2)}`, NOW), 'malformed', 'short');
  t.equal(verify(secret, '/p/x', `expires=${NOW + 5}&signature=${sig}00`, NOW), 'malformed', 'long');
  t.equal(verify(secret, '/p/x', `expires=${NOW + 5}&signature=${'g'.repeat(64)}`, NOW), 'malformed', 'not hex');
  t.equal(verify(secret, '/p/x', `expires=${NOW + 5}&signature=${sig.toUpperCase()}`, NOW), 'ok', 'hex case does not matter');
  t.equal(verify(secret, '/p/x', `a=1&signature=${sig}&expires=${NOW + 5}&b=2`, NOW), 'ok', 'order and other parameters do not matter');
});

t.test('the secret never prints', async (t) => {
  t.equal(String(secret), '[secret]');
  t.equal(JSON.stringify({ secret }), '{"secret":"[secret]"}');
  t.notMatch(inspect({ secret }, { showHidden: true, depth: 5 }), /horse/);
});

t.test('property: an encoded path decodes back to the signed path and verifies', async (t) => {
  const segment = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/') && s !== '.' && s !== '..' && !/[\x00-\x1f\x7f\\]/.test(s));
  fc.assert(
    fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.integer({ min: NOW, max: NOW + 1e6 }), (segs, exp) => {
      const p = '/' + segs.join('/');
      const url = signedUrl(secret, p, exp);
      const parsed = requestPath(url);
      if (!parsed.ok) return false;
      return parsed.path === p && encodePath(p) === url.slice(0, url.indexOf('?')) && verify(secret, parsed.path, query(url), NOW) === 'ok';
    }),
    { numRuns: 500 },
  );
});

t.test("the README's Python makes links assetd accepts", async (t) => {
  const fs = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const python = '/usr/bin/python3';
  if (!fs.existsSync(python)) {
    t.skip(`${python} is not installed`);
    return;
  }
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const m = /<!-- signed-url-python -->\s*```python\n([\s\S]*?)```/.exec(readme);
  t.ok(m, 'README has the Python block');
  const code = m![1] + '\nimport sys\nprint(signed_url(sys.argv[1], int(sys.argv[2]), sys.argv[3]))\n';
  const key = 'py-and-node-share-this-key-0123456789abcdef';
  for (const p of ['/private/report.pdf', '/private/my report "v2" ☃ é.pdf', "/private/a+b&c=d;'(x)*.bin"]) {
    const r = spawnSync(python, ['-c', code, p, '3600', key], { encoding: 'utf8', timeout: 20_000 });
    t.equal(r.status, 0, r.stderr);
    const url = r.stdout.trim();
    const parsed = requestPath(url);
    t.ok(parsed.ok && parsed.path === p, `${p}: the quoted path decodes back`);
    const now = Math.floor(Date.now() / 1000);
    t.equal(verify(new Secret(key), p, query(url), now), 'ok', `${p}: assetd accepts the Python link`);
    const expires = Number(/expires=(\d+)/.exec(url)![1]);
    t.ok(expires > now && expires <= now + 3601);
    t.equal(/signature=([0-9a-f]+)/.exec(url)![1], signature(new Secret(key), p, expires), 'same signature as assetd sign');
  }
});
