/**
 * Upload fixtures for browser tests: small valid PNG, WAV and PDF files, and hostile
 * uploads whose bytes run a script if a browser ever treats them as a page. The script
 * makes a synchronous request to `/ran/<path>/<origin>` on the page's own server before
 * the page finishes loading, so a request there proves it ran (and where).
 */
import zlib from 'node:zlib';

function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    let c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A w×h grey RGB PNG. */
export function png(w = 4, h = 3): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = Buffer.alloc((w * 3 + 1) * h, 0x80);
  for (let y = 0; y < h; y++) rows[y * (w * 3 + 1)] = 0; // filter: none
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(rows)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** One second of an 8 kHz, 8-bit mono tone as a WAV file. */
export function wav(samples = 8000): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + samples, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(samples, 40);
  const data = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) data[i] = 128 + Math.round(60 * Math.sin(i / 4));
  return Buffer.concat([h, data]);
}

/** A one-page PDF showing `text` (ASCII letters and digits). */
export function pdf(text: string): Buffer {
  const content = `BT /F1 24 Tf 20 40 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** The script: a synchronous GET of /ran/<path>/<origin>, so it reaches the server before the page's load event. */
export const RAN_SCRIPT =
  "(function(){var u='/ran/'+encodeURIComponent(location.pathname)+'/'+encodeURIComponent(String(self.origin));" +
  "try{var x=new XMLHttpRequest();x.open('GET',u,false);x.send();}catch(e){fetch(u);}})();";

/** A document that is XHTML to an XML parser and HTML to an HTML parser, running the script either way. */
export const XHTML_PAGE = `<html xmlns="http://www.w3.org/1999/xhtml"><head><title>upload</title></head><body><p>upload</p><script>//<![CDATA[\n${RAN_SCRIPT}\n//]]></script></body></html>\n`;

/** An SVG image that runs the script when opened as a document. */
export const SVG_PAGE = `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="20" height="20" style="fill:#ff0000"/><script>//<![CDATA[\n${RAN_SCRIPT}\n//]]></script></svg>\n`;

/**
 * Hostile uploads by name: every XML-ish and script type, unknown extensions, no extension,
 * and inert types whose bytes are a page all the same.
 */
export function hostileUploads(): Record<string, string> {
  const files: Record<string, string> = {};
  const xmlish = ['html', 'htm', 'shtml', 'xht', 'xhtml', 'xhtm', 'xml', 'xsl', 'xslt', 'xsd', 'rdf', 'rss', 'atom', 'owl', 'mathml', 'mml', 'xul', 'smil', 'kml', 'gpx', 'wsdl', 'rng', 'dtd'];
  for (const ext of xmlish) files[`evil.${ext}`] = XHTML_PAGE;
  files['evil.svg'] = SVG_PAGE;
  files['evil.svgz'] = SVG_PAGE; // plain SVG bytes under the gzip name: the type is what a browser goes by
  files['evil.js'] = RAN_SCRIPT;
  files['evil.mjs'] = RAN_SCRIPT;
  files['evil.wasm'] = XHTML_PAGE;
  files['evil.vtt'] = `WEBVTT\n\n00:00.000 --> 00:01.000\n${XHTML_PAGE}`;
  files['evil.appcache'] = `CACHE MANIFEST\n${XHTML_PAGE}`;
  files['evil.css'] = XHTML_PAGE;
  files['evil.md'] = XHTML_PAGE;
  files['evil.htc'] = XHTML_PAGE;
  files['evil.mht'] = `Content-Type: text/html\n\n${XHTML_PAGE}`;
  files['evil.foo'] = XHTML_PAGE;
  files['evil'] = XHTML_PAGE;
  // inert types, hostile bytes: shown as what the type says, never as a page
  for (const ext of ['txt', 'csv', 'json', 'png', 'jpg', 'gif', 'pdf', 'mp4', 'wav', 'woff2']) files[`evil.${ext}`] = XHTML_PAGE;
  return files;
}
