import t from 'tap';
import path from 'node:path';
// @ts-ignore plain ESM JavaScript without declarations
import { BenchError, parseBenchArgs, SCENARIOS, TARGET_SCENARIOS } from '../bench/options.mjs';

const env = { repoRoot: '/repo', cwd: '/work/here', wrkInstalled: true };
const parse = (argv: string[], e = env) => parseBenchArgs(argv, e);

t.test('defaults: the shared corpus, wrk when installed, short measurements', async (t) => {
  const o = parse([]);
  t.equal(o.root, path.resolve('/repo', '../shared/corpus/django-admin'));
  t.equal(o.rootGiven, false);
  t.equal(o.prefix, '/static/');
  t.equal(o.loadgen, 'wrk');
  t.equal(o.duration, 5);
  t.equal(o.rounds, 2);
  t.equal(o.connections, 50);
  t.equal(o.workers, null);
  t.equal(o.nginx, true);
  t.equal(o.ceiling, true);
  t.equal(o.peers, false, 'the peers are opt-in');
  t.same(o.scenarios, SCENARIOS);
  t.same(o.startupSizes, [1000, 10000, 100000]);
  t.equal(o.out, '/repo/bench/results');
  t.equal(parse([], { ...env, wrkInstalled: false }).loadgen, 'autocannon');
});

t.test('flags are read and relative paths resolved against the working directory', async (t) => {
  const o = parse(['--root', 'static', '--prefix', '/assets', '--duration', '2.5', '--rounds', '3', '--connections', '10', '--workers', '2', '--no-nginx', '--loadgen', 'autocannon', '--startup-sizes', '10,20']);
  t.equal(o.root, '/work/here/static');
  t.equal(o.rootGiven, true);
  t.equal(o.prefix, '/assets/', 'a trailing slash is added');
  t.equal(o.duration, 2.5);
  t.equal(o.rounds, 3);
  t.equal(o.connections, 10);
  t.equal(o.workers, 2);
  t.equal(o.nginx, false);
  t.equal(o.loadgen, 'autocannon');
  t.equal(parse(['--no-ceiling']).ceiling, false);
  t.same(o.startupSizes, [10, 20]);
});

t.test('--scenario narrows the run and keeps the run order', async (t) => {
  t.same(parse(['--scenario', 'not-found-404,small-br']).scenarios, ['small-br', 'not-found-404']);
  t.throws(() => parse(['--scenario', 'small-br,nope']), { message: /unknown scenario "nope"/ });
  t.throws(() => parse(['--scenario', ',']), BenchError);
});

t.test('--target needs --manifest and only takes the scenarios a deployment can answer', async (t) => {
  const o = parse(['--target', 'http://example.test/static/', '--manifest', 'm/staticfiles.json']);
  t.equal(o.target, 'http://example.test/static/');
  t.equal(o.manifest, '/work/here/m/staticfiles.json');
  t.same(o.scenarios, TARGET_SCENARIOS);
  t.equal(o.ceiling, false, 'no local servers with --target');
  t.throws(() => parse(['--target', 'http://example.test/static/']), { message: /--target needs --manifest/ });
  t.throws(() => parse(['--target', 'ftp://x/', '--manifest', 'm']), { message: /http:\/\/ or https:\/\// });
  t.throws(() => parse(['--target', 'not a url', '--manifest', 'm']), { message: /not a URL/ });
  t.throws(() => parse(['--target', 'http://x/', '--manifest', 'm', '--scenario', 'startup']), { message: /cannot run against --target/ });
  t.throws(() => parse(['--target', 'http://x/', '--manifest', 'm', '--workers', '2']), { message: /--workers has no meaning with --target/ });
});

t.test('bad values are one-line errors naming the flag', async (t) => {
  const bad: [string[], RegExp][] = [
    [['--duration', '0'], /--duration/],
    [['--duration', 'abc'], /--duration/],
    [['--rounds', '-1'], /--rounds/],
    [['--rounds', '1.5'], /--rounds: expected a whole number/],
    [['--connections', '0'], /--connections/],
    [['--workers', 'many'], /--workers/],
    [['--loadgen', 'ab'], /--loadgen: expected wrk or autocannon/],
    [['--prefix', 'static'], /--prefix/],
    [['--startup-sizes', '10,x'], /--startup-sizes/],
    [['--bogus'], /bogus/],
  ];
  for (const [argv, re] of bad) {
    const e = t.throws(() => parse(argv), BenchError, argv.join(' ')) as unknown as Error;
    t.match(e.message, re);
    t.notMatch(e.message, /\n/, 'one line');
  }
  t.throws(() => parse(['--loadgen', 'wrk'], { ...env, wrkInstalled: false }), { message: /wrk is not installed/ });
});

t.test('--peers: small-br only, never with --target', async (t) => {
  t.equal(parse(['--peers']).peers, true);
  t.equal(parse(['--peers', '--scenario', 'small-br']).peers, true);
  t.equal(parse(['--peers', '--scenario', 'small-br,large-gzip']).peers, true);
  const e = t.throws(() => parse(['--peers', '--scenario', 'large-gzip,not-found-404']), BenchError) as unknown as Error;
  t.match(e.message, /^--peers: only small-br has peers/);
  t.throws(() => parse(['--target', 'http://x/', '--manifest', 'm', '--peers']), { message: /--peers has no meaning with --target/ });
  t.throws(() => parse(['--peers=yes']), BenchError, 'a switch takes no value');
});

t.test('--help', async (t) => {
  t.same(parse(['--help']), { help: true });
});
