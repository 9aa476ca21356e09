-- wrk script for the `http` suite (scripts/bench http): cycles through the
-- request paths of a file (one "/v1/...?..." per line), the same order in
-- every wrk thread, and prints one JSON line of results at the end.
--   wrk -t2 -c16 -d30s --latency -s bench/wrk/paths.lua http://127.0.0.1:PORT -- PATHS_FILE
-- Latencies are wrk's (microseconds, converted to ms). non2xx counts
-- responses with status >= 400 (wrk's errors.status); the server never
-- answers 3xx, so that is every non-2xx response.
local paths = {}
local counter = 0

function init(args)
  local f = assert(io.open(args[1], "r"), "cannot read " .. tostring(args[1]))
  for line in f:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  f:close()
  assert(#paths > 0, "no paths in " .. args[1])
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"mean_ms":%.3f,"non2xx":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"bytes":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, e.status, e.connect, e.read, e.write, e.timeout,
    summary.bytes))
end
