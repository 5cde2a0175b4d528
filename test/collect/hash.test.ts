import t from 'tap';
import { createHash } from 'node:crypto';
import { contentHash, hashedName, splitExt } from '../../src/collect/hash.js';

t.test('splitExt follows os.path.splitext', async (t) => {
  t.same(splitExt('base.css'), ['base', '.css']);
  t.same(splitExt('jquery.min.js'), ['jquery.min', '.js']);
  t.same(splitExt('archive.tar.gz'), ['archive.tar', '.gz']);
  t.same(splitExt('.htaccess'), ['.htaccess', '']);
  t.same(splitExt('..foo'), ['..foo', '']);
  t.same(splitExt('..foo.css'), ['..foo', '.css']);
  t.same(splitExt('a..b'), ['a.', '.b']);
  t.same(splitExt('foo.'), ['foo', '.']);
  t.same(splitExt('README'), ['README', '']);
});

t.test('contentHash is the first 12 hex digits of the MD5', async (t) => {
  const data = Buffer.from('body { color: red }\n');
  t.equal(contentHash(data), createHash('md5').update(data).digest('hex').slice(0, 12));
  t.equal(contentHash(''), 'd41d8cd98f00');
  t.match(contentHash(Buffer.alloc(10000, 7)), /^[0-9a-f]{12}$/);
});

t.test('hashedName puts the hash before the extension, in the same folder', async (t) => {
  t.equal(hashedName('admin/css/base.css', '5af66c1b1797'), 'admin/css/base.5af66c1b1797.css');
  t.equal(hashedName('app.js.map', 'aaaaaaaaaaaa'), 'app.js.aaaaaaaaaaaa.map');
  t.equal(hashedName('LICENSE', 'bbbbbbbbbbbb'), 'LICENSE.bbbbbbbbbbbb');
  t.equal(hashedName('a.b/c', 'cccccccccccc'), 'a.b/c.cccccccccccc', 'a dot in a folder name is not an extension');
  t.equal(hashedName('.well/.hidden', 'dddddddddddd'), '.well/.hidden.dddddddddddd');
});
