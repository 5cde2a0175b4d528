/**
 * Single requests around the load: the answers checked before loading (status, encoding,
 * length, headers), the ETags of revalidations, what an app received through a proxy, and
 * the sizes of a deployment's files. `checkAnswer` and `forwardingProblems` are pure.
 */
import http from 'node:http';
import https from 'node:https';

/** One GET (or HEAD) with the given headers: status, headers and the body. */
export function probe(url, headers, method = 'GET') {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method, headers, timeout: 10000 }, (res) => {
      const chunks = [];
      let length = 0;
      res.on('data', (d) => {
        length += d.length;
        if (length <= 64 * 1024) chunks.push(d);
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, length, body: () => Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A server's own requests: revalidations get If-None-Match with that server's ETag. */
export async function resolveRequests(base, requests) {
  const out = [];
  for (const r of requests) {
    if (!r.revalidate) {
      out.push(r);
      continue;
    }
    const res = await probe(base + r.path, r.headers);
    const etag = res.headers.etag;
    if (!etag) throw new Error(`${base}${r.path}: no ETag to revalidate with (status ${res.status})`);
    out.push({ ...r, headers: { ...r.headers, 'If-None-Match': etag } });
  }
  return out;
}

/**
 * What is wrong with an answer, or null: status, then Content-Encoding, length and the
 * expected header values (names in lower case).
 * @param {{ status: number, headers: Record<string, string | string[] | undefined>, length: number }} res
 * @param {{ status: number, encoding?: string, length?: number, headers?: Record<string, string> }} e
 */
export function checkAnswer(res, e) {
  const enc = res.headers['content-encoding'] ?? 'identity';
  if (res.status !== e.status) return `status ${res.status}, expected ${e.status}`;
  if (e.encoding && enc !== e.encoding) return `Content-Encoding ${enc}, expected ${e.encoding}`;
  if (e.length !== undefined && res.length !== e.length) return `${res.length} bytes, expected ${e.length}`;
  for (const [name, want] of Object.entries(e.headers ?? {})) {
    const got = res.headers[name];
    if (got !== want) return `${name}: ${got === undefined ? '(none)' : JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
  }
  return null;
}

/** Check every distinct request once before loading; at most three problems. */
export async function checkRequests(base, requests) {
  const problems = [];
  for (const r of requests) {
    const why = checkAnswer(await probe(base + r.path, r.headers), r.expect);
    if (why) problems.push(`${r.path}: ${why}`);
    if (problems.length >= 3) break;
  }
  return problems;
}

/**
 * What is wrong with the headers an app received through a proxy, compared with what the
 * client sent: the Host as received, X-Forwarded-For with the client, X-Forwarded-Proto,
 * X-Forwarded-Host, and no Connection header naming the client's connection.
 * @param {Record<string, string>} received  request headers as the app saw them (lower case)
 * @param {{ host: string, clientIp: string, proto: string }} sent
 */
export function forwardingProblems(received, sent) {
  const out = [];
  const want = { host: sent.host, 'x-forwarded-for': sent.clientIp, 'x-forwarded-proto': sent.proto, 'x-forwarded-host': sent.host };
  for (const [k, v] of Object.entries(want)) if (received[k] !== v) out.push(`the app got ${k}: ${received[k] === undefined ? '(none)' : JSON.stringify(received[k])}, expected ${JSON.stringify(v)}`);
  if (received.connection !== undefined && received.connection.toLowerCase() !== 'keep-alive') out.push(`the app got connection: ${JSON.stringify(received.connection)} (no keep-alive to the app)`);
  return out;
}

/** Through a proxy at base, the headers the app received on `path` (bench/fast-app.mjs /app/headers). */
export async function forwardedHeaders(base, path) {
  const res = await probe(base + path, {});
  if (res.status !== 200) throw new Error(`${base}${path}: status ${res.status}`);
  return JSON.parse(res.body());
}

/** Sizes of the named files under base by HEAD requests, eight at a time; unreachable names left out. */
export async function headSizes(base, names) {
  const sizes = new Map();
  let i = 0;
  const worker = async () => {
    while (i < names.length) {
      const n = names[i++];
      try {
        const res = await probe(base + n, { 'Accept-Encoding': 'identity' }, 'HEAD');
        const len = Number(res.headers['content-length']);
        if (res.status === 200 && Number.isFinite(len)) sizes.set(n, len);
      } catch {
        /* unreachable name: left out */
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return sizes;
}

/**
 * The counters of bench/fast-app.mjs (/app/stats) over a connection of its own, so that the
 * request itself adds exactly one connection to the count it returns.
 * @returns {Promise<{ connections: number, requests: number }>}
 */
export function appStats(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 10000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch (e) {
            reject(new Error(`${url}: ${e.message}`));
          }
        });
      })
      .on('error', reject)
      .on('timeout', function () {
        this.destroy(new Error(`timeout: ${url}`));
      });
  });
}
