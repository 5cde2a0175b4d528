/**
 * End-to-end fixture for proxy tests: a static tree in a temp dir, an upstream app
 * (node:http) and assetd in front of it, all on 127.0.0.1 port 0, torn down after.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { staticAccelSources } from '../../src/proxy/accel.js';
import { resolveConfig } from '../../src/config/index.js';
import { createProxy } from '../../src/proxy/forward.js';
import { createAssetServer, type AssetServer } from '../../src/server/server.js';
import { buildIndex } from '../../src/static/build.js';
import { laneEnv } from './lane.js';

export interface Stack {
  url: string;
  server: AssetServer;
  /** The upstream app server, or null when there is none. */
  upstream: http.Server | null;
  upstreamPort: number;
  dir: string;
  /** Lines assetd wrote to stderr while the test ran. */
  logs: string[];
}

type Tap = { teardown(fn: () => unknown): void };

export interface StackOptions {
  /** The app; 'none' runs without an upstream; 'dead' points at a port nothing listens on. */
  app: http.RequestListener | 'none' | 'dead';
  /** Files to write, relative to the temp dir. */
  files?: Record<string, string | Buffer>;
  /** The config file (static roots relative to the temp dir). */
  config?: Record<string, unknown>;
}

export function tempDir(t: Tap, files: Record<string, string | Buffer> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assetd-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

export function listen(server: http.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Capture assetd's stderr lines for the rest of the test. */
function captureLogs(t: Tap): string[] {
  const logs: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const s = String(chunk);
    if (s.startsWith('assetd: ')) {
      logs.push(s.trimEnd());
      return true;
    }
    return (orig as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  t.teardown(() => {
    process.stderr.write = orig;
  });
  return logs;
}

export async function startStack(t: Tap, o: StackOptions): Promise<Stack> {
  const dir = tempDir(t, o.files ?? { 'static/app.css': 'body{}\n' });
  let upstream: http.Server | null = null;
  let upstreamPort = 0;
  if (typeof o.app === 'function') {
    upstream = http.createServer(o.app);
    upstreamPort = await listen(upstream);
    const up = upstream;
    t.teardown(() => closeServer(up));
  } else if (o.app === 'dead') {
    const probe = http.createServer();
    upstreamPort = await listen(probe);
    await closeServer(probe);
  }
  const file = { static: [{ prefix: '/static/', root: 'static' }], ...(o.config ?? {}) } as Record<string, unknown>;
  if (o.app !== 'none') file.upstream = `http://127.0.0.1:${upstreamPort}`;
  const config = resolveConfig({ file, fileDir: dir, env: laneEnv(), cwd: dir });
  config.port = 0;
  const index = await buildIndex(config.static, config);
  let server: AssetServer | undefined;
  const proxy = config.upstream ? createProxy(config, { accelSources: () => staticAccelSources(server!.getIndex()) }) : undefined;
  server = createAssetServer(config, index, { proxy });
  const logs = captureLogs(t);
  const addr = await server.listen();
  const s = server;
  t.teardown(() => {
    s.server.closeAllConnections();
    return s.close();
  });
  return { url: `http://127.0.0.1:${addr.port}`, server, upstream, upstreamPort, dir, logs };
}

export interface Reply {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** True when the response ended cleanly; false when the connection broke mid-body. */
  complete: boolean;
}

export interface Req {
  method?: string;
  path: string;
  headers?: http.OutgoingHttpHeaders | string[];
  body?: Buffer | string;
  /** Milliseconds before the request is given up (the test fails). */
  timeout?: number;
}

/** One HTTP/1.1 request on a fresh connection; resolves even when the body is cut short. */
export function request(base: string, r: Req): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method: r.method ?? 'GET',
      path: r.path,
      headers: r.headers as http.OutgoingHttpHeaders,
      agent: false,
      timeout: r.timeout ?? 10_000,
    });
    req.on('timeout', () => {
      req.destroy();
      reject(new Error(`request ${r.path} timed out`));
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (complete: boolean) => () =>
        resolve({ status: res.statusCode!, statusMessage: res.statusMessage!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), complete });
      res.on('end', done(true));
      res.on('aborted', done(false));
      res.on('error', done(false));
      res.on('close', () => {
        if (!res.complete) done(false)();
      });
    });
    req.end(r.body);
  });
}

export function waitFor<T>(what: string, fn: () => T | undefined, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = fn();
      if (v !== undefined && v !== false) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}
