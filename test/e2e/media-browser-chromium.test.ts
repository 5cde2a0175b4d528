/**
 * Hostile uploads opened in headless Chromium (DevTools protocol): no upload type runs a
 * script from a media mount; the control does. See test/helpers/media-browser.ts.
 */
import t from 'tap';
import fs from 'node:fs';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { checkBrowser, DOCUMENTS, startHostileSite, type Tab } from '../helpers/media-browser.js';

if (!fs.existsSync(CHROMIUM)) {
  t.plan(0, `needs Debian's chromium (${CHROMIUM}); .ci/run installs it`);
} else {
  // two browsers share two cores with the rest of the suite: allow for a slow machine, within bounds
  t.setTimeout(240_000);
  t.test('hostile uploads in Chromium', { timeout: 200_000 }, async (t) => {
    const site = await startHostileSite(t);
    const browser = await launchChromium(t);
    const page = await browser.newPage();
    await browser.cdp.send('Browser.setDownloadBehavior', { behavior: 'deny' });
    const tab: Tab = {
      async open(url) {
        let off = () => {};
        const loaded = new Promise<void>((resolve) => (off = page.cdp.on('Page.loadEventFired', (_p, sid) => sid === page.sessionId && resolve())));
        let timer: NodeJS.Timeout | undefined;
        try {
          const r = (await page.send('Page.navigate', { url })) as { errorText?: string };
          if (r.errorText) return r.errorText; // net::ERR_ABORTED: a download, no page
          await Promise.race([loaded, new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error(`no load event for ${url}`)), 15_000)))]);
          return 'shown';
        } finally {
          clearTimeout(timer);
          off();
        }
      },
      evaluate: (expression) => page.evaluate(expression),
    };
    await checkBrowser(t, site, tab, 'Chromium', DOCUMENTS, { audio: true, pdf: false });
  });
}
