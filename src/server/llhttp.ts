/**
 * node's own HTTP/1 parser (llhttp), through the binding node:http itself drives
 * (lib/_http_common.js): the one parser both server paths read requests with. Loaded once;
 * when a Node release no longer has it where expected, the fast lane stays off and says why.
 */
import { createRequire } from 'node:module';

/** node's binding of llhttp, as node:http uses it (lib/_http_common.js). */
export interface Binding {
  HTTPParser: {
    new (): LaneParser;
    REQUEST: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnExecute: number;
  };
  methods: string[];
}

export interface LaneParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(chunk: Buffer): number | ParseError;
  consume(handle: unknown): void;
  unconsume(): void;
  getCurrentBuffer(): Buffer;
  headersCompleted(): boolean;
  close(): void;
  free(): void;
  [key: number]: unknown;
  /** The connection this parser reads, for the callbacks (node calls them with the parser as this). */
  conn: unknown;
}

export type ParseError = Error & { code?: string; reason?: string; bytesParsed?: number; rawPacket?: Buffer };

/** The binding, or null (with the reason) when this Node has none the lane can drive. */
export function loadBinding(): { binding: Binding } | { why: string } {
  try {
    const common = createRequire(import.meta.url)('_http_common') as Partial<Binding>;
    const P = common.HTTPParser;
    if (!P || !Array.isArray(common.methods) || common.methods[1] !== 'GET' || common.methods[2] !== 'HEAD') return { why: "node's _http_common has no HTTPParser or method table" };
    const p = new P();
    for (const f of ['initialize', 'execute', 'consume', 'unconsume', 'getCurrentBuffer', 'headersCompleted', 'close', 'free'] as const) {
      if (typeof p[f] !== 'function') return { why: `node's HTTPParser has no ${f}()` };
    }
    if (typeof P.kOnHeadersComplete !== 'number' || typeof P.kOnExecute !== 'number' || typeof P.kOnHeaders !== 'number') return { why: "node's HTTPParser callbacks are not where node:http keeps them" };
    return { binding: common as Binding };
  } catch (e) {
    return { why: `node's HTTP parser binding cannot be loaded (${(e as Error).message})` };
  }
}
