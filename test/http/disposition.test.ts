import t from 'tap';
import fc from 'fast-check';
import { asciiFallback, contentDisposition, encodeExtValue } from '../../src/http/disposition.js';

/** Parse `filename*=UTF-8''...` back to a string, as a browser does. */
function decodeExt(header: string): string {
  const m = /filename\*=UTF-8''([^;\s]*)$/.exec(header);
  if (!m) throw new Error(`no filename* in ${header}`);
  return Buffer.from(m[1].replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}

t.test('plain names', async (t) => {
  t.equal(contentDisposition('attachment', 'report.pdf'), `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
  t.equal(contentDisposition('inline', 'a.svg'), `inline; filename="a.svg"; filename*=UTF-8''a.svg`);
});

t.test('spaces, quotes, unicode, CR/LF are encoded, never raw', async (t) => {
  const h = contentDisposition('attachment', 'my "file"\r\nSet-Cookie: x=1; évil ☃.html');
  t.notMatch(h, /[\r\n]/);
  t.equal(asciiFallback('my "file"\r\nSet-Cookie: x=1; évil ☃.html'), 'my _file___Set-Cookie: x=1; _vil _.html');
  t.match(h, /filename\*=UTF-8''my%20%22file%22%0D%0ASet-Cookie%3A%20x%3D1%3B%20%C3%A9vil%20%E2%98%83\.html$/);
  t.equal(decodeExt(h), 'my "file"\r\nSet-Cookie: x=1; évil ☃.html');
});

t.test('fallback drops backslash, percent and slash', async (t) => {
  t.equal(asciiFallback('a\\b%41/c'), 'a_b_41_c');
  t.equal(asciiFallback(''), 'download');
});

t.test('encodeExtValue keeps only attr-chars', async (t) => {
  t.equal(encodeExtValue("a-b_c.d~e!#$&+^`|"), "a-b_c.d~e!#$&+^`|");
  t.equal(encodeExtValue("'()*,;= "), '%27%28%29%2A%2C%3B%3D%20');
  t.equal(encodeExtValue('\ud800'), '%EF%BF%BD', 'a lone surrogate becomes U+FFFD');
});

t.test('property: any name gives one safe header line that round-trips', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (name) => {
      const h = contentDisposition('attachment', name);
      // only visible ASCII and spaces: no CR, LF, NUL or other control, no non-ASCII
      if (!/^[\x20-\x7e]+$/.test(h)) return false;
      // the quoted fallback has no quote or backslash inside, so it cannot end early
      const m = /^attachment; filename="([^"\\]*)"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]*$/.exec(h);
      if (!m) return false;
      return decodeExt(h) === Buffer.from(name, 'utf8').toString('utf8');
    }),
    { numRuns: 2000 },
  );
});
