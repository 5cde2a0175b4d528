/** Generate a collected static tree like Django's collectstatic + WhiteNoise makes. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export function tempDir(t: { teardown: (fn: () => void) => void }, name = 'assetd-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), name));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function write(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
}

export function hashedName(name: string, body: Buffer): string {
  const hash = crypto.createHash('md5').update(body).digest('hex').slice(0, 12);
  const ext = path.extname(name);
  return `${name.slice(0, name.length - ext.length)}.${hash}${ext}`;
}

export interface FixtureFile {
  name: string;
  body: Buffer;
  compress?: boolean;
}

/**
 * Write each file twice (original and hashed name), .br/.gz siblings for compressible ones,
 * and a Django 1.1 manifest. Returns original name -> hashed name.
 */
export function collectedTree(root: string, files: FixtureFile[], manifestVersion = '1.1'): Map<string, string> {
  const names = new Map<string, string>();
  for (const f of files) {
    const hashed = hashedName(f.name, f.body);
    names.set(f.name, hashed);
    for (const n of [f.name, hashed]) {
      write(path.join(root, n), f.body);
      if (f.compress !== false) {
        write(path.join(root, n + '.gz'), zlib.gzipSync(f.body, { level: 9 }));
        write(path.join(root, n + '.br'), zlib.brotliCompressSync(f.body));
      }
    }
  }
  const manifest: Record<string, unknown> = { paths: Object.fromEntries(names), version: manifestVersion };
  if (manifestVersion === '1.1') manifest.hash = 'abc123';
  write(path.join(root, 'staticfiles.json'), JSON.stringify(manifest));
  return names;
}

/** A deterministic, compressible text of about n bytes. */
export function cssText(n: number, seed = 1): Buffer {
  let s = '';
  let i = seed;
  while (s.length < n) s += `.rule-${i % 97} { color: #${((i * 2654435761) % 0xffffff).toString(16).padStart(6, '0')}; margin: ${i % 13}px; }\n`, i++;
  return Buffer.from(s.slice(0, n));
}
