import t from 'tap';
import { healthAnswer } from '../../src/server/health.js';

const facts = { draining: false, files: 709, staticMounts: 2, mediaMounts: 1, version: '1.2.3', uptimeSeconds: 61.9, indexBuiltAt: Date.UTC(2026, 0, 2), pid: 4242, fastLane: true };

t.test('200 with a small JSON while serving', async (t) => {
  const a = healthAnswer(facts);
  t.equal(a.status, 200);
  t.same(JSON.parse(a.body.toString()), { status: 'ok', files: 709, mounts: 3, staticMounts: 2, mediaMounts: 1, version: '1.2.3', uptime: 61, indexBuiltAt: '2026-01-02T00:00:00.000Z', pid: 4242, fastLane: true });
  const h = new Map<string, string>();
  for (let i = 0; i < a.headers.length; i += 2) h.set(a.headers[i], a.headers[i + 1]);
  t.equal(h.get('Content-Type'), 'application/json');
  t.equal(h.get('Content-Length'), String(a.body.length));
  t.equal(h.get('Cache-Control'), 'no-store');
});

t.test('503 while draining', async (t) => {
  const a = healthAnswer({ ...facts, draining: true });
  t.equal(a.status, 503);
  t.equal(JSON.parse(a.body.toString()).status, 'draining');
});
