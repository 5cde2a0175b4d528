/**
 * Malformed and extreme headers against the real server over raw sockets: each gets a
 * well-formed answer with the one status its RFC section gives (never a hang), and the
 * server keeps serving afterwards.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { HEADER_CASES, PROXY_HEADER_CASES, type AppSaw, type HeaderContext } from '../helpers/header-cases.js';
import { rawRequest, requestBytes, statusesIn } from '../helpers/raw-http.js';
import { captureLog, makeSite, startSite } from '../helpers/site.js';

t.test('malformed and extreme headers', async (t) => {
  const site = makeSite(t, { bigSize: 1024 * 1024 });
  const log = captureLog(t);
  const { port } = await startSite(t, site);
  const contexts = new Map<string, HeaderContext>();
  const contextFor = async (target: string): Promise<HeaderContext> => {
    let c = contexts.get(target);
    if (!c) {
      const res = await rawRequest(port, requestBytes(target));
      if (res.status !== 200) throw new Error(`fixture: ${target} answered ${res.status}`);
      c = { etag: res.headers.etag, lastModified: res.headers['last-modified'], size: res.body.length };
      contexts.set(target, c);
    }
    return c;
  };
  t.ok(HEADER_CASES.length >= 40, `${HEADER_CASES.length} header cases`);
  t.same(HEADER_CASES.filter((hc) => !/^RFC \d+ §/.test(hc.rfc)).map((hc) => hc.name), [], 'every case names its RFC section');
  for (const hc of HEADER_CASES) {
    const ctx = await contextFor(hc.target);
    const bytes = requestBytes(hc.target, { method: hc.method, headers: hc.headers(ctx), host: hc.host });
    const res = await rawRequest(port, bytes, { waitMs: 5000 });
    t.notOk(res.timedOut, `${hc.name}: answered within the wait`);
    t.equal(res.status, hc.status, `${hc.name}: ${hc.rfc}`);
    const cl = res.headers['content-length'];
    if (cl !== undefined && (hc.method ?? 'GET') !== 'HEAD' && res.status !== 304) {
      t.equal(res.body.length, Number(cl), `${hc.name}: body matches Content-Length`);
    }
    if (hc.check) t.equal(hc.check(res, ctx), undefined, `${hc.name}: content`);
  }
  const ok = await rawRequest(port, requestBytes('/static/app.css'));
  t.equal(ok.status, 200, 'still serving');
  t.equal(log.filter((l) => !l.includes('serving')).length, 0, 'nothing logged: bad requests are not server errors');
});

t.test('header cases through the proxy: what the app receives', async (t) => {
  const site = makeSite(t, { bigSize: 64 * 1024 });
  const log = captureLog(t);
  let seen: AppSaw[] = [];
  const app = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '4', 'X-From-App': '1' });
      res.end('app\n');
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => {
    app.closeAllConnections();
    app.close();
  });
  const { port } = await startSite(t, site, { upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}` });
  t.ok(PROXY_HEADER_CASES.length >= 20, `${PROXY_HEADER_CASES.length} proxy header cases`);
  t.same(PROXY_HEADER_CASES.filter((hc) => !/^RFC \d+ §/.test(hc.rfc)).map((hc) => hc.name), [], 'every case names its RFC section');
  for (const hc of PROXY_HEADER_CASES) {
    seen = [];
    const head = requestBytes(hc.target ?? '/app/echo', { method: hc.method, headers: hc.headers, host: hc.host });
    const bytes = hc.body === undefined ? head : Buffer.concat([head, Buffer.from(hc.body, 'latin1')]);
    const res = await rawRequest(port, bytes, { waitMs: 5000, untilClose: !hc.readOne });
    t.notOk(res.timedOut, `${hc.name}: answered or closed within the wait`);
    const statuses = statusesIn(res.raw).filter((s) => s !== 100);
    const status = statuses.length === 0 ? 0 : statuses[statuses.length - 1];
    t.equal(status, hc.status, `${hc.name}: ${hc.rfc}`);
    if (hc.check) t.equal(hc.check(res, seen), undefined, `${hc.name}: what the app received`);
    t.comment(`${hc.name}: ${status}; the app received ${seen.length} request(s)`);
  }
  const ok = await rawRequest(port, requestBytes('/static/app.css'));
  t.equal(ok.status, 200, 'still serving static files');
  const proxied = await rawRequest(port, requestBytes('/app/after'));
  t.equal(proxied.headers['x-from-app'], '1', 'and still proxying');
  t.same(log.filter((l) => !l.includes('serving')), [], 'nothing logged: bad requests are not server errors');
});
