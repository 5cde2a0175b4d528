import t from 'tap';
// @ts-ignore plain ESM JavaScript without declarations
import { formatProfile, selfTimes } from '../../bench/profile.mjs';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, scriptId: '0', columnNumber: 0 });
const prof = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('serveFile', 'file:///app/dist/static.js', 9) },
    { id: 4, callFrame: frame('writev', 'node:internal/stream_base_commons', 99) },
  ],
  samples: [3, 3, 4, 2, 3],
  timeDeltas: [0, 1000, 1000, 2000, 5000],
};

t.test('self time per function from sample deltas, idle left out', async (t) => {
  const rows = selfTimes(prof);
  t.same(rows.map((r: { name: string }) => r.name), ['serveFile', 'writev']);
  // sample i lasts until sample i+1: serveFile 1+1+0 ms (last sample has no end), writev 2 ms
  t.equal(rows[0].ms, 1 + 1);
  t.equal(rows[0].where, 'static.js:10');
  t.equal(rows[1].ms, 2);
  t.equal(rows[0].share, 0.5);
  t.match(formatProfile(rows), /^ 50\.0 %  serveFile  \(static\.js:10\)$/m);
});

t.test('without samples: hit counts', async (t) => {
  const p = { nodes: [{ id: 1, callFrame: frame('a'), hitCount: 3 }, { id: 2, callFrame: frame(''), hitCount: 1 }] };
  const rows = selfTimes(p);
  t.same(rows.map((r: { name: string; share: number }) => [r.name, r.share]), [['a', 0.75], ['(anonymous)', 0.25]]);
});
