import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
// @ts-ignore plain ESM JavaScript without declarations
import { BROTLI_MODULE, HASHED_URI_REGEX, nginxConf } from '../bench/nginx-conf.mjs';

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
    media: { root: path.join(dir, 'media'), prefix: '/media/' },
  });
  const file = path.join(dir, 'run', 'nginx.conf');
  fs.writeFileSync(file, conf);
  const r = spawnSync(nginx!, ['-t', '-q', '-e', path.join(dir, 'run', 'error.log'), '-p', path.join(dir, 'run') + '/', '-c', file], { encoding: 'utf8', timeout: 15000 });
  t.equal(r.status, 0, r.stderr);
});
