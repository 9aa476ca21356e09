#!/bin/bash
# Interleaved A/B of the in-process geo benchmark: two Meridian builds and
# SQLite take turns REPS times on the same points and queries; each class
# keeps its lowest p50 (single runs on a shared machine move by up to 1.4x).
#
#   scripts/lib/bench_geo_ab.sh BASE_BUILD NEW_BUILD WORK DATASET [REPS] [-- geo_bench args]
#
# WORK/DATASET.points.tsv and WORK/DATASET.queries.tsv as scripts/bench geo
# writes them (cities_files in scripts/lib/bench_geo.py, or bench/gen_points);
# WORK/m_DATASET is the index (built by NEW_BUILD's geo_bench --build-only 1
# on first use) and WORK/DATASET.sqlite the SQLite database.
set -euo pipefail
base=$1 new=$2 work=$3 d=$4 n=${5:-3}
shift $(( $# < 5 ? $# : 5 ))
[ "${1:-}" = "--" ] && shift
P=$work/$d.points.tsv Q=$work/$d.queries.tsv W=$work/m_$d
[ -d "$W" ] || "$new/bench/geo_bench" --points "$P" --queries "$Q" --work "$W" --build-only 1 >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq "$n"); do
  "$base/bench/geo_bench" --points "$P" --queries "$Q" --work "$W" --reuse 1 --rounds 2 "$@" > "$out/base.$i.json"
  "$new/bench/geo_bench" --points "$P" --queries "$Q" --work "$W" --reuse 1 --rounds 2 "$@" > "$out/new.$i.json"
  "$new/bench/sqlite_geo" --points "$P" --queries "$Q" --db "$work/$d.sqlite" --rounds 2 "$@" > "$out/sqlite.$i.json"
done
python3 - "$out" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
d = {e: [json.load(open("%s/%s.%d.json" % (out, e, i))) for i in range(1, n + 1)] for e in ("base", "new", "sqlite")}
for c in sorted(d["new"][0]["classes"]):
    b, m, s = (min(x["classes"][c]["p50_ms"] for x in d[e]) for e in ("base", "new", "sqlite"))
    print("%-18s base %.4f new %.4f sqlite %.4f  new/base %.2f  base/sqlite %.2f  new/sqlite %.2f  hits %.1f"
          % (c, b, m, s, m / b, b / s, m / s, d["new"][0]["classes"][c]["mean_hits"]))
PY
