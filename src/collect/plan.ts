/**
 * Hashed names for a whole tree, as Django's ManifestStaticFilesStorage computes them:
 * every file is first named after the hash of its original content; then files with
 * references (CSS, JS) are rewritten to point at hashed names and renamed after the hash
 * of the rewritten content, pass after pass, until no name changes. Pure: contents are
 * handed in, nothing is read or written here.
 */
import { UserError } from '../errors.js';
import { contentHash, hashedName } from './hash.js';
import { isAdjustable, rewriteReferences, type Reference, type RewriteOptions } from './rewrite.js';

export interface PlanFile {
  /** Name relative to the static root, '/'-separated. */
  name: string;
  /** The original bytes. */
  content: Buffer;
}

export interface MissingReference extends Reference {
  /** The referring file. */
  file: string;
}

export interface Plan {
  /** Original name -> hashed name, for every file. */
  paths: Map<string, string>;
  /** Rewritten bytes of the hashed copy, for files whose references changed. */
  rewritten: Map<string, Buffer>;
  /** References to files that do not exist, in file then line order. */
  missing: MissingReference[];
  /** Files with references that are not UTF-8 text: copied unchanged. */
  undecodable: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function level(name: string): number {
  return name.split('/').length;
}

/** Django processes deeper paths first; ties keep name order here, so the result never depends on input order. */
export function processingOrder(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => level(b) - level(a) || (a < b ? -1 : a > b ? 1 : 0));
}

export function planHashes(files: PlanFile[], opts: RewriteOptions): Plan {
  const original = new Map<string, string>();
  const texts = new Map<string, string>();
  const undecodable: string[] = [];
  for (const f of files) {
    original.set(f.name, hashedName(f.name, contentHash(f.content)));
    if (isAdjustable(f.name)) {
      try {
        texts.set(f.name, utf8.decode(f.content));
      } catch {
        undecodable.push(f.name);
      }
    }
  }
  const hashed = new Map<string, string>();
  const rewritten = new Map<string, Buffer>();
  const lastMissing = new Map<string, MissingReference[]>();
  const lookup = (target: string) => hashed.get(target) ?? original.get(target);

  const processOne = (name: string): boolean => {
    const text = texts.get(name);
    const before = hashed.get(name) ?? original.get(name)!;
    if (text === undefined) {
      hashed.set(name, before);
      return false;
    }
    const r = rewriteReferences(name, text, lookup, opts);
    lastMissing.set(name, r.missing.map((m) => ({ ...m, file: name })));
    const bytes = r.text === text ? undefined : Buffer.from(r.text, 'utf8');
    const after = bytes ? hashedName(name, contentHash(bytes)) : original.get(name)!;
    if (bytes) rewritten.set(name, bytes);
    else rewritten.delete(name);
    hashed.set(name, after);
    return after !== before;
  };

  const all = processingOrder(original.keys());
  for (const name of all) processOne(name);
  const adjustable = all.filter((n) => texts.has(n));
  // Each pass settles at least one more level of a chain of references; a chain longer
  // than the number of files can only be a cycle.
  let changed: string[] = [];
  for (let pass = 0; pass <= adjustable.length; pass++) {
    changed = adjustable.filter((n) => processOne(n));
    if (changed.length === 0) break;
  }
  if (changed.length > 0) {
    throw new UserError(`references form a cycle, so no hashed name can settle: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', ...' : ''}`);
  }
  const missing = [...lastMissing.values()].flat().sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return { paths: hashed, rewritten, missing, undecodable: undecodable.sort() };
}
