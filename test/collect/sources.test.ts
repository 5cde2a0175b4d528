import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { gatherSources } from '../../src/collect/sources.js';
import { tempDir, writeTree } from '../helpers/cli.js';

t.test('the first source wins a clash, and each clash is reported', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'one/app/site.css': 'one', 'one/only1.js': '1', 'two/app/site.css': 'two', 'two/only2.js': '2' });
  const g = await gatherSources(['one', 'two'], dir);
  t.same(g.files.map((f) => [f.name, f.source]), [['app/site.css', 'one'], ['only1.js', 'one'], ['only2.js', 'two']]);
  t.same(g.clashes, [{ name: 'app/site.css', kept: 'one', ignored: 'two' }]);
  t.equal(fs.readFileSync(g.files[0].abs, 'utf8'), 'one');
});

t.test('symlinks are followed to files and folders outside the source; dot-names, backups and CVS are left out', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'vendor/jquery.js': 'jq', 'shared/lib/x.js': 'x', 'src/a.css': 'a', 'src/.env': 'secret', 'src/a.css~': 'old', 'src/CVS/Entries': 'cvs' });
  fs.mkdirSync(path.join(dir, 'src/js'));
  fs.symlinkSync(path.join(dir, 'vendor/jquery.js'), path.join(dir, 'src/js/jquery.js'));
  fs.symlinkSync(path.join(dir, 'shared/lib'), path.join(dir, 'src/lib'));
  const g = await gatherSources([path.join(dir, 'src')]);
  t.same(g.files.map((f) => f.name), ['a.css', 'js/jquery.js', 'lib/x.js']);
  t.equal(fs.readFileSync(g.files[1].abs, 'utf8'), 'jq');
});

t.test('a missing source is a one-line error', async (t) => {
  const dir = tempDir(t);
  await t.rejects(gatherSources(['nope'], dir), { name: 'UserError', message: /does not exist/ });
});
