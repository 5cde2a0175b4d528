/**
 * node's own HTTP/1 parser (llhttp) in RESPONSE mode, through the binding node:http's client
 * drives (lib/_http_client.js, lib/_http_common.js): the parser the app's answers are read
 * with. The same binding the fast lane reads requests with (server/llhttp.ts); loaded here
 * on its own because proxy/ does not reach into server/.
 */
import { createRequire } from 'node:module';

export interface ResponseParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(chunk: Buffer): number | ParseError;
  /** End of input: a body read until the connection closes completes here. */
  finish(): undefined | ParseError;
  consume(handle: unknown): void;
  unconsume(): void;
  close(): void;
  [key: number]: unknown;
  /** The connection this parser reads, for the callbacks (node calls them with the parser as this). */
  conn: unknown;
}

export interface ParserClass {
  new (): ResponseParser;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}

export type ParseError = Error & { code?: string; reason?: string; bytesParsed?: number };

/** The parser class, or why this Node has none the proxy can drive. */
export function loadResponseParser(): { HTTPParser: ParserClass } | { why: string } {
  try {
    const P = (createRequire(import.meta.url)('_http_common') as { HTTPParser?: ParserClass }).HTTPParser;
    if (P === undefined || typeof P.RESPONSE !== 'number') return { why: "node's _http_common has no HTTPParser" };
    const p = new P();
    for (const f of ['initialize', 'execute', 'finish', 'consume', 'unconsume', 'close'] as const) {
      if (typeof p[f] !== 'function') return { why: `node's HTTPParser has no ${f}()` };
    }
    for (const k of ['kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kOnExecute'] as const) {
      if (typeof P[k] !== 'number') return { why: `node's HTTPParser has no ${k}` };
    }
    p.close();
    return { HTTPParser: P };
  } catch (e) {
    return { why: `node's HTTP parser binding cannot be loaded (${(e as Error).message})` };
  }
}
