import t from 'tap';
// @ts-ignore plain ESM JavaScript without declarations
import { checkAnswer, forwardingProblems } from '../../bench/probe.mjs';

const res = (status: number, headers: Record<string, string>, length: number) => ({ status, headers, length });

t.test('checkAnswer: status first, then encoding, length and the expected headers', async (t) => {
  const ok = res(200, { 'content-encoding': 'br', 'x-content-type-options': 'nosniff' }, 100);
  t.equal(checkAnswer(ok, { status: 200, encoding: 'br', length: 100, headers: { 'x-content-type-options': 'nosniff' } }), null);
  t.equal(checkAnswer(ok, { status: 304 }), 'status 200, expected 304');
  t.equal(checkAnswer(ok, { status: 200, encoding: 'gzip' }), 'Content-Encoding br, expected gzip');
  t.equal(checkAnswer(res(200, {}, 5), { status: 200, encoding: 'identity' }), null, 'no Content-Encoding is identity');
  t.equal(checkAnswer(ok, { status: 200, length: 99 }), '100 bytes, expected 99');
  t.equal(checkAnswer(ok, { status: 200, headers: { 'content-security-policy': 'sandbox' } }), 'content-security-policy: (none), expected "sandbox"');
  t.equal(checkAnswer(res(200, { 'cache-control': 'public, max-age=60' }, 1), { status: 200, headers: { 'cache-control': 'public, max-age=0, must-revalidate' } }), 'cache-control: "public, max-age=60", expected "public, max-age=0, must-revalidate"');
  t.equal(checkAnswer(res(404, {}, 1), { status: 200, length: 5 }), 'status 404, expected 200', 'one problem at a time');
});

t.test('forwardingProblems: the Host as sent, X-Forwarded-For/Proto/Host, keep-alive to the app', async (t) => {
  const sent = { host: '127.0.0.1:8080', clientIp: '127.0.0.1', proto: 'http' };
  const good = { host: '127.0.0.1:8080', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': '127.0.0.1:8080' };
  t.same(forwardingProblems(good, sent), []);
  t.same(forwardingProblems({ ...good, connection: 'keep-alive' }, sent), []);
  t.same(forwardingProblems({ ...good, host: '127.0.0.1' }, sent), ['the app got host: "127.0.0.1", expected "127.0.0.1:8080"'], "nginx's $host drops the port");
  const { 'x-forwarded-host': _, ...noHost } = good;
  t.same(forwardingProblems(noHost, sent), ['the app got x-forwarded-host: (none), expected "127.0.0.1:8080"']);
  t.same(forwardingProblems({ ...good, connection: 'close' }, sent), ['the app got connection: "close" (no keep-alive to the app)']);
  t.equal(forwardingProblems({}, sent).length, 4);
});
