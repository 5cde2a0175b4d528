/**
 * `staticfiles.json` byte for byte as Django (>= 4.2) writes it:
 * `{"paths": {...}, "version": "1.1", "hash": "<12 hex>"}`, with Python's json.dumps
 * spacing and ASCII escapes, paths sorted by code point, and the hash taken over the JSON
 * of the sorted [name, hashed] pairs. Pure.
 */
import { contentHash } from './hash.js';

/** One string as Python's json.dumps(ensure_ascii=True) writes it. */
export function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Compare by Unicode code point, as Python sorts strings. */
export function codePointCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

export function djangoManifestJson(paths: Map<string, string>): string {
  const sorted = [...paths].sort((a, b) => codePointCompare(a[0], b[0]));
  const pairs = '[' + sorted.map(([k, v]) => `[${pyJsonString(k)}, ${pyJsonString(v)}]`).join(', ') + ']';
  const hash = contentHash(Buffer.from(pairs, 'utf8'));
  const obj = '{' + sorted.map(([k, v]) => `${pyJsonString(k)}: ${pyJsonString(v)}`).join(', ') + '}';
  return `{"paths": ${obj}, "version": "1.1", "hash": "${hash}"}`;
}
