/**
 * Rewriting the references inside a collected file to the hashed names of their targets,
 * with the patterns and rules of Django's ManifestStaticFilesStorage:
 *
 * - CSS: `url(...)`, `@import "..."` (becomes `@import url("...")`) and a
 *   `/*# sourceMappingURL=... *\/` line; references inside CSS comments are left alone;
 * - JS: a `//# sourceMappingURL=...` line.
 *
 * A reference is resolved relative to the referring file, or under the static URL when it
 * starts with it. Absolute URLs elsewhere, scheme URLs (`data:`, `https:`), protocol-relative
 * URLs and bare fragments are left as they are; the query and fragment are kept.
 * Pure: the caller gives the lookup from a target name to its hashed name.
 */

export interface Reference {
  /** 1-based line in the referring file. */
  line: number;
  /** The reference as written. */
  url: string;
  /** The file it points to, relative to the static root. */
  target: string;
}

export interface RewriteResult {
  text: string;
  /** References resolved and rewritten. */
  resolved: Reference[];
  /** References whose target does not exist: left as written. */
  missing: Reference[];
}

export interface RewriteOptions {
  /** URL the static root is served under (Django's STATIC_URL), e.g. "/static/". */
  staticUrl: string;
}

interface Rule {
  pattern: RegExp;
  /** Replacement for a rewritten reference. */
  template: (url: string) => string;
  /** Skip matches inside CSS comments. */
  skipComments: boolean;
}

const CSS_RULES: Rule[] = [
  { pattern: /url\((['"]?)\s*(?<url>.*?)\1\)/gi, template: (u) => `url("${u}")`, skipComments: true },
  { pattern: /@import\s*["']\s*(?<url>.*?)["']/gi, template: (u) => `@import url("${u}")`, skipComments: true },
  { pattern: /^\/\*#[ \t]sourceMappingURL=(?<url>.*?)[ \t]*\*\/$/gm, template: (u) => `/*# sourceMappingURL=${u} */`, skipComments: false },
];

const JS_RULES: Rule[] = [{ pattern: /^\/\/# sourceMappingURL=(?<url>.*)$/gm, template: (u) => `//# sourceMappingURL=${u}`, skipComments: false }];

/** Which files have references rewritten (Django matches `*.css` and `*.js`, case-sensitively). */
export function rulesFor(name: string): Rule[] | undefined {
  if (name.endsWith('.css')) return CSS_RULES;
  if (name.endsWith('.js')) return JS_RULES;
  return undefined;
}

export function isAdjustable(name: string): boolean {
  return rulesFor(name) !== undefined;
}

/** Percent-decoding that, like Python's unquote, leaves malformed escapes as they are. */
export function unquote(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return bytes.toString('utf8');
  });
}

/** posixpath.normpath for relative names: resolves "." and "..", keeps leading ".." segments. */
export function normPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  return abs ? '/' + joined : joined || '.';
}

function dirName(p: string): string {
  const i = p.lastIndexOf('/');
  return i === -1 ? '' : p.slice(0, i);
}

/** Spans [start, end) of the CSS comments in `text`. */
export function commentSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  const re = /\/\*[\s\S]*?\*\//g;
  for (let m = re.exec(text); m; m = re.exec(text)) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

function inSpan(spans: [number, number][], i: number): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = spans[mid];
    if (i < s) hi = mid - 1;
    else if (i >= e) lo = mid + 1;
    else return true;
  }
  return false;
}

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Where a reference written in file `name` points, relative to the static root; or
 * undefined when it is not ours to rewrite (external, absolute elsewhere, data:, fragment,
 * directory).
 */
export function targetOf(name: string, url: string, staticUrl: string): { path: string; query: string; fragment: string | undefined } | undefined {
  if (/^[a-z]+:/.test(url) || url.startsWith('//')) return undefined;
  if (url.startsWith('/') && !url.startsWith(staticUrl)) return undefined;
  const hash = url.indexOf('#');
  const urlPath = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? undefined : url.slice(hash + 1);
  if (urlPath === '') return undefined;
  const q = urlPath.indexOf('?');
  const pathPart = q === -1 ? urlPath : urlPath.slice(0, q);
  const query = q === -1 ? '' : urlPath.slice(q + 1);
  const rel = pathPart.startsWith('/') ? pathPart.slice(staticUrl.length) : (dirName(name) ? dirName(name) + '/' : '') + pathPart;
  const clean = unquote(rel).trim();
  if (clean === '' || clean.endsWith('/')) return undefined;
  return { path: normPath(clean), query, fragment };
}

/**
 * Rewrite the references of file `name` (relative to the static root). `lookup` gives the
 * hashed name of a target (relative to the root), or undefined when there is no such file.
 */
export function rewriteReferences(name: string, text: string, lookup: (target: string) => string | undefined, opts: RewriteOptions): RewriteResult {
  const rules = rulesFor(name);
  const result: RewriteResult = { text, resolved: [], missing: [] };
  if (!rules) return result;
  let out = text;
  for (const rule of rules) {
    const spans = rule.skipComments ? commentSpans(out) : [];
    const source = out;
    out = source.replace(rule.pattern, (...args: unknown[]) => {
      const matched = args[0] as string;
      const offset = args[args.length - 3] as number;
      const groups = args[args.length - 1] as { url: string };
      const url = groups.url.trim();
      if (rule.skipComments && inSpan(spans, offset)) return matched;
      const t = targetOf(name, url, opts.staticUrl);
      if (!t) return matched;
      const ref: Reference = { line: lineAt(source, offset), url, target: t.path };
      const hashed = t.path.startsWith('../') || t.path === '..' ? undefined : lookup(t.path);
      if (hashed === undefined) {
        result.missing.push(ref);
        return matched;
      }
      result.resolved.push(ref);
      const hash = url.indexOf('#');
      const urlPath = hash === -1 ? url : url.slice(0, hash);
      const dirs = urlPath.split('/').slice(0, -1);
      let last = hashed.slice(hashed.lastIndexOf('/') + 1);
      if (t.query !== '') last += '?' + t.query;
      let transformed = [...dirs, last].join('/');
      if (t.fragment !== undefined && t.fragment !== '') transformed += (url.includes('?#') ? '?#' : '#') + t.fragment;
      return rule.template(unquote(transformed));
    });
  }
  result.text = out;
  return result;
}
