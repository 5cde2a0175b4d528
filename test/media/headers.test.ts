import t from 'tap';
import { baseType, mediaEtag, mediaHeaders } from '../../src/media/headers.js';
import { INERT_TYPES, mediaPolicy, PLAYER_CSP } from '../../src/http/active-content.js';
import { Secret } from '../../src/media/sign.js';

const mount = { inertTypes: INERT_TYPES, inlineTypes: [] as string[], cacheControl: 'public, max-age=0, must-revalidate', signed: null };
const st = { size: 1234, mtimeMs: 1_700_000_000_123.7, ino: 4242 };

function header(list: string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i].toLowerCase() === name.toLowerCase()) return list[i + 1];
  return undefined;
}

const SANDBOX = "sandbox; default-src 'none'";
const PLAYER = "sandbox allow-same-origin; default-src 'none'; media-src 'self'";

/** Names a browser would render as a document (markup, XML of any kind, script) or that we do not know: all attachments. */
const ATTACHMENTS = [
  'a.html', 'a.htm', 'a.shtml', 'a.xht', 'a.xhtml', 'a.xhtm', 'a.xml', 'a.xsl', 'a.xslt', 'a.xsd', 'a.rdf', 'a.rss', 'a.atom', 'a.owl',
  'a.mathml', 'a.mml', 'a.svg', 'a.svgz', 'a.xul', 'a.smil', 'a.kml', 'a.gpx', 'a.wsdl', 'a.xlf', 'a.rng', 'a.dtd', 'a.mpd',
  'a.js', 'a.mjs', 'a.cjs', 'a.jsx', 'a.wasm', 'a.vtt', 'a.appcache', 'a.manifest', 'a.webmanifest', 'a.jsonld', 'a.css', 'a.md',
  'a.htc', 'a.mht', 'a.mhtml', 'a.wml', 'a.wmls', 'a.php', 'a.sh', 'a.swf', 'a.jar', 'a.xpi', 'a.crx', 'a.ics', 'a.vcf', 'a.rtf',
  'a.ps', 'a.eps', 'a.tsv', 'a.zip', 'a.docx', 'a.epub', 'a.eot', 'a.srt', 'a.m3u8',
];
/** Known inert: shown inline, in the sandbox (audio and video with the player's policy). */
const INLINE: [string, string][] = [
  ['a.png', 'image/png'], ['a.jpg', 'image/jpeg'], ['a.jpeg', 'image/jpeg'], ['a.gif', 'image/gif'], ['a.webp', 'image/webp'],
  ['a.avif', 'image/avif'], ['a.apng', 'image/apng'], ['a.bmp', 'image/bmp'], ['a.ico', 'image/vnd.microsoft.icon'],
  ['a.tif', 'image/tiff'], ['a.heic', 'image/heic'], ['a.jxl', 'image/jxl'],
  ['a.mp3', 'audio/mpeg'], ['a.m4a', 'audio/mp4'], ['a.aac', 'audio/aac'], ['a.ogg', 'audio/ogg'], ['a.opus', 'audio/ogg'],
  ['a.wav', 'audio/wav'], ['a.weba', 'audio/webm'], ['a.flac', 'audio/x-flac'],
  ['a.mp4', 'video/mp4'], ['a.webm', 'video/webm'], ['a.ogv', 'video/ogg'], ['a.mov', 'video/quicktime'], ['a.m4v', 'video/x-m4v'],
  ['a.pdf', 'application/pdf'], ['a.txt', 'text/plain; charset=utf-8'], ['a.log', 'text/plain; charset=utf-8'],
  ['a.csv', 'text/csv; charset=utf-8'], ['a.json', 'application/json; charset=utf-8'], ['a.map', 'application/json; charset=utf-8'],
  ['a.woff', 'font/woff'], ['a.woff2', 'font/woff2'], ['a.ttf', 'font/ttf'], ['a.otf', 'font/otf'], ['a.ttc', 'font/collection'],
  ['a.bin', 'application/octet-stream'], ['a.foo', 'application/octet-stream'], ['noext', 'application/octet-stream'],
];

t.test('the allow-list: only known inert types are inline; every answer is sandboxed', async (t) => {
  for (const name of ATTACHMENTS) {
    const h = mediaHeaders(mount, name, st);
    t.ok(h.attachment, `${name} (${h.contentType}) is an attachment`);
    t.equal(header(h.h200, 'Content-Disposition'), `attachment; filename="${name}"; filename*=UTF-8''${name}`, name);
    for (const block of [h.h200, h.h206, h.h304]) t.equal(header(block, 'Content-Security-Policy'), SANDBOX, `${name}: sandboxed`);
  }
  for (const [name, type] of INLINE) {
    const h = mediaHeaders(mount, name, st);
    t.equal(h.contentType, type, `${name} is ${type}`);
    t.notOk(h.attachment, `${name} is inline`);
    t.equal(header(h.h200, 'Content-Disposition'), undefined, name);
    const csp = /^(audio|video)\//.test(type) ? PLAYER : SANDBOX;
    for (const block of [h.h200, h.h206, h.h304]) t.equal(header(block, 'Content-Security-Policy'), csp, `${name}: ${csp}`);
    t.equal(header(h.h200, 'X-Content-Type-Options'), 'nosniff', name);
  }
});

t.test('every type the type table knows: nothing that can hold markup or script is inline', async (t) => {
  const { default: standard } = await import('mime/types/standard.js');
  const { default: other } = await import('mime/types/other.js');
  const produced = new Set<string>(['application/octet-stream']);
  let inline = 0;
  const tables = [standard, other] as Record<string, string[]>[];
  for (const exts of tables.flatMap((table) => Object.values(table))) {
    for (const ext of exts) {
      const name = 'upload.' + ext.replace(/^\*/, '');
      const h = mediaHeaders(mount, name, st);
      const b = baseType(h.contentType);
      produced.add(b);
      t.ok(header(h.h200, 'Content-Security-Policy'), `${name}: sandboxed`);
      if (!h.attachment) {
        inline++;
        t.ok(INERT_TYPES.includes(b), `${name} (${b}) inline only because it is on the list`);
      }
      if (/html|xml|svg|javascript|ecmascript|xsl|mathml|x-component|rfc822/.test(b)) t.ok(h.attachment, `${name} (${b}) is an attachment`);
    }
  }
  t.ok(inline > 40, `${inline} extensions inline`);
  for (const type of INERT_TYPES) t.ok(produced.has(type), `${type} is a type some upload name gets`);
});

t.test('inertTypes and inlineTypes', async (t) => {
  const strict = { ...mount, inertTypes: ['image/png'] };
  t.ok(mediaHeaders(strict, 'a.pdf', st).attachment, 'a mount can shorten the list: PDFs become downloads');
  t.notOk(mediaHeaders(strict, 'a.png', st).attachment);
  const m = { ...mount, inlineTypes: ['image/svg+xml'] };
  const svg = mediaHeaders(m, 'logo.svg', st);
  t.notOk(svg.attachment, 'inlineTypes serves a type inline');
  t.equal(header(svg.h200, 'Content-Security-Policy'), SANDBOX, 'still in the sandbox: inlineTypes never lets a script run');
  t.equal(header(svg.h304, 'Content-Security-Policy'), SANDBOX, 'on the 304 too');
  t.equal(header(svg.h200, 'X-Content-Type-Options'), 'nosniff', 'still never sniffed');
  t.ok(mediaHeaders(m, 'page.html', st).attachment, 'other types keep the rule');
  t.same(mediaPolicy({ inertTypes: [], inlineTypes: [] }, 'image/png'), { attachment: true, csp: SANDBOX }, 'an empty allow-list makes everything an attachment');
  t.same(mediaPolicy({ inertTypes: ['text/plain'], inlineTypes: ['text/plain'] }, 'Text/Plain; charset=utf-8'), { attachment: false, csp: SANDBOX }, 'parameters and case ignored');
  t.same(mediaPolicy({ inertTypes: [], inlineTypes: ['video/mp4'] }, 'video/mp4'), { attachment: false, csp: PLAYER_CSP }, 'an added player type gets the player policy');
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
