/**
 * Every configuration key is documented from the one schema: the README's reference table
 * is exactly what the schema gives, config.example.json shows each key with its default and
 * a comment naming its flag, and `assetd serve --help` lists every flag.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { envName, GROUPS, SERVE_FLAGS } from '../src/config/index.js';
import { flagHelp, referenceRows } from '../src/config/reference.js';
import { repoRoot, runAssetd } from './helpers/run.js';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const example = JSON.parse(fs.readFileSync(path.join(repoRoot, 'config.example.json'), 'utf8'));
const exampleOf: Record<string, Record<string, unknown>> = { 'top-level': example, static: example.static[0], media: example.media[0] };

t.test('the README reference table is the schema, row for row', async (t) => {
  const lines = readme.split('\n');
  const at = lines.indexOf('| key | flag / environment | default | meaning |');
  t.ok(at > 0, 'the table is there');
  let end = at;
  while (end < lines.length && lines[end].startsWith('|')) end++;
  // regenerate with: node -e "import('./dist/config/reference.js').then(m => console.log(m.referenceRows().join('\n')))"
  t.same(lines.slice(at, end), referenceRows());
});

for (const g of GROUPS) {
  t.test(`${g.name} keys in config.example.json`, async (t) => {
    const ex = exampleOf[g.name];
    for (const [key, field] of Object.entries(g.fields)) {
      t.ok(key in ex, `config.example.json has ${g.docPrefix}${key}`);
      t.ok(`//${key}` in ex, `config.example.json documents ${g.docPrefix}${key}`);
      if (field.flag) t.match(String(ex[`//${key}`]), `--${field.flag}`, `${g.docPrefix}${key}: its comment names --${field.flag}`);
      if (key !== 'root' && key !== 'port') t.same(ex[key], field.default, `${g.docPrefix}${key} shows its default`);
    }
    for (const k of Object.keys(ex)) if (!k.startsWith('//') && k !== 'static' && k !== 'media') t.ok(k in g.fields, `config.example.json's ${g.docPrefix}${k} is a key of the schema`);
  });
}

t.test('assetd serve --help lists every flag with its variable', async (t) => {
  const r = await runAssetd(['serve', '--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^usage: assetd serve/);
  t.ok(r.stdout.includes(flagHelp()), 'the flag list comes from the schema');
  for (const flag of Object.keys(SERVE_FLAGS)) t.match(r.stdout, `--${flag}`, `--${flag}`);
  for (const flag of Object.keys(SERVE_FLAGS)) t.match(r.stdout, envName(flag), envName(flag));
});
