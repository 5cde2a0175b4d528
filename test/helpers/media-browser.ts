/**
 * Hostile uploads in a real browser (test/media-browser-*.test.ts). A site: assetd with
 * three media mounts and one static mount holding the same hostile uploads
 * (test/helpers/uploads.ts), in front
 * of an app that records /ran/<path>/<origin>. Each upload's script, should it ever run,
 * requests that URL synchronously before its page finishes loading, so a recorded request
 * proves it ran, and where.
 *
 * - /media/: the default policy. Nothing may run.
 * - /trusted/: a static mount, which serves files as they are: the control, where the
 *   documents among them must run, so the harness is seen to detect a script.
 * - /sandboxed/: every one of those types in inertTypes, and /inline/: every one of them in
 *   inlineTypes, so each is shown inline and only the CSP sandbox stands in the way. The
 *   uploads that ran in the control run nothing there.
 *
 * Then what inert types are for must still work under the sandbox: an image and a PDF open
 * on their own, audio plays, and uploads embedded in a page of the site (img, audio) load.
 */
import http from 'node:http';
import type { Test } from 'tap';
import path from 'node:path';
import { resolveConfig } from '../../src/config/index.js';
import { startServer } from '../../src/runtime/start.js';
import { contentType } from '../../src/http/content-type.js';
import { setQuiet } from '../../src/log.js';
import { baseType } from '../../src/http/active-content.js';
import { tempDir, write } from './fixture.js';
import { hostileUploads, pdf, png, SVG_PAGE, wav } from './uploads.js';
import { laneEnv } from './lane.js';


/** What the checks need from a browser tab: open a URL (a download finishes it too), evaluate in the page. */
export interface Tab {
  open(url: string): Promise<string>;
  evaluate(expression: string): Promise<unknown>;
}

/** Uploads whose script runs in both browsers when served as they are. */
export const DOCUMENTS = ['evil.html', 'evil.htm', 'evil.xhtml', 'evil.xml', 'evil.xsl', 'evil.svg', 'evil.svgz'];

const PDF_TEXT = 'assetdPDF42';
const EMBED = `<!doctype html><title>embed</title><img id="png" src="/media/photo.png"><img id="svg" src="/media/logo.svg"><audio id="snd" src="/media/sound.wav" preload="auto"></audio>`;

export interface HostileSite {
  base: string;
  names: string[];
  ran: { path: string; origin: string }[];
}

export async function startHostileSite(t: Test): Promise<HostileSite> {
  setQuiet(true);
  const uploads = hostileUploads();
  const names = Object.keys(uploads);
  const dir = tempDir(t);
  for (const root of ['media', 'sandboxed', 'inline', 'trusted']) for (const [n, body] of Object.entries(uploads)) write(path.join(dir, root, n), body);
  write(path.join(dir, 'media/photo.png'), png());
  write(path.join(dir, 'media/sound.wav'), wav());
  write(path.join(dir, 'media/doc.pdf'), pdf(PDF_TEXT));
  write(path.join(dir, 'media/logo.svg'), SVG_PAGE);

  const ran: HostileSite['ran'] = [];
  const app = http.createServer((req, res) => {
    const m = /^\/ran\/([^/]*)\/([^/]*)$/.exec(req.url ?? '');
    if (m) {
      ran.push({ path: decodeURIComponent(m[1]), origin: decodeURIComponent(m[2]) });
      res.end('recorded');
    } else if (req.url === '/app/embed.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(EMBED);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  t.teardown(() => app.close());

  const types = [...new Set(names.map((n) => baseType(contentType(n))))];
  const config = resolveConfig({
    file: {
      port: 0,
      upstream: `http://127.0.0.1:${(app.address() as { port: number }).port}`,
      static: [{ prefix: '/trusted/', root: 'trusted' }],
      media: [
        { prefix: '/media/', root: 'media' },
        { prefix: '/sandboxed/', root: 'sandboxed', inertTypes: types },
        { prefix: '/inline/', root: 'inline', inlineTypes: types },
      ],
    },
    fileDir: dir,
    env: laneEnv(),
  });
  const run = await startServer(config);
  t.teardown(() => run.server.close());
  return { base: run.url, names, ran };
}

/** Poll `expression` in the page until it is truthy, at most `ms`; its last value. */
async function until(tab: Tab, expression: string, ms = 10_000): Promise<unknown> {
  const end = Date.now() + ms;
  let v: unknown;
  while (!(v = await tab.evaluate(expression).catch(() => undefined)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return v;
}

/** Open each upload in `names` under `prefix`; for each, the origins its script ran in (the recorder has its path). */
async function sweep(site: HostileSite, tab: Tab, prefix: string, names = site.names): Promise<Map<string, string[]>> {
  const how = new Map<string, string>();
  for (const n of names) how.set(n, await tab.open(site.base + prefix + n).catch((e: Error) => `error: ${e.message}`));
  // each script's request was answered before its page finished loading, so all are in by now
  return new Map(names.map((n) => [n, site.ran.filter((r) => r.path === prefix + n).map((r) => `${r.origin} (${how.get(n)})`)]));
}

/** Every check in one browser. `control`: uploads that must run when served as they are (from a static mount). */
export async function checkBrowser(t: Test, site: HostileSite, tab: Tab, browser: string, control: string[], can: { audio: boolean; pdf: boolean }): Promise<void> {
  for (const [n, origins] of await sweep(site, tab, '/media/')) t.same(origins, [], `${browser}: /media/${n} (${contentType(n)}) runs no script`);
  const trusted = await sweep(site, tab, '/trusted/');
  const runs = [...trusted].filter(([, o]) => o.length > 0).map(([n]) => n);
  t.comment(`${browser}, the control: served as they are, these ran: ${runs.join(' ')}`);
  const inSite = new RegExp(`^${site.base.replace(/[.:/]/g, '\\$&')} `);
  for (const n of control) t.match(trusted.get(n), [inSite], `${browser}: /trusted/${n} does run, in the site's origin (the harness sees a script run)`);
  // the pages that do run, shown inline again but with the CSP sandbox
  for (const [n, origins] of await sweep(site, tab, '/sandboxed/', runs)) t.same(origins, [], `${browser}: /sandboxed/${n} shown inline in the sandbox runs no script`);
  for (const [n, origins] of await sweep(site, tab, '/inline/', runs)) t.same(origins, [], `${browser}: /inline/${n} (in inlineTypes) runs no script either`);

  const { base } = site;
  await tab.open(base + '/media/photo.png');
  t.equal(await until(tab, 'document.images.length === 1 && document.images[0].naturalWidth'), 4, `${browser}: an image opens on its own`);
  if (can.pdf) {
    await tab.open(base + '/media/doc.pdf');
    t.ok(await until(tab, `document.body && document.body.innerText.includes(${JSON.stringify(PDF_TEXT)})`), `${browser}: a PDF opens and shows its text`);
  }
  if (can.audio) {
    await tab.open(base + '/media/sound.wav');
    t.ok(await until(tab, "(() => { const m = document.querySelector('video, audio'); return m && m.readyState >= 1; })()"), `${browser}: audio opened on its own plays (its player fetches it again)`);
  }
  await tab.open(base + '/app/embed.html');
  t.equal(await until(tab, "document.getElementById('png').naturalWidth"), 4, `${browser}: a page of the site shows an uploaded PNG`);
  t.equal(await until(tab, "document.getElementById('svg').naturalWidth"), 20, `${browser}: and an uploaded SVG (an attachment) as an image`);
  const pixel = "(() => { const c = document.createElement('canvas'); c.width = c.height = 20; const g = c.getContext('2d'); g.drawImage(document.getElementById('svg'), 0, 0); return g.getImageData(10, 10, 1, 1).data.join(','); })()";
  t.equal(await tab.evaluate(pixel), '255,0,0,255', `${browser}: the SVG image keeps its inline style`);
  if (can.audio) t.ok(await until(tab, "document.getElementById('snd').readyState >= 1"), `${browser}: and uploaded audio`);
  t.same(site.ran.filter((r) => !r.path.startsWith('/trusted/')), [], `${browser}: nothing ran outside the control`);
}
