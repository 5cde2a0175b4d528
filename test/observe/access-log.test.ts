import t from 'tap';
import fc from 'fast-check';
import { escapeField, formatCombined, formatJson, formatterFor, LogBuffer, timeLocal, type RequestFacts } from '../../src/observe/access-log.js';

const base: RequestFacts = {
  time: Date.UTC(2026, 10, 22, 0, 20, 19, 500),
  remote: '10.0.0.7',
  method: 'GET',
  target: '/static/admin/css/base.5af66c1b1797.css?v=1',
  httpVersion: '1.1',
  status: 200,
  bytes: 4321,
  encoding: 'br',
  durationMs: 1.23456,
  upstreamMs: undefined,
  referer: 'https://example.com/admin/',
  userAgent: 'Mozilla/5.0 (X11)',
  kind: 'static',
  aborted: false,
};

t.test('timeLocal is nginx $time_local in UTC', async (t) => {
  t.equal(timeLocal(Date.UTC(2026, 10, 22, 0, 20, 19)), '22/Nov/2026:00:20:19 +0000');
  t.equal(timeLocal(Date.UTC(2024, 0, 5, 9, 3, 7, 999)), '05/Jan/2024:09:03:07 +0000');
  t.equal(timeLocal(Date.UTC(2024, 0, 5, 9, 3, 8)), '05/Jan/2024:09:03:08 +0000', 'the per-second cache moves on');
});

t.test('combined line matches nginx field by field', async (t) => {
  t.equal(
    formatCombined(base),
    '10.0.0.7 - - [22/Nov/2026:00:20:19 +0000] "GET /static/admin/css/base.5af66c1b1797.css?v=1 HTTP/1.1" 200 4321 "https://example.com/admin/" "Mozilla/5.0 (X11)"',
  );
  t.equal(
    formatCombined({ ...base, referer: undefined, userAgent: undefined, status: 404, bytes: 0 }),
    '10.0.0.7 - - [22/Nov/2026:00:20:19 +0000] "GET /static/admin/css/base.5af66c1b1797.css?v=1 HTTP/1.1" 404 0 "-" "-"',
  );
});

t.test('quotes, backslashes and control bytes are escaped so a line stays one line', async (t) => {
  t.equal(escapeField('plain'), 'plain');
  t.equal(escapeField('a"b\\c\nd\x7f\xe9'), 'a\\x22b\\x5Cc\\x0Ad\\x7F\\xE9');
  const line = formatCombined({ ...base, userAgent: 'evil"\n127.0.0.1 - - [forged]' });
  t.notOk(line.includes('\n'));
  t.match(line, /"evil\\x22\\x0A127\.0\.0\.1 - - \[forged\]"$/);
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const e = escapeField(s);
      return !/[\x00-\x1f"\x7f-\uffff]/.test(e.replace(/\\x[0-9A-F]{2}/g, ''));
    }),
  );
});

t.test('json line carries the documented fields', async (t) => {
  const o = JSON.parse(formatJson({ ...base, upstreamMs: 12.3456789, kind: 'proxy' }));
  t.same(o, {
    time: '2026-11-22T00:20:19.500Z',
    remote: '10.0.0.7',
    method: 'GET',
    path: '/static/admin/css/base.5af66c1b1797.css?v=1',
    status: 200,
    bytes: 4321,
    encoding: 'br',
    duration: 1.235,
    upstream: 12.346,
    kind: 'proxy',
    referer: 'https://example.com/admin/',
    userAgent: 'Mozilla/5.0 (X11)',
  });
  const aborted = JSON.parse(formatJson({ ...base, aborted: true, referer: undefined }));
  t.equal(aborted.aborted, true);
  t.equal(aborted.upstream, null);
  t.equal(aborted.referer, null);
  t.notOk(formatJson(base).includes('\n'));
});

t.test('formatterFor picks the format, off gives none', async (t) => {
  t.equal(formatterFor('combined'), formatCombined);
  t.equal(formatterFor('json'), formatJson);
  t.equal(formatterFor('off'), undefined);
});

t.test('LogBuffer batches lines into one write per turn, and flushes big batches at once', async (t) => {
  const writes: string[] = [];
  const b = new LogBuffer((c) => writes.push(c));
  b.add('one');
  b.add('two');
  t.same(writes, [], 'nothing written synchronously');
  await new Promise((r) => setImmediate(r));
  t.same(writes, ['one\ntwo\n']);
  const long = 'x'.repeat(40 * 1024);
  b.add(long);
  t.equal(writes.length, 1);
  b.add(long);
  t.same(writes.slice(1), [`${long}\n`, `${long}\n`], 'past 64 KiB it writes at once; a line over the pipe limit goes alone');
  b.add('tail');
  b.flush();
  t.equal(writes[3], 'tail\n');
  b.flush();
  t.equal(writes.length, 4, 'an empty flush writes nothing');
});

t.test('LogBuffer writes whole lines of at most maxWrite bytes', async (t) => {
  const writes: string[] = [];
  const b = new LogBuffer((c) => writes.push(c), 100);
  const lines = Array.from({ length: 57 }, (_, i) => `line ${i} ` + '.'.repeat(i % 23));
  for (const l of lines) b.add(l);
  b.flush();
  t.ok(writes.length > 1);
  for (const w of writes) {
    t.ok(w.length <= 100, `${w.length} bytes`);
    t.ok(w.endsWith('\n'));
  }
  t.equal(writes.join(''), lines.map((l) => l + '\n').join(''), 'nothing lost or reordered');
});

t.test('json lines parse back to the facts for any strings', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string(), fc.option(fc.string(), { nil: undefined }), fc.double({ min: 0, max: 1e6, noNaN: true }), (target, ua, referer, dur) => {
      const o = JSON.parse(formatJson({ ...base, target, userAgent: ua, referer, durationMs: dur }));
      return o.path === target && o.userAgent === ua && o.referer === (referer ?? null) && Math.abs(o.duration - dur) <= 0.0005 + 1e-9 * dur;
    }),
  );
});
