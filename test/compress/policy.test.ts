import t from 'tap';
import fc from 'fast-check';
import { extensionOf, isCompressible, isFresh, isLeftoverTemp, tempName, worthKeeping } from '../../src/compress/policy.js';

t.test('text formats are compressible', async (t) => {
  for (const n of ['a.css', 'dir/app.js', 'x.svg', 'index.html', 'data.json', 'app.js.map', 'font.ttf', 'font.eot', 'favicon.ico', 'README', 'a.txt', 'a.CSS']) {
    t.ok(isCompressible(n), n);
  }
});

t.test('already-compressed formats are skipped, whatever the case', async (t) => {
  for (const n of ['a.jpg', 'a.JPEG', 'b.png', 'c.gif', 'd.webp', 'e.avif', 'f.woff', 'g.woff2', 'h.zip', 'i.tar.gz', 'j.css.br', 'k.css.gz', 'l.js.zst', 'm.mp3', 'n.mp4', 'o.webm', 'p.ogg', 'q.7z', 'r.mov']) {
    t.notOk(isCompressible(n), n);
  }
});

t.test('dot-names and empty base names are never compressed', async (t) => {
  t.notOk(isCompressible('.htaccess'));
  t.notOk(isCompressible('dir/.hidden.css'));
  t.notOk(isCompressible('dir/'));
});

t.test('extensionOf', async (t) => {
  t.equal(extensionOf('a/b.c/d'), '');
  t.equal(extensionOf('a.tar.GZ'), 'gz');
  t.equal(extensionOf('.bashrc'), '');
  t.equal(extensionOf('x.'), '');
});

t.test('a variant is kept only when it saves at least 5%', async (t) => {
  t.ok(worthKeeping(100, 95), 'exactly 5% saved');
  t.notOk(worthKeeping(100, 96));
  t.notOk(worthKeeping(0, 0), 'empty file');
  t.notOk(worthKeeping(10, 20), 'larger');
  t.ok(worthKeeping(1_000_000, 1));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 2e9 }), (o, c) => worthKeeping(o, c) === c * 100 <= o * 95),
  );
});

t.test('a variant as new as its source is fresh; missing or older is not', async (t) => {
  t.ok(isFresh(1000, 1000));
  t.ok(isFresh(1000, 2000));
  t.notOk(isFresh(1000, 999));
  t.notOk(isFresh(1000, undefined));
});

t.test('temporary names are dot-names recognised as leftovers', async (t) => {
  const n = tempName('app.js.br', '123-4');
  t.ok(n.startsWith('.'));
  t.ok(isLeftoverTemp(n));
  t.ok(isLeftoverTemp(tempName('a.css.gz', '1-0')));
  t.notOk(isLeftoverTemp('app.js.br'));
  t.notOk(isLeftoverTemp('.app.js.br'));
  t.notOk(isLeftoverTemp('.gitignore'));
  t.notOk(isLeftoverTemp('.x.txt.tmp-1-2'), 'only our variants');
});
