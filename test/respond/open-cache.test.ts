/**
 * The kept-descriptor cache on its own: what a re-check compares, when a descriptor is
 * closed (never under a response still reading it), the cap and the idle sweep.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { identityOf, OpenCache, sameFile, type CheckFs } from '../../src/respond/open-cache.js';
import { tempDir, write } from '../helpers/fixture.js';

function file(dir: string, name: string, body = 'DATA'): { p: string; fd: number; st: fs.Stats } {
  const p = path.join(dir, name);
  write(p, body);
  const fd = fs.openSync(p, 'r');
  return { p, fd, st: fs.fstatSync(fd) };
}

t.test('sameFile compares device, inode, size and both times, and wants a regular file', async (t) => {
  const dir = tempDir(t);
  const { st } = file(dir, 'a.txt');
  const id = identityOf(st);
  t.ok(sameFile(st, id));
  for (const k of ['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs'] as const) t.notOk(sameFile(st, { ...id, [k]: id[k] + 1 }), `${k} differs`);
  t.notOk(sameFile(fs.lstatSync(dir), { ...id, ino: fs.lstatSync(dir).ino, dev: fs.lstatSync(dir).dev }), 'a folder never matches');
});

t.test('take re-checks each time; a changed file is dropped and closed', async (t) => {
  const dir = tempDir(t);
  const f = file(dir, 'a.txt');
  const closed: number[] = [];
  const c = new OpenCache<string>({ max: 4, idleMs: 60_000 });
  t.teardown(() => c.clear());
  const folder = fs.lstatSync(dir);
  const k = c.keep('/a', f.p, f.fd, identityOf(f.st), [{ path: dir, dev: folder.dev, ino: folder.ino }], 'data', () => (closed.push(f.fd), fs.closeSync(f.fd)));
  t.ok(k, 'kept');
  c.release(k!);
  const again = c.take('/a');
  t.equal(again?.data, 'data', 'handed out again');
  c.release(again!);
  t.equal(c.hits, 1);
  fs.appendFileSync(f.p, 'more');
  t.equal(c.take('/a'), undefined, 'grown: not handed out');
  t.equal(c.stale, 1);
  t.equal(c.size, 0);
  t.same(closed, [f.fd], 'closed at once: nobody held it');
});

t.test('a descriptor dropped while a response holds it is closed when that response releases it', async (t) => {
  const dir = tempDir(t);
  const f = file(dir, 'a.txt');
  let closes = 0;
  const c = new OpenCache<null>({ max: 4, idleMs: 60_000 });
  const k = c.keep('/a', f.p, f.fd, identityOf(f.st), [], null, () => (closes++, fs.closeSync(f.fd)))!;
  const second = c.take('/a')!;
  fs.rmSync(f.p);
  t.equal(c.take('/a'), undefined, 'removed: not handed out');
  t.equal(closes, 0, 'still held by two responses');
  c.release(k);
  t.equal(closes, 0);
  c.release(second);
  t.equal(closes, 1, 'closed by the last release, once');
});

t.test('the folders on the way must be the same folders, not symlinks', async (t) => {
  const dir = fs.realpathSync(tempDir(t));
  const f = file(dir, 'sub/a.txt');
  const sub = fs.lstatSync(path.join(dir, 'sub'));
  const c = new OpenCache<null>({ max: 4, idleMs: 60_000 });
  t.teardown(() => c.clear());
  const k = c.keep('/a', f.p, f.fd, identityOf(f.st), [{ path: path.join(dir, 'sub'), dev: sub.dev, ino: sub.ino }], null, () => fs.closeSync(f.fd))!;
  c.release(k);
  fs.renameSync(path.join(dir, 'sub'), path.join(dir, 'old'));
  fs.symlinkSync(path.join(dir, 'old'), path.join(dir, 'sub'));
  t.equal(c.take('/a'), undefined, 'the same file through a symlinked folder is not the file checked');
});

t.test('an error from a re-check is a miss, never a throw', async (t) => {
  const dir = tempDir(t);
  const f = file(dir, 'a.txt');
  const failing: CheckFs = {
    statFile: () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    },
    lstat: (p) => fs.lstatSync(p),
  };
  const c = new OpenCache<null>({ max: 4, idleMs: 60_000 });
  const k = c.keep('/a', f.p, f.fd, identityOf(f.st), [], null, () => fs.closeSync(f.fd))!;
  c.release(k);
  c.io = failing;
  t.equal(c.take('/a'), undefined);
  t.equal(c.size, 0);
});

t.test('at most max are kept (the oldest goes), and unused ones are closed by the sweep', async (t) => {
  const dir = tempDir(t);
  const closed: string[] = [];
  const c = new OpenCache<null>({ max: 2, idleMs: 1000 });
  for (const n of ['a', 'b', 'c']) {
    const f = file(dir, `${n}.txt`);
    const k = c.keep(n, f.p, f.fd, identityOf(f.st), [], null, () => (closed.push(n), fs.closeSync(f.fd)))!;
    c.release(k);
  }
  t.equal(c.size, 2);
  t.same(closed, ['a']);
  c.release(c.take('c')!);
  c.sweep(Date.now() + 500);
  t.same(closed, ['a'], 'not idle long enough');
  c.sweep(Date.now() + 1000);
  t.same(closed.sort(), ['a', 'b', 'c']);
  t.equal(c.size, 0);
});

t.test('max 0 keeps nothing', async (t) => {
  const dir = tempDir(t);
  const f = file(dir, 'a.txt');
  const c = new OpenCache<null>({ max: 0, idleMs: 1000 });
  t.equal(c.keep('/a', f.p, f.fd, identityOf(f.st), [], null, () => {}), undefined);
  fs.closeSync(f.fd);
});
