/**
 * HTTP/1.1 over a raw TCP socket: the request bytes are written exactly as given, so no
 * client library normalises a hostile target or header on the way. Reads one response.
 */
import net from 'node:net';

export interface RawResponse {
  /** Status code, or 0 when the server closed the connection without answering. */
  status: number;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  /** Everything received, head and body, for "never contains" checks. */
  raw: Buffer;
  /** True when the client gave up waiting (a bounded wait, not a timing assertion). */
  timedOut: boolean;
}

export interface RawOptions {
  /** Give up after this many milliseconds (default 5000). */
  waitMs?: number;
  /** Stop reading once this many body bytes arrived (default: all of Content-Length). */
  maxBody?: number;
  /** Read until the server closes the connection (pipelined requests), not just one response. */
  untilClose?: boolean;
}

/** Build request bytes: `METHOD target HTTP/1.1`, Host, Connection: close, then the extra header lines. */
export function requestBytes(target: string | Buffer, opts: { method?: string; version?: string; headers?: [string, string][]; host?: string | null } = {}): Buffer {
  const method = opts.method ?? 'GET';
  const version = opts.version ?? 'HTTP/1.1';
  const lines: string[] = [];
  if (opts.host !== null) lines.push(`Host: ${opts.host ?? '127.0.0.1'}`);
  for (const [k, v] of opts.headers ?? []) lines.push(`${k}: ${v}`);
  if (!(opts.headers ?? []).some(([k]) => k.toLowerCase() === 'connection')) lines.push('Connection: close');
  const head = Buffer.from(`${method} `, 'latin1');
  const t = typeof target === 'string' ? Buffer.from(target, 'utf8') : target;
  return Buffer.concat([head, t, Buffer.from(` ${version}\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1')]);
}

function parseHead(head: string): { status: number; headers: Record<string, string> } {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const k = line.slice(0, colon).trim().toLowerCase();
    const v = line.slice(colon + 1).trim();
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  return { status: m ? Number(m[1]) : -1, headers };
}

/** Every status line in a raw byte stream (several when requests were pipelined). */
export function statusesIn(raw: Buffer): number[] {
  return [...raw.toString('latin1').matchAll(/(?:^|\r?\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

/** Send raw bytes, read one response (until Content-Length is complete, the socket closes, or the wait ends). */
export function rawRequest(port: number, bytes: Buffer | string, opts: RawOptions = {}): Promise<RawResponse> {
  const waitMs = opts.waitMs ?? 5000;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    let headEnd = -1;
    let want = -1;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      if (headEnd === -1) {
        resolve({ status: raw.length === 0 ? 0 : parseHead(raw.toString('latin1')).status, headers: {}, body: Buffer.alloc(0), raw, timedOut });
        return;
      }
      const { status, headers } = parseHead(raw.subarray(0, headEnd).toString('latin1'));
      resolve({ status, headers, body: raw.subarray(headEnd + 4), raw, timedOut });
    };
    const timer = setTimeout(() => finish(true), waitMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      if (headEnd === -1) {
        const all = Buffer.concat(chunks);
        headEnd = all.indexOf('\r\n\r\n');
        if (headEnd !== -1) {
          const { status, headers } = parseHead(all.subarray(0, headEnd).toString('latin1'));
          const cl = headers['content-length'];
          if (status === 304 || status === 204 || (status >= 100 && status < 200)) want = 0;
          else if (cl !== undefined && /^\d+$/.test(cl)) want = Number(cl);
          if (opts.maxBody !== undefined && (want === -1 || want > opts.maxBody)) want = opts.maxBody;
        }
      }
      if (!opts.untilClose && headEnd !== -1 && want !== -1 && received - headEnd - 4 >= want) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.write(bytes);
  });
}

/** Run `jobs` with at most `limit` in flight. */
export async function inBatches<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
