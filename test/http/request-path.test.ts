import t from 'tap';
import { declaredPath, hasHiddenSegment, isHidden, normalise, requestPath } from '../../src/http/request-path.js';

const ok = (target: string) => {
  const r = requestPath(target);
  return r.ok ? r.path : `!${r.why}`;
};

t.test('plain paths pass through untouched, query dropped', async (t) => {
  t.equal(ok('/static/a.css'), '/static/a.css');
  t.equal(ok('/static/a.css?v=1&x=/../'), '/static/a.css');
  t.equal(ok('/static/a.css#frag'), '/static/a.css');
  t.equal(ok('/'), '/');
  t.equal(ok('/static/dir/'), '/static/dir/');
});

t.test('percent-decoding happens exactly once', async (t) => {
  t.equal(ok('/static/a%20b.css'), '/static/a b.css');
  t.equal(ok('/static/%C3%A9t%C3%A9.css'), '/static/été.css');
  t.equal(ok('/static/%252e%252e/x'), '/static/%2e%2e/x', 'double encoding stays literal');
  t.equal(ok('/static/%2e%2e/%2e%2e/etc/passwd'), '!escapes-root');
  t.equal(ok('/static/%2E%2e/x'), '/x', '.. resolved after decoding, inside the URL space');
});

t.test('bad encodings and forbidden characters are refused', async (t) => {
  t.equal(ok('/static/%'), '!bad-encoding');
  t.equal(ok('/static/%zz'), '!bad-encoding');
  t.equal(ok('/static/%c0%ae%c0%ae/x'), '!bad-encoding', 'overlong UTF-8');
  t.equal(ok('/static/%e0%80%ae'), '!bad-encoding', 'overlong 3-byte UTF-8');
  t.equal(ok('/static/%ff'), '!bad-encoding');
  t.equal(ok('/static/a%2fb'), '!encoded-slash');
  t.equal(ok('/static/a%2Fb'), '!encoded-slash');
  t.equal(ok('/static/a%5cb'), '!encoded-slash');
  t.equal(ok('/static/a%00.css'), '!nul');
  t.equal(ok('/static/a\\b'), '!backslash');
  t.equal(ok('/static/a%0d%0aX: y'), '!control');
  t.equal(ok('/static/a\x01'), '!control');
});

t.test('dot segments and empty segments are resolved', async (t) => {
  t.equal(ok('/static/./a.css'), '/static/a.css');
  t.equal(ok('/static/x/../a.css'), '/static/a.css');
  t.equal(ok('//static//a.css'), '/static/a.css');
  t.equal(ok('///etc/passwd'), '/etc/passwd', 'still a URL path, never a filesystem path');
  t.equal(ok('/static/..'), '/');
  t.equal(ok('/static/x/..'), '/static/');
  t.equal(ok('/..'), '!escapes-root');
  t.equal(ok('/static/../../x'), '!escapes-root');
  t.equal(ok('/a/./'), '/a/');
});

t.test('request-target forms', async (t) => {
  t.equal(ok('http://evil.example/static/a.css'), '/static/a.css', 'absolute-form reduced to its path');
  t.equal(ok('HTTPS://h'), '/');
  t.equal(ok('http://h/../../etc/passwd'), '!escapes-root');
  t.equal(ok('*'), '!not-origin-form');
  t.equal(ok('example.com:443'), '!not-origin-form');
  t.equal(ok(''), '!not-origin-form');
  t.equal(ok('file:///etc/passwd'), '!not-origin-form');
});

t.test('normalise', async (t) => {
  t.same(normalise('/a/b/../c'), { ok: true, path: '/a/c' });
  t.same(normalise('/a/b/.'), { ok: true, path: '/a/b/' });
  t.same(normalise('/../a'), { ok: false, why: 'escapes-root' });
});

t.test('hidden names', async (t) => {
  t.ok(isHidden('.env'));
  t.ok(isHidden('.git'));
  t.notOk(isHidden('a.css'));
  t.ok(hasHiddenSegment('a/.git/config'));
  t.ok(hasHiddenSegment('.env'));
  t.notOk(hasHiddenSegment('a/b.c/d'));
});

t.test('declaredPath: the path as spelled, decoded once, dot segments kept', async (t) => {
  t.equal(declaredPath('/static/a.css?x=/../'), '/static/a.css');
  t.equal(declaredPath('/static/%2e%2e/secret.txt'), '/static/../secret.txt');
  t.equal(declaredPath('/%73tatic/../x'), '/static/../x', 'an encoded letter of the prefix');
  t.equal(declaredPath('//static///../x'), '/static/../x', 'repeated slashes collapsed');
  t.equal(declaredPath('http://evil.example//static/%2e%2e/x#f'), '/static/../x', 'absolute-form');
  t.equal(declaredPath('/static/%252e%252e/x'), '/static/%2e%2e/x', 'decoded once only');
  t.equal(declaredPath('/static/%c0%ae%c0%ae/%zz/x'), '/static/\u00c0\u00ae\u00c0\u00ae/%zz/x', 'bad UTF-8 decoded byte by byte, bad escapes kept');
  t.equal(declaredPath('/static/..%2fx'), '/static/../x', 'an encoded slash counts as a slash here');
  t.equal(declaredPath('/caf%C3%A9/'), '/café/');
  t.equal(declaredPath('*'), '*');
});

t.test('clampedPath: a declared path resolved as lenient apps do, never above the root', async (t) => {
  const { clampedPath } = await import('../../src/http/request-path.js');
  t.equal(clampedPath('/../static/app.css'), '/static/app.css');
  t.equal(clampedPath('/a/../../b'), '/b');
  t.equal(clampedPath('/../static/.'), '/static/', 'a last "." names the folder');
  t.equal(clampedPath('/x/..'), '/');
  t.equal(clampedPath('/a//b/./c/'), '/a/b/c/');
  t.equal(clampedPath('/'), '/');
  for (const p of ['/../x', '/a/../../../b/', '/./../c/..', '/%2e']) t.equal(clampedPath(p), new URL(p.replace(/%/g, '%25'), 'http://h').pathname.replace(/%25/g, '%'), `as URL resolves ${p}`);
});

t.test('originForm: path and query of a target', async (t) => {
  const { originForm } = await import('../../src/http/request-path.js');
  t.equal(originForm('/a?b'), '/a?b');
  t.equal(originForm('http://h/a?b'), '/a?b');
  t.equal(originForm('HTTPS://h:1'), '/');
  t.equal(originForm('http://h?q=1'), '/?q=1');
  t.equal(originForm('*'), null);
  t.equal(originForm('h:80'), null);
});
