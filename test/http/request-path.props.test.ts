/**
 * Properties of requestPath/normalise over generated hostile targets: a result joined to a
 * root never resolves outside it, and never carries NUL, backslash, control characters,
 * '.' or '..' segments or empty segments.
 */
import path from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { normalise, requestPath } from '../../src/http/request-path.js';

const ROOT = '/srv/site/static';

/** Pieces a hostile target is made of: every spelling of dots and separators, and plain names. */
const piece = fc.constantFrom(
  '/', '//', '.', '..', '...', '%2e', '%2E', '%2e%2e', '%252e', '%2f', '%2F', '%5c', '%252f', '\\',
  '%c0%ae', '%e0%80%ae', '%c0%af', '%ef%bc%8e', '\uff0e', '\uff0f', '%00', '\u0000', '%0a', '%7f',
  '%', '%z', '%e6%97%a5', 'a', 'b.css', '.env', 'etc', 'passwd', '?', '#', ';', ' ', '%20', 'http://x', '*',
);
const target = fc.oneof(
  fc.array(piece, { maxLength: 24 }).map((a) => a.join('')),
  fc.array(piece, { maxLength: 24 }).map((a) => '/' + a.join('')),
  fc.string({ maxLength: 40 }).map((s) => '/' + s),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => '/' + s),
);

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root + path.sep);
}

t.test('requestPath never yields a path that leaves the root', async (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(target, (tg) => {
      const r = requestPath(tg);
      if (!r.ok) return true;
      accepted++;
      const p = r.path;
      if (!p.startsWith('/')) return false;
      if (/[\x00-\x1f\x7f\\]/.test(p)) return false;
      const segments = p.split('/').slice(1);
      const inner = p.endsWith('/') ? segments.slice(0, -1) : segments;
      if (inner.some((s) => s === '' || s === '.' || s === '..')) return false;
      // joined to a root the way a file server would, it stays inside
      if (!inside(ROOT, path.resolve(ROOT, '.' + p))) return false;
      if (!inside(ROOT, path.join(ROOT, p))) return false;
      return true;
    }),
    { numRuns: 20000 },
  );
  t.ok(accepted > 1000, `${accepted} of 20000 generated targets accepted, all inside the root`);
});

t.test('normalise agrees with POSIX resolution, refusing instead of clamping at the top', async (t) => {
  const seg = fc.constantFrom('', '.', '..', 'a', 'b', '...', '.x');
  fc.assert(
    fc.property(fc.array(seg, { maxLength: 12 }), (segs) => {
      const p = '/' + segs.join('/');
      const r = normalise(p);
      // walk the segments: does a '..' ever climb above '/'?
      let depth = 0;
      let escapes = false;
      for (const s of segs) {
        if (s === '..') {
          if (depth === 0) escapes = true;
          depth = Math.max(0, depth - 1);
        } else if (s !== '' && s !== '.') depth++;
      }
      if (escapes) return !r.ok;
      if (!r.ok) return false;
      const withoutSlash = r.path.length > 1 && r.path.endsWith('/') ? r.path.slice(0, -1) : r.path;
      return withoutSlash === path.posix.resolve('/', p) && normalise(r.path).ok && (normalise(r.path) as { path: string }).path === r.path;
    }),
    { numRuns: 20000 },
  );
  t.pass('20000 generated paths');
});

t.test('decoding happens exactly once: %252e stays a literal %2e', async (t) => {
  const name = fc.stringMatching(/^[a-z0-9]{0,5}\.[a-z0-9.]{0,6}[a-z0-9]$/);
  fc.assert(
    fc.property(name, (n) => {
      const enc = n.replace(/\./g, '%2e');
      const once = requestPath('/' + enc);
      const twice = requestPath('/' + enc.replace(/%/g, '%25'));
      return once.ok && once.path === '/' + n && twice.ok && twice.path === '/' + enc;
    }),
    { numRuns: 5000 },
  );
  t.pass('5000 generated names');
});
