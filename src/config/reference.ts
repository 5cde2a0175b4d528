/**
 * What the schema says, for people: the README's configuration reference table and the
 * flag list of `assetd serve --help`. Pure: text from schema.ts.
 */
import { envName, GROUPS, type Field } from './schema.js';

/** A default as the reference shows it. */
export function shownDefault(key: string, f: Field): string {
  if (f.default === null && key === 'root') return '—';
  if (Array.isArray(f.default)) return f.default.length === 0 ? '`[]`' : `${f.default.length} types (see config.example.json)`;
  if (typeof f.default === 'string') return '`' + f.default + '`';
  return '`' + JSON.stringify(f.default) + '`';
}

/** The rows of the README's reference table: `| key | flag / environment | default | meaning |`. */
export function referenceRows(): string[] {
  const rows = ['| key | flag / environment | default | meaning |', '|---|---|---|---|'];
  for (const g of GROUPS) {
    if (g.docPrefix !== '') rows.push(`| \`${g.docPrefix.slice(0, -1)}\` | | | ${g.what} |`);
    for (const [key, f] of Object.entries(g.fields)) {
      const flag = f.flag === undefined ? '' : `\`--${f.flag}\` / \`${envName(f.flag)}\``;
      rows.push(`| \`${g.docPrefix}${key}\` | ${flag} | ${shownDefault(key, f)} | ${f.doc} |`);
    }
  }
  return rows;
}

/** The flags of `assetd serve`, one per line, for --help. */
export function flagHelp(): string {
  const lines: string[] = [];
  for (const g of GROUPS) {
    const own = Object.entries(g.fields).filter(([, f]) => f.flag !== undefined);
    if (own.length === 0) continue;
    lines.push('', g.docPrefix === '' ? 'server:' : `${g.name} mount (the first one of the config file, or a new one):`);
    for (const [key, f] of own) {
      const name = `--${f.flag}${f.switch ? '' : ' VALUE'}`;
      const def = f.switch ? '' : `; default ${shownDefault(key, f).replace(/`/g, '')}`;
      lines.push(`  ${name.padEnd(32)} ${f.doc} (${envName(f.flag!)}${def})`);
    }
  }
  return lines.join('\n');
}
