/** Checks across keys (pure): prefixes that overlap, media that could shadow static files, service paths under a mount. */
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Config } from './types.js';

/** True when `child` is `parent` or lies below it (absolute, resolved paths). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel));
}

/**
 * Uploads may never shadow or replace static files: no media prefix overlaps a static
 * prefix or another media prefix, and no media root is, is inside, or contains a static
 * root. Compares the paths as given; startup repeats the root check on real paths.
 */
export function checkMediaSeparation(statics: { prefix: string; root: string }[], media: { prefix: string; root: string }[]): void {
  media.forEach((m, i) => {
    for (const s of statics) {
      if (m.prefix.startsWith(s.prefix) || s.prefix.startsWith(m.prefix)) {
        throw new UserError(`media[${i}].prefix "${m.prefix}" overlaps static prefix "${s.prefix}": an upload could shadow a static file`);
      }
    }
    for (let j = 0; j < i; j++) {
      const o = media[j];
      if (m.prefix.startsWith(o.prefix) || o.prefix.startsWith(m.prefix)) {
        throw new UserError(`media[${i}].prefix "${m.prefix}" overlaps media[${j}].prefix "${o.prefix}": every URL must belong to at most one mount`);
      }
    }
  });
  checkMediaRoots(statics.map((s) => s.root), media.map((m) => m.root));
}

/**
 * No media root is, is inside, or contains a static root; no two media roots nest (files of
 * a private mount would be public through the other).
 */
export function checkMediaRoots(staticRoots: string[], mediaRoots: string[]): void {
  mediaRoots.forEach((m, i) => {
    for (let j = 0; j < i; j++) {
      const o = mediaRoots[j];
      if (isWithin(m, o) || isWithin(o, m)) {
        throw new UserError(`media[${i}].root ${m} overlaps media[${j}].root ${o}: files of one mount would be reachable through the other`);
      }
    }
    for (const s of staticRoots) {
      if (isWithin(m, s)) {
        throw new UserError(`media[${i}].root ${m} is ${m === s ? 'the same folder as' : 'inside'} static root ${s}: an upload could replace a static file`);
      }
      if (isWithin(s, m)) throw new UserError(`media[${i}].root ${m} contains static root ${s}: an upload could replace a static file`);
    }
  });
}

/**
 * The health and metrics paths answer before anything else, so they must not take a URL
 * an app or a static mount could own: they may not fall under a mount prefix nor be equal.
 */
export function checkServicePaths(config: Pick<Config, 'healthPath' | 'metricsPath' | 'static' | 'media'>): void {
  const own: [string, string | null][] = [
    ['healthPath', config.healthPath],
    ['metricsPath', config.metricsPath],
  ];
  for (const [key, p] of own) {
    if (p === null) continue;
    for (const m of [...config.static, ...config.media]) {
      if (p.startsWith(m.prefix) || p + '/' === m.prefix) throw new UserError(`${key} "${p}" falls under the mount prefix "${m.prefix}"; pick a path outside every mount (default /__assetd/...)`);
    }
  }
  if (config.healthPath !== null && config.healthPath === config.metricsPath) throw new UserError(`healthPath and metricsPath are both "${config.healthPath}"`);
}

/** Two mounts may not share or nest prefixes: every URL belongs to at most one mount. */
export function checkPrefixes(prefixes: string[]): void {
  for (let i = 0; i < prefixes.length; i++) {
    for (let j = i + 1; j < prefixes.length; j++) {
      const a = prefixes[i];
      const b = prefixes[j];
      if (a.startsWith(b) || b.startsWith(a)) throw new UserError(`prefixes "${a}" and "${b}" overlap: every URL must belong to at most one mount`);
    }
  }
}
