import t from 'tap';
// @ts-ignore plain ESM JavaScript without declarations
import { assetdServers, counterpart, expandServers, isAssetd, nginxServers, rowSuffix, serverName, splitName } from '../../bench/variants.mjs';

const def = { name: 'default', env: {}, flags: [] };
const node = { name: 'node', env: { ASSETD_FAST_LANE: 'false' }, flags: [] };

t.test('server names: assetd, assetd (node), with a log tag when the access log is on', async (t) => {
  t.equal(serverName('assetd', []), 'assetd');
  t.equal(serverName('assetd', ['node', 'log']), 'assetd (node, log)');
  t.same(splitName('assetd (node, log)'), { base: 'assetd', tags: ['node', 'log'] });
  t.same(splitName('nginx'), { base: 'nginx', tags: [] });
  t.same(splitName('fastify-static'), { base: 'fastify-static', tags: [] });
  t.ok(isAssetd('assetd'));
  t.ok(isAssetd('assetd (node)'));
  t.notOk(isAssetd('nginx (log)'));
  t.notOk(isAssetd('app'));
  t.equal(rowSuffix('assetd'), '');
  t.equal(rowSuffix('assetd (node, log)'), ' (node, log)');
});

t.test('assetdServers: every variant with the log off, then on; each knows its variant', async (t) => {
  t.same(assetdServers([def], 'off').map((s: { name: string }) => s.name), ['assetd']);
  t.same(assetdServers([def, node], 'off').map((s: { name: string }) => s.name), ['assetd', 'assetd (node)']);
  t.same(assetdServers([def], 'on').map((s: { name: string }) => s.name), ['assetd (log)'], 'on: every server says so');
  const both = assetdServers([def, node], 'both');
  t.same(both.map((s: { name: string }) => s.name), ['assetd', 'assetd (node)', 'assetd (log)', 'assetd (node, log)']);
  t.same(both.map((s: { log: boolean }) => s.log), [false, false, true, true]);
  t.same(both[3].variant, node);
  t.same(assetdServers([node], 'off').map((s: { name: string }) => s.name), ['assetd (node)'], 'a run without the default variant');
});

t.test('nginxServers and counterpart: each assetd against the nginx with the same access-log setting', async (t) => {
  t.same(nginxServers('off'), [{ name: 'nginx', log: false }]);
  t.same(nginxServers('on'), [{ name: 'nginx (log)', log: true }]);
  t.same(nginxServers('both').map((s: { name: string }) => s.name), ['nginx', 'nginx (log)']);
  t.equal(counterpart('assetd'), 'nginx');
  t.equal(counterpart('assetd (node)'), 'nginx');
  t.equal(counterpart('assetd (log)'), 'nginx (log)');
  t.equal(counterpart('assetd (node, log)'), 'nginx (log)');
});

t.test('expandServers puts the run\'s servers in the placeholders, in order', async (t) => {
  const names = { assetd: ['assetd', 'assetd (node)'], nginx: ['nginx', 'nginx (log)'] };
  t.same(expandServers(['assetd', 'nginx', 'ceiling'], names), ['assetd', 'assetd (node)', 'nginx', 'nginx (log)', 'ceiling']);
  t.same(expandServers(['assetd', 'nginx', 'app'], { assetd: ['assetd'], nginx: [] }), ['assetd', 'app'], 'no nginx');
  t.same(expandServers(['target'], names), ['target']);
});
