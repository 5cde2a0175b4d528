-- wrk script: requests spread over a list of paths, counted per wall-clock second and
-- by status, so a reload (SIGHUP) in the middle of the run shows up second by second.
--   PATHS=file-with-one-path-per-line wrk -t1 -c20 -d15s -s bench/reload-under-load.lua URL
local paths = {}
local reqs = {}
local i = 0

function init(args)
  local f = io.open(os.getenv("PATHS") or "paths.txt")
  for line in f:lines() do paths[#paths + 1] = line end
  f:close()
  for k, p in ipairs(paths) do
    reqs[k] = wrk.format("GET", p, { ["Accept-Encoding"] = "br, gzip" })
  end
  per_second = {}
  statuses = {}
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function response(status, headers, body)
  local s = os.time()
  per_second[s] = (per_second[s] or 0) + 1
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

function done(summary, latency, requests)
  local seconds, byStatus = {}, {}
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("per_second")) do seconds[s] = (seconds[s] or 0) + n end
    for s, n in pairs(t:get("statuses")) do byStatus[s] = (byStatus[s] or 0) + n end
  end
  local keys = {}
  for s in pairs(seconds) do keys[#keys + 1] = s end
  table.sort(keys)
  for _, s in ipairs(keys) do io.write(string.format("second %d %d\n", s, seconds[s])) end
  for s, n in pairs(byStatus) do io.write(string.format("status %d %d\n", s, n)) end
  local e = summary.errors
  io.write(string.format("errors connect=%d read=%d write=%d timeout=%d status=%d\n", e.connect, e.read, e.write, e.timeout, e.status))
end
