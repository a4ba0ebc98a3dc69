#!/usr/bin/env bash
# Admission benchmark (docs/tiering.md, "Admission"): does a scan of
# read-once keys flush the hot set, with and without the frequency gate?
# One dataset of KEYS values of VALUE bytes, tiered with maxmemory =
# dataset / RATIO, for each `tiering-admission` mode:
#   A. Zipf reads alone: hot-hit ratio and throughput (does the gate cost
#      the ordinary workload anything?);
#   B. the same Zipf reads while a second client reads every key once, in
#      order (a scan, e.g. a backup or an analytics job);
#   C. Zipf reads alone again, right after the scan: how much of the hot
#      set survived it.
#
#   cargo build --release --bin valkey-tiered --bin valkey-tiered-bench
#   KEYS=1000000 VALUE=1000 RATIO=10 SECS=20 bash benches/admission.sh
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-1000000}
VALUE=${VALUE:-1000}
RATIO=${RATIO:-10}
CONNS=${CONNS:-16}
SCANNERS=${SCANNERS:-4}
SECS=${SECS:-20}
ZIPF=${ZIPF:-0.99}
WORK=${WORK:-$(mktemp -d -p "${TMPDIR:-/var/tmp}" admission-bench.XXXXXX)}
BIN=target/release/valkey-tiered
BENCH=target/release/valkey-tiered-bench
PORT=${PORT:-7412}

for b in "$BIN" "$BENCH"; do
    [ -x "$b" ] || { echo "build first: cargo build --release --bin valkey-tiered --bin valkey-tiered-bench" >&2; exit 1; }
done
budget=$((KEYS * VALUE / RATIO))
echo "dataset: $KEYS keys x $VALUE bytes; maxmemory $((budget >> 20)) MiB; zipf s=$ZIPF on $CONNS connections, scan on $SCANNERS; ${SECS}s per phase; work dir $WORK"

# shellcheck source=benches/lib.sh
. benches/lib.sh

# bench OUT ARGS...: one run, its JSON line kept in $WORK/OUT.json
bench() {
    local out=$1
    shift
    "$BENCH" --port "$PORT" --keys "$KEYS" --value-size "$VALUE" --json "$@" \
        > "$WORK/$out.txt" 2> "$WORK/$out.log"
    grep '^{' "$WORK/$out.txt" > "$WORK/$out.json"
}

field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$WORK/$1.json"; }

for mode in frequency always; do
    stop
    rm -rf "${WORK:?}/$mode"
    mkdir -p "$WORK/$mode"
    "$BIN" --port "$PORT" --save "" --dir "$WORK/$mode" --tiering yes \
        --maxmemory "$budget" --tiering-admission "$mode" > "$WORK/$mode.log" 2>&1 &
    wait_up
    bench "$mode-load" --load --dist "zipf:$ZIPF" --reads 100 --warmup 0 --duration 1
    bench "$mode-A" --dist "zipf:$ZIPF" --reads 100 --connections "$CONNS" \
        --warmup 10 --duration "$SECS"
    bench "$mode-scan" --dist sequential --reads 100 --connections "$SCANNERS" \
        --warmup 0 --duration "$SECS" &
    scan=$!
    bench "$mode-B" --dist "zipf:$ZIPF" --reads 100 --connections "$CONNS" \
        --warmup 0 --duration "$SECS"
    wait "$scan"
    bench "$mode-C" --dist "zipf:$ZIPF" --reads 100 --connections "$CONNS" \
        --warmup 0 --duration 5
    redis-cli -p "$PORT" info tiering > "$WORK/$mode-info.txt"
    printf '%-9s A: hit %s, %s ops/s, p99 %s us | B (scan: %s ops/s): zipf %s ops/s, p99 %s us | C: hit %s, %s ops/s\n' "$mode" \
        "$(field "$mode-A" hot_hit_ratio)" "$(field "$mode-A" ops_per_sec)" "$(field "$mode-A" p99_us)" \
        "$(field "$mode-scan" ops_per_sec)" "$(field "$mode-B" ops_per_sec)" "$(field "$mode-B" p99_us)" \
        "$(field "$mode-C" hot_hit_ratio)" "$(field "$mode-C" ops_per_sec)"
done
stop
