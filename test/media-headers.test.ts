import t from 'tap';
import { ACTIVE_TYPES } from '../src/config.js';
import { baseType, isAttachment, mediaEtag, mediaHeaders } from '../src/media-headers.js';
import { Secret } from '../src/sign.js';

const mount = { activeTypes: ACTIVE_TYPES, inlineTypes: [] as string[], cacheControl: 'public, max-age=0, must-revalidate', signed: null };
const st = { size: 1234, mtimeMs: 1_700_000_000_123.7, ino: 4242 };

function header(list: string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i].toLowerCase() === name.toLowerCase()) return list[i + 1];
  return undefined;
}

t.test('active types become sandboxed attachments', async (t) => {
  for (const name of ['a.html', 'a.htm', 'a.xhtml', 'a.svg', 'a.xml', 'a.js', 'a.mjs', 'a.xsl']) {
    const h = mediaHeaders(mount, name, st);
    t.ok(h.attachment, `${name} is an attachment`);
    t.equal(header(h.h200, 'Content-Security-Policy'), 'sandbox', name);
    t.equal(header(h.h200, 'Content-Disposition'), `attachment; filename="${name}"; filename*=UTF-8''${name}`, name);
    t.equal(header(h.h206, 'Content-Security-Policy'), 'sandbox', `${name} (206)`);
  }
});

t.test('passive types are inline, always nosniff', async (t) => {
  for (const name of ['a.png', 'a.jpg', 'a.pdf', 'a.txt', 'a.css', 'a.mp4', 'noext', 'a.unknownext']) {
    const h = mediaHeaders(mount, name, st);
    t.notOk(h.attachment, name);
    t.equal(header(h.h200, 'Content-Disposition'), undefined, name);
    t.equal(header(h.h200, 'X-Content-Type-Options'), 'nosniff', name);
    t.equal(header(h.h304, 'X-Content-Type-Options'), 'nosniff', name);
  }
  t.equal(mediaHeaders(mount, 'noext', st).contentType, 'application/octet-stream');
});

t.test('inlineTypes lets a mount serve an active type inline', async (t) => {
  const m = { ...mount, inlineTypes: ['image/svg+xml'] };
  t.notOk(mediaHeaders(m, 'logo.svg', st).attachment);
  t.ok(mediaHeaders(m, 'page.html', st).attachment);
  t.notOk(isAttachment({ activeTypes: [], inlineTypes: [] }, 'text/html; charset=utf-8'), 'an empty active list serves everything inline');
  t.equal(baseType('Text/HTML ; charset=utf-8'), 'text/html');
});

t.test('an odd name cannot inject a header', async (t) => {
  const h = mediaHeaders(mount, 'a "b"\r\nSet-Cookie: x=1 ü.html', st);
  const cd = header(h.h200, 'Content-Disposition')!;
  t.match(cd, /^attachment; filename="a _b___Set-Cookie: x=1 _.html"; filename\*=UTF-8''a%20%22b%22%0D%0ASet-Cookie%3A%20x%3D1%20%C3%BC\.html$/);
  for (const v of h.h200) t.notMatch(v, /[\r\n]/);
});

t.test('caching headers and validators', async (t) => {
  const h = mediaHeaders(mount, 'a.png', st);
  t.equal(header(h.h200, 'Cache-Control'), 'public, max-age=0, must-revalidate');
  t.equal(header(h.h200, 'Content-Length'), '1234');
  t.equal(header(h.h200, 'Accept-Ranges'), 'bytes');
  t.equal(header(h.h200, 'Last-Modified'), new Date(1_700_000_000_000).toUTCString());
  t.equal(h.lastModified, 1_700_000_000);
  t.equal(h.etag, mediaEtag(st));
  t.notOk(header(h.h200, 'Cache-Control')!.includes('immutable'));
  t.equal(header(h.h206, 'Content-Length'), undefined, '206 length is set per request');
  t.equal(header(h.h200, 'Referrer-Policy'), undefined);
  const signed = mediaHeaders({ ...mount, signed: { secret: new Secret('x'.repeat(32)), source: 'ASSETD_K' } }, 'a.png', st);
  t.equal(header(signed.h200, 'Referrer-Policy'), 'no-referrer');
});

t.test('the ETag changes when the upload is replaced', async (t) => {
  const a = mediaEtag(st);
  t.not(mediaEtag({ ...st, ino: 4243 }), a, 'new inode (replaced by rename)');
  t.not(mediaEtag({ ...st, mtimeMs: st.mtimeMs + 5 }), a, 'rewritten within the same second');
  t.not(mediaEtag({ ...st, size: 1235 }), a, 'new size');
  t.match(a, /^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
});
