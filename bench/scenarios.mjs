/**
 * The scenarios as plans: which servers, which requests, what each answer must be. Pure:
 * the files come from corpus.mjs; ETags for revalidations are filled in per server by the
 * runner (a request with `revalidate: true` gets If-None-Match: <that server's ETag>).
 */
import { INERT_EXTENSIONS, MEDIA_CACHE_CONTROL, MEDIA_CSP, PLAYER_CSP, PLAYER_EXTENSIONS } from './nginx-conf.mjs';

/** What Chromium sends on a page load. */
export const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

/** Every third asset of a page load is a revalidation (a reload of a page whose assets are cached). */
export const REVALIDATE_EVERY = 3;

export const SCENARIO_TITLES = {
  'small-br': 'small hashed CSS, Accept-Encoding: br, gzip',
  'large-gzip': 'largest JS, Accept-Encoding: gzip',
  'revalidate-304': 'small CSS revalidated (If-None-Match), 304',
  'not-found-404': 'missing file, 404',
  'page-load': 'every asset of the manifest, browser Accept-Encoding, 1 in 3 revalidated',
  'keepalive-1000': 'small CSS over 1,000 keep-alive connections',
  'large-stream': 'largest file, identity (from memory under memoryThreshold, else streamed from disk)',
  media: 'a user-uploaded file from the media folder',
  proxy: 'GET /app/hello through the proxy to the app, vs the app direct',
  'proxy-keepalive': 'GET /app/page (1 KiB) through the proxy to a keep-alive Node app, vs the app direct',
  'page-load-proxy': 'a page through the proxy (keep-alive Node app) and its assets on the same connections',
  startup: 'index time and RSS of generated trees',
};

/** The page bench/fast-app.mjs answers, in bytes. */
export const FAST_APP_PAGE_BYTES = 1024;

/** How assetd serves this media file: inline (an inert type), inline in the player's policy (audio, video), or an attachment. */
export function mediaHandling(file) {
  const dot = file.lastIndexOf('.');
  const ext = dot > file.lastIndexOf('/') ? file.slice(dot + 1).toLowerCase() : '';
  if (INERT_EXTENSIONS.includes(ext)) return { attachment: false, csp: MEDIA_CSP };
  if (PLAYER_EXTENSIONS.includes(ext)) return { attachment: false, csp: PLAYER_CSP };
  return { attachment: true, csp: MEDIA_CSP };
}

/** Other static servers measured on small-br with --peers, in the order they run. */
export const PEERS = ['whitenoise', 'sirv', 'fastify-static'];

/**
 * @param {ReturnType<import('./corpus.mjs').pickFiles>} files
 * @param {{ prefix: string, connections: number, ceiling?: boolean, peers?: boolean, media?: { prefix: string, file: string, size: number } | null, appPath?: string }} opts
 */
export function buildScenarios(files, opts) {
  const p = (rel) => opts.prefix + rel;
  const br = { 'Accept-Encoding': 'br, gzip' };
  const plans = {};
  const plan = (name, fields) => {
    plans[name] = { name, title: SCENARIO_TITLES[name], servers: ['assetd', 'nginx'], connections: opts.connections, needs: null, ...fields };
  };

  // the Node ceiling (bench/ceiling-server.mjs) answers only these three
  const withCeiling = { servers: opts.ceiling ? ['assetd', 'nginx', 'ceiling'] : ['assetd', 'nginx'] };
  // the peers (--peers) join only small-br, the scenario of the targets against them
  const smallBr = [...withCeiling.servers, ...(opts.peers ? PEERS : [])];
  plan('small-br', { servers: smallBr, requests: [{ path: p(files.small), headers: br, expect: { status: 200, encoding: 'br' } }] });
  if (files.largeJs) {
    plan('large-gzip', { requests: [{ path: p(files.largeJs), headers: { 'Accept-Encoding': 'gzip' }, expect: { status: 200, encoding: 'gzip' } }] });
  }
  plan('revalidate-304', { ...withCeiling, requests: [{ path: p(files.small), headers: br, revalidate: true, expect: { status: 304 } }] });
  plan('not-found-404', { ...withCeiling, requests: [{ path: p(files.missing), headers: br, expect: { status: 404 } }] });
  plan('page-load', {
    requests: files.page.map((rel, i) => {
      const revalidate = i % REVALIDATE_EVERY === REVALIDATE_EVERY - 1;
      return {
        path: p(rel),
        headers: { 'Accept-Encoding': BROWSER_ACCEPT_ENCODING },
        revalidate,
        expect: { status: revalidate ? 304 : 200 },
      };
    }),
  });
  plan('keepalive-1000', { connections: Math.max(1000, opts.connections), requests: [{ path: p(files.small), headers: br, expect: { status: 200, encoding: 'br' } }] });
  plan('large-stream', {
    requests: [{ path: p(files.largest), headers: {}, expect: { status: 200, encoding: 'identity', length: files.sizes[files.largest] } }],
  });
  if (opts.media) {
    // the same headers from both: nosniff, the media Cache-Control, the CSP sandbox, no compression
    const headers = { 'x-content-type-options': 'nosniff', 'cache-control': MEDIA_CACHE_CONTROL, 'content-security-policy': mediaHandling(opts.media.file).csp };
    plan('media', {
      needs: 'media',
      requests: [{ path: opts.media.prefix + opts.media.file, headers: { 'Accept-Encoding': BROWSER_ACCEPT_ENCODING }, expect: { status: 200, encoding: 'identity', length: opts.media.size, headers } }],
    });
  }
  plan('proxy', {
    needs: 'upstream',
    servers: ['assetd', 'nginx', 'app'],
    requests: [{ path: opts.appPath ?? '/app/hello', headers: { 'Accept-Encoding': 'gzip' }, expect: { status: 200 } }],
  });
  plan('proxy-keepalive', {
    needs: 'upstream',
    servers: ['assetd', 'nginx', 'app'],
    requests: [{ path: '/app/page', headers: { 'Accept-Encoding': 'gzip' }, expect: { status: 200, encoding: 'identity', length: FAST_APP_PAGE_BYTES } }],
    // what the app received through each proxy, and how many connections it was opened
    forwarding: '/app/headers',
    appStats: '/app/stats',
  });
  // a browser's connections: the page from the app, then its assets over the same connections
  // (wrk hands each thread's requests out in turn, so every connection mixes both)
  plan('page-load-proxy', {
    needs: 'upstream',
    requests: [{ path: '/app/page', headers: { 'Accept-Encoding': BROWSER_ACCEPT_ENCODING }, expect: { status: 200, encoding: 'identity', length: FAST_APP_PAGE_BYTES } }, ...plans['page-load'].requests],
  });
  return plans;
}

/** Scenarios whose assetd and nginx proxy to an app of their own: they run in a phase of their own. */
export const OWN_UPSTREAM = { 'proxy-keepalive': 'fast-app', 'page-load-proxy': 'fast-app' };

/**
 * The phases of a run: for each process count in turn, the servers started once for the
 * scenarios that share them (the static ones, media, and proxy to gunicorn), then once for
 * each scenario with an app of its own. startup runs apart.
 * @returns {{ processes: number, upstream: 'gunicorn' | 'fast-app' | null, scenarios: string[] }[]}
 */
export function planPhases(scenarios, processCounts) {
  const load = scenarios.filter((s) => s !== 'startup');
  const shared = load.filter((s) => !(s in OWN_UPSTREAM));
  const phases = [];
  for (const processes of processCounts) {
    if (shared.length > 0) phases.push({ processes, upstream: shared.includes('proxy') ? 'gunicorn' : null, scenarios: shared });
    for (const s of load) if (s in OWN_UPSTREAM) phases.push({ processes, upstream: OWN_UPSTREAM[s], scenarios: [s] });
  }
  return phases;
}

/**
 * The order of measurements: per scenario, rounds of every server in turn (A B A B ...), so
 * that drift of a shared machine falls on both sides of the ratio.
 */
export function schedule(servers, rounds) {
  const out = [];
  for (let r = 1; r <= rounds; r++) for (const s of servers) out.push({ server: s, round: r });
  return out;
}
