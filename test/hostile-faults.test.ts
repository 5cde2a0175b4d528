/**
 * Faults after startup: files deleted, truncated, replaced or unreadable; a client that
 * aborts or stops reading; a handler that throws. Each case answers cleanly or closes the
 * connection, logs one line, and the server keeps serving everyone else.
 *
 * FAULTS is a table: a new kind of mount (proxy, media) adds rows with its own `inject`
 * (stop the upstream, make it hang, reset mid-body) and the same expectations.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { rawRequest, requestBytes, type RawResponse } from './helpers/raw-http.js';
import { bigContent, captureLog, makeSite, startSite, type Site, type Started } from './helpers/site.js';

interface Fault {
  name: string;
  /** Break something after the server started. Return a reason to skip the row. */
  inject(site: Site, server: Started): void | string;
  target: string;
  /** Acceptable statuses (0: connection closed without an answer). */
  status: number[];
  /** The one log line this fault must produce, or null when none is expected. */
  log: RegExp | null;
  check?(t: Test, res: RawResponse, site: Site): void;
}


const isRoot = process.getuid?.() === 0;

const FAULTS: Fault[] = [
  {
    name: 'streamed file deleted',
    inject: (site) => fs.rmSync(path.join(site.root, 'big.bin')),
    target: '/static/big.bin',
    status: [404],
    log: /big\.bin: removed since startup/,
  },
  {
    name: 'in-memory file deleted (the startup copy is served)',
    inject: (site) => fs.rmSync(path.join(site.root, 'app.css')),
    target: '/static/app.css',
    status: [200],
    log: null,
    check: (t, res) => t.equal(res.body.toString(), 'body { color: black }\n'),
  },
  {
    name: 'streamed file truncated',
    inject: (site) => fs.truncateSync(path.join(site.root, 'big.bin'), 1000),
    target: '/static/big.bin',
    status: [500],
    log: /big\.bin: size changed since startup/,
  },
  {
    name: 'streamed file grown',
    inject: (site) => fs.appendFileSync(path.join(site.root, 'big.bin'), 'more'),
    target: '/static/big.bin',
    status: [500],
    log: /big\.bin: size changed since startup/,
  },
  {
    name: 'streamed file replaced by a directory',
    inject: (site) => {
      fs.rmSync(path.join(site.root, 'big.bin'));
      fs.mkdirSync(path.join(site.root, 'big.bin'));
    },
    target: '/static/big.bin',
    status: [500],
    log: /big\.bin: /,
  },
  {
    name: 'streamed file replaced by a FIFO (opening would block)',
    inject: (site) => {
      fs.rmSync(path.join(site.root, 'big.bin'));
      execFileSync('mkfifo', [path.join(site.root, 'big.bin')]);
    },
    target: '/static/big.bin',
    status: [500],
    log: /big\.bin: not a regular file any more/,
  },
  {
    name: 'streamed file made unreadable',
    inject: (site) => {
      if (isRoot) return 'running as root, which reads any file: permission faults cannot be injected';
      fs.chmodSync(path.join(site.root, 'big.bin'), 0);
    },
    target: '/static/big.bin',
    status: [500],
    log: /big\.bin: cannot open \(EACCES\)/,
  },
  {
    name: 'routing throws (a corrupt index entry)',
    inject: (_site, server) => {
      const entry = server.server.getIndex().public.get('/static/dir');
      if (entry?.kind !== 'redirect') throw new Error('fixture: /static/dir should be a redirect');
      entry.location = '\u65e5/'; // a raw non-Latin-1 header value makes writeHead throw
    },
    target: '/static/dir',
    status: [500],
    log: /GET "\/static\/dir": internal error \(.*Location.*\); answered 500/,
  },
];

for (const fault of FAULTS) {
  t.test(`fault: ${fault.name}`, async (t) => {
    const site = makeSite(t, { bigSize: 1024 * 1024 });
    const log = captureLog(t);
    const server = await startSite(t, site);
    const skip = fault.inject(site, server);
    if (typeof skip === 'string') {
      t.skip(skip);
      return;
    }
    const before = log.length;
    const res = await rawRequest(server.port, requestBytes(fault.target), { waitMs: 5000 });
    t.notOk(res.timedOut, 'answered or closed within the wait');
    t.ok(fault.status.includes(res.status), `status ${res.status} is one of ${fault.status.join(', ')}`);
    fault.check?.(t, res, site);
    for (const s of site.secrets) t.notOk(res.raw.toString('latin1').includes(s), 'no secret in the answer');
    const lines = log.slice(before);
    if (fault.log === null) t.equal(lines.length, 0, 'nothing logged');
    else {
      t.equal(lines.length, 1, `one log line: ${lines.join(' | ')}`);
      t.match(lines[0] ?? '', fault.log);
    }
    // everyone else is still served, and the same fault again is answered the same way
    const other = await rawRequest(server.port, requestBytes('/static/css/site.css'));
    t.equal(other.status, 200, 'another file is still served');
    const again = await rawRequest(server.port, requestBytes(fault.target), { waitMs: 5000 });
    t.equal(again.status, res.status, 'the same answer the second time');
  });
}

/** Open descriptors of this process (the server runs in it). */
function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

t.test('fault: clients abort mid-download: no descriptor leaks, no log noise', async (t) => {
  const site = makeSite(t);
  const log = captureLog(t);
  const server = await startSite(t, site);
  // warm up once so lazily opened handles are not counted as leaks
  await rawRequest(server.port, requestBytes('/static/big.bin'));
  const fdsBefore = openFds();
  for (let i = 0; i < 40; i++) {
    await new Promise<void>((resolve) => {
      const s = net.connect(server.port, '127.0.0.1');
      let got = 0;
      s.on('data', (d) => {
        got += d.length;
        if (got > 64 * 1024) s.destroy();
      });
      s.on('close', () => resolve());
      s.on('error', () => {});
      s.write(requestBytes('/static/big.bin', { headers: i % 4 === 3 ? [['Range', 'bytes=1000-']] : [] }));
    });
  }
  // descriptors are closed asynchronously: wait (bounded) for them to settle
  let fdsAfter = openFds();
  for (let i = 0; i < 50 && fdsAfter > fdsBefore; i++) {
    await new Promise((r) => setTimeout(r, 20));
    fdsAfter = openFds();
  }
  t.ok(fdsAfter <= fdsBefore, `descriptors: ${fdsBefore} before, ${fdsAfter} after 40 aborted downloads`);
  t.equal(log.filter((l) => !l.includes('serving')).length, 0, 'a client going away is not an error');
  const ok = await rawRequest(server.port, requestBytes('/static/big.bin'));
  t.equal(ok.status, 200);
  t.ok(ok.body.equals(bigContent(site.bigSize)), 'full body intact afterwards');
});

t.test('fault: a client that stops reading a large response: the server holds back, nothing is buffered', async (t) => {
  const size = 48 * 1024 * 1024; // larger than the socket buffers of both ends
  const site = makeSite(t, { bigSize: size });
  const server = await startSite(t, site);
  let serverRes: import('node:http').ServerResponse | undefined;
  server.server.server.on('request', (req, res) => {
    if (req.url === '/static/big.bin') serverRes = res;
  });
  const client = net.connect(server.port, '127.0.0.1');
  t.teardown(() => client.destroy());
  const chunks: Buffer[] = [];
  client.on('data', (d) => chunks.push(d));
  client.pause();
  client.write(requestBytes('/static/big.bin'));
  // wait until the server's writes stall (bytesWritten stops growing), bounded
  let last = -1;
  let stable = 0;
  for (let i = 0; i < 200 && stable < 5; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const written = serverRes?.socket?.bytesWritten ?? 0;
    stable = written === last && written > 0 ? stable + 1 : 0;
    last = written;
  }
  t.ok(serverRes, 'the request reached the server');
  t.ok(last < size, `the server stopped after ${last} of ${size} bytes`);
  t.notOk(serverRes!.writableFinished, 'the response is not finished while the client does not read');
  const buffered = serverRes!.writableLength + (serverRes!.socket?.writableLength ?? 0);
  t.ok(buffered <= 1024 * 1024, `at most 1 MiB buffered in the process (${buffered} bytes)`);
  // meanwhile everyone else is served
  const other = await rawRequest(server.port, requestBytes('/static/app.css'));
  t.equal(other.status, 200, 'another client is served while one is stalled');
  // the slow client resumes and gets every byte, in order
  const done = new Promise<void>((resolve) => client.on('close', () => resolve()));
  client.resume();
  await done;
  const all = Buffer.concat(chunks);
  const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
  t.equal(body.length, size, 'the whole body arrives once the client reads again');
  t.ok(body.equals(bigContent(size)), 'and it is byte-for-byte the file');
});

t.test('fault: a streamed file truncated mid-response: the connection is closed, one line logged', async (t) => {
  const site = makeSite(t, { bigSize: 32 * 1024 * 1024 });
  const log = captureLog(t);
  const server = await startSite(t, site);
  const client = net.connect(server.port, '127.0.0.1');
  t.teardown(() => client.destroy());
  let received = 0;
  let head = '';
  client.on('data', (d: Buffer) => {
    if (head === '') head = d.toString('latin1').split('\r\n\r\n')[0];
    received += d.length;
  });
  client.on('error', () => {});
  client.pause();
  // keep-alive: a short body on a connection left open would be read as the start of the next response
  client.write(requestBytes('/static/big.bin', { headers: [['Connection', 'keep-alive']] }));
  await new Promise((r) => setTimeout(r, 200));
  fs.truncateSync(path.join(site.root, 'big.bin'), 1024 * 1024);
  const closed = new Promise<boolean>((resolve) => {
    client.on('close', () => resolve(true));
    setTimeout(() => resolve(false), 3000);
  });
  client.resume();
  t.ok(await closed, 'the server closed the connection instead of leaving a short body on it');
  t.match(head, /^HTTP\/1\.1 200/);
  t.ok(received < site.bigSize, `fewer bytes than promised (${received})`);
  const lines = log.filter((l) => !l.includes('serving'));
  t.equal(lines.length, 1, `one log line: ${lines.join(' | ')}`);
  t.match(lines[0] ?? '', /big\.bin: truncated while being sent \(\d+ of 33554432 bytes\); connection closed/);
  const other = await rawRequest(server.port, requestBytes('/static/app.css'));
  t.equal(other.status, 200, 'still serving');
});
