/**
 * Malformed and extreme headers against the real server over raw sockets: each gets a
 * well-formed answer with an expected status (never a 5xx, never a hang), and the server
 * keeps serving afterwards.
 */
import t from 'tap';
import { HEADER_CASES, type HeaderContext } from './helpers/header-cases.js';
import { rawRequest, requestBytes } from './helpers/raw-http.js';
import { captureLog, makeSite, startSite } from './helpers/site.js';

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
  for (const hc of HEADER_CASES) {
    const ctx = await contextFor(hc.target);
    const bytes = requestBytes(hc.target, { method: hc.method, headers: hc.headers(ctx), host: hc.host });
    const res = await rawRequest(port, bytes, { waitMs: 5000 });
    t.notOk(res.timedOut, `${hc.name}: answered within the wait`);
    t.ok(hc.status.includes(res.status), `${hc.name}: status ${res.status} is one of ${hc.status.join(', ')}`);
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
