/**
 * Signed media links: HMAC-SHA256 over a URL path and an expiry time. Pure (no I/O; the
 * clock is passed in). The signed message is the decoded URL path, a newline and the
 * expiry in Unix seconds, as UTF-8; the signature is its lowercase hex digest. The same
 * three lines of Python make it (see README, "Signed links").
 */
import { timingSafeEqual } from 'node:crypto';
import { Secret } from '../config/index.js';

export { Secret };


/** The message that is signed: decoded URL path, "\n", expiry seconds. */
export function signedMessage(urlPath: string, expires: number): string {
  return `${urlPath}\n${expires}`;
}

/** Hex HMAC-SHA256 signature of a path valid until `expires` (Unix seconds). */
export function signature(secret: Secret, urlPath: string, expires: number): string {
  return secret.hmac(signedMessage(urlPath, expires)).toString('hex');
}

/** Percent-encode a decoded URL path segment by segment (slashes kept). */
export function encodePath(urlPath: string): string {
  return urlPath.split('/').map(encodeURIComponent).join('/');
}

/** `/path?expires=N&signature=HEX` for a decoded URL path. */
export function signedUrl(secret: Secret, urlPath: string, expires: number): string {
  return `${encodePath(urlPath)}?expires=${expires}&signature=${signature(secret, urlPath, expires)}`;
}

export type Verdict = 'ok' | 'missing' | 'malformed' | 'expired' | 'bad-signature';

const EXPIRES = /^\d{1,12}$/;
const SIG = /^[0-9a-fA-F]{64}$/;

/**
 * Check the query string of a request for `urlPath` (decoded, normalised) at time `now`
 * (Unix seconds). Each parameter must appear exactly once; the comparison of the digest
 * is constant-time. A link is valid up to and including its expiry second.
 */
export function verify(secret: Secret, urlPath: string, query: string, now: number): Verdict {
  const params = new URLSearchParams(query);
  const exp = params.getAll('expires');
  const sig = params.getAll('signature');
  if (exp.length === 0 && sig.length === 0) return 'missing';
  if (exp.length !== 1 || sig.length !== 1) return 'malformed';
  if (!EXPIRES.test(exp[0]) || !SIG.test(sig[0])) return 'malformed';
  const expires = Number(exp[0]);
  const expected = secret.hmac(signedMessage(urlPath, expires));
  const given = Buffer.from(sig[0], 'hex');
  // Check the signature before the clock, so an expired link says "expired" only when it was genuine.
  if (!timingSafeEqual(expected, given)) return 'bad-signature';
  if (expires < now) return 'expired';
  return 'ok';
}
