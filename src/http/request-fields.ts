/**
 * The header fields of a request that a static answer reads, gathered from the raw lines
 * (as llhttp hands them over) with node:http's rules for names and repeats, so a request
 * parsed below node:http is judged as IncomingMessage would have it. Pure.
 */
import type { FileRequestHeaders } from './file-answer.js';

/** The request header fields a static answer reads, as node's IncomingMessage holds them in `req.headers`. */
export class RequestFields implements FileRequestHeaders {
  'accept-encoding'?: string = undefined;
  'if-match'?: string = undefined;
  'if-none-match'?: string = undefined;
  'if-modified-since'?: string = undefined;
  'if-unmodified-since'?: string = undefined;
  range?: string = undefined;
  'if-range'?: string = undefined;
  referer?: string = undefined;
  'user-agent'?: string = undefined;
  /** Something the lane leaves to node:http: a body, Expect, Upgrade, no Host. */
  other = false;
  /** A Host line was there (node:http refuses an HTTP/1.1 request without one). */
  host = false;
}

/**
 * Read the header lines node:http's IncomingMessage would turn into `req.headers`, with its
 * rules for repeats: If-Modified-Since, If-Unmodified-Since, Referer and User-Agent keep the
 * first; the others are joined with ", ".
 */
export function readFields(raw: readonly string[]): RequestFields {
  const h = new RequestFields();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const v = raw[i + 1];
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') h.host = true;
        break;
      case 5:
        if (name.toLowerCase() === 'range') h.range = h.range === undefined ? v : `${h.range}, ${v}`;
        break;
      case 6:
        if (name.toLowerCase() === 'expect') h.other = true;
        break;
      case 7:
        {
          const l = name.toLowerCase();
          if (l === 'referer') h.referer ??= v;
          else if (l === 'upgrade') h.other = true;
        }
        break;
      case 8:
        {
          const l = name.toLowerCase();
          if (l === 'if-match') h['if-match'] = h['if-match'] === undefined ? v : `${h['if-match']}, ${v}`;
          else if (l === 'if-range') h['if-range'] = h['if-range'] === undefined ? v : `${h['if-range']}, ${v}`;
        }
        break;
      case 10:
        if (name.toLowerCase() === 'user-agent') h['user-agent'] ??= v;
        break;
      case 13:
        if (name.toLowerCase() === 'if-none-match') h['if-none-match'] = h['if-none-match'] === undefined ? v : `${h['if-none-match']}, ${v}`;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length' && v !== '0') h.other = true;
        break;
      case 15:
        if (name.toLowerCase() === 'accept-encoding') h['accept-encoding'] = h['accept-encoding'] === undefined ? v : `${h['accept-encoding']}, ${v}`;
        break;
      case 17:
        {
          const l = name.toLowerCase();
          if (l === 'if-modified-since') h['if-modified-since'] ??= v;
          else if (l === 'transfer-encoding') h.other = true;
        }
        break;
      case 19:
        if (name.toLowerCase() === 'if-unmodified-since') h['if-unmodified-since'] ??= v;
        break;
    }
  }
  if (!h.host) h.other = true;
  return h;
}
