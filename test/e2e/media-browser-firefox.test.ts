/**
 * Hostile uploads opened in headless Firefox (WebDriver BiDi): no upload type runs a script
 * from a media mount; the control does. Firefox also renders application/rdf+xml and
 * application/mathml+xml as pages: the reported case. See test/helpers/media-browser.ts.
 */
import t from 'tap';
import fs from 'node:fs';
import { FIREFOX, launchFirefox } from '../helpers/firefox.js';
import { checkBrowser, DOCUMENTS, startHostileSite, type Tab } from '../helpers/media-browser.js';

if (!fs.existsSync(FIREFOX)) {
  t.plan(0, `needs Debian's firefox-esr (${FIREFOX}); .ci/run installs it`);
} else {
  // two browsers share two cores with the rest of the suite: allow for a slow machine, within bounds
  t.setTimeout(240_000);
  t.test('hostile uploads in Firefox', { timeout: 200_000 }, async (t) => {
    const site = await startHostileSite(t);
    const ff = await launchFirefox(t);
    const tab: Tab = {
      async open(url) {
        await ff.goto(url);
        return 'shown';
      },
      evaluate: (expression) => ff.evaluate(expression),
    };
    // headless Firefox here plays no WAV (it offers it as a download), so audio is checked in Chromium only
    await checkBrowser(t, site, tab, 'Firefox', [...DOCUMENTS, 'evil.rdf', 'evil.owl', 'evil.mathml'], { audio: false, pdf: true });
  });
}
