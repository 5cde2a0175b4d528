/**
 * Faults after startup: files deleted, truncated, replaced or unreadable; a client that
 * aborts or stops reading; a handler that throws. Each case answers cleanly or closes the
 * connection, logs one line, and the server keeps serving everyone else.
 *
 * FAULTS is a table: a new kind of mount (proxy, media) adds rows with its own `inject`
 * (stop the upstream, make it hang, reset mid-body) and the same expectations.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { rawRequest, requestBytes, statusesIn, type RawResponse } from '../helpers/raw-http.js';
import { startAssetd } from '../helpers/run.js';
import { bigContent, captureLog, makeSite, startSite, type Site, type Started } from '../helpers/site.js';

interface Fault {
  name: string;
  /** Break something after the server started (`server` is there when it runs in this process). */
  inject(site: Site, server: Started | undefined): void;
  /**
   * Run the server as its own process under an unprivileged user (nobody, when the tests run
   * as root, who reads any file): for faults only file permissions can make.
   */
  unprivileged?: true;
  target: string;
  /** Acceptable statuses (0: connection closed without an answer). */
  status: number[];
  /** The one log line this fault must produce, or null when none is expected. */
  log: RegExp | null;
  check?(t: Test, res: RawResponse, site: Site): void;
}


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
    name: 'streamed file rewritten with the same size (new bytes, new modification time)',
    inject: (site) => {
      const f = path.join(site.root, 'big.bin');
      const st = fs.statSync(f);
      fs.writeFileSync(f, Buffer.alloc(st.size, 0x42));
      fs.utimesSync(f, st.atime, new Date(st.mtimeMs + 5000));
    },
    target: '/static/big.bin',
    status: [500],
    log: /big\.bin: rewritten since startup \(same size, new modification time\)/,
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
    unprivileged: true,
    inject: (site) => fs.chmodSync(path.join(site.root, 'big.bin'), 0),
    target: '/static/big.bin',
    status: [500],
    log: /big\.bin: cannot open \(EACCES\)/,
  },
  {
    name: 'routing throws (a corrupt index entry)',
    inject: (_site, server) => {
      const entry = server!.server.getIndex().public.get('/static/dir');
      if (entry?.kind !== 'redirect') throw new Error('fixture: /static/dir should be a redirect');
      entry.location = '\u65e5/'; // a raw non-Latin-1 header value makes writeHead throw
    },
    target: '/static/dir',
    status: [500],
    log: /GET "\/static\/dir": internal error \(.*Location.*\); answered 500/,
  },
];

/** The server a fault row runs against: its port, its log lines so far, itself when in this process. */
interface UnderTest {
  port: number;
  log(): string[];
  server?: Started;
}

const UNPRIVILEGED = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/**
 * The real CLI on the site, as nobody when the tests run as root (as the current user
 * otherwise, who cannot read a mode-000 file either), with the tree made readable to it.
 */
async function startUnprivileged(t: Test, site: Site): Promise<UnderTest> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const open = (p: string) => {
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) return;
      fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
      if (st.isDirectory()) for (const name of fs.readdirSync(p)) open(path.join(p, name));
    };
    open(site.dir);
  }
  const s = await startAssetd(['serve', '--host', '127.0.0.1', '--port', '0', '--root', site.root, '--index', 'index.html', '--memory-threshold', String(64 * 1024)], {
    wrapper: asRoot ? UNPRIVILEGED : [],
  });
  t.teardown(s.stop);
  const uid = fs.readFileSync(`/proc/${s.proc.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
  t.equal(uid, asRoot ? '65534' : String(process.getuid?.()), `the server runs as uid ${uid}`);
  return { port: s.port, log: () => s.stderr().split('\n').filter((l) => l.startsWith('assetd: ') && !l.includes('listening on')) };
}

for (const fault of FAULTS) {
  t.test(`fault: ${fault.name}`, async (t) => {
    const site = makeSite(t, { bigSize: 1024 * 1024 });
    let under: UnderTest;
    if (fault.unprivileged) under = await startUnprivileged(t, site);
    else {
      const log = captureLog(t);
      const server = await startSite(t, site);
      under = { port: server.port, log: () => log, server };
    }
    fault.inject(site, under.server);
    const before = under.log().length;
    const res = await rawRequest(under.port, requestBytes(fault.target), { waitMs: 5000 });
    t.notOk(res.timedOut, 'answered or closed within the wait');
    t.ok(fault.status.includes(res.status), `status ${res.status} is one of ${fault.status.join(', ')}`);
    fault.check?.(t, res, site);
    for (const s of site.secrets) t.notOk(res.raw.toString('latin1').includes(s), 'no secret in the answer');
    // a server in its own process writes its line through a pipe: it may follow the answer
    if (fault.log !== null) await waitFor(() => under.log().length > before);
    const lines = under.log().slice(before);
    if (fault.log === null) t.equal(lines.length, 0, 'nothing logged');
    else {
      t.equal(lines.length, 1, `one log line: ${lines.join(' | ')}`);
      t.match(lines[0] ?? '', fault.log);
    }
    // everyone else is still served, and the same fault again is answered the same way
    const other = await rawRequest(under.port, requestBytes('/static/css/site.css'));
    t.equal(other.status, 200, 'another file is still served');
    const again = await rawRequest(under.port, requestBytes(fault.target), { waitMs: 5000 });
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
  // truncate once the answer has begun (its first bytes wait, unread, in the paused client)
  for (let i = 0; i < 500 && client.readableLength === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(client.readableLength > 0, 'the answer has begun');
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

/**
 * Upstream faults: the same expectations as FAULTS, for the app behind the proxy. The app is
 * a raw TCP server (so it can break HTTP on purpose) that answers GET /ok properly, with
 * keep-alive, and misbehaves on GET /fault the way the row says.
 */
interface UpstreamFault {
  name: string;
  /** What the app does with the socket of a /fault request (its request head was read). */
  misbehave(socket: net.Socket): void;
  /** Flags for the server (timeouts). */
  flags?: Record<string, string>;
  /** Close the app before the request (a refused port), listen again after. */
  closed?: boolean;
  /** Acceptable statuses; a 200 must then arrive cut short on a closed connection, unless `whole` is set. */
  status: number[];
  /** A 200 that must arrive whole, with this body. */
  whole?: string;
  /** The one log line, or null when none is expected. */
  log: RegExp | null;
}

const OK_BODY = 'ok from the app\n';
const OK_RESPONSE = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${OK_BODY.length}\r\n\r\n${OK_BODY}`;

const UPSTREAM_FAULTS: UpstreamFault[] = [
  {
    name: 'refuses (port closed)',
    closed: true,
    misbehave: () => {},
    status: [502],
    log: /GET \/fault: connection refused; answered 502$/,
  },
  {
    name: 'hangs before headers',
    flags: { 'upstream-headers-timeout': '300' },
    misbehave: () => {},
    status: [504],
    log: /GET \/fault: no response headers within 300 ms; answered 504$/,
  },
  {
    name: 'resets before headers',
    misbehave: (s) => s.resetAndDestroy(),
    status: [502],
    log: /GET \/fault: connection closed by the app server; answered 502$/,
  },
  {
    name: 'resets mid-body (Content-Length)',
    misbehave: (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(5000), () => setTimeout(() => s.resetAndDestroy(), 50)),
    status: [200],
    log: /GET \/fault: connection closed by the app server; client connection closed$/,
  },
  {
    name: 'resets mid-body (chunked)',
    misbehave: (s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n' + 'x'.repeat(5000) + '\r\n', () => setTimeout(() => s.resetAndDestroy(), 50)),
    status: [200],
    log: /GET \/fault: connection closed by the app server; client connection closed$/,
  },
  {
    name: 'Content-Length larger than the body, then closes',
    misbehave: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n' + 'y'.repeat(100)),
    status: [200],
    log: /GET \/fault: connection closed by the app server; client connection closed$/,
  },
  {
    name: 'chunked without the last chunk, then closes',
    misbehave: (s) => s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n' + 'y'.repeat(100) + '\r\n'),
    status: [200],
    log: /GET \/fault: connection closed by the app server; client connection closed$/,
  },
  {
    name: 'garbage instead of HTTP',
    misbehave: (s) => s.end('HELLO\r\n\r\n'),
    status: [502],
    log: /GET \/fault: not a valid HTTP response \(Expected HTTP\/, RTSP\/ or ICE\/\); answered 502$/,
  },
  {
    name: 'malformed status line',
    misbehave: (s) => s.end('HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok'),
    status: [502],
    log: /GET \/fault: not a valid HTTP response \(Invalid status code\); answered 502$/,
  },
  {
    name: 'status code out of range',
    misbehave: (s) => s.end('HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nok'),
    status: [502],
    log: /GET \/fault: .*; answered 502$/,
  },
  {
    name: 'control byte in a header value',
    misbehave: (s) => s.end('HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok'),
    status: [502],
    log: /GET \/fault: not a valid HTTP response \(Invalid header value char\); answered 502$/,
  },
  {
    name: 'space in a header name',
    misbehave: (s) => s.end('HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok'),
    status: [502],
    log: /GET \/fault: not a valid HTTP response \(Invalid header token\); answered 502$/,
  },
  {
    name: 'two different Content-Lengths',
    misbehave: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokokok'),
    status: [502],
    log: /GET \/fault: response body length does not match its Content-Length; answered 502$/,
  },
  {
    name: 'Content-Length and Transfer-Encoding together',
    misbehave: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'),
    status: [502],
    log: /GET \/fault: response body length does not match its Content-Length; answered 502$/,
  },
  {
    name: 'oversized header block (64 KiB)',
    misbehave: (s) => s.end('HTTP/1.1 200 OK\r\n' + Array.from({ length: 1024 }, (_, i) => `X-H${i}: ${'v'.repeat(56)}\r\n`).join('') + 'Content-Length: 2\r\n\r\nok'),
    status: [502],
    log: /GET \/fault: response headers too large; answered 502$/,
  },
  {
    name: 'a second, unasked-for response after the first (desync attempt)',
    misbehave: (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nSMUGGLED\n'),
    status: [200],
    whole: 'ok',
    log: null,
  },
  {
    name: '101 Switching Protocols to a plain GET',
    misbehave: (s) => s.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: evil\r\n\r\nraw bytes'),
    status: [502],
    log: /GET \/fault: connection closed by the app server; answered 502$/,
  },
];

/** A raw app: GET /ok answered properly with keep-alive, GET /fault handed to `misbehave`. */
async function rawApp(t: Test, misbehave: (s: net.Socket) => void): Promise<{ server: net.Server; port: number; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const target = head.split(' ')[1] ?? '';
        seen.push(target);
        if (target === '/fault') return misbehave(socket);
        socket.write(OK_RESPONSE);
      }
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  t.teardown(close);
  return { server, port, seen, close };
}

/** Why a response must not count as complete, or undefined when it reads as a whole response. */
function cutShort(res: RawResponse): string | undefined {
  const cl = res.headers['content-length'];
  if (cl !== undefined) return res.body.length < Number(cl) ? `cut short: ${res.body.length} of ${cl} bytes` : undefined;
  if (/chunked/i.test(res.headers['transfer-encoding'] ?? '')) return res.raw.subarray(-5).toString('latin1') === '0\r\n\r\n' ? undefined : 'chunked body without its last chunk';
  return 'no length: the end of the body is the end of the connection';
}

for (const fault of UPSTREAM_FAULTS) {
  t.test(`upstream fault: ${fault.name}`, async (t) => {
    const site = makeSite(t, { bigSize: 64 * 1024 });
    const log = captureLog(t);
    const app = await rawApp(t, fault.misbehave);
    const server = await startSite(t, site, { upstream: `http://127.0.0.1:${app.port}`, ...fault.flags });
    const relisten = async () => {
      if (fault.closed) await new Promise<void>((resolve) => app.server.listen(app.port, '127.0.0.1', () => resolve()));
    };
    const ask = async () => {
      if (fault.closed) await app.close();
      const before = log.length;
      // keep-alive asked for: a short body must show as a closed connection, not as a complete
      // answer; the read ends with a whole response (by its length) or with the connection
      const res = await rawRequest(server.port, requestBytes('/fault', { headers: [['Connection', 'keep-alive']] }), { waitMs: 8000 });
      await relisten();
      if (fault.log !== null) await waitFor(() => log.length > before);
      else await new Promise((r) => setTimeout(r, 100));
      return { res, lines: log.slice(before) };
    };
    const { res, lines } = await ask();
    t.notOk(res.timedOut, 'answered or closed within the wait');
    t.ok(fault.status.includes(res.status), `status ${res.status} is one of ${fault.status.join(', ')}`);
    if (res.status === 200 && fault.whole === undefined) t.ok(cutShort(res), `the client can tell the body is incomplete (${cutShort(res)})`);
    else t.equal(cutShort(res), undefined, 'the answer is whole');
    if (fault.whole !== undefined) t.equal(res.body.toString('latin1'), fault.whole);
    t.comment(`answered ${res.status}${res.status === 200 ? ` (${cutShort(res) ?? 'whole'})` : ''}; logged: ${lines.join(' | ') || 'nothing'}`);
    if (fault.log === null) {
      t.equal(lines.length, 0, `nothing logged: ${lines.join(' | ')}`);
    } else {
      t.equal(lines.length, 1, `one log line: ${lines.join(' | ')}`);
      t.match(lines[0] ?? '', fault.log);
      t.match(lines[0] ?? '', `upstream http://127.0.0.1:${app.port}`, 'the line names the upstream');
    }
    // everyone else is still served: a static file and a healthy proxied path
    const other = await rawRequest(server.port, requestBytes('/static/css/site.css'));
    t.equal(other.status, 200, 'a static file is still served');
    const healthy = await rawRequest(server.port, requestBytes('/ok'));
    t.equal(healthy.status, 200, 'a healthy proxied path is still served');
    t.equal(healthy.body.toString(), OK_BODY, 'with its own body (nothing left over from the fault)');
    const again = await ask();
    t.equal(again.res.status, res.status, 'the same answer the second time');
    t.equal(again.lines.length, fault.log === null ? 0 : 1, 'and as many log lines');
    const healthyAgain = await rawRequest(server.port, requestBytes('/ok'));
    t.equal(healthyAgain.body.toString(), OK_BODY, 'the healthy path again');
  });
}

function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const tick = () => (cond() || Date.now() - t0 > ms ? resolve() : setTimeout(tick, 20));
    tick();
  });
}

t.test('upstream fault: a client that stops reading a large proxied response: backpressure reaches the app, others are served', async (t) => {
  const size = 48 * 1024 * 1024;
  const content = bigContent(size);
  const site = makeSite(t, { bigSize: 64 * 1024 });
  const log = captureLog(t);
  let appRes: http.ServerResponse | undefined;
  let appWritten = 0;
  const app = http.createServer((req, res) => {
    if (req.url !== '/huge') return void res.end(OK_BODY);
    appRes = res;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
    const step = 256 * 1024;
    const pump = () => {
      while (appWritten < size) {
        const chunk = content.subarray(appWritten, appWritten + step);
        appWritten += chunk.length;
        if (appWritten >= size) return void res.end(chunk);
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => {
    app.closeAllConnections();
    app.close();
  });
  const server = await startSite(t, site, { upstream: `http://127.0.0.1:${(app.address() as net.AddressInfo).port}` });
  let serverRes: http.ServerResponse | undefined;
  server.server.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/huge') serverRes = res;
  });
  const client = net.connect(server.port, '127.0.0.1');
  t.teardown(() => client.destroy());
  const chunks: Buffer[] = [];
  client.on('data', (d) => chunks.push(d));
  client.on('error', () => {});
  client.pause();
  client.write(requestBytes('/huge'));
  // wait until the app can write no more (its handed-out byte count stops growing), bounded
  let last = -1;
  let stable = 0;
  for (let i = 0; i < 300 && stable < 10; i++) {
    await new Promise((r) => setTimeout(r, 20));
    stable = appWritten === last && appWritten > 0 ? stable + 1 : 0;
    last = appWritten;
  }
  t.ok(serverRes, 'the request reached the server');
  t.ok(appWritten < size / 2, `the app was held back after ${appWritten} of ${size} bytes`);
  t.notOk(appRes?.writableFinished, 'the app has not finished writing while the client does not read');
  const buffered = serverRes!.writableLength + (serverRes!.socket?.writableLength ?? 0);
  t.ok(buffered <= 1024 * 1024, `at most 1 MiB queued on the client response in the process (${buffered} bytes)`);
  t.comment(`stalled: the app handed ${(appWritten / 1048576).toFixed(1)} MiB to its socket; ${buffered} bytes queued in assetd for the client`);
  // meanwhile everyone else is served: static and proxied
  t.equal((await rawRequest(server.port, requestBytes('/static/css/site.css'))).status, 200, 'a static file is served while one client is stalled');
  const other = await rawRequest(server.port, requestBytes('/ok'));
  t.equal(other.body.toString(), OK_BODY, 'and a proxied path');
  // the slow client resumes and gets every byte, in order
  const done = new Promise<void>((resolve) => client.on('close', () => resolve()));
  client.resume();
  await done;
  const all = Buffer.concat(chunks);
  const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
  t.equal(body.length, size, 'the whole body arrives once the client reads again');
  t.ok(body.equals(content), 'and it is byte-for-byte what the app sent');
  t.equal(log.length, 0, 'nothing logged');
});
