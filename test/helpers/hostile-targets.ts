/**
 * The traversal corpus: request targets (and whole request lines) that try to reach a file
 * outside a root, a hidden file inside it, or something through a symlink. Every entry is
 * aimed at something that must NOT be served, so the only acceptable answers are a 4xx, a
 * 3xx to a safe relative location, or a closed connection for lines that are not HTTP.
 *
 * The corpus is generated per mount prefix: when another kind of mount (proxy, media) is
 * added, pass its prefix to hostileTargets() as well and every row is replayed against it.
 */
import { requestBytes } from './raw-http.js';

export interface HostileTarget {
  /** Short description, shown when an assertion fails. */
  name: string;
  /** The exact bytes sent. */
  bytes: Buffer;
}

/** `..` spelled every way a decoder, a normaliser or a file system might turn into a parent step. */
export const DOT_DOT = [
  '..',
  '%2e%2e',
  '%2E%2E',
  '%2e.',
  '.%2e',
  '%2E.',
  '%252e%252e', // double-encoded
  '%25%32%65%25%32%65', // double-encoded, every char
  '%c0%ae%c0%ae', // overlong UTF-8 (2 bytes)
  '%e0%80%ae%e0%80%ae', // overlong UTF-8 (3 bytes)
  '%f0%80%80%ae%f0%80%80%ae', // overlong UTF-8 (4 bytes)
  '%c0%2e%c0%2e',
  '%uff0e%uff0e', // IIS %u encoding
  '%ef%bc%8e%ef%bc%8e', // FULLWIDTH FULL STOP x2
  '\uff0e\uff0e', // the same, raw UTF-8
  '%e2%80%a5', // TWO DOT LEADER (NFKC: '..')
  '%ef%b8%b0', // PRESENTATION FORM FOR VERTICAL TWO DOT LEADER (NFKC: '..')
  '..%00',
  '..%01',
  '..%20',
  '.. ',
  '..%09',
  '...',
  '....',
  '..;',
  '%2e%2e%3b',
  '..%2e',
];

/** Path separators spelled every way: encoded, double-encoded, overlong, backslash, Unicode look-alikes. */
export const SEPARATOR = [
  '/',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '\\',
  '%252f',
  '%255c',
  '%c0%af', // overlong '/'
  '%e0%80%af',
  '%c1%9c', // overlong '\'
  '%ef%bc%8f', // FULLWIDTH SOLIDUS
  '\uff0f',
  '%e2%88%95', // DIVISION SLASH
  '%e2%81%84', // FRACTION SLASH
  '%u2215',
  '//',
  '/./',
];

function uniqueByBytes(list: HostileTarget[]): HostileTarget[] {
  const seen = new Set<string>();
  return list.filter((t) => {
    const k = t.bytes.toString('latin1');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Targets for one mount prefix (e.g. '/static/'), whose root is a folder next to `secret.txt`. */
export function hostileTargets(prefix = '/static/'): HostileTarget[] {
  const out: HostileTarget[] = [];
  const get = (name: string, target: string, opts: Parameters<typeof requestBytes>[1] = {}) =>
    out.push({ name, bytes: requestBytes(target, opts) });
  const raw = (name: string, text: string) => out.push({ name, bytes: Buffer.from(text, 'latin1') });

  // 1. one step up to the secret: every spelling of '..' with every separator
  for (const dd of DOT_DOT) for (const sep of SEPARATOR) get(`up ${dd} ${sep}`, `${prefix}${dd}${sep}secret.txt`);
  // 2. deep climbs to /etc/passwd
  for (const dd of DOT_DOT) get(`deep ${dd}`, `${prefix}${`${dd}/`.repeat(12)}etc/passwd`);
  for (const sep of SEPARATOR) get(`deep sep ${sep}`, `${prefix}${`..${sep}`.repeat(12)}etc${sep}passwd`);
  // 3. climbs that dip into the root first, or sit at the URL root
  get('dip and climb', `${prefix}css/../../secret.txt`);
  get('dip and climb encoded', `${prefix}css/%2e%2e/%2e%2e/secret.txt`);
  get('dip into sibling', `${prefix}../static-secret/key.txt`);
  get('sibling prefix', `${prefix.slice(0, -1)}-secret/key.txt`);
  get('url root climb', '/../secret.txt');
  get('url root climb encoded', '/%2e%2e/secret.txt');
  // above the URL root and back into the mount: an app that resolves '..' leniently sees the prefix
  get('url root climb into mount', `/..${prefix}app.css`);
  get('url root climb into mount encoded', `/%2e%2e${prefix}app.css`);
  get('url root deep climb into mount', `/x/../..${prefix}.env`);
  get('url root etc', '/etc/passwd');
  get('double slash', `//${prefix.slice(1)}../secret.txt`);
  get('double slash etc', '//etc/passwd');
  get('triple slash etc', '///etc/passwd');
  get('double slash host', '//evil.example/secret.txt');
  get('slash backslash host', '/\\evil.example/secret.txt');
  get('many slashes climb', `${prefix}////../../secret.txt`);
  // the prefix spelled with an encoded letter or doubled slashes, then a climb out of it
  const encodedPrefix = `/%${prefix.charCodeAt(1).toString(16)}${prefix.slice(2)}`;
  get('encoded prefix climb', `${encodedPrefix}../secret.txt`);
  get('encoded prefix encoded climb', `${encodedPrefix}%2e%2e/secret.txt`);
  get('double slash encoded climb', `/${prefix}%2e%2e/secret.txt`);
  get('absolute-form double slash climb', `http://evil.example/${prefix}%2e%2e/static-secret/key.txt`);
  // 4. absolute-form and other target forms
  get('absolute-form climb', `http://evil.example${prefix}../secret.txt`);
  get('absolute-form encoded climb', `http://evil.example${prefix}%2e%2e/secret.txt`);
  get('absolute-form https', `https://evil.example${prefix}..%2fsecret.txt`);
  get('absolute-form upper', `HTTP://EVIL.EXAMPLE${prefix}../../etc/passwd`);
  get('absolute-form userinfo', `http://user:pass@evil.example${prefix}.env`);
  get('absolute-form port', `http://evil.example:80${prefix}link-secret.txt`);
  get('absolute-form no path', 'http://evil.example');
  get('absolute-form query', `http://evil.example?${prefix}../secret.txt`);
  get('file scheme', 'file:///etc/passwd');
  get('scheme without slashes', `http:${prefix}../secret.txt`);
  get('scheme backslashes', 'http:\\\\evil.example\\secret.txt');
  get('relative target', `${prefix.slice(1)}../secret.txt`);
  get('dot target', `.${prefix}../secret.txt`);
  get('asterisk GET', '*');
  get('asterisk OPTIONS', '*', { method: 'OPTIONS' });
  get('CONNECT', '127.0.0.1:22', { method: 'CONNECT' });
  get('CONNECT host', 'evil.example:443', { method: 'CONNECT' });
  get('CONNECT path', `${prefix}../secret.txt`, { method: 'CONNECT' });
  // 5. hidden files inside the root
  for (const t of ['.env', '.git/config', 'css/.htpasswd', '%2eenv', '%2Egit/config', 'css/%2ehtpasswd', './.env', 'dir/../.env', '.env.', '.env%20', '.env/', '.env%00', '.git/', '.git', '%2e%67%69%74/config', 'css/./.htpasswd', 'css//.htpasswd', '.env;.css', '.env%3f.css']) {
    get(`dotfile ${t}`, `${prefix}${t}`);
  }
  // 6. symlinks pointing out of the root
  for (const t of ['link-secret.txt', 'link-dir/key.txt', 'up/secret.txt', 'up/static-secret/key.txt', 'up/static/.env', 'passwd', 'link-secret.txt.', 'link%2dsecret.txt', 'link-dir/', 'link-dir', 'up/', 'up', 'LINK-SECRET.TXT']) {
    get(`symlink ${t}`, `${prefix}${t}`);
  }
  // 7. NUL and control characters, trailing dots and spaces
  get('NUL before extension', `${prefix}app.css%00.txt`);
  get('NUL segment climb', `${prefix}%00/../../secret.txt`);
  out.push({ name: 'raw NUL in target', bytes: Buffer.concat([Buffer.from(`GET ${prefix}`), Buffer.from([0]), Buffer.from('../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]) });
  get('encoded CR LF', `${prefix}..%0d%0a/secret.txt`);
  get('encoded DEL', `${prefix}..%7f/secret.txt`);
  get('trailing dot', `${prefix}../secret.txt.`);
  get('trailing dots', `${prefix}../secret.txt...`);
  get('trailing space', `${prefix}../secret.txt%20`);
  get('trailing encoded dot', `${prefix}../secret.txt%2e`);
  get('Windows stream', `${prefix}..%5csecret.txt::$DATA`);
  get('Windows short name', `${prefix}..%5cSECRET~1.TXT`);
  get('bad percent', `${prefix}%zz/../secret.txt`);
  get('lone percent', `${prefix}%/../secret.txt`);
  get('truncated percent', `${prefix}..%2`);
  get('lone surrogate', `${prefix}%ed%a0%80/../../secret.txt`);
  // 8. Unicode look-alikes and normalisation forms of real names (never the same file)
  get('NFD of a dotfile name', `${prefix}%2e%65%CC%81nv`);
  get('fullwidth dotfile', `${prefix}%ef%bc%8eenv`);
  get('one dot leader dotfile', `${prefix}%e2%80%a4env`);
  get('combining dot', `${prefix}%CC%87%CC%87/secret.txt`);
  get('zero-width joiner', `${prefix}.%e2%80%8d./secret.txt`);
  get('RTL override', `${prefix}%e2%80%ae../secret.txt`);
  get('BOM', `${prefix}%ef%bb%bf../secret.txt`);
  // 9. very long paths and segments
  get('long segment then climb', `${prefix}${'a'.repeat(4000)}/../../secret.txt`);
  get('long climb', `${prefix}${'../'.repeat(2000)}secret.txt`);
  get('deep then deeper climb', `${prefix}${'a/'.repeat(1500)}${'../'.repeat(1501)}secret.txt`);
  get('path over header limit', `${prefix}${'a'.repeat(20000)}/../../secret.txt`);
  get('encoded climb 1000', `${prefix}${'%2e%2e%2f'.repeat(1000)}secret.txt`);
  // 10. other methods and protocol versions on a climb
  for (const method of ['HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'MKCOL', 'get']) get(`method ${method}`, `${prefix}../secret.txt`, { method });
  get('HTTP/1.0 no Host', `${prefix}../secret.txt`, { version: 'HTTP/1.0', host: null });
  get('HTTP/2.0 line', `${prefix}../secret.txt`, { version: 'HTTP/2.0' });
  get('HTTP/9.9 line', `${prefix}../secret.txt`, { version: 'HTTP/9.9' });
  raw('HTTP/0.9 line', `GET ${prefix}../secret.txt\r\n\r\n`);
  raw('no version', `GET ${prefix}../secret.txt \r\nHost: x\r\nConnection: close\r\n\r\n`);
  raw('tab separated', `GET\t${prefix}../secret.txt\tHTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  raw('double space', `GET  ${prefix}../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  raw('space in target', `GET ${prefix}.. /secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  raw('bare LF', `GET ${prefix}../secret.txt HTTP/1.1\nHost: x\nConnection: close\n\n`);
  raw('latin-1 bytes', `GET ${prefix}\xc0\xae\xc0\xae/secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  raw('pipelined second climb', `GET ${prefix}.env HTTP/1.1\r\nHost: x\r\n\r\nGET ${prefix}../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  return uniqueByBytes(out);
}

/**
 * Targets that legitimately end in a redirect: directory paths without their slash, reached
 * in hostile ways. The Location must stay relative and on this origin; `location` is the
 * expected value (names outside ASCII are percent-encoded).
 */
export function redirectTargets(prefix = '/static/'): (HostileTarget & { location: string })[] {
  const rows: [string, string][] = [
    [`${prefix}dir`, 'dir/'],
    [`${prefix}dir?next=//evil.example/`, 'dir/?next=//evil.example/'],
    [`${prefix}dir?next=http://evil.example/`, 'dir/?next=http://evil.example/'],
    [`${prefix}dir?%0d%0aSet-Cookie:%20x=1`, 'dir/?%0d%0aSet-Cookie:%20x=1'],
    [`${prefix}dir?/../../secret.txt`, 'dir/?/../../secret.txt'],
    [`//${prefix.slice(1)}dir`, 'dir/'],
    [`///${prefix.slice(1)}dir`, 'dir/'],
    [`${prefix}css/../dir`, 'dir/'],
    [`${prefix}./dir`, 'dir/'],
    [`http://evil.example${prefix}dir`, 'dir/'],
    [`//evil.example/..${prefix}dir`, 'dir/'],
    [`${prefix}%64ir`, 'dir/'],
    // directory names outside ASCII and Latin-1 must be percent-encoded in the header
    [`${prefix}%E6%97%A5%E6%9C%AC`, '%E6%97%A5%E6%9C%AC/'],
    [`${prefix}caf%C3%A9`, 'caf%C3%A9/'],
    [`${prefix}with%20space`, 'with%20space/'],
    [`${prefix}%E6%97%A5%E6%9C%AC?q=1`, '%E6%97%A5%E6%9C%AC/?q=1'],
  ];
  return rows.map(([target, location]) => ({ name: `redirect ${target}`, bytes: requestBytes(target), location }));
}
