import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { codePointCompare, djangoManifestJson, pyJsonString } from '../../src/collect/django-manifest.js';

const PYTHON = '/usr/bin/python3';

t.test('strings are escaped as Python json.dumps does', async (t) => {
  t.equal(pyJsonString('a/b.css'), '"a/b.css"');
  t.equal(pyJsonString('é'), '"\\u00e9"');
  t.equal(pyJsonString('"\\\n'), '"\\"\\\\\\n"');
  t.equal(pyJsonString('\u007f'), '"\\u007f"');
  t.equal(pyJsonString('😀'), '"\\ud83d\\ude00"');
});

t.test('names sort by code point', async (t) => {
  t.ok(codePointCompare('a', 'b') < 0);
  t.ok(codePointCompare('B', 'a') < 0);
  t.ok(codePointCompare('\uffff', '😀') < 0, 'an astral character sorts after the BMP');
  t.equal(codePointCompare('x', 'x'), 0);
  t.ok(codePointCompare('ab', 'a') > 0);
});

t.test('the same bytes as Django 4.2+ save_manifest', { skip: fs.existsSync(PYTHON) ? false : `${PYTHON} is not installed` }, async (t) => {
  const paths = new Map([
    ['z/last.js', 'z/last.0123456789ab.js'],
    ['admin/css/base.css', 'admin/css/base.1f418065fc2c.css'],
    ['café.css', 'café.aaaaaaaaaaaa.css'],
    ['😀.svg', '😀.bbbbbbbbbbbb.svg'],
    ['\uffff.txt', '\uffff.cccccccccccc.txt'],
  ]);
  const ours = djangoManifestJson(paths);
  // Django's own algorithm (storage.ManifestFilesMixin.save_manifest), run by Python
  const script = `
import hashlib, json, sys
paths = json.loads(sys.stdin.read())
s = sorted(paths.items())
h = hashlib.md5(json.dumps(s).encode()).hexdigest()[:12]
sys.stdout.write(json.dumps({"paths": dict(s), "version": "1.1", "hash": h}))
`;
  const theirs = execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(Object.fromEntries(paths)), timeout: 20_000 }).toString();
  t.equal(ours, theirs);
  t.equal(djangoManifestJson(new Map()), execFileSync(PYTHON, ['-c', script], { input: '{}', timeout: 20_000 }).toString(), 'empty');
});
