import t from 'tap';
import { parseUpstream } from '../../src/http/upstream-target.js';

t.test('http origins', async (t) => {
  const a = parseUpstream('http://127.0.0.1:8000');
  t.ok(a.ok);
  if (a.ok) t.match(a.target, { origin: 'http://127.0.0.1:8000', host: '127.0.0.1', port: 8000, socketPath: null, label: 'http://127.0.0.1:8000' });
  const b = parseUpstream('http://app/');
  t.ok(b.ok);
  if (b.ok) t.match(b.target, { host: 'app', port: 80, label: 'http://app' });
  const c = parseUpstream('  http://[::1]:9000  ');
  t.ok(c.ok);
  if (c.ok) t.match(c.target, { host: '::1', port: 9000 });
});

t.test('unix sockets', async (t) => {
  const u = parseUpstream('unix:/run/gunicorn.sock');
  t.ok(u.ok);
  if (u.ok) t.match(u.target, { socketPath: '/run/gunicorn.sock', label: 'unix:/run/gunicorn.sock', origin: 'http://localhost' });
  const r = parseUpstream('unix:run/app.sock');
  t.notOk(r.ok, 'relative socket path refused');
});

t.test('refusals say why', async (t) => {
  const cases: [string, RegExp][] = [
    ['https://app:443', /only http:\/\/ and unix:/],
    ['ftp://x', /only http/],
    ['127.0.0.1:8000', /expected http:\/\/host:port/],
    ['http://app:8000/prefix', /origin only/],
    ['http://app:8000/?a=1', /origin only/],
    ['http://user:pw@app:8000', /credentials/],
    ['', /expected http/],
  ];
  for (const [raw, why] of cases) {
    const r = parseUpstream(raw);
    t.notOk(r.ok, raw);
    if (!r.ok) t.match(r.why, why, raw);
  }
});

t.test('the Host header naming the upstream itself', async (t) => {
  const host = (s: string) => {
    const r = parseUpstream(s);
    return r.ok ? r.target.hostHeader : r.why;
  };
  t.equal(host('http://app:8000'), 'app:8000');
  t.equal(host('http://app'), 'app', 'port 80 is left out');
  t.equal(host('http://[::1]:8000'), '[::1]:8000', 'an IPv6 literal keeps its brackets');
  t.equal(host('unix:/run/app.sock'), 'localhost');
});
