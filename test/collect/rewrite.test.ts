import t from 'tap';
import fc from 'fast-check';
import { commentSpans, isAdjustable, normPath, rewriteReferences, targetOf, unquote } from '../../src/collect/rewrite.js';

const names: Record<string, string> = {
  'css/img/a.png': 'css/img/a.111111111111.png',
  'img/b.svg': 'img/b.222222222222.svg',
  'fonts/f.woff': 'fonts/f.333333333333.woff',
  'fonts/f.eot': 'fonts/f.444444444444.eot',
  'css/other.css': 'css/other.555555555555.css',
  'css/site.css.map': 'css/site.css.666666666666.map',
  'js/app.js.map': 'js/app.js.777777777777.map',
  'css/my font.woff': 'css/my font.888888888888.woff',
};
const lookup = (n: string) => names[n];
const opts = { staticUrl: '/static/' };
const css = (text: string) => rewriteReferences('css/site.css', text, lookup, opts);

t.test('url() in every quoting, relative to the referring file', async (t) => {
  t.equal(css('a{background:url(img/a.png)}').text, 'a{background:url("img/a.111111111111.png")}');
  t.equal(css("a{background:url('img/a.png')}").text, 'a{background:url("img/a.111111111111.png")}');
  t.equal(css('a{background:url("img/a.png")}').text, 'a{background:url("img/a.111111111111.png")}');
  t.equal(css('a{background:url(  ../img/b.svg)}').text, 'a{background:url("../img/b.222222222222.svg")}');
  t.equal(css('a{background:URL(./img/a.png)}').text, 'a{background:url("./img/a.111111111111.png")}', 'case-insensitive, ./ kept');
  t.equal(css('a{b:url(../css/../fonts/f.woff)}').text, 'a{b:url("../css/../fonts/f.333333333333.woff")}', 'normalised to find the file, written as it was');
});

t.test('several references on several lines', async (t) => {
  const r = css('@font-face {\n  src: url(../fonts/f.eot?#iefix) format("eot"),\n       url("../fonts/f.woff") format("woff");\n}\n');
  t.equal(r.text, '@font-face {\n  src: url("../fonts/f.444444444444.eot?#iefix") format("eot"),\n       url("../fonts/f.333333333333.woff") format("woff");\n}\n');
  t.same(r.resolved.map((x) => [x.line, x.target]), [[2, 'fonts/f.eot'], [3, 'fonts/f.woff']]);
});

t.test('query strings and fragments are kept', async (t) => {
  t.equal(css('x{y:url(img/a.png?v=2)}').text, 'x{y:url("img/a.111111111111.png?v=2")}');
  t.equal(css('x{y:url(../img/b.svg#icon)}').text, 'x{y:url("../img/b.222222222222.svg#icon")}');
  t.equal(css('x{y:url(../img/b.svg?v=1#icon)}').text, 'x{y:url("../img/b.222222222222.svg?v=1#icon")}');
});

t.test('URLs that are not ours are left exactly as written', async (t) => {
  for (const u of [
    'url(data:image/png;base64,iVBORw0KGgo=)',
    "url('data:image/svg+xml;utf8,<svg></svg>')",
    'url(https://cdn.example.com/a.png)',
    'url(http://example.com/img/a.png)',
    'url(//cdn.example.com/a.png)',
    'url(/media/upload.png)',
    'url(#gradient)',
    'url("#a")',
    'url(img/)',
  ]) {
    const r = css(`a{b:${u}}`);
    t.equal(r.text, `a{b:${u}}`, u);
    t.same(r.missing, [], `${u} is not reported missing`);
  }
});

t.test('absolute URLs under the static URL resolve from the root', async (t) => {
  t.equal(css('a{b:url(/static/img/b.svg)}').text, 'a{b:url("/static/img/b.222222222222.svg")}');
  t.equal(rewriteReferences('css/site.css', 'a{b:url(/assets/img/b.svg)}', lookup, { staticUrl: '/assets/' }).text, 'a{b:url("/assets/img/b.222222222222.svg")}');
});

t.test('percent-escapes are decoded to find the file', async (t) => {
  t.equal(css('a{b:url(my%20font.woff)}').text, 'a{b:url("my font.888888888888.woff")}');
});

t.test('@import in its forms', async (t) => {
  t.equal(css('@import "other.css";').text, '@import url("other.555555555555.css");');
  t.equal(css("@import 'other.css' screen;").text, '@import url("other.555555555555.css") screen;');
  t.equal(css('@import url(other.css);').text, '@import url("other.555555555555.css");');
  t.equal(css('@import url("https://fonts.example.com/css");').text, '@import url("https://fonts.example.com/css");');
});

t.test('missing files are reported with line and left alone', async (t) => {
  const r = css('a{}\nb{background:url(../img/none.png)}\n@import "gone.css";\n');
  t.equal(r.text, 'a{}\nb{background:url(../img/none.png)}\n@import "gone.css";\n');
  t.same(
    r.missing.map((m) => [m.line, m.url, m.target]),
    [
      [2, '../img/none.png', 'img/none.png'],
      [3, 'gone.css', 'css/gone.css'],
    ],
  );
  const out = css('a{b:url(../../../etc/passwd)}');
  t.equal(out.missing.length, 1, 'a reference above the root is missing, never looked up');
  t.equal(out.text, 'a{b:url(../../../etc/passwd)}');
});

t.test('references inside CSS comments are left alone', async (t) => {
  const text = '/* old: url(../img/none.png) and @import "gone.css"; */\na{b:url(../img/b.svg)}';
  const r = css(text);
  t.equal(r.text, '/* old: url(../img/none.png) and @import "gone.css"; */\na{b:url("../img/b.222222222222.svg")}');
  t.same(r.missing, []);
});

t.test('sourceMappingURL comments in CSS and JS', async (t) => {
  t.equal(css('a{}\n/*# sourceMappingURL=site.css.map */').text, 'a{}\n/*# sourceMappingURL=site.css.666666666666.map */');
  const js = (s: string) => rewriteReferences('js/app.js', s, lookup, opts);
  t.equal(js('x();\n//# sourceMappingURL=app.js.map').text, 'x();\n//# sourceMappingURL=app.js.777777777777.map');
  t.equal(js('x();\n//# sourceMappingURL=app.js.map\n').text, 'x();\n//# sourceMappingURL=app.js.777777777777.map\n');
  t.equal(js('x();\n//# sourceMappingURL=data:application/json;base64,e30=').text, 'x();\n//# sourceMappingURL=data:application/json;base64,e30=');
  t.equal(js('var s = "//# sourceMappingURL=app.js.map";').text, 'var s = "//# sourceMappingURL=app.js.map";', 'only at the start of a line');
  t.equal(js('a{b:url(x.png)}').text, 'a{b:url(x.png)}', 'url() is not a JS reference');
  const missing = js('x();\n//# sourceMappingURL=nope.js.map');
  t.same(missing.missing.map((m) => m.line), [2]);
});

t.test('only .css and .js files are rewritten', async (t) => {
  t.ok(isAdjustable('a/b.css'));
  t.ok(isAdjustable('a/b.js'));
  t.notOk(isAdjustable('a/b.CSS'), 'case-sensitive, like Django');
  t.notOk(isAdjustable('a/b.html'));
  t.equal(rewriteReferences('x.html', 'url(img/a.png)', lookup, opts).text, 'url(img/a.png)');
});

t.test('helpers', async (t) => {
  t.equal(normPath('a/b/../c/./d'), 'a/c/d');
  t.equal(normPath('../a'), '../a');
  t.equal(normPath('a/../../b'), '../b');
  t.equal(normPath('/a/../../b'), '/b');
  t.equal(normPath('a//b/'), 'a/b');
  t.equal(unquote('a%20b%2Fc%zz%'), 'a b/c%zz%');
  t.equal(unquote('%C3%A9'), 'é');
  t.same(commentSpans('a /* x */ b /* y\n z */'), [[2, 9], [12, 22]]);
  t.equal(targetOf('css/a.css', '../x.png', '/static/')?.path, 'x.png');
  t.equal(targetOf('a.css', 'mailto:x@y', '/static/'), undefined);
});

t.test('property: text without references is never changed', async (t) => {
  const safe = fc.string({ maxLength: 200 }).filter((s) => !/url\(|@import|sourceMappingURL/i.test(s));
  fc.assert(fc.property(safe, (s) => css(s).text === s && rewriteReferences('a.js', s, lookup, opts).text === s));
});

t.test('property: a reference to a known file always becomes its hashed last segment', async (t) => {
  const known = fc.constantFrom('img/a.png', '../img/b.svg', '../fonts/f.woff', 'other.css');
  const quote = fc.constantFrom('', "'", '"');
  const pad = fc.constantFrom('', ' ', '  ');
  fc.assert(
    fc.property(known, quote, pad, fc.string({ maxLength: 20 }).filter((s) => !/url\(|\)|@import|\/\*|\*\//i.test(s)), (u, q, p, around) => {
      const r = css(`${around}{b:url(${q}${p}${u}${q})}`);
      const target = u.startsWith('..') ? u.slice(3) : 'css/' + u;
      const last = names[target].split('/').pop()!;
      return r.text === `${around}{b:url("${u.split('/').slice(0, -1).concat(last).join('/')}")}` && r.resolved.length === 1;
    }),
  );
});
