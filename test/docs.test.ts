/** Every configuration key is documented: in the README's reference and, with its default, in config.example.json. */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { MEDIA_FIELDS, MOUNT_FIELDS, SERVE_FLAGS, TOP_FIELDS, envName } from '../src/config/config.js';
import { repoRoot } from './helpers/run.js';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const example = JSON.parse(fs.readFileSync(path.join(repoRoot, 'config.example.json'), 'utf8'));
const flagOf = new Map(Object.entries(SERVE_FLAGS).map(([flag, spec]) => [spec.key, flag]));

const groups: [string, Record<string, { default: unknown }>, string, Record<string, unknown>][] = [
  ['', TOP_FIELDS, '', example],
  ['static[].', MOUNT_FIELDS, 'mount.', example.static[0]],
  ['media[].', MEDIA_FIELDS, 'media.', example.media[0]],
];

for (const [docPrefix, fields, flagPrefix, exampleObject] of groups) {
  t.test(`${docPrefix || 'top-level'} keys`, async (t) => {
    for (const [key, field] of Object.entries(fields)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${docPrefix}${key}\` |`));
      t.ok(row, `README reference has ${docPrefix}${key}`);
      const flag = flagOf.get(flagPrefix + key);
      if (row && flag) t.ok(row.includes(`\`--${flag}\``) && row.includes(envName(flag)), `${key}: its flag and variable are named`);
      t.ok(key in exampleObject, `config.example.json has ${docPrefix}${key}`);
      t.ok(`//${key}` in exampleObject, `config.example.json documents ${docPrefix}${key}`);
      if (key !== 'root' && key !== 'port') t.same(exampleObject[key], field.default, `${docPrefix}${key} shows its default`);
    }
  });
}
