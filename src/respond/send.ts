/**
 * Small answers written whole: the canned plain-text statuses (400, 404, 405, 406, 412,
 * 500...), each with its headers checked once, and the one 416.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rawHeaders, writeHeadRaw, type RawHeaders } from '../http/index.js';

const TEXT = 'text/plain; charset=utf-8';

/** A small plain-text answer (errors, 404): headers and body computed once per status. */
export interface Canned {
  status: number;
  headers: string[];
  /** The same headers, checked once and ready to write as text. */
  raw: RawHeaders;
  body: Buffer;
}

export function canned(status: number, text: string, extra: string[] = []): Canned {
  const body = Buffer.from(text + '\n');
  const headers = ['Content-Type', TEXT, 'Content-Length', String(body.length), 'X-Content-Type-Options', 'nosniff', ...extra];
  return { status, body, headers, raw: rawHeaders(headers) };
}

export const NOT_FOUND = canned(404, 'Not Found');
export const BAD_REQUEST = canned(400, 'Bad Request');
export const METHOD_NOT_ALLOWED = canned(405, 'Method Not Allowed', ['Allow', 'GET, HEAD']);
export const SERVER_ERROR = canned(500, 'Internal Server Error');
export const PRECONDITION_FAILED = canned(412, 'Precondition Failed');
export const NOT_ACCEPTABLE = canned(406, 'Not Acceptable: no representation in an accepted content coding', ['Vary', 'Accept-Encoding']);

const VARY = ['Vary', 'Accept-Encoding'];
const RANGE_NOT_SATISFIABLE_TEXT = Buffer.from('Range Not Satisfiable\n');

/** 412 for a file: with Vary when the file has several representations. */
export function sendPreconditionFailed(req: IncomingMessage, res: ServerResponse, varies: boolean): void {
  sendCanned(req, res, PRECONDITION_FAILED, varies ? VARY : undefined);
}

/** 416 for a file of `size` bytes (RFC 9110 §15.5.17: Content-Range names the current length). */
export function sendRangeNotSatisfiable(req: IncomingMessage, res: ServerResponse, size: number, varies: boolean): void {
  const hs = ['Content-Type', TEXT, 'Content-Length', String(RANGE_NOT_SATISFIABLE_TEXT.length), 'Content-Range', `bytes */${size}`, 'X-Content-Type-Options', 'nosniff'];
  if (varies) hs.push(...VARY);
  res.writeHead(416, hs);
  res.end(req.method === 'HEAD' ? undefined : RANGE_NOT_SATISFIABLE_TEXT);
}

export function sendCanned(req: IncomingMessage, res: ServerResponse, c: Canned, extra?: string[]): void {
  if (extra) res.writeHead(c.status, [...c.headers, ...extra]);
  else writeHeadRaw(res, c.status, c.raw);
  res.end(req.method === 'HEAD' ? undefined : c.body);
}
