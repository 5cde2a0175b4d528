import t, { type Test } from 'tap';
import { checkMediaRoots, isWithin, MEDIA_CACHE_CONTROL, resolveConfig, SIGNED_CACHE_CONTROL, type ConfigSources } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';
import { INERT_TYPES } from '../../src/http/active-content.js';

const KEY = 'k'.repeat(40);

function cfg(src: ConfigSources) {
  return resolveConfig({ cwd: '/srv/app', fileDir: '/srv/app', fileName: 'assetd.json', env: {}, ...src });
}

function throwsUser(t: Test, fn: () => unknown, re: RegExp, msg?: string) {
  try {
    fn();
    t.fail(`expected a UserError matching ${re}`);
  } catch (e) {
    t.ok(e instanceof UserError, 'a UserError');
    t.match((e as Error).message, re, msg);
    t.notMatch((e as Error).message, /\n/, 'one line');
  }
}

t.test('media from flags and environment', async (t) => {
  const c = cfg({ flags: { root: 'static', 'media-root': 'uploads' } });
  t.same(c.media.map((m) => [m.prefix, m.root, m.cacheControl, m.internal, m.signed]), [['/media/', '/srv/app/uploads', MEDIA_CACHE_CONTROL, false, null]]);
  t.same(c.media[0].inertTypes, INERT_TYPES);
  t.same(c.media[0].inlineTypes, []);
  const e = cfg({ env: { ASSETD_ROOT: 's', ASSETD_MEDIA_ROOT: '/data/up', ASSETD_MEDIA_PREFIX: '/uploads' } });
  t.same([e.media[0].prefix, e.media[0].root], ['/uploads/', '/data/up']);
  t.same(cfg({ flags: { root: 's' } }).media, [], 'no media unless asked');
  t.equal(cfg({ flags: { 'media-root': 'up' } }).static.length, 0, 'media alone is a valid setup');
});

t.test('media list in the config file', async (t) => {
  const c = cfg({
    file: {
      static: [{ root: 'static' }],
      media: [
        { '//': 'public uploads', prefix: '/media/', root: 'media', inlineTypes: ['Image/SVG+xml'], cacheControl: 'public, max-age=60' },
        { prefix: '/private/', root: '/data/private', signed: { secretEnv: 'ASSETD_MEDIA_KEY' } },
        { prefix: '/protected/', root: '/data/protected', internal: true, inertTypes: ['Image/PNG', 'application/pdf'] },
      ],
    },
    env: { ASSETD_MEDIA_KEY: KEY },
  });
  t.equal(c.media.length, 3);
  t.same(c.media[0].inlineTypes, ['image/svg+xml'], 'types are lower-cased');
  t.equal(c.media[0].cacheControl, 'public, max-age=60');
  t.equal(c.media[1].cacheControl, SIGNED_CACHE_CONTROL, 'signed mounts default to private caching');
  t.equal(c.media[1].signed?.source, 'ASSETD_MEDIA_KEY');
  t.equal(c.media[1].signed?.secret.length, 40);
  t.notMatch(JSON.stringify(c), /kkkk/, 'the key never serialises');
  t.equal(c.media[2].internal, true);
  t.same(c.media[2].inertTypes, ['image/png', 'application/pdf']);
});

t.test('signing key from a file, relative to the config file, trailing newline dropped', async (t) => {
  const read: string[] = [];
  const c = cfg({
    file: { media: [{ root: 'm', signed: { secretFile: 'keys/media.key' } }] },
    readSecretFile: (f) => {
      read.push(f);
      return KEY + '\n';
    },
  });
  t.same(read, ['/srv/app/keys/media.key']);
  t.equal(c.media[0].signed?.secret.length, 40);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', signed: { secretFile: 'nope' } }] }, readSecretFile: () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); } }), /^media\[0\]\.signed\.secretFile: cannot read \/srv\/app\/nope \(ENOENT\)$/);
});

t.test('bad signing configurations are one-line errors that never show the key', async (t) => {
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', signed: { secret: KEY } }] } }), /signed\.secret: keep the key out of the config file/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', signed: { secretEnv: 'HOME' } }] } }), /secretEnv: expected the name of an ASSETD_\* variable/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', signed: { secretEnv: 'ASSETD_K' } }] } }), /ASSETD_K is not set/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', signed: {} }] } }), /exactly one of/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', signed: { secretEnv: 'ASSETD_K', secretFile: 'f' } }] } }), /exactly one of/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', signed: { key: 'x' } }] } }), /unknown key "key"/);
  try {
    cfg({ file: { media: [{ root: 'm', signed: { secretEnv: 'ASSETD_K' } }] }, env: { ASSETD_K: 'short-key-123' } });
    t.fail('short key accepted');
  } catch (e) {
    t.match((e as Error).message, /ASSETD_K is 13 bytes; use at least 32/);
    t.notMatch((e as Error).message, /short-key-123/);
  }
});

t.test('media keys are validated', async (t) => {
  throwsUser(t, () => cfg({ file: { media: [{ prefix: '/m/' }] } }), /^media\[0\]\.root: missing/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', inertTypes: 'image/png' }] } }), /media\[0\]\.inertTypes: expected a list of media types/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', inertTypes: ['png'] }] } }), /expected a list of media types/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', inlineTypes: ['svg'] }] } }), /media\[0\]\.inlineTypes: expected a list of media types/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', inline: true }] } }), /media\[0\]: unknown key "inline"/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'm', cacheControl: 'a\r\nb' }] } }), /cacheControl: may not contain a line break/);
  throwsUser(t, () => cfg({ file: { media: { root: 'm' } } }), /media: expected a list of mounts/);
  throwsUser(t, () => cfg({ flags: { 'media-root': 'm', 'media-prefix': 'media' } }), /--media-prefix: expected a URL path/);
});

t.test('a config that still has activeTypes gets one line saying what replaced it', async (t) => {
  for (const activeTypes of [['text/html'], []]) {
    throwsUser(t, () => cfg({ file: { media: [{ root: 'm', activeTypes }] } }), /^assetd\.json: media\[0\]\.activeTypes was removed: types are now inline only when listed in inertTypes \(an allow-list\) and any other type is an attachment; delete the key$/);
  }
  throwsUser(t, () => cfg({ file: { media: [{ root: 'a', prefix: '/a/' }, { root: 'b', prefix: '/b/', activeTypes: [] }] } }), /media\[1\]\.activeTypes was removed/);
});

t.test('a media prefix may not overlap a static prefix or another media prefix', async (t) => {
  throwsUser(t, () => cfg({ flags: { root: 's', prefix: '/static/', 'media-root': 'm', 'media-prefix': '/static/uploads/' } }), /media\[0\]\.prefix "\/static\/uploads\/" overlaps static prefix "\/static\/"/);
  throwsUser(t, () => cfg({ flags: { root: 's', prefix: '/assets/media/', 'media-root': 'm', 'media-prefix': '/assets/' } }), /overlaps static prefix "\/assets\/media\/"/);
  throwsUser(t, () => cfg({ flags: { root: 's', prefix: '/x/', 'media-root': 'm', 'media-prefix': '/x/' } }), /overlaps static prefix/);
  throwsUser(t, () => cfg({ file: { media: [{ root: 'a', prefix: '/m/' }, { root: 'b', prefix: '/m/p/' }] } }), /media\[1\]\.prefix "\/m\/p\/" overlaps media\[0\]\.prefix "\/m\/"/);
  t.equal(cfg({ flags: { root: 's', prefix: '/static/', 'media-root': 'm', 'media-prefix': '/staticmedia/' } }).media.length, 1, 'a shared string start is not an overlap');
});

t.test('a media root may not be, be inside or contain a static root', async (t) => {
  throwsUser(t, () => cfg({ flags: { root: '/srv/www', 'media-root': '/srv/www/uploads' } }), /media\[0\]\.root \/srv\/www\/uploads is inside static root \/srv\/www/);
  throwsUser(t, () => cfg({ flags: { root: '/srv/www/static', 'media-root': '/srv/www' } }), /media\[0\]\.root \/srv\/www contains static root \/srv\/www\/static/);
  throwsUser(t, () => cfg({ flags: { root: '/srv/www', 'media-root': '/srv/www/' } }), /is the same folder as static root/);
  throwsUser(t, () => cfg({ flags: { root: '/srv/www', 'media-root': '/srv/www/static/../uploads' } }), /is inside static root/);
  throwsUser(t, () => cfg({ flags: { root: '/srv/static', 'media-root': '/' } }), /contains static root/);
  throwsUser(t, () => cfg({ file: { media: [{ root: '/data', prefix: '/m/' }, { root: '/data/private', prefix: '/p/' }] } }), /media\[1\]\.root \/data\/private overlaps media\[0\]\.root \/data/);
  t.equal(cfg({ flags: { root: '/srv/www', 'media-root': '/srv/www-uploads' } }).media[0].root, '/srv/www-uploads', 'a sibling with a shared name start is fine');
});

t.test('isWithin and checkMediaRoots', async (t) => {
  t.ok(isWithin('/a/b', '/a'));
  t.ok(isWithin('/a', '/a'));
  t.ok(isWithin('/a/..b', '/a'), 'a name starting with two dots is inside');
  t.notOk(isWithin('/ab', '/a'));
  t.notOk(isWithin('/a', '/a/b'));
  t.ok(isWithin('/x', '/'));
  t.doesNotThrow(() => checkMediaRoots(['/s'], ['/m', '/n']));
});

t.test('config.example.json documents every media key with its default', async (t) => {
  const fs = await import('node:fs');
  const { MEDIA_FIELDS } = await import('../../src/config/index.js');
  const example = JSON.parse(fs.readFileSync(new URL('../../config.example.json', import.meta.url), 'utf8'));
  const [m] = example.media;
  for (const [k, f] of Object.entries(MEDIA_FIELDS)) {
    t.ok(typeof m['//' + k] === 'string', `//${k} documents ${k}`);
    if (k !== 'root') t.same(m[k], f.default, `${k} shows its default`);
  }
  const c = cfg({ file: example, fileDir: '/srv/app' });
  t.same(c.media[0].inertTypes, INERT_TYPES);
  t.equal(c.media[0].cacheControl, MEDIA_CACHE_CONTROL);
});
