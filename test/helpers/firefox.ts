/**
 * Headless Firefox driven over WebDriver BiDi (the `ws` client), for end-to-end browser
 * tests: launch with a throw-away profile and HOME, open a tab, navigate, evaluate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { spawnGroup, waitForOutput } from './process-group.js';

export const FIREFOX = '/usr/bin/firefox-esr';

type Tap = { teardown(fn: () => unknown): void };
type Params = Record<string, unknown>;

/** Preferences for a quiet, offline test profile: no updates, telemetry, first-run pages, or asking where to save. */
const PREFS: Record<string, string | number | boolean> = {
  'app.update.enabled': false,
  'app.normandy.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.download.folderList': 2,
  'browser.download.useDownloadDir': true,
  'browser.download.always_ask_before_handling_new_types': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'extensions.update.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'messaging-system.rsexperimentloader.enabled': false,
  'remote.prefs.recommended': true,
};

/** One WebDriver BiDi session. */
export class Bidi {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: Params) => void; reject: (e: Error) => void; method: string }>();

  constructor(private ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; type?: string; result?: Params; error?: string; message?: string };
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(new Error(`${p.method}: ${msg.error}: ${msg.message ?? ''}`));
      else p.resolve(msg.result ?? {});
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: BiDi connection closed`));
      this.pending.clear();
    });
  }

  send(method: string, params: Params = {}): Promise<Params> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
}

export interface FirefoxTab {
  bidi: Bidi;
  context: string;
  /** Navigate and wait for the document to finish loading (a download finishes the navigation too). */
  goto(url: string): Promise<void>;
  /** Evaluate an expression in the tab's current document; its value when it is a string, number or boolean. */
  evaluate(expression: string): Promise<unknown>;
  stderr(): string;
}

/**
 * Launch headless Firefox in its own process group with a fresh profile and HOME (it runs
 * as root here), downloads going into that temp folder; killed and removed in `t.teardown`.
 */
export async function launchFirefox(t: Tap, opts: { timeoutMs?: number } = {}): Promise<FirefoxTab> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-firefox-'));
  const profile = path.join(home, 'profile');
  const downloads = path.join(home, 'downloads');
  fs.mkdirSync(profile);
  fs.mkdirSync(downloads);
  const prefs = { ...PREFS, 'browser.download.dir': downloads };
  fs.writeFileSync(path.join(profile, 'user.js'), Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
  const proc = spawnGroup(
    t,
    FIREFOX,
    ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port=0', 'about:blank'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: home, MOZ_HEADLESS: '1', XDG_DOWNLOAD_DIR: downloads } },
    () => fs.rmSync(home, { recursive: true, force: true }),
  );
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  proc.stdout!.on('data', (c: Buffer) => (err += c.toString()));
  let ws: WebSocket | undefined;
  t.teardown(() => {
    ws?.terminate();
  });
  const endpoint = await waitForOutput(proc, /WebDriver BiDi listening on (ws:\/\/\S+)/, 'Firefox', opts.timeoutMs ?? 30_000, () => err);
  ws = new WebSocket(endpoint + '/session', { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws!.once('open', () => resolve());
    ws!.once('error', reject);
  });
  const bidi = new Bidi(ws);
  await bidi.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
  const tree = (await bidi.send('browsingContext.getTree', {})) as { contexts: { context: string }[] };
  const context = tree.contexts[0].context;
  return {
    bidi,
    context,
    stderr: () => err,
    async goto(url: string) {
      await bidi.send('browsingContext.navigate', { context, url, wait: 'complete' });
    },
    async evaluate(expression: string) {
      const r = (await bidi.send('script.evaluate', { expression, target: { context }, awaitPromise: true })) as {
        type: string;
        result?: { type: string; value?: unknown };
        exceptionDetails?: { text: string };
      };
      if (r.type === 'exception') throw new Error(`page threw: ${r.exceptionDetails?.text}`);
      return r.result?.value;
    },
  };
}
