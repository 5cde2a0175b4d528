/**
 * Runs one autocannon measurement in its own process (so the bench's own event loop is not
 * part of it) and prints a Measurement as JSON. Argument: the job as JSON (see loadgen.mjs).
 */
import autocannon from 'autocannon';

const job = JSON.parse(process.argv[2]);
const common = { connections: job.connections, duration: job.duration, pipelining: 1, timeout: 10 };
// One URL: plain url + headers (autocannon's fast path; a `requests` list costs it ~3x more CPU).
const result =
  job.requests.length === 1
    ? await autocannon({ ...common, url: job.base + job.requests[0].path, headers: job.requests[0].headers })
    : await autocannon({ ...common, url: job.base, requests: job.requests.map((r) => ({ method: 'GET', path: r.path, headers: r.headers })) });
const n = (k) => Number(result[k] ?? 0);
process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytesPerSec: result.throughput.average,
    requests: result.requests.total,
    errors: n('errors'), // autocannon counts timeouts among errors
    unexpected: n('1xx') + n('4xx') + n('5xx'),
  }) + '\n',
);
