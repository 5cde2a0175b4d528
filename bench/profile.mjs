/**
 * Where the time goes: self time per function of a V8 .cpuprofile (node --cpu-prof). Pure.
 */
import path from 'node:path';

/**
 * @param {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number }[], samples?: number[], timeDeltas?: number[] }} prof
 * @returns {{ name: string, where: string, ms: number, share: number }[]} heaviest first (idle excluded)
 */
export function selfTimes(prof) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  if (prof.samples && prof.timeDeltas && prof.samples.length === prof.timeDeltas.length) {
    for (let i = 0; i < prof.samples.length; i++) {
      // the delta before sample i+1 is the time spent in sample i
      const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000;
      self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
    }
  } else {
    for (const n of prof.nodes) self.set(n.id, n.hitCount ?? 0);
  }
  const agg = new Map();
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    if (cf.functionName === '(idle)') continue;
    const file = cf.url ? path.basename(cf.url.replace(/^file:\/\//, '')) : '';
    const where = file ? `${file}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`;
    const cur = agg.get(key) ?? { name: cf.functionName || '(anonymous)', where, ms: 0 };
    cur.ms += ms;
    agg.set(key, cur);
  }
  const total = [...agg.values()].reduce((a, x) => a + x.ms, 0) || 1;
  return [...agg.values()].map((x) => ({ ...x, share: x.ms / total })).sort((a, b) => b.ms - a.ms);
}

export function formatProfile(rows, top = 15) {
  return rows
    .slice(0, top)
    .map((r) => `${(r.share * 100).toFixed(1).padStart(5)} %  ${r.name}${r.where ? `  (${r.where})` : ''}`)
    .join('\n');
}
