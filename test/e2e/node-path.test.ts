/**
 * The suite runs against the fast lane (the default). These suites run once more with the
 * switch off (ASSETD_FAST_LANE=false, which every server they start reads, test/helpers/lane.ts),
 * so that node:http alone keeps answering as it always did: the escape hatch stays whole.
 */
import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

t.setTimeout(900_000);
const testDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = [
  'e2e/hostile-requests.test.ts',
  'e2e/hostile-headers.test.ts',
  'e2e/hostile-faults.test.ts',
  'e2e/drain.test.ts',
  'e2e/production.test.ts',
  'e2e/readme.test.ts',
  'e2e/corpus.test.ts',
  'e2e/send-timeout.test.ts',
  'e2e/proxy-django.test.ts',
  'server/server.test.ts',
  'static/answer.test.ts',
  'runtime/reload.test.ts',
];

for (const suite of SUITES) {
  t.spawn(process.execPath, [...process.execArgv, path.join(testDir, suite)], { env: { ...process.env, ASSETD_FAST_LANE: 'false' }, timeout: 300_000 }, `${suite} with --fast-lane false`);
}
