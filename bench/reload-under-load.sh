#!/bin/sh
# Reload under load: 2 workers serve a copy of the Django admin corpus while wrk runs for
# DURATION s (15); after HUP_AT s (5) a new hashed file and manifest are written and the primary gets SIGHUP.
# Prints requests per second, statuses and errors; the new file must be served afterwards.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS:-$here/../shared/corpus/django-admin}
[ -d "$corpus" ] || { echo "corpus not found at $corpus" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
cp -r "$corpus" "$tmp/static"
node -e '
const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const h of Object.values(m.paths)) console.log("/static/" + h);
' "$tmp/static/staticfiles.json" > "$tmp/paths.txt"
node "$here/bin/assetd.js" serve --root "$tmp/static" --port 0 --workers 2 --access-log off 2> "$tmp/stderr" &
pid=$!
for _ in $(seq 50); do grep -q 'listening on' "$tmp/stderr" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$tmp/stderr" | head -1)
(
  sleep "${HUP_AT:-5}"
  echo 'console.log("reloaded")' > "$tmp/static/admin/js/new.0123456789ab.js"
  node -e '
const fs = require("fs"); const f = process.argv[1];
const m = JSON.parse(fs.readFileSync(f, "utf8"));
m.paths["admin/js/new.js"] = "admin/js/new.0123456789ab.js";
fs.writeFileSync(f + ".tmp", JSON.stringify(m)); fs.renameSync(f + ".tmp", f);
' "$tmp/static/staticfiles.json"
  echo "sighup at $(date +%s)"
  kill -HUP "$pid"
) &
hup=$!
PATHS="$tmp/paths.txt" wrk -t1 -c20 -d"${DURATION:-15}s" -s "$here/bench/reload-under-load.lua" "$url"
wait "$hup"
echo "new file: $(curl -s -o /dev/null -w '%{http_code}' "$url/static/admin/js/new.0123456789ab.js")"
grep -v 'listening on' "$tmp/stderr" || true
