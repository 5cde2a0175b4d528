/** responseHead writes what node:http writes for the same answer (a real ServerResponse, captured). */
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { connectionLines, httpDate, responseHead } from '../../src/http/response-head.js';

/** The head node:http writes for writeHead(status, list) on a keep-alive (or closing) connection. */
async function nodeHead(status: number, list: string[], keepAlive: boolean, keepAliveTimeout: number): Promise<string> {
  const server = http.createServer((req, res) => {
    res.writeHead(status, list);
    res.end();
  });
  server.keepAliveTimeout = keepAliveTimeout;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const got = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`HEAD / HTTP/1.1\r\nHost: a\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n`));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) {
        s.destroy();
        resolve(buf);
      }
    });
  });
  server.close();
  return got;
}

t.test('byte for byte node:http', async (t) => {
  const cases: [number, string[]][] = [
    [200, ['Content-Type', 'text/css; charset=utf-8', 'Content-Length', '12']],
    [301, ['Location', 'docs/', 'Content-Length', '0', 'Cache-Control', 'public, max-age=60']],
    [404, ['Content-Length', '10', 'Content-Type', 'text/plain; charset=utf-8']],
    [416, ['Content-Range', 'bytes */9', 'Content-Length', '22']],
  ];
  for (const [status, list] of cases) {
    for (const [keepAlive, kat] of [
      [true, 5000],
      [true, 0],
      [false, 5000],
    ] as const) {
      const theirs = await nodeHead(status, list, keepAlive, kat);
      const date = /\r\nDate: ([^\r]*)\r\n/.exec(theirs)![1];
      t.equal(responseHead(status, list, '', { keepAlive, keepAliveTimeout: kat, date }), theirs, `${status} keepAlive=${keepAlive} timeout=${kat}`);
    }
  }
});

t.test('precomputed lines go before the blank line', async (t) => {
  const h = responseHead(200, ['Content-Length', '1'], 'ETag: "x"\r\n', { keepAlive: true, keepAliveTimeout: 5000, date: httpDate(0) });
  t.equal(h, 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nETag: "x"\r\n\r\n');
  t.equal(connectionLines(false, 5000), 'Connection: close\r\n');
  t.equal(httpDate(Date.UTC(2026, 11, 2, 17, 5, 9)).length, 29, 'an IMF-fixdate is 29 characters');
});
