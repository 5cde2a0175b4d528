import t from 'tap';
import { contentHash, hashedName } from '../../src/collect/hash.js';
import { planHashes, processingOrder, type PlanFile } from '../../src/collect/plan.js';

const f = (name: string, content: string): PlanFile => ({ name, content: Buffer.from(content) });
const opts = { staticUrl: '/static/' };

t.test('files without references are named after the hash of their content', async (t) => {
  const p = planHashes([f('img/a.png', 'PNG'), f('js/app.js', 'x()')], opts);
  t.equal(p.paths.get('img/a.png'), hashedName('img/a.png', contentHash('PNG')));
  t.equal(p.paths.get('js/app.js'), hashedName('js/app.js', contentHash('x()')));
  t.equal(p.rewritten.size, 0);
});

t.test('a referring file is hashed after its references are rewritten, through a chain', async (t) => {
  const files = [f('css/a.css', '@import "b.css";'), f('css/b.css', '@import "sub/c.css";'), f('css/sub/c.css', 'x{y:url(../../img/i.svg)}'), f('img/i.svg', '<svg/>')];
  const p = planHashes(files, opts);
  const i = p.paths.get('img/i.svg')!;
  const cText = `x{y:url("../../${i}")}`;
  t.equal(p.rewritten.get('css/sub/c.css')!.toString(), cText);
  t.equal(p.paths.get('css/sub/c.css'), hashedName('css/sub/c.css', contentHash(cText)));
  const bText = `@import url("sub/${p.paths.get('css/sub/c.css')!.split('/').pop()}");`;
  t.equal(p.rewritten.get('css/b.css')!.toString(), bText);
  t.equal(p.paths.get('css/b.css'), hashedName('css/b.css', contentHash(bText)));
  const aText = `@import url("${p.paths.get('css/b.css')!.split('/').pop()}");`;
  t.equal(p.paths.get('css/a.css'), hashedName('css/a.css', contentHash(aText)), 'the top of the chain settles too');
});

t.test('the result does not depend on the order files are given in', async (t) => {
  const files = [f('a.css', '@import "b.css";'), f('b.css', '@import "c.css";'), f('c.css', '@import "d.css";'), f('d.css', 'x{y:url(e.png)}'), f('e.png', 'E')];
  const one = planHashes(files, opts);
  const two = planHashes([...files].reverse(), opts);
  t.same([...one.paths].sort(), [...two.paths].sort());
});

t.test('missing references are collected with file and line', async (t) => {
  const p = planHashes([f('a.css', 'a{}\nb{c:url(none.png)}\nd{e:url(#frag)}'), f('b.css', 'x{y:url(../up.png)}')], opts);
  t.same(p.missing.map((m) => [m.file, m.line, m.url]), [['a.css', 2, 'none.png'], ['b.css', 1, '../up.png']]);
  t.match(p.paths.get('a.css'), /^a\.[0-9a-f]{12}\.css$/);
});

t.test('a reference cycle, even of a file to itself, is a one-line error (Django fails too)', async (t) => {
  t.throws(() => planHashes([f('self.css', 'x{y:url(self.css#top)}')], opts), { name: 'UserError', message: /cycle.*self\.css/ });
  t.throws(() => planHashes([f('a.css', '@import "b.css";'), f('b.css', '@import "a.css";')], opts), { name: 'UserError', message: /cycle.*a\.css.*b\.css|cycle.*b\.css.*a\.css/ });
});

t.test('non-UTF-8 CSS is copied unchanged and reported', async (t) => {
  const bad: PlanFile = { name: 'latin1.css', content: Buffer.from([0x61, 0x7b, 0xe9, 0x7d]) };
  const p = planHashes([bad], opts);
  t.same(p.undecodable, ['latin1.css']);
  t.equal(p.paths.get('latin1.css'), hashedName('latin1.css', contentHash(bad.content)));
});

t.test('a byte-order mark is kept', async (t) => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a{b:url(x.png)}')]);
  const p = planHashes([{ name: 'a.css', content: bom }, f('x.png', 'X')], opts);
  t.same(p.rewritten.get('a.css')!.subarray(0, 3), Buffer.from([0xef, 0xbb, 0xbf]));
});

t.test('deeper paths are processed first, as Django does', async (t) => {
  t.same(processingOrder(['a.css', 'x/y/z.css', 'x/b.css', 'x/a.css']), ['x/y/z.css', 'x/a.css', 'x/b.css', 'a.css']);
});
