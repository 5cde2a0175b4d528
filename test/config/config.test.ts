import t from 'tap';
import { checkPrefixes, envName, resolveConfig } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';

const cwd = '/srv/app';

t.test('defaults and a root from a flag', async (t) => {
  const c = resolveConfig({ flags: { root: 'staticfiles' }, cwd, env: {} });
  t.equal(c.host, '127.0.0.1');
  t.equal(c.port, 8080);
  t.equal(c.static.length, 1);
  t.equal(c.static[0].root, '/srv/app/staticfiles');
  t.equal(c.static[0].prefix, '/static/');
  t.equal(c.static[0].maxAge, 60);
  t.equal(c.static[0].cors, '*');
  t.equal(c.static[0].followSymlinks, false);
});

t.test('precedence: flags > environment > file > defaults', async (t) => {
  const file = { port: 9000, host: '0.0.0.0', static: [{ root: 'from-file', prefix: '/assets' }] };
  const onlyFile = resolveConfig({ file, fileName: 'c.json', fileDir: '/etc/assetd', cwd, env: {} });
  t.equal(onlyFile.port, 9000);
  t.equal(onlyFile.static[0].root, '/etc/assetd/from-file', 'file roots are relative to the file');
  t.equal(onlyFile.static[0].prefix, '/assets/', 'a trailing slash is added');
  const env = resolveConfig({ file, fileDir: '/etc/assetd', cwd, env: { ASSETD_PORT: '9100', ASSETD_ROOT: 'from-env' } });
  t.equal(env.port, 9100);
  t.equal(env.static[0].root, '/srv/app/from-env', 'env roots are relative to the working directory');
  t.equal(env.host, '0.0.0.0');
  const flags = resolveConfig({ file, fileDir: '/etc/assetd', cwd, env: { ASSETD_PORT: '9100' }, flags: { port: '9200', 'follow-symlinks': true } });
  t.equal(flags.port, 9200);
  t.equal(flags.static[0].followSymlinks, true);
  t.equal(flags.static[0].prefix, '/assets/', 'a flag changes only what it names');
});

t.test('several mounts with their own policies', async (t) => {
  const c = resolveConfig({
    file: { static: [{ root: 'a', prefix: '/static/', maxAge: 10 }, { root: 'b', prefix: '/assets/', cors: false, manifest: 'm.json' }] },
    fileDir: '/x',
    env: {},
  });
  t.equal(c.static.length, 2);
  t.equal(c.static[0].maxAge, 10);
  t.equal(c.static[1].cors, false);
  t.equal(c.static[1].manifest, 'm.json');
});

t.test('comment keys are ignored', async (t) => {
  const c = resolveConfig({ file: { '//': 'x', '//port': 'doc', port: 1234, static: [{ '//root': 'doc', root: 'r' }] }, fileDir: '/x', env: {} });
  t.equal(c.port, 1234);
});

t.test('every bad input is one line naming the key', async (t) => {
  const bad: [Parameters<typeof resolveConfig>[0], RegExp][] = [
    [{ file: { prot: 1, static: [{ root: 'r' }] }, fileName: 'c.json' }, /^c\.json: unknown key "prot"$/],
    [{ file: { static: [{ root: 'r', rooot: 'x' }] }, fileName: 'c.json' }, /^c\.json: static\[0\]: unknown key "rooot"$/],
    [{ file: { port: '80', static: [{ root: 'r' }] }, fileName: 'c.json' }, /^c\.json: port: expected a whole number, got "80"$/],
    [{ file: { port: 70000, static: [{ root: 'r' }] }, fileName: 'c.json' }, /port: expected a port from 0 to 65535/],
    [{ file: { static: [{ root: 'r', maxAge: -1 }] }, fileName: 'c.json' }, /static\[0\]\.maxAge: expected a number of at least 0/],
    [{ file: { static: [{ root: 'r', followSymlinks: 'yes' }] }, fileName: 'c.json' }, /followSymlinks: expected true or false/],
    [{ file: { static: [{ root: 'r', prefix: 'static' }] }, fileName: 'c.json' }, /prefix: expected a URL path starting with "\/"/],
    [{ file: { static: [{ root: 'r', prefix: '/a/../b/' }] }, fileName: 'c.json' }, /prefix: expected a plain URL path/],
    [{ file: { static: [{ root: 'r', immutablePattern: '([' }] }, fileName: 'c.json' }, /immutablePattern: not a valid regular expression/],
    [{ file: { static: [{ root: 'r', manifestFormat: 'yaml' }] }, fileName: 'c.json' }, /manifestFormat: expected one of/],
    [{ file: { static: [{ root: 'r', cors: 'a\nb' }] }, fileName: 'c.json' }, /cors: expected an origin string/],
    [{ file: { static: 'r' }, fileName: 'c.json' }, /static: expected a list of mounts/],
    [{ file: [1, 2], fileName: 'c.json' }, /expected a JSON object at the top/],
    [{ file: { static: [{ prefix: '/s/' }] }, fileName: 'c.json' }, /static\[0\]\.root: missing/],
    [{ file: {}, fileName: 'c.json' }, /no static mount/],
    [{ file: { static: [{ root: 'a', prefix: '/static/' }, { root: 'b', prefix: '/static/admin/' }] } }, /prefixes "\/static\/" and "\/static\/admin\/" overlap/],
    [{ flags: { root: 'r', port: 'eighty' } }, /^--port: expected a whole number, got "eighty"$/],
    [{ env: { ASSETD_ROOT: 'r', ASSETD_FOLLOW_SYMLINKS: 'perhaps' } }, /^ASSETD_FOLLOW_SYMLINKS: expected true or false/],
  ];
  for (const [src, re] of bad) {
    t.throws(() => resolveConfig({ env: {}, ...src }), UserError);
    try {
      resolveConfig({ env: {}, ...src });
    } catch (e) {
      t.match((e as Error).message, re);
      t.notOk((e as Error).message.includes('\n'), 'one line');
    }
  }
});

t.test('environment booleans and names', async (t) => {
  t.equal(envName('follow-symlinks'), 'ASSETD_FOLLOW_SYMLINKS');
  const c = resolveConfig({ env: { ASSETD_ROOT: 'r', ASSETD_FOLLOW_SYMLINKS: 'yes', ASSETD_CORS: 'false', ASSETD_INDEX: 'index.html' }, cwd });
  t.equal(c.static[0].followSymlinks, true);
  t.equal(c.static[0].cors, false);
  t.equal(c.static[0].index, 'index.html');
});

t.test('prefix overlap', async (t) => {
  t.doesNotThrow(() => checkPrefixes(['/static/', '/assets/', '/media/']));
  t.throws(() => checkPrefixes(['/static/', '/static/']));
  t.throws(() => checkPrefixes(['/', '/static/']));
});
