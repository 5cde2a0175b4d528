/**
 * Request checks node's parser leaves to the server (pure, no I/O): the Host rule of
 * RFC 9112 §3.2, and the answer to a request the parser refused.
 */
import net from 'node:net';

/**
 * uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP literal in brackets, or a
 * reg-name (which covers IPv4 addresses); the port is digits. Empty is allowed (a target
 * without an authority, RFC 9112 §3.2).
 */
const HOST = /^(?:\[(?:v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+|([0-9A-Fa-f:.]+))\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

export function validHostValue(v: string): boolean {
  const m = HOST.exec(v);
  return m !== null && (m[1] === undefined || net.isIPv6(m[1]));
}

/** The last value found valid: nearly every request of a site repeats it, so a hit costs one comparison. */
let lastValid = '';

/**
 * RFC 9112 §3.2: a server MUST answer 400 to a request with more than one Host field line or
 * a Host with an invalid value (node itself refuses an HTTP/1.1 request without one, and
 * keeps only the first of several in `req.headers`). Reads node's flat raw header list.
 */
export function hostLinesOk(raw: readonly string[]): boolean {
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.length === 4 && (k === 'Host' || k.toLowerCase() === 'host')) {
      if (value !== undefined) return false;
      value = raw[i + 1];
    }
  }
  if (value === undefined || value === lastValid) return true;
  if (!validHostValue(value)) return false;
  lastValid = value;
  return true;
}

/** A method token, then a space (or the end of what is looked at: a very long token). */
const TCHAR_METHOD = /^(?:\r?\n)*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?: |$)/;

/**
 * The raw answer to a request node's parser refused (`code` from its error), as node's own
 * default answers, except that a method the parser does not know gets 501 (RFC 9110 §9.1,
 * RFC 9112 §3: a well-formed token the server does not implement) instead of 400.
 */
export function parseErrorAnswer(code: string | undefined, packet: Buffer | undefined): string {
  let status: string;
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      status = '431 Request Header Fields Too Large';
      break;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      status = '413 Payload Too Large';
      break;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      status = '408 Request Timeout';
      break;
    case 'HPE_INVALID_METHOD':
      status = packet !== undefined && TCHAR_METHOD.test(packet.subarray(0, 256).toString('latin1')) ? '501 Not Implemented' : '400 Bad Request';
      break;
    default:
      status = '400 Bad Request';
  }
  return `HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`;
}
