#!/bin/bash
# Interleaved A/B of the geo queries over HTTP: two `meridian serve` builds
# (response cache off, no access log) on copies of one index, and Redis
# GEOSEARCH, take turns REPS times on the same queries over one keep-alive
# connection each (bench/geo_http, every id returned; bench/redis_geo, which
# returns every member); each class keeps its lowest p50. The servers run on
# CPU 1 and the clients on CPU 0.
#
#   scripts/lib/bench_geo_http_ab.sh BASE_BUILD NEW_BUILD DATA QUERIES POINTS [REPS] [ROUNDS]
#
# DATA is a data directory holding the cities index (`meridian import cities
# datasets/full/cities.ndjson --data DATA --schema bench/cities_schema.json
# --merge`); it is copied once per server. QUERIES and POINTS as scripts/bench
# geo writes them (cities.queries.tsv, cities.points.tsv).
set -euo pipefail
base=$1 new=$2 data=$3 queries=$4 points=$5 reps=${6:-3} rounds=${7:-2}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve() {  # build name -> port in $port (not in a subshell: the pid must reach cleanup)
  cp -r "$data" "$tmp/$2.data"
  port=$(free_port)
  taskset -c 1 "$1/meridian" serve --data "$tmp/$2.data" --listen "127.0.0.1:$port" --cache-bytes 0 \
    --no-access-log >"$tmp/$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.2; done
}
serve "$base" base
bport=$port
serve "$new" new
nport=$port
rport=$(free_port)
taskset -c 1 redis-server --port "$rport" --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
gh="$new/bench/geo_http"
for i in $(seq "$reps"); do
  for m in get post; do
    get=(); [ $m = get ] && get=(--get 1)
    taskset -c 0 "$gh" --port "$bport" --index cities --queries "$queries" --rounds "$rounds" --ids all "${get[@]}" > "$tmp/base.$m.$i.json"
    taskset -c 0 "$gh" --port "$nport" --index cities --queries "$queries" --rounds "$rounds" --ids all "${get[@]}" > "$tmp/new.$m.$i.json"
  done
  taskset -c 0 "$new/bench/redis_geo" --port "$rport" --key pts --points "$points" --queries "$queries" \
    --rounds "$rounds" > "$tmp/redis.$i.json"
done
python3 - "$tmp" "$reps" <<'PY'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
runs = {e: [json.load(open("%s/%s.%d.json" % (tmp, e, i))) for i in range(1, n + 1)]
        for e in ("base.get", "new.get", "base.post", "new.post", "redis")}
p50 = lambda e, c: min(r["classes"][c]["p50_ms"] for r in runs[e] if c in r["classes"]) * 1000
print("%-14s %8s %8s %8s %9s %9s %8s %10s %10s" % ("class", "hits", "base GET", "new GET", "base POST", "new POST",
                                                  "redis", "GET/redis", "POST/redis"))
for c in sorted(runs["redis"][0]["classes"]):
    r = p50("redis", c)
    print("%-14s %8.1f %8.1f %8.1f %9.1f %9.1f %8.1f %10.2f %10.2f" % (
        c, runs["new.get"][0]["classes"][c]["mean_hits"], p50("base.get", c), p50("new.get", c),
        p50("base.post", c), p50("new.post", c), r, p50("new.get", c) / r, p50("new.post", c) / r))
PY
