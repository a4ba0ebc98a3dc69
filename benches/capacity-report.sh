#!/usr/bin/env bash
# The capacity-planning report of docs/capacity-planning.md ("Reports from
# this machine"): two runs of valkey-tiered-bench with --out,
#   1. in RAM: our server (tiering on, everything fits) against
#      redis-server 7.0, same workload (--compare);
#   2. dataset:RAM sweep: our server with maxmemory MAXMEMORY, the dataset
#      grown to 1, 2, 5 and 10 times it (--sweep-ratio), with the server's
#      own estimate drawn beside the measured hit ratio.
#
#   cargo build --release --bin valkey-tiered --bin valkey-tiered-bench
#   OUT=docs/reports bash benches/capacity-report.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-docs/reports}
VALUE=${VALUE:-4000}
KEYS=${KEYS:-100000}
MAXMEMORY=${MAXMEMORY:-200mb}
RATIOS=${RATIOS:-1,2,5,10}
DIST=${DIST:-zipf:0.99}
CONNS=${CONNS:-32}
SECS=${SECS:-15}
WARM=${WARM:-10}
BIN=${BIN:-target/release/valkey-tiered}
BENCH=${BENCH:-target/release/valkey-tiered-bench}
WORK=${WORK:-$(mktemp -d -p "${TMPDIR:-/var/tmp}" capacity-report.XXXXXX)}
mkdir -p "$WORK"
# shellcheck source=benches/lib.sh
. benches/lib.sh

common=(--value-size "$VALUE" --dist "$DIST" --reads 90 --connections "$CONNS"
    --warmup "$WARM" --duration "$SECS")

# 1. In RAM, ours against redis-server.
PORT=7451; stop
"$BIN" --port 7451 --tiering yes --maxmemory 8gb --dir "$WORK/ours" --save "" > "$WORK/ours.log" 2>&1 &
wait_up
PORT=7452; stop
mkdir -p "$WORK/redis"
redis-server --port 7452 --save "" --appendonly no --dir "$WORK/redis" --daemonize yes > /dev/null
wait_up
"$BENCH" --port 7451 --keys "$KEYS" --load "${common[@]}" --compare 127.0.0.1:7452 \
    --out "$OUT/in-ram" | tee "$WORK/in-ram.txt"
PORT=7451; stop
PORT=7452; stop

# 2. Our server at 1x to 10x dataset:RAM.
PORT=7453; stop
"$BIN" --port 7453 --tiering yes --maxmemory "$MAXMEMORY" --dir "$WORK/sweep" --save "" > "$WORK/sweep.log" 2>&1 &
wait_up
"$BENCH" --port 7453 "${common[@]}" --sweep-ratio "$RATIOS" --out "$OUT/ratio-sweep" \
    | tee "$WORK/ratio-sweep.txt"
stop
