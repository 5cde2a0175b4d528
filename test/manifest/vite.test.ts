import t from 'tap';
import { isViteManifest, parseViteManifest } from '../../src/manifest/vite.js';

const vite = {
  'src/main.ts': { file: 'assets/main-4f3a2b1c.js', src: 'src/main.ts', isEntry: true, css: ['assets/main-9d8e7f6a.css'], assets: ['assets/logo-77aa88bb.svg'], imports: ['_vendor.js'] },
  '_vendor.js': { file: 'assets/vendor-0a1b2c3d.js' },
  'src/fonts/r.woff2': { file: 'assets/r-5e6f7a8b.woff2', src: 'src/fonts/r.woff2' },
};

t.test('entries, their css and assets are hashed names', async (t) => {
  t.ok(isViteManifest(vite));
  const m = parseViteManifest(vite, '/x/.vite/manifest.json');
  t.equal(m.format, 'vite');
  t.equal(m.names.get('src/main.ts'), 'assets/main-4f3a2b1c.js');
  t.same([...m.hashed].sort(), ['assets/logo-77aa88bb.svg', 'assets/main-4f3a2b1c.js', 'assets/main-9d8e7f6a.css', 'assets/r-5e6f7a8b.woff2', 'assets/vendor-0a1b2c3d.js']);
});

t.test('detection refuses other shapes', async (t) => {
  t.notOk(isViteManifest({}));
  t.notOk(isViteManifest({ 'a.js': 'a.123.js' }));
  t.notOk(isViteManifest({ a: { file: 1 } }));
  t.notOk(isViteManifest([]));
});

t.test('malformed entries are one-line errors naming the file', async (t) => {
  t.throws(() => parseViteManifest({ a: { nofile: true } }, 'm.json'), { name: 'UserError', message: /^m\.json: entry "a" has no "file"/ });
  t.throws(() => parseViteManifest({ a: { file: 'a.js', css: 'x.css' } }, 'm.json'), { name: 'UserError', message: /"css" is not a list/ });
});
