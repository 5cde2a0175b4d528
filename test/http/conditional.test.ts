import t from 'tap';
import fc from 'fast-check';
import { evaluate, evaluateRequest, httpDateSeconds, ifRangeHolds, matchesStrong, matchesWeak, parseEtagList } from '../../src/http/conditional.js';

const ETAG = '"abc-123"';
const LM = 1_700_000_000; // seconds
const at = (s: number) => new Date(s * 1000).toUTCString();

t.test('entity-tag lists', async (t) => {
  t.same(parseEtagList('"a", W/"b",  "c"'), ['"a"', 'W/"b"', '"c"']);
  t.same(parseEtagList('"a,b", "c"'), ['"a,b"', '"c"'], 'commas inside quotes are part of the tag');
  t.same(parseEtagList('*'), ['*']);
  t.same(parseEtagList('"a", garbage, "b"'), ['"a"', '"b"']);
  t.same(parseEtagList('"unterminated'), []);
  t.same(parseEtagList(''), []);
});

t.test('weak and strong comparison', async (t) => {
  t.ok(matchesWeak(ETAG, ETAG));
  t.ok(matchesWeak(`W/${ETAG}`, ETAG), 'weak comparison ignores W/');
  t.ok(matchesWeak(`"x", ${ETAG}`, ETAG));
  t.ok(matchesWeak('*', ETAG));
  t.notOk(matchesWeak('"x"', ETAG));
  t.ok(matchesStrong(ETAG, ETAG));
  t.notOk(matchesStrong(`W/${ETAG}`, ETAG), 'strong comparison refuses weak tags');
  t.ok(matchesStrong('*', ETAG));
  t.notOk(matchesStrong('"x", "y"', ETAG));
});

t.test('no preconditions: 200', async (t) => {
  t.equal(evaluate({}, ETAG, LM), 200);
});

t.test('If-None-Match', async (t) => {
  t.equal(evaluate({ ifNoneMatch: ETAG }, ETAG, LM), 304);
  t.equal(evaluate({ ifNoneMatch: `"zzz", W/${ETAG}` }, ETAG, LM), 304);
  t.equal(evaluate({ ifNoneMatch: '*' }, ETAG, LM), 304);
  t.equal(evaluate({ ifNoneMatch: '"other"' }, ETAG, LM), 200);
  t.equal(evaluate({ ifNoneMatch: ETAG }, ETAG, LM, false), 412, 'unsafe method: 412');
  const many = Array.from({ length: 3000 }, (_, i) => `"t${i}"`).join(', ');
  t.equal(evaluate({ ifNoneMatch: many }, ETAG, LM), 200, 'thousands of tags');
  t.equal(evaluate({ ifNoneMatch: many + ', ' + ETAG }, ETAG, LM), 304);
});

t.test('If-None-Match wins over If-Modified-Since', async (t) => {
  t.equal(evaluate({ ifNoneMatch: '"other"', ifModifiedSince: at(LM + 100) }, ETAG, LM), 200);
  t.equal(evaluate({ ifNoneMatch: ETAG, ifModifiedSince: at(LM - 100) }, ETAG, LM), 304);
});

t.test('If-Modified-Since', async (t) => {
  t.equal(evaluate({ ifModifiedSince: at(LM) }, ETAG, LM), 304, 'equal: not modified');
  t.equal(evaluate({ ifModifiedSince: at(LM + 1) }, ETAG, LM), 304);
  t.equal(evaluate({ ifModifiedSince: at(LM - 1) }, ETAG, LM), 200);
  t.equal(evaluate({ ifModifiedSince: 'not a date' }, ETAG, LM), 200, 'invalid date ignored');
  t.equal(evaluate({ ifModifiedSince: at(LM) }, ETAG, LM, false), 200, 'only for GET/HEAD');
});

t.test('If-Match and If-Unmodified-Since come first', async (t) => {
  t.equal(evaluate({ ifMatch: ETAG }, ETAG, LM), 200);
  t.equal(evaluate({ ifMatch: '"other"' }, ETAG, LM), 412);
  t.equal(evaluate({ ifMatch: `W/${ETAG}` }, ETAG, LM), 412, 'weak tags never match If-Match');
  t.equal(evaluate({ ifMatch: '*' }, ETAG, LM), 200);
  t.equal(evaluate({ ifMatch: '"other"', ifNoneMatch: ETAG }, ETAG, LM), 412, '412 before 304');
  t.equal(evaluate({ ifUnmodifiedSince: at(LM - 1) }, ETAG, LM), 412);
  t.equal(evaluate({ ifUnmodifiedSince: at(LM) }, ETAG, LM), 200);
  t.equal(evaluate({ ifUnmodifiedSince: 'garbage' }, ETAG, LM), 200);
  t.equal(evaluate({ ifMatch: ETAG, ifUnmodifiedSince: at(LM - 1) }, ETAG, LM), 200, 'If-Unmodified-Since ignored when If-Match is present');
});

t.test('dates', async (t) => {
  t.equal(httpDateSeconds('Sun, 06 Nov 1994 08:49:37 GMT'), 784111777);
  t.ok(Number.isNaN(httpDateSeconds('yesterday')));
});

t.test('If-Range', async (t) => {
  const lm = at(LM);
  t.ok(ifRangeHolds(undefined, ETAG, lm));
  t.ok(ifRangeHolds(ETAG, ETAG, lm));
  t.notOk(ifRangeHolds('"other"', ETAG, lm));
  t.notOk(ifRangeHolds(`W/${ETAG}`, ETAG, lm), 'weak validators never satisfy If-Range');
  t.ok(ifRangeHolds(lm, ETAG, lm));
  t.notOk(ifRangeHolds(at(LM - 10), ETAG, lm));
});

t.test('evaluateRequest reads the headers as node parsed them', async (t) => {
  t.equal(evaluateRequest({}, ETAG, LM), 200);
  t.equal(evaluateRequest({ 'if-none-match': ETAG }, ETAG, LM), 304);
  t.equal(evaluateRequest({ 'if-match': '"x"' }, ETAG, LM), 412);
  t.equal(evaluateRequest({ 'if-modified-since': at(LM) }, ETAG, LM), 304);
  t.equal(evaluateRequest({ 'if-unmodified-since': at(LM - 1) }, ETAG, LM), 412);
});

t.test('HTTP-dates: the three forms of RFC 9110 §5.6.7 and nothing else', async (t) => {
  const sunday = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT
  t.equal(httpDateSeconds('Sunday, 06-Nov-94 08:49:37 GMT'), sunday, 'RFC 850 form');
  t.equal(httpDateSeconds('Sun Nov  6 08:49:37 1994'), sunday, 'asctime form');
  t.equal(httpDateSeconds('Sun Nov 16 08:49:37 1994'), sunday + 10 * 86400, 'asctime with a two-digit day');
  t.equal(httpDateSeconds('Thu, 01 Jan 1970 00:00:00 GMT'), 0);
  t.equal(new Date(httpDateSeconds('Sat, 01 Jan 0050 00:00:00 GMT') * 1000).getUTCFullYear(), 50, 'years below 100 are not read as 19xx');
  t.equal(httpDateSeconds('Wed, 31 Dec 2025 23:59:60 GMT'), Date.UTC(2026, 0, 1) / 1000, 'a leap second');
  const year = new Date().getUTCFullYear();
  const future = (year + 49) % 100;
  const past = (year + 51) % 100;
  const two = (n: number) => String(n).padStart(2, '0');
  t.equal(new Date(httpDateSeconds(`Monday, 01-Jan-${two(future)} 00:00:00 GMT`) * 1000).getUTCFullYear(), year + 49, 'RFC 850: up to 50 years ahead stays ahead');
  t.equal(new Date(httpDateSeconds(`Monday, 01-Jan-${two(past)} 00:00:00 GMT`) * 1000).getUTCFullYear(), year + 51 - 100, 'RFC 850: further ahead is the past century');
  for (const bad of [
    'Sat, 13 Sep 275760 00:00:00 GMT', // six-digit year
    'Sun, 06 Nov 1994 08:49:37 UTC',
    'Sun, 06 Nov 1994 08:49:37',
    'Sun, 6 Nov 1994 08:49:37 GMT',
    'sun, 06 Nov 1994 08:49:37 GMT',
    'Sun, 06 nov 1994 08:49:37 GMT',
    ' Sun, 06 Nov 1994 08:49:37 GMT',
    'Sun, 31 Feb 1994 08:49:37 GMT',
    'Sun, 00 Nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:00:00 GMT',
    'Sun, 06 Nov 1994 08:60:00 GMT',
    'Sun, 06 Nov 1994 08:49:61 GMT',
    'Sun, 06-Nov-94 08:49:37 GMT',
    'Sunday, 06-Nov-1994 08:49:37 GMT',
    'Sun Nov 6 08:49:37 1994',
    '1994-11-06T08:49:37Z',
    '784111777',
    'Sun Nov 06 1994 08:49:37 GMT+0000',
    '',
  ]) {
    t.ok(Number.isNaN(httpDateSeconds(bad)), `not an HTTP-date: ${JSON.stringify(bad)}`);
  }
  t.equal(evaluate({ ifModifiedSince: 'Sat, 13 Sep 275760 00:00:00 GMT' }, ETAG, LM), 200, 'If-Modified-Since that is not an HTTP-date is ignored (§13.1.3)');
  t.equal(evaluate({ ifUnmodifiedSince: 'Thu, 01 Jan 1970 00:00:00' }, ETAG, LM), 200, 'so is such an If-Unmodified-Since (§13.1.4)');
});

t.test('HTTP-dates: every IMF-fixdate Date writes reads back to its second', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }), (sec) => httpDateSeconds(new Date(sec * 1000).toUTCString()) === sec),
      { numRuns: 2000 },
    ),
  );
});
