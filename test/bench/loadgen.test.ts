import t from 'tap';
// @ts-ignore plain ESM JavaScript without declarations
import { parseWrk, wrkScript, wrkSize, wrkTime } from '../../bench/loadgen.mjs';

// Real wrk 4.1 output (--latency), against a 404 scenario.
const WRK = `Running 5s test @ http://127.0.0.1:8080/static/admin/css/missing.0123456789ab.css
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   661.01us    1.04ms  32.40ms   93.95%
    Req/Sec    38.11k     3.34k   45.46k    72.00%
  Latency Distribution
     50%  402.00us
     75%  622.00us
     90%    1.07ms
     99%    5.23ms
  379249 requests in 5.00s, 1.62GB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 379249
Requests/sec:  75822.54
Transfer/sec:    331.60MB
`;

t.test('parseWrk reads throughput, latency percentiles, errors and non-2xx/3xx', async (t) => {
  const m = parseWrk(WRK);
  t.equal(m.rps, 75822.54);
  t.equal(m.p50, 0.402);
  t.equal(m.p99, 5.23);
  t.equal(m.bytesPerSec, 331.6 * 1024 * 1024);
  t.equal(m.requests, 379249);
  t.equal(m.errors, 7);
  t.equal(m.unexpected, 379249);
});

t.test('parseWrk: clean runs have no error lines; broken output is an error', async (t) => {
  const clean = WRK.replace(/^\s+Socket errors.*\n/m, '').replace(/^\s+Non-2xx.*\n/m, '');
  const m = parseWrk(clean);
  t.equal(m.errors, 0);
  t.equal(m.unexpected, 0);
  t.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /unexpected output/);
  t.throws(() => parseWrk(WRK.replace(/^\s+99%.*\n/m, '')), /unexpected output/, 'without --latency');
});

t.test('wrk units', async (t) => {
  t.equal(wrkTime('12us'), 0.012);
  t.equal(wrkTime('1.5ms'), 1.5);
  t.equal(wrkTime('2.00s'), 2000);
  t.equal(wrkTime('1.00m'), 60000);
  t.throws(() => wrkTime('fast'));
  t.equal(wrkSize('512B'), 512);
  t.equal(wrkSize('1.50KB'), 1536);
  t.equal(wrkSize('2GB'), 2 * 1024 ** 3);
  t.throws(() => wrkSize('1.0XB'));
});

t.test('wrkScript builds every request in init (when wrk knows the Host) and cycles through them', async (t) => {
  const s = wrkScript([
    { path: '/static/a.css', headers: { 'Accept-Encoding': 'br, gzip' } },
    { path: '/static/b"\\é.js', headers: { 'If-None-Match': '"abc-12"' } },
  ]);
  t.match(s, /local function build\(\)\n  reqs\[#reqs \+ 1\] = wrk\.format\("GET", "\/static\/a\.css", \{ \["Accept-Encoding"\] = "br, gzip" \}\)/);
  t.ok(s.includes('wrk.format("GET", "/static/b\\"\\\\\\195\\169.js", { ["If-None-Match"] = "\\"abc-12\\"" })'), 'quotes, backslashes and UTF-8 bytes escaped');
  t.match(s, /function init\(args\)\n  build\(\)/);
  t.match(s, /function request\(\)/);
  t.equal((s.match(/wrk\.format/g) ?? []).length, 2);
  t.throws(() => wrkScript([]), /no requests/);
});
