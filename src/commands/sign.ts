/**
 * `assetd sign /private/report.pdf --ttl 3600`: print a signed link for a file of a signed
 * media mount, with the key the server would use (same config file, same ASSETD_* variables).
 */
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { requestPath } from '../http/index.js';
import { encodePath, signedUrl } from '../media/index.js';
import { loadConfig } from '../config/index.js';

export const SIGN_USAGE = 'usage: assetd sign URL-PATH [--ttl SECONDS] [--base URL] [--config FILE]';

/** The signed link for argv, at time `now` (Unix seconds). */
export function signLink(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), now = Math.floor(Date.now() / 1000)): string {
  let values: Record<string, string | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { ttl: { type: 'string' }, base: { type: 'string' }, config: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }) as { values: Record<string, string | undefined>; positionals: string[] });
  } catch (e) {
    throw new UserError(`sign: ${(e as Error).message.split('\n')[0]} (${SIGN_USAGE})`);
  }
  if (positionals.length !== 1) throw new UserError(`sign: expected one URL path (${SIGN_USAGE})`);
  const urlPath = positionals[0];
  const parsed = requestPath(encodePath(urlPath));
  if (!urlPath.startsWith('/') || !parsed.ok || parsed.path !== urlPath) {
    throw new UserError(`sign: ${JSON.stringify(urlPath)} is not a plain URL path (give it decoded, starting with "/", without "..", "//" or control characters)`);
  }
  const ttlText = values.ttl ?? '3600';
  if (!/^\d{1,9}$/.test(ttlText) || Number(ttlText) < 1) throw new UserError(`sign: --ttl: expected a number of seconds of at least 1, got ${JSON.stringify(ttlText)}`);
  let base = '';
  if (values.base !== undefined) {
    if (!/^https?:\/\/[^/?#\s]+\/?$/.test(values.base)) throw new UserError(`sign: --base: expected a scheme and host such as https://example.com, got ${JSON.stringify(values.base)}`);
    base = values.base.replace(/\/$/, '');
  }
  const config = loadConfig({ config: values.config }, env, cwd);
  const mount = config.media.find((m) => urlPath.startsWith(m.prefix));
  if (!mount) {
    const prefixes = config.media.map((m) => m.prefix).join(', ') || 'none';
    throw new UserError(`sign: no media mount serves ${urlPath} (media prefixes: ${prefixes})`);
  }
  if (!mount.signed) throw new UserError(`sign: media mount ${mount.prefix} does not check signatures (give it "signed" in the config file)`);
  return base + signedUrl(mount.signed.secret, urlPath, now + Number(ttlText));
}

export async function sign(argv: string[]): Promise<void> {
  process.stdout.write(signLink(argv) + '\n');
}
