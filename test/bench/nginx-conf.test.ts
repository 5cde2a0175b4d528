import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
// @ts-ignore plain ESM JavaScript without declarations
import { BROTLI_MODULE, INERT_EXTENSIONS, MEDIA_CSP, PLAYER_CSP, PLAYER_EXTENSIONS, DEFAULT_UPSTREAM_KEEPALIVE, HASHED_URI_REGEX, MEDIA_CACHE_CONTROL, nginxConf } from '../../bench/nginx-conf.mjs';
import { MEDIA_CACHE_CONTROL as ASSETD_MEDIA_CACHE_CONTROL } from '../../src/config/index.js';
import { INERT_TYPES, PLAYER_CSP as ASSETD_PLAYER_CSP, SANDBOX_CSP } from '../../src/http/active-content.js';
import { contentType } from '../../src/http/content-type.js';
import { baseType } from '../../src/media/headers.js';
import mime from 'mime';

const base = {
  runDir: '/tmp/run',
  port: 8081,
  workers: 2,
  root: '/srv/static',
  prefix: '/static/',
  brotliModule: BROTLI_MODULE,
  mimeTypes: '/etc/nginx/mime.types',
};

t.test('the static location mirrors assetd: precompressed variants, the same Cache-Control rule and headers', async (t) => {
  const c = nginxConf(base);
  t.match(c, /^load_module \/usr\/lib\/nginx\/modules\/ngx_http_brotli_static_module\.so;$/m);
  t.match(c, /^worker_processes 2;$/m);
  t.match(c, /^daemon off;$/m);
  t.match(c, /^pid \/tmp\/run\/nginx\.pid;$/m);
  t.match(c, /^\s+access_log off;$/m);
  t.match(c, /^\s+log_not_found off;$/m);
  t.match(c, /open_file_cache max=10000 inactive=60s;/);
  t.match(c, /listen 127\.0\.0\.1:8081 reuseport backlog=4096;/);
  t.match(c, /location \/static\/ \{\s+alias \/srv\/static\/;\s+gzip_static on;\s+brotli_static on;\s+gzip_vary on;/);
  t.ok(c.includes(`"~${HASHED_URI_REGEX}" "public, max-age=31536000, immutable";`));
  t.match(c, /default "public, max-age=60";/);
  t.match(c, /add_header Access-Control-Allow-Origin "\*";/);
  t.match(c, /add_header X-Content-Type-Options nosniff;/);
  t.notMatch(c, /upstream app/, 'no proxy unless asked');
  t.notMatch(c, /location \/media\//);
  t.notMatch(c, /^\s*user /m, 'no user directive: it runs unprivileged');
});

t.test('the hashed-name regex is the one Django writes', async (t) => {
  const re = new RegExp(HASHED_URI_REGEX);
  t.ok(re.test('/static/admin/css/base.1f418065fc2c.css'));
  t.notOk(re.test('/static/admin/css/base.css'));
  t.notOk(re.test('/static/admin/css/base.1f418065fc2.css'), '11 hex digits');
  t.notOk(re.test('/static/admin/css/base.1F418065FC2C.css'), 'upper case is not what Django writes');
});

t.test('options: cache rule, CORS off, no brotli module, no mime.types, proxy and media', async (t) => {
  const c = nginxConf({ ...base, workers: 1, brotliModule: null, mimeTypes: null, maxAge: 300, immutableCacheControl: 'public, max-age=99', cors: false, upstreamPort: 8000, media: { root: '/m', prefix: '/media/' } });
  t.notMatch(c, /load_module/);
  t.notMatch(c, /brotli_static/);
  t.match(c, /^worker_processes 1;$/m);
  t.match(c, /types \{ text\/css css;/);
  t.match(c, /default "public, max-age=300";/);
  t.match(c, /"public, max-age=99";/);
  t.notMatch(c, /Access-Control-Allow-Origin/);
  t.match(c, /upstream app \{\s+server 127\.0\.0\.1:8000;\s+keepalive 32;/);
  t.match(c, /location \/ \{\s+proxy_pass http:\/\/app;\s+proxy_http_version 1\.1;\s+proxy_set_header Connection "";/);
  t.match(c, /location \/media\/ \{\s+alias \/m\/;/);
});

t.test('proxy keep-alive: an upstream block keeping 64 connections, HTTP/1.1, and the headers assetd forwards', async (t) => {
  const c = nginxConf({ ...base, upstreamPort: 9001, upstreamKeepalive: 64 });
  t.match(c, /upstream app \{\s+server 127\.0\.0\.1:9001;\s+keepalive 64;\s+keepalive_requests 1000000;\s+\}/);
  const loc = /location \/ \{([^}]*)\}/.exec(c)![1];
  t.match(loc, /proxy_pass http:\/\/app;/);
  t.match(loc, /proxy_http_version 1\.1;/);
  t.match(loc, /proxy_set_header Connection "";/, 'no Connection: close to the app');
  t.match(loc, /proxy_set_header Host \$http_host;/, "the client's Host as received, as assetd keeps it");
  t.match(loc, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/, 'the client appended, as assetd does');
  t.match(loc, /proxy_set_header X-Forwarded-Proto \$scheme;/);
  t.match(loc, /proxy_set_header X-Forwarded-Host \$http_host;/);
  t.equal(DEFAULT_UPSTREAM_KEEPALIVE, 32);
  t.match(nginxConf({ ...base, upstreamPort: 9001 }), /keepalive 32;/, 'the gunicorn proxy keeps its 32');
  t.throws(() => nginxConf({ ...base, upstreamPort: 9001, upstreamKeepalive: 0 }), /upstreamKeepalive/);
});

t.test('media: the uploads as on disk, with assetd\'s media headers: the sandbox on every answer, an attachment unless inert', async (t) => {
  const c = nginxConf({ ...base, media: { root: '/m', prefix: '/media/' } });
  const start = c.indexOf('location /media/ {');
  const media = c.slice(start, c.indexOf('\n        }\n', start));
  t.match(media, /alias \/m\/;/);
  t.match(media, /gzip off;\s+gzip_static off;\s+brotli_static off;/, 'no compression, no precompressed variants');
  t.match(media, new RegExp(`add_header Cache-Control "${MEDIA_CACHE_CONTROL}";\\s+add_header X-Content-Type-Options nosniff;\\s+add_header Content-Disposition attachment;\\s+add_header Content-Security-Policy "sandbox; default-src 'none'";\\s+location ~\\*`), 'by default: an attachment in the sandbox');
  const inner = [...media.matchAll(/location ~\* (\S+) \{([^}]*)\}/g)];
  t.equal(inner.length, 2);
  t.equal(inner[0][1], `\\.(?:${INERT_EXTENSIONS.join('|')})$`);
  t.equal(inner[1][1], `\\.(?:${PLAYER_EXTENSIONS.join('|')})$`);
  for (const [, , body] of inner) {
    t.match(body, /add_header Cache-Control "public, max-age=0, must-revalidate";/, 'inner add_header replaces the outer list: all of it again');
    t.match(body, /add_header X-Content-Type-Options nosniff;/);
    t.notMatch(body, /Content-Disposition/, 'inline');
  }
  t.match(inner[0][2], /add_header Content-Security-Policy "sandbox; default-src 'none'";/);
  t.match(inner[1][2], /add_header Content-Security-Policy "sandbox allow-same-origin; default-src 'none'; media-src 'self'";/);
  t.notMatch(nginxConf({ ...base, brotliModule: null, media: { root: '/m', prefix: '/media/' } }), /brotli_static/, 'no brotli directive without the module');
  t.match(nginxConf({ ...base, media: { root: '/m', prefix: '/media/', cacheControl: 'private' } }), /add_header Cache-Control "private";/);
});

t.test('the media constants are assetd\'s: its Cache-Control, its CSPs, and the extensions of its inert types', async (t) => {
  t.equal(MEDIA_CACHE_CONTROL, ASSETD_MEDIA_CACHE_CONTROL);
  t.equal(MEDIA_CSP, SANDBOX_CSP);
  t.equal(PLAYER_CSP, ASSETD_PLAYER_CSP);
  const player = (type: string) => type.startsWith('audio/') || type.startsWith('video/');
  for (const ext of INERT_EXTENSIONS) {
    const type = baseType(contentType(`x.${ext}`));
    t.ok(INERT_TYPES.includes(type) && !player(type), `.${ext} (${type}) is inert for assetd`);
  }
  for (const ext of PLAYER_EXTENSIONS) {
    const type = baseType(contentType(`x.${ext}`));
    t.ok(INERT_TYPES.includes(type) && player(type), `.${ext} (${type}) is inert audio or video for assetd`);
  }
  for (const type of INERT_TYPES) {
    for (const ext of mime.getAllExtensions(type) ?? []) {
      if (baseType(contentType(`x.${ext}`)) === type) t.ok((player(type) ? PLAYER_EXTENSIONS : INERT_EXTENSIONS).includes(ext), `.${ext} (${type}) is in the nginx list`);
    }
  }
  t.ok(INERT_TYPES.includes(baseType(contentType('x.jpg'))), 'the generated upload is inline');
});

t.test('access log: off, or to a file in combined format with buffered writes', async (t) => {
  t.match(nginxConf(base), /^\s+access_log off;$/m);
  const c = nginxConf({ ...base, accessLog: '/tmp/run/access.log' });
  t.match(c, /^\s+access_log "\/tmp\/run\/access\.log" combined buffer=4k flush=1s;$/m);
  t.notMatch(c, /access_log off/);
  t.throws(() => nginxConf({ ...base, accessLog: '/tmp/a"b' }), /cannot put/);
});

t.test('bad input is refused rather than written into the config', async (t) => {
  t.throws(() => nginxConf({ ...base, workers: 0 }), /workers/);
  t.throws(() => nginxConf({ ...base, port: 70000 }), /port/);
  t.throws(() => nginxConf({ ...base, prefix: 'static' }), /prefix/);
  t.throws(() => nginxConf({ ...base, cors: 'a"b' }), /cannot put/);
  t.throws(() => nginxConf({ ...base, immutableCacheControl: 'x\ny' }), /cannot put/);
  t.throws(() => nginxConf({ ...base, media: { root: '/m', prefix: 'media' } }), /media prefix/);
});

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((f) => fs.existsSync(f));
t.test('nginx -t accepts the generated config', { skip: nginx ? false : 'nginx is not installed', timeout: 20000 }, async (t) => {
  const dir = t.testdir({ static: { 'a.css': 'x' }, media: {}, run: { tmp: {} } });
  const brotli = fs.existsSync(BROTLI_MODULE) ? BROTLI_MODULE : null;
  const conf = nginxConf({
    ...base,
    runDir: path.join(dir, 'run'),
    root: path.join(dir, 'static'),
    brotliModule: brotli,
    mimeTypes: fs.existsSync('/etc/nginx/mime.types') ? '/etc/nginx/mime.types' : null,
    upstreamPort: 8000,
    upstreamKeepalive: 64,
    media: { root: path.join(dir, 'media'), prefix: '/media/' },
    accessLog: path.join(dir, 'run', 'access.log'),
  });
  const file = path.join(dir, 'run', 'nginx.conf');
  fs.writeFileSync(file, conf);
  const r = spawnSync(nginx!, ['-t', '-q', '-e', path.join(dir, 'run', 'error.log'), '-p', path.join(dir, 'run') + '/', '-c', file], { encoding: 'utf8', timeout: 15000 });
  t.equal(r.status, 0, r.stderr);
});
