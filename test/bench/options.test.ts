import t from 'tap';
import path from 'node:path';
// @ts-ignore plain ESM JavaScript without declarations
import { BenchError, OPTIONS, parseBenchArgs, parseVariantSpec, SCENARIOS, TARGET_SCENARIOS, USAGE } from '../../bench/options.mjs';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
// @ts-ignore
import { VARIANTS } from '../../bench/variants.mjs';

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
  t.same(o.processCounts, [1], 'one process each');
  t.same(o.variants, [{ name: 'default', env: {}, flags: [] }], 'assetd as the bench starts it');
  t.equal(o.accessLog, 'off');
  t.equal(o.mediaFile, null);
  t.ok(o.scenarios.includes('proxy-keepalive'), 'the keep-alive proxy runs in a full run');
  t.ok(o.scenarios.includes('media'), 'and media');
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

t.test('--process-counts runs every scenario with each count; --workers N is one count', async (t) => {
  t.same(parse(['--process-counts', '1,2']).processCounts, [1, 2]);
  t.same(parse(['--process-counts', '4, 1']).processCounts, [4, 1], 'in the order given');
  t.same(parse(['--workers', '2']).processCounts, [2]);
  t.equal(parse(['--workers', '2']).workers, 2);
  t.equal(parse(['--process-counts', '1,2']).workers, null);
  t.throws(() => parse(['--workers', '2', '--process-counts', '1,2']), { message: /give one of them/ });
  t.throws(() => parse(['--process-counts', '1,1']), { message: /repeated/ });
  t.throws(() => parse(['--process-counts', '1,,2']), { message: /--process-counts: expected a comma-separated list/ });
  t.throws(() => parse(['--process-counts', '0']), { message: /--process-counts: expected a number from 1/ });
  t.throws(() => parse(['--process-counts', 'two']), { message: /--process-counts: expected a whole number/ });
  t.throws(() => parse(['--target', 'http://x/', '--manifest', 'm', '--process-counts', '2']), { message: /--process-counts has no meaning with --target/ });
});

t.test('--profile reads one process: not with more', async (t) => {
  t.equal(parse(['--profile']).profile, true);
  t.equal(parse(['--profile', '--workers', '1']).profile, true);
  t.throws(() => parse(['--profile', '--workers', '2']), { message: /^--profile: the profile is of one process/ });
  t.throws(() => parse(['--profile', '--process-counts', '1,2']), { message: /^--profile/ });
});

t.test('--assetd-variants picks built-in variants; node sets ASSETD_FAST_LANE=false', async (t) => {
  t.same(VARIANTS.node.env, { ASSETD_FAST_LANE: 'false' });
  t.same(parse(['--assetd-variants', 'default,node']).variants, [
    { name: 'default', env: {}, flags: [] },
    { name: 'node', env: { ASSETD_FAST_LANE: 'false' }, flags: [] },
  ]);
  t.same(parse(['--assetd-variants', 'node']).variants.map((v: { name: string }) => v.name), ['node'], 'without the default when not named');
  t.throws(() => parse(['--assetd-variants', 'default,turbo']), { message: /unknown variant "turbo".*--assetd-variant name=turbo/ });
  t.throws(() => parse(['--assetd-variants', 'node,node']), { message: /named twice/ });
  t.throws(() => parse(['--assetd-variants', '']), { message: /comma-separated list/ });
});

t.test('--assetd-variant defines a variant from a name, env= and flag= and adds it to the rotation', async (t) => {
  const o = parse(['--assetd-variant', 'name=small,env=A=1,env=B=x=y,flag=--memory-threshold,flag=0', '--assetd-variant', 'name=nocors,flag=--cors=']);
  t.same(o.variants, [
    { name: 'default', env: {}, flags: [] },
    { name: 'small', env: { A: '1', B: 'x=y' }, flags: ['--memory-threshold', '0'] },
    { name: 'nocors', env: {}, flags: ['--cors='] },
  ]);
  const named = parse(['--assetd-variants', 'mine,default', '--assetd-variant', 'name=mine,env=ASSETD_FAST_LANE=true']);
  t.same(named.variants.map((v: { name: string }) => v.name), ['mine', 'default'], 'a defined variant named in --assetd-variants keeps its place');
  t.same(parse(['--assetd-variant', 'name=node,env=X=1']).variants[1], { name: 'node', env: { X: '1' }, flags: [] }, 'a built-in name can be redefined');
  t.same(parseVariantSpec('flag=--workers=3,name=w'), { name: 'w', env: {}, flags: ['--workers=3'] });
  const bad: [string, RegExp][] = [
    ['env=A=1', /missing name=/],
    ['name=a,name=b', /name= given twice/],
    ['name=log', /names the access log/],
    ['name=default,env=A=1', /"default" is assetd as the bench starts it/],
    ['name=a b', /a name is letters/],
    ['name=a,env=1A=x', /env= expects KEY=VALUE/],
    ['name=a,env=NOVALUE', /env= expects KEY=VALUE/],
    ['name=a,flag=0', /flag= expects an assetd serve flag/],
    ['name=a,color=red', /unknown key "color"/],
    ['name=a,oops', /expected name=/],
  ];
  for (const [spec, re] of bad) {
    const e = t.throws(() => parse(['--assetd-variant', spec]), BenchError, spec) as unknown as Error;
    t.match(e.message, re, spec);
    t.match(e.message, /^--assetd-variant /);
  }
  t.throws(() => parse(['--assetd-variant', 'name=a,env=X=1', '--assetd-variant', 'name=a,env=X=2']), { message: /"a" is defined twice/ });
  t.throws(() => parse(['--target', 'http://x/', '--manifest', 'm', '--assetd-variant', 'name=a']), { message: /--assetd-variant has no meaning with --target/ });
});

t.test('--access-log off, on or both; --media-file with the media scenario', async (t) => {
  t.equal(parse(['--access-log', 'on']).accessLog, 'on');
  t.equal(parse(['--access-log', 'both']).accessLog, 'both');
  t.throws(() => parse(['--access-log', 'combined']), { message: /--access-log: expected off, on or both/ });
  t.throws(() => parse(['--target', 'http://x/', '--manifest', 'm', '--access-log', 'on']), { message: /--access-log has no meaning with --target/ });
  t.equal(parse(['--media-file', 'up/logo.svg']).mediaFile, '/work/here/up/logo.svg');
  t.equal(parse(['--media-file', '/srv/a.jpg', '--scenario', 'media']).mediaFile, '/srv/a.jpg');
  t.throws(() => parse(['--media-file', 'a.jpg', '--scenario', 'small-br']), { message: /--media-file: only the media scenario/ });
});

t.test('--help', async (t) => {
  t.same(parse(['--help']), { help: true });
});

t.test('every option is in --help and in the README\'s Benchmarks section', async (t) => {
  const readme = fs.readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const start = readme.indexOf('\n## Benchmarks');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  t.ok(start > 0, 'the README has a Benchmarks section');
  for (const name of Object.keys(OPTIONS)) {
    t.match(USAGE, new RegExp(`^  --${name}\\b`, 'm'), `--${name} in --help`);
    t.ok(section.includes(`--${name}`), `--${name} in the README`);
  }
  for (const s of SCENARIOS) t.ok(section.includes(`\`${s}\``), `scenario ${s} in the README`);
});
