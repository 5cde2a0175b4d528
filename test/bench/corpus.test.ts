import t from 'tap';
// @ts-ignore plain ESM JavaScript without declarations
import { localSizes, manifestPairs, pickFiles } from '../../bench/corpus.mjs';
// @ts-ignore
import { BenchError } from '../../bench/options.mjs';
import fs from 'node:fs';
import path from 'node:path';

const pairs: [string, string][] = [
  ['admin/css/base.css', 'admin/css/base.1f418065fc2c.css'],
  ['admin/css/big.css', 'admin/css/big.aaaaaaaaaaaa.css'],
  ['admin/js/a.js', 'admin/js/a.bbbbbbbbbbbb.js'],
  ['admin/js/jquery.js', 'admin/js/jquery.cccccccccccc.js'],
  ['admin/img/x.png', 'admin/img/x.dddddddddddd.png'],
];
const sizes = new Map([
  ['admin/css/base.1f418065fc2c.css', 19678],
  ['admin/css/big.aaaaaaaaaaaa.css', 40000],
  ['admin/js/a.bbbbbbbbbbbb.js', 1000],
  ['admin/js/jquery.cccccccccccc.js', 289782],
  ['admin/img/x.dddddddddddd.png', 500000],
]);

t.test('manifestPairs reads Django 1.0 and 1.1 manifests and drops leading slashes', async (t) => {
  t.same(manifestPairs('{"paths": {"/a.css": "/a.0123456789ab.css"}, "version": "1.0"}', 'f'), [['a.css', 'a.0123456789ab.css']]);
  t.same(manifestPairs('{"paths": {"a.css": "a.0123456789ab.css"}, "version": "1.1", "hash": "x"}', 'f'), [['a.css', 'a.0123456789ab.css']]);
  t.throws(() => manifestPairs('{', 'm.json'), { message: /m\.json: not valid JSON/ });
  t.throws(() => manifestPairs('{"files": {}}', 'm.json'), { message: /not a Django staticfiles manifest/ });
  t.throws(() => manifestPairs('{"paths": {"a": 1}}', 'm.json'), { message: /"a" is not a string/ });
  t.throws(() => manifestPairs('{"paths": {}}', 'm.json'), BenchError);
});

t.test('pickFiles: base.css, the largest JS, the largest file, a name that is not listed', async (t) => {
  const f = pickFiles(pairs, sizes);
  t.equal(f.small, 'admin/css/base.1f418065fc2c.css');
  t.equal(f.largeJs, 'admin/js/jquery.cccccccccccc.js');
  t.equal(f.largest, 'admin/img/x.dddddddddddd.png');
  t.equal(f.missing, 'admin/css/does-not-exist.0123456789ab.css');
  t.same(f.page, [...sizes.keys()].sort());
  t.equal(f.sizes['admin/js/jquery.cccccccccccc.js'], 289782);
});

t.test('pickFiles without base.css takes the largest CSS up to 32 KiB, and skips names not on disk', async (t) => {
  const p: [string, string][] = [...pairs.filter(([o]) => o !== 'admin/css/base.css'), ['c/mid.css', 'c/mid.eeeeeeeeeeee.css'], ['c/tiny.css', 'c/tiny.ffffffffffff.css']];
  const s = new Map(sizes);
  s.set('c/mid.eeeeeeeeeeee.css', 30000);
  s.set('c/tiny.ffffffffffff.css', 100);
  t.equal(pickFiles(p, s).small, 'c/mid.eeeeeeeeeeee.css', 'largest CSS not over 32 KiB');
  s.set('c/mid.eeeeeeeeeeee.css', 33000);
  s.set('c/tiny.ffffffffffff.css', 34000);
  t.equal(pickFiles(p, s).small, 'c/mid.eeeeeeeeeeee.css', 'no CSS under 32 KiB: the smallest CSS');
  const noBase = new Map(sizes);
  noBase.delete('admin/css/base.1f418065fc2c.css');
  t.equal(pickFiles(pairs, noBase).small, 'admin/css/big.aaaaaaaaaaaa.css', 'base.css listed but not on disk');
  t.notOk(pickFiles(pairs, noBase).page.includes('admin/css/base.1f418065fc2c.css'));
});

t.test('pickFiles refuses a manifest with nothing on disk or no CSS', async (t) => {
  t.throws(() => pickFiles(pairs, new Map()), { message: /none of the files/ });
  t.throws(() => pickFiles([['a.js', 'a.0123456789ab.js']], new Map([['a.0123456789ab.js', 3]])), { message: /no \.css/ });
});

t.test('the missing name never collides with a listed one', async (t) => {
  const p: [string, string][] = [
    ['c/base.css', 'c/base.0123456789ab.css'],
    ['c/x.css', 'c/does-not-exist.0123456789ab.css'],
  ];
  const s = new Map([
    ['c/base.0123456789ab.css', 10],
    ['c/does-not-exist.0123456789ab.css', 10],
  ]);
  const f = pickFiles(p, s);
  t.equal(f.missing, 'c/does-not-exist-0.0123456789ab.css');
});

t.test('localSizes stats the files under root', async (t) => {
  const dir = t.testdir({ a: { 'x.0123456789ab.css': 'hello' } });
  const s = localSizes(dir, ['a/x.0123456789ab.css', 'a/missing.css', 'a']);
  t.same([...s], [['a/x.0123456789ab.css', 5]]);
  t.ok(fs.existsSync(path.join(dir, 'a')));
});
