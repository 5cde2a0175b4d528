import t from 'tap';
import { isSprocketsManifest, parseSprocketsManifest, SPROCKETS_NAME } from '../../src/manifest/sprockets.js';

const data = {
  files: {
    'application-9f8e7d6c.js': { logical_path: 'application.js', mtime: '2024-01-01T00:00:00+00:00', size: 10, digest: '9f8e7d6c' },
    'old-11112222.css': { logical_path: 'old.css' },
  },
  assets: { 'application.js': 'application-9f8e7d6c.js' },
};

t.test('assets and files are hashed names', async (t) => {
  t.ok(isSprocketsManifest(data));
  const m = parseSprocketsManifest(data, '.sprockets-manifest-abc.json');
  t.equal(m.names.get('application.js'), 'application-9f8e7d6c.js');
  t.same([...m.hashed].sort(), ['application-9f8e7d6c.js', 'old-11112222.css'], 'an older digest still listed under files is immutable too');
});

t.test('file names and shapes', async (t) => {
  t.ok(SPROCKETS_NAME.test('.sprockets-manifest-0123abcd.json'));
  t.ok(SPROCKETS_NAME.test('manifest-0123456789abcdef0123456789abcdef.json'));
  t.notOk(SPROCKETS_NAME.test('manifest.json'));
  t.notOk(isSprocketsManifest({ files: {} }));
  t.throws(() => parseSprocketsManifest({ files: {}, assets: { a: 1 } }, 's.json'), { name: 'UserError', message: /^s\.json: "assets" entry "a"/ });
});
