/**
 * Headless Chromium driven over the DevTools protocol (the `ws` client), for end-to-end
 * browser tests: launch, open a page, run commands, wait for events.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { spawnGroup, waitForOutput } from './process-group.js';

export const CHROMIUM = '/usr/bin/chromium';

type Tap = { teardown(fn: () => unknown): void };
type Params = Record<string, unknown>;
type Listener = (params: Params, sessionId: string | undefined) => void;

/** One DevTools connection to the browser; page commands carry the page's session id. */
export class Cdp {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: Params) => void; reject: (e: Error) => void; method: string }>();
  private listeners = new Set<{ method: string; fn: Listener }>();

  constructor(private ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; method?: string; params?: Params; result?: Params; error?: { message: string }; sessionId?: string };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result ?? {});
        return;
      }
      for (const l of [...this.listeners]) if (l.method === msg.method) l.fn(msg.params ?? {}, msg.sessionId);
    });
    ws.on('error', () => {}); // a broken connection shows as 'close', which fails what is pending
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: DevTools connection closed`));
      this.pending.clear();
    });
  }

  send(method: string, params: Params = {}, sessionId?: string): Promise<Params> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  on(method: string, fn: Listener): () => void {
    const l = { method, fn };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The next `method` event (for which `match` holds), at most `ms`. Register before causing it. */
  once(method: string, ms: number, match: (p: Params, sessionId: string | undefined) => boolean = () => true): Promise<Params> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${ms} ms waiting for ${method}`));
      }, ms);
      const off = this.on(method, (p, sessionId) => {
        if (!match(p, sessionId)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** A page (tab) in the browser: commands go to its session. */
export class Page {
  constructor(
    readonly cdp: Cdp,
    readonly sessionId: string,
  ) {}

  send(method: string, params: Params = {}): Promise<Params> {
    return this.cdp.send(method, params, this.sessionId);
  }

  /** Evaluate an expression in the page; its value (JSON-serialisable), or the exception as an error. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`page threw: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Run `action` (which starts a navigation) and wait for the new document's load event. */
  async navigating(action: () => Promise<unknown>, ms = 15_000): Promise<void> {
    const loaded = this.cdp.once('Page.loadEventFired', ms, (_p, sessionId) => sessionId === this.sessionId);
    await action();
    await loaded;
  }

  goto(url: string, ms = 15_000): Promise<void> {
    return this.navigating(async () => {
      const r = (await this.send('Page.navigate', { url })) as { errorText?: string };
      if (r.errorText) throw new Error(`navigating to ${url}: ${r.errorText}`);
    }, ms);
  }
}

export interface Browser {
  cdp: Cdp;
  /** Open a new blank tab with Page, Network and Runtime enabled. */
  newPage(): Promise<Page>;
  /** What Chromium wrote to stderr (for failure messages). */
  stderr(): string;
}

/**
 * Launch headless Chromium in its own process group with a throw-away profile; killed
 * (the whole group: browser, zygote, renderers) and its profile removed in `t.teardown`.
 */
export async function launchChromium(t: Tap, opts: { timeoutMs?: number } = {}): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-chromium-'));
  const proc = spawnGroup(
    t,
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
    () => fs.rmSync(profile, { recursive: true, force: true }),
  );
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  let ws: WebSocket | undefined;
  t.teardown(() => {
    ws?.terminate();
  });

  const endpoint = await waitForOutput(proc, /DevTools listening on (ws:\/\/\S+)/, 'Chromium', opts.timeoutMs ?? 20_000, () => err);

  ws = new WebSocket(endpoint, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    ws!.once('open', () => resolve());
    ws!.once('error', reject);
  });
  const cdp = new Cdp(ws);

  return {
    cdp,
    stderr: () => err,
    async newPage() {
      const { targetId } = (await cdp.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
      const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      const page = new Page(cdp, sessionId);
      await Promise.all([page.send('Page.enable'), page.send('Network.enable'), page.send('Runtime.enable')]);
      return page;
    },
  };
}
