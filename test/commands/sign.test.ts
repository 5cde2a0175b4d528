import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signLink } from '../../src/commands/sign.js';
import { UserError } from '../../src/errors.js';
import { requestPath } from '../../src/http/request-path.js';
import { Secret, verify } from '../../src/media/sign.js';

const KEY = 'a-media-signing-key-of-forty-bytes-00000';
const NOW = 1_700_000_000;
/** The variable the third mount reads its key from: the whole config must resolve, as for serve. */
const ENV = { ASSETD_ENV_KEY: 'e'.repeat(32) };

function site(t: typeof import('tap').default): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-sign-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'media.key'), KEY + '\n');
  fs.writeFileSync(
    path.join(dir, 'assetd.json'),
    JSON.stringify({
      media: [
        { prefix: '/media/', root: 'media' },
        { prefix: '/private/', root: 'private', signed: { secretFile: 'media.key' } },
        { prefix: '/env/', root: 'env', signed: { secretEnv: 'ASSETD_ENV_KEY' } },
      ],
    }),
  );
  return dir;
}

function query(url: string): string {
  return url.slice(url.indexOf('?') + 1);
}

t.test('prints a link the server accepts, until its ttl runs out', async (t) => {
  const dir = site(t);
  const url = signLink(['/private/report.pdf', '--ttl', '60', '--config', 'assetd.json'], ENV, dir, NOW);
  t.match(url, /^\/private\/report\.pdf\?expires=1700000060&signature=[0-9a-f]{64}$/);
  const key = new Secret(KEY);
  t.equal(verify(key, '/private/report.pdf', query(url), NOW + 60), 'ok');
  t.equal(verify(key, '/private/report.pdf', query(url), NOW + 61), 'expired');
  t.match(signLink(['/private/a.pdf', '--config', 'assetd.json'], ENV, dir, NOW), /expires=1700003600&/, 'ttl defaults to an hour');
});

t.test('odd names are encoded in the link and signed decoded', async (t) => {
  const dir = site(t);
  const p = '/private/my report "v2" ☃.pdf';
  const url = signLink([p, '--config', 'assetd.json', '--base', 'https://example.com/'], ENV, dir, NOW);
  t.ok(url.startsWith('https://example.com/private/my%20report%20%22v2%22%20%E2%98%83.pdf?'));
  const target = url.slice('https://example.com'.length);
  const parsed = requestPath(target);
  t.ok(parsed.ok && parsed.path === p);
  t.equal(verify(new Secret(KEY), p, query(url), NOW), 'ok');
});

t.test('the key from an ASSETD_* variable and the config from ASSETD_CONFIG', async (t) => {
  const dir = site(t);
  const url = signLink(['/env/x.bin'], { ASSETD_CONFIG: 'assetd.json', ASSETD_ENV_KEY: 'k'.repeat(32) }, dir, NOW);
  t.equal(verify(new Secret('k'.repeat(32)), '/env/x.bin', query(url), NOW), 'ok');
});

t.test('mistakes are one-line user errors', async (t) => {
  const dir = site(t);
  const cases: [string[], RegExp][] = [
    [['/media/a.png', '--config', 'assetd.json'], /media mount \/media\/ does not check signatures/],
    [['/other/a.png', '--config', 'assetd.json'], /no media mount serves \/other\/a\.png \(media prefixes: \/media\/, \/private\/, \/env\/\)/],
    [['private/a.pdf', '--config', 'assetd.json'], /is not a plain URL path/],
    [['/private/../x', '--config', 'assetd.json'], /is not a plain URL path/],
    [['/private/a\nb', '--config', 'assetd.json'], /is not a plain URL path/],
    [['/private/a.pdf', '--ttl', '0', '--config', 'assetd.json'], /--ttl: expected a number of seconds/],
    [['/private/a.pdf', '--ttl', '1h', '--config', 'assetd.json'], /--ttl: expected a number of seconds/],
    [['/private/a.pdf', '--base', 'example.com', '--config', 'assetd.json'], /--base: expected a scheme and host/],
    [['/private/a.pdf', '--nope'], /sign: Unknown option '--nope'/],
    [[], /expected one URL path/],
    [['/env/x', '--config', 'assetd.json'], /ASSETD_ENV_KEY is not set/],
    [['/private/a.pdf', '--config', 'missing.json'], /missing\.json: cannot read config file/],
  ];
  for (const [argv, re] of cases) {
    t.throws(() => signLink(argv, argv[0] === '/env/x' ? {} : ENV, dir, NOW), UserError, argv.join(' '));
    try {
      signLink(argv, argv[0] === '/env/x' ? {} : ENV, dir, NOW);
    } catch (e) {
      t.match((e as Error).message, re, argv.join(' '));
      t.notMatch((e as Error).message, /\n/);
      t.notMatch((e as Error).message, new RegExp(KEY), 'never the key');
    }
  }
});
