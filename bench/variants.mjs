/**
 * The servers of a run by name: assetd in one or more configurations (variants), each with
 * its access log off or on, and the nginx each of them is compared with. Pure.
 *
 * A variant is a name plus extra environment variables and extra `assetd serve` flags. The
 * plain configuration is the variant `default`, shown as `assetd`; another is shown as
 * `assetd (node)`; with the access log on (--access-log on|both) a `log` tag is added:
 * `assetd (log)`, `assetd (node, log)`, compared with `nginx (log)`.
 */

/** Built-in variants, selected with --assetd-variants NAME,NAME; more with --assetd-variant. */
export const VARIANTS = {
  default: { name: 'default', env: {}, flags: [], about: 'assetd as the bench configures it' },
  node: { name: 'node', env: { ASSETD_FAST_LANE: 'false' }, flags: [], about: 'ASSETD_FAST_LANE=false: every answer through node:http' },
};

/** The tag of a server whose access log is on, and the name no variant may take. */
export const LOG_TAG = 'log';

/** `base` or `base (tag, tag)`. */
export function serverName(base, tags) {
  return tags.length > 0 ? `${base} (${tags.join(', ')})` : base;
}

/** The base name and the tags of a server name: 'assetd (node, log)' -> { base: 'assetd', tags: ['node', 'log'] }. */
export function splitName(name) {
  const m = /^([^ (]+) \(([^)]*)\)$/.exec(name);
  return m ? { base: m[1], tags: m[2].split(', ') } : { base: name, tags: [] };
}

/** The access-log settings a run measures: off, on, or both side by side. */
function logSettings(accessLog) {
  return accessLog === 'both' ? [false, true] : [accessLog === 'on'];
}

/**
 * The assetd servers of a run, in rotation order: every variant with the log off, then
 * (with --access-log both) every variant with it on.
 * @param {{ name: string, env: Record<string, string>, flags: string[] }[]} variants
 * @param {'off' | 'on' | 'both'} accessLog
 */
export function assetdServers(variants, accessLog) {
  const out = [];
  for (const log of logSettings(accessLog)) {
    for (const v of variants) {
      const tags = [...(v.name === 'default' ? [] : [v.name]), ...(log ? [LOG_TAG] : [])];
      out.push({ name: serverName('assetd', tags), variant: v, log });
    }
  }
  return out;
}

/** The nginx servers of a run: one per access-log setting. */
export function nginxServers(accessLog) {
  return logSettings(accessLog).map((log) => ({ name: serverName('nginx', log ? [LOG_TAG] : []), log }));
}

export function isAssetd(name) {
  return splitName(name).base === 'assetd';
}

/** The nginx an assetd server is compared with: the one with the same access-log setting. */
export function counterpart(name) {
  return splitName(name).tags.includes(LOG_TAG) ? serverName('nginx', [LOG_TAG]) : 'nginx';
}

/** What a table row of this assetd server is labelled after the scenario: '' or ' (node, log)'. */
export function rowSuffix(name) {
  const { tags } = splitName(name);
  return tags.length > 0 ? ` (${tags.join(', ')})` : '';
}

/**
 * A plan's servers with the placeholders `assetd` and `nginx` replaced by the servers of the
 * run, keeping the order (every assetd, every nginx, then the others).
 */
export function expandServers(planServers, names) {
  return planServers.flatMap((s) => (s === 'assetd' ? names.assetd : s === 'nginx' ? names.nginx : [s]));
}
