import t from 'tap';
import { isFlatManifest, parseFlatManifest } from '../../src/manifest/flat.js';

t.test('webpack-manifest-plugin: public paths are made relative to the mount', async (t) => {
  const data = { 'main.js': '/static/main.1a2b3c4d.js', 'main.css': '/static/main.5e6f7a8b.css', 'index.html': '/static/index.html', 'img/logo.png': 'https://cdn.example.com/static/img/logo.99aa.png' };
  t.ok(isFlatManifest(data));
  const m = parseFlatManifest(data, 'manifest.json', { prefix: '/static/' });
  t.equal(m.names.get('main.js'), 'main.1a2b3c4d.js');
  t.equal(m.names.get('img/logo.png'), 'img/logo.99aa.png');
  t.notOk(m.hashed.has('index.html'), 'a name mapped to itself is not hashed, so not immutable');
  t.ok(m.hashed.has('main.5e6f7a8b.css'));
});

t.test('Propshaft: strings, and digested_path objects (Propshaft 1.x)', async (t) => {
  const old = parseFlatManifest({ 'application.css': 'application-6b2f1a9c.css' }, '.manifest.json');
  t.same([...old.hashed], ['application-6b2f1a9c.css']);
  const v1 = parseFlatManifest({ 'application.js': { digested_path: 'application-0f1e2d3c.js', integrity: 'sha384-x' } }, '.manifest.json');
  t.same([...v1.hashed], ['application-0f1e2d3c.js']);
});

t.test('a web-app manifest is not a flat manifest', async (t) => {
  t.notOk(isFlatManifest({ name: 'App', short_name: 'A', start_url: '/' }));
  t.notOk(isFlatManifest({ name: 'App', icons: [{ src: 'a.png' }] }));
  t.notOk(isFlatManifest({}));
  t.throws(() => parseFlatManifest({ 'a.js': 3 }, 'm.json'), { name: 'UserError', message: /^m\.json: entry "a\.js" is not a name/ });
});
