/** `assetd compress` on a disk that fills up: a one-line error, no partial or temporary variant, and a rerun finishes once there is room. */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { runAssetd } from '../helpers/run.js';

const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-full-'));
let mounted = false;
try {
  // a 160 KiB filesystem of its own (needs root, as CI runs)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', mnt], { stdio: 'ignore' });
  mounted = true;
} catch {
  fs.rmSync(mnt, { recursive: true, force: true });
}

if (!mounted) {
  t.skip('cannot mount a small tmpfs here (needs root): the full-disk fault is not injected');
} else {
  t.teardown(() => {
    execFileSync('umount', [mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  });
  const sources = new Map<string, Buffer>();
  for (let i = 0; i < 6; i++) {
    let s = '';
    for (let j = 0; s.length < 20000; j++) s += `.r${i}-${j}{margin:${(j * 7919) % 1000}px}\n`;
    const body = Buffer.from(s);
    sources.set(`f${i}.css`, body);
    fs.writeFileSync(path.join(mnt, `f${i}.css`), body);
  }

  const check = (t: Tap.Test) => {
    const names = fs.readdirSync(mnt);
    t.same(names.filter((n) => n.startsWith('.')), [], 'no temporary file left behind');
    for (const [name, body] of sources) {
      t.same(fs.readFileSync(path.join(mnt, name)), body, `${name} untouched`);
      for (const [suffix, decode] of [['.br', zlib.brotliDecompressSync], ['.gz', zlib.gunzipSync]] as const) {
        const v = path.join(mnt, name + suffix);
        if (fs.existsSync(v)) t.same(decode(fs.readFileSync(v)), body, `${name}${suffix} is complete`);
      }
    }
    return names;
  };

  t.test('the disk fills up', async (t) => {
    const r = await runAssetd(['compress', mnt, '--workers', '0']);
    t.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], /cannot compress \(ENOSPC/);
    const names = check(t);
    t.ok(names.filter((n) => n.endsWith('.br') || n.endsWith('.gz')).length < 12, 'not every variant fitted');
  });

  t.test('with room again, a rerun finishes the job', async (t) => {
    execFileSync('mount', ['-o', 'remount,size=1m', mnt]);
    const r = await runAssetd(['compress', mnt, '--workers', '0']);
    t.equal(r.code, 0, r.stderr);
    const names = check(t);
    t.equal(names.filter((n) => n.endsWith('.br') || n.endsWith('.gz')).length, 12, 'every variant there');
  });
}
