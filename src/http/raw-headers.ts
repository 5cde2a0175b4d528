/**
 * Header blocks written as precomputed text. node:http checks every header name and value
 * on every response (two regular expressions each); for the static hot path the values are
 * the same every time, so they are checked once, at startup, and written as one string.
 *
 * Only the framing headers (Content-Length) go through `writeHead`, so node still decides
 * keep-alive, chunking and HEAD exactly as usual; the rest is spliced into the header block
 * node has just built (its `_header`, unchanged in shape since node 0.x) before the blank
 * line. A self-test at load decides whether this is possible; if not, every header goes
 * through `writeHead` as before.
 */
import http, { type ServerResponse } from 'node:http';

export interface RawHeaders {
  /** The headers node must see to frame the message: Content-Length, when there is one. */
  framing: string[];
  /** Every other header as `Name: value\r\n` lines. */
  tail: string;
  /** The same headers as a flat list, for the plain path. */
  list: string[];
}

const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * Split a flat [name, value, ...] list for `writeHeadRaw`, checking each header as node
 * would. `trusted` skips the check for lists built only from values already checked (the
 * startup index: configured values are checked once by `headerProblem`, the rest are
 * digits, hex and dates it makes itself).
 */
export function rawHeaders(list: string[], trusted = false): RawHeaders {
  const framing: string[] = [];
  let tail = '';
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    const value = list[i + 1];
    if (!trusted) {
      const problem = headerProblem(name, value);
      if (problem !== undefined) throw new Error(`header ${JSON.stringify(name)}: ${problem}`);
    }
    if (FRAMING.has(name.toLowerCase())) framing.push(name, value);
    else tail += `${name}: ${value}\r\n`;
  }
  return { framing, tail, list };
}

/** Why node would refuse this header line, or undefined when it would send it. Pure. */
export function headerProblem(name: string, value: string): string | undefined {
  try {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
    return undefined;
  } catch {
    return `not a valid ${name} header value: ${JSON.stringify(value)}`;
  }
}

type WithHeader = { _header?: unknown };

function spliceWorks(): boolean {
  try {
    const req = new http.IncomingMessage(null as never);
    req.method = 'GET';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const res = new http.ServerResponse(req);
    res.writeHead(200, ['Content-Length', '0']);
    const h = (res as unknown as WithHeader)._header;
    return typeof h === 'string' && h.startsWith('HTTP/1.1 200') && h.endsWith('\r\n\r\n');
  } catch {
    return false;
  }
}

/** Whether precomputed blocks are spliced in (false: every header goes through writeHead). */
export const SPLICE = spliceWorks();

/** `res.writeHead(status, headers)` for a precomputed block. */
export function writeHeadRaw(res: ServerResponse, status: number, h: RawHeaders): void {
  if (!SPLICE) {
    res.writeHead(status, h.list);
    return;
  }
  res.writeHead(status, h.framing);
  const r = res as unknown as WithHeader;
  const head = r._header as string;
  r._header = head.slice(0, -2) + h.tail + '\r\n';
}
