/**
 * Every ```sh and ```python block of the README either runs here, as written, or is listed in
 * TABLE with the reason it cannot: a block nobody classified fails the first test.
 *
 * A block runs with the substitutions of SUBSTITUTIONS (test/helpers/readme-blocks.ts) and
 * nothing else: the checkout's CLI for `assetd`/`npx assetd`, free ports, a temp dir as the
 * cwd holding the fixtures the block names (staticfiles/, dist/, media/...), a temp folder for
 * /run/secrets, Debian's python3 for `python`, and the pid of a server the test started.
 * Servers run with ASSETD_PORT=0 in their environment (a free port). Servers a block starts
 * run in the background, are checked (start line, requests), then killed with their process
 * group; every run is bounded in time. What a runner leaves out of a block, or adds around it
 * (the fixtures, a server to signal), is in its note below or its comments. Nothing here
 * needs ../shared.
 */
import t, { type Test } from 'tap';
import { djangoSkipReason } from '../helpers/gunicorn.js';
import { readmeBlocks, type Block } from '../helpers/readme-blocks.js';
import { privateMedia, pythonSkip, reload } from '../helpers/readme-deploy.js';
import { collectAndCompress, media, proxy, quickStart, usage } from '../helpers/readme-serve.js';

const BENCH = 'minutes of load on the shared cores, measuring rather than checking; its options, scenarios, servers and report are covered by test/bench/*.test.ts';

type Runner = (t: Test, blocks: Block[]) => Promise<void>;
const RUNNERS: Record<string, { run: Runner; skip?: string }> = {
  'quick start': { run: quickStart },
  usage: { run: usage },
  proxy: { run: proxy, skip: djangoSkipReason() },
  'collect and compress': { run: collectAndCompress },
  media: { run: media },
  'private media': { run: privateMedia },
  // (private media skips only its Python part without them)
  reload: { run: reload, skip: pythonSkip },
};

/** Each block, by its first line (a trailing comment dropped): which runner runs it, or why it does not run. */
const TABLE: Record<string, { run: keyof typeof RUNNERS; note?: string } | { notRun: string }> = {
  'npm ci && npm start': {
    run: 'quick start',
    note: '`npm start` as written, in a copy of the checkout; `npm ci` is not run again (this suite runs after it, and a second one would delete node_modules under the tests running beside this one); `npm ci && npm test` is CI itself',
  },
  "curl -sI -H 'Accept-Encoding: br' http://127.0.0.1:8080/static/css/site.46cdefb1aa0f.css": { run: 'quick start', note: 'against `npm start`; its output compared with the one the README shows' },
  'npx assetd serve --root staticfiles': { run: 'usage', note: 'each line a server of its own' },
  'gunicorn -w 2 -b 127.0.0.1:8000 mysite.wsgi &': { run: 'proxy', note: 'the first two lines together; the socket line against a gunicorn the test starts on a socket' },
  'from django.http import HttpResponse, HttpResponseForbidden': { notRun: 'run by test/e2e/accel-readme.test.ts: the view under gunicorn, behind assetd with the config block beside it' },
  'npx assetd collect app/static vendor/static --out build/static': { run: 'collect and compress' },
  'npx assetd serve --root staticfiles --media-root media --media-prefix /media/': { run: 'media' },
  'mkdir -p /run/secrets': { run: 'private media' },
  '# signing.py': { run: 'private media', note: 'also run by test/media/sign.test.ts over awkward file names' },
  '# views.py: check permissions in Django, then send the browser straight to assetd': { run: 'private media' },
  'python manage.py collectstatic --noinput': {
    run: 'reload',
    note: 'against a server the test started on a collected tree, in one process and with two workers; then the kill line alone on a broken manifest, and the systemd ExecReload line with $MAINPID',
  },
  'docker build -t assetd .': {
    notRun: 'not as written (the docker client has no daemon here): test/e2e/container.test.ts builds the same Dockerfile with podman, on a local stand-in for node:20-bookworm-slim, and runs the image as these lines do (a tree mounted read-only, --cpus, flags after the image name); test/recipes.test.ts checks their variables and flags against the schema',
  },
  'npm run bench': { notRun: BENCH },
  'npm ci': { notRun: 'the contributor loop: npm ci and npm test are what CI runs around this suite, npm run build ran before it, the bench lines are minutes of load (test/bench/*.test.ts cover them), and one tap file is what this suite is made of' },
  'npm run bench -- --scenario small-br --peers --rounds 3': { notRun: BENCH },
  'npm run bench -- --scenario small-br,page-load --assetd-variants default,node \\': { notRun: BENCH },
};

const blocks = readmeBlocks();

t.test('every sh and python block of the README is run here or listed with its reason', async (t) => {
  t.ok(blocks.length >= 10, `${blocks.length} blocks found`);
  for (const b of blocks) t.ok(TABLE[b.key], `classified: ${b.lang} block "${b.key}"`);
  const keys = new Set(blocks.map((b) => b.key));
  for (const key of Object.keys(TABLE)) t.ok(keys.has(key), `the table's "${key}" is still in the README`);
  for (const [key, e] of Object.entries(TABLE)) if ('run' in e) t.ok(RUNNERS[e.run], `"${key}" has a runner`);
});

for (const [name, { run, skip }] of Object.entries(RUNNERS)) {
  const mine = blocks.filter((b) => {
    const e = TABLE[b.key];
    return e !== undefined && 'run' in e && e.run === name;
  });
  t.test(`README: ${name}`, { skip }, async (t) => {
    t.ok(mine.length > 0, `the README has the ${name} blocks`);
    if (mine.length > 0) await run(t, mine);
  });
}
