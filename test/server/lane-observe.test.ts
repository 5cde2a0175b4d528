/**
 * The fast lane and node:http count and log alike: the same requests (pipelined, mixed with
 * answers the lane hands over) give the same access-log lines (but time and duration) and
 * the same metrics, each answer exactly once; and a directory redirect carries the mount's
 * Cache-Control on both paths.
 */
import t from 'tap';
import net from 'node:net';
import { startAssetd } from '../helpers/run.js';
import { tempDir, writeTree } from '../helpers/cli.js';

const dir = tempDir(t);
writeTree(dir, { 'app.css': 'body{}\n'.repeat(40), 'docs/index.html': '<p>docs</p>', 'logo.png': Buffer.alloc(300, 1) });

function exchange(port: number, stream: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(stream));
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
  });
}

function get(port: number, p: string): Promise<string> {
  return exchange(port, `GET ${p} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
}

const R = (line: string) => `${line}\r\nHost: a\r\nUser-Agent: probe/1\r\nReferer: http://a/page\r\n`;
const STREAMS = [
  // answered by the lane alone
  R('GET /static/app.css HTTP/1.1') + 'Accept-Encoding: gzip\r\n\r\n' + R('HEAD /static/app.css HTTP/1.1') + '\r\n' + R('GET /static/missing.css HTTP/1.1') + '\r\n' + R('GET /static/docs HTTP/1.1') + '\r\n' + R('GET /static/app.css HTTP/1.1') + 'Range: bytes=0-3\r\nConnection: close\r\n\r\n',
  // the lane answers two, then hands over at the POST; node:http answers the rest
  R('GET /static/logo.png HTTP/1.1') + '\r\n' + R('DELETE /static/logo.png HTTP/1.1') + '\r\n' + R('POST /static/app.css HTTP/1.1') + 'Content-Length: 2\r\n\r\nhi' + R('GET /static/docs/ HTTP/1.1') + '\r\n' + R('GET /elsewhere HTTP/1.1') + 'Connection: close\r\n\r\n',
  // HTTP/1.0 goes to node:http from the start
  R('GET /static/app.css HTTP/1.0') + '\r\n',
];

async function observe(lane: boolean) {
  const s = await startAssetd(['serve', '--root', dir, '--host', '127.0.0.1', '--port', '0', '--index', 'index.html', '--max-age', '7', '--access-log', 'combined', '--fast-lane', String(lane)]);
  t.teardown(() => s.stop());
  for (const stream of STREAMS) await exchange(s.port, stream);
  const redirect = await get(s.port, '/static/docs?x=1');
  const health = JSON.parse((await get(s.port, '/__assetd/health')).split('\r\n\r\n')[1]);
  const metrics = (await get(s.port, '/__assetd/metrics')).split('\r\n\r\n')[1];
  // lines are written in batches, at the latest on the next turn of the loop
  for (let i = 0; i < 100 && s.stdout().split('\n').filter(Boolean).length < 14; i++) await new Promise((r) => setTimeout(r, 20));
  const lines = s.stdout().split('\n').filter(Boolean)// time aside, and the health answer's length (its body says which path, true or false)
    .map((l) => l.replace(/\[[^\]]+\]/, '[-]').replace(/(health HTTP\/1\.1" 200) \d+/, '$1 N'));
  const counted = metrics
    .split('\n')
    .filter((l) => l.startsWith('assetd_requests_total') || l.startsWith('assetd_response_bytes_total') || l.startsWith('assetd_responses_by_encoding'));
  return { lines, counted, redirect, health };
}

const lane = await observe(true);
const node = await observe(false);

t.test('health says which path static answers take', async (t) => {
  t.equal(lane.health.fastLane, true);
  t.equal(node.health.fastLane, false);
});

t.test('the same access log lines', async (t) => {
  t.equal(lane.lines.length, 14, 'each answer logged once (the health and metrics requests are the last two)');
  t.same(lane.lines, node.lines);
  t.match(lane.lines[0], /"GET \/static\/app\.css HTTP\/1\.1" 200 \d+ "http:\/\/a\/page" "probe\/1"/);
});

t.test('the same counters', async (t) => {
  t.ok(lane.counted.length > 0, 'request counters are exported');
  t.same(lane.counted, node.counted);
  const total = lane.counted.filter((l) => l.startsWith('assetd_requests_total')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  t.equal(total, 13, 'thirteen answers before the metrics request, each counted once');
});

t.test('a directory redirect carries the Cache-Control of unhashed names, on both paths', async (t) => {
  for (const r of [lane.redirect, node.redirect]) {
    t.match(r, /^HTTP\/1\.1 301 /);
    t.match(r, /\r\nLocation: docs\/\?x=1\r\n/);
    t.match(r, /\r\nCache-Control: public, max-age=7\r\n/);
  }
});
