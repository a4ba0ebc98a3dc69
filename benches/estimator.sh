#!/usr/bin/env bash
# Validates the hit-ratio estimator (INFO tiering hit_ratio_at_*, TIERING
# ADVISE; docs/capacity-planning.md) against measurement: for each key
# distribution,
#   1. a server runs the workload at maxmemory = BASE% of the dataset and
#      its TIERING ADVISE curve is kept;
#   2. for each size in SIZES (% of the dataset), a fresh server is loaded
#      and runs the same workload, and its measured hot-hit ratio is put
#      next to what the curve of step 1 said for that size.
# Prints one line per (distribution, size) and the largest gap.
#
#   cargo build --release --bin valkey-tiered --bin valkey-tiered-bench
#   bash benches/estimator.sh
#
# Options (environment): KEYS, VALUE, DISTS, BASE, SIZES, SECS (measured
# seconds), WARM (warm-up seconds), CONNS, READS.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-200000}
VALUE=${VALUE:-1000}
DISTS=${DISTS:-"uniform zipf:0.8 zipf:0.99 zipf:1.2"}
BASE=${BASE:-40}
SIZES=${SIZES:-"20 30 40 60 80 100"}
SECS=${SECS:-10}
WARM=${WARM:-10}
CONNS=${CONNS:-16}
READS=${READS:-90}
BIN=${BIN:-target/release/valkey-tiered}
BENCH=${BENCH:-target/release/valkey-tiered-bench}
PORT=${PORT:-7421}
WORK=${WORK:-$(mktemp -d -p "${TMPDIR:-/var/tmp}" estimator.XXXXXX)}
mkdir -p "$WORK"

for b in "$BIN" "$BENCH"; do
    [ -x "$b" ] || { echo "build first: cargo build --release --bin valkey-tiered --bin valkey-tiered-bench" >&2; exit 1; }
done
# shellcheck source=benches/lib.sh
. benches/lib.sh

dataset=$((KEYS * VALUE))
echo "dataset: $KEYS keys x $VALUE bytes; estimate made at $BASE% of it; sizes $SIZES (% of dataset); work dir $WORK"

# serve PCT: a fresh tiered server with maxmemory PCT% of the dataset.
serve() {
    stop
    rm -rf "$WORK/data" && mkdir -p "$WORK/data"
    "$BIN" --port "$PORT" --tiering yes --maxmemory $((dataset * $1 / 100)) \
        --dir "$WORK/data" --save "" --appendonly no > "$WORK/server.log" 2>&1 &
    wait_up
}

# measure DIST: load, warm up, measure; prints the JSON line.
measure() {
    "$BENCH" --port "$PORT" --keys "$KEYS" --value-size "$VALUE" --load --dist "$1" \
        --reads "$READS" --connections "$CONNS" --warmup "$WARM" --duration "$SECS" --json \
        2>/dev/null | grep '^{'
}

trap stop EXIT
results="$WORK/results.txt"
: > "$results"
for dist in $DISTS; do
    serve "$BASE"
    measure "$dist" > "$WORK/base-${dist//:/_}.json"
    redis-cli -p "$PORT" --json tiering advise > "$WORK/advise-${dist//:/_}.json" 2>/dev/null \
        || redis-cli -p "$PORT" tiering advise > "$WORK/advise-${dist//:/_}.txt"
    for pct in $SIZES; do
        serve "$pct"
        json=$(measure "$dist")
        echo "$dist $pct $json" >> "$results"
    done
done

python3 - "$WORK" "$dataset" "$results" <<'EOF'
import json, sys, os
work, dataset, results = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def curve_of(dist):
    p = os.path.join(work, "advise-%s.json" % dist.replace(":", "_"))
    a = json.load(open(p))
    return [(int(b), float(h)) for b, h in a["curve"]]

def at(curve, m):
    if m <= curve[0][0]:
        return 0.0
    for (b0, h0), (b1, h1) in zip(curve, curve[1:]):
        if m <= b1:
            return h0 + (h1 - h0) * (m - b0) / (b1 - b0)
    return curve[-1][1]

worst = 0.0
print("%-10s %8s %10s %10s %8s %10s" % ("dist", "size%", "measured", "estimated", "gap", "ops/s"))
for line in open(results):
    dist, pct, js = line.split(" ", 2)
    r = json.loads(js)
    m = r["maxmemory"] if r.get("maxmemory") else dataset * int(pct) // 100
    est = at(curve_of(dist), m)
    gap = est - r["hot_hit_ratio"]
    worst = max(worst, abs(gap))
    print("%-10s %8s %10.3f %10.3f %+8.3f %10.0f" % (dist, pct, r["hot_hit_ratio"], est, gap, r["ops_per_sec"]))
print("largest gap: %.3f" % worst)
EOF
