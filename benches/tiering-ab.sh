#!/usr/bin/env bash
# Tiering A/B (docs/tiering.md, "Measurements"): two server binaries on the
# tiering workload, in alternating rounds, so that the drift of a shared
# machine (up to 15% between runs here) does not pass for a difference.
# Each run starts the binary on a fresh directory with tiering on and
# maxmemory = dataset / RATIO, loads KEYS values of VALUE bytes, then runs
# Zipf reads (90% GET, 10% SET) and uniform GETs, SECS seconds each, and
# prints one line: ops/s, latency, hot-hit ratio. Only a difference seen
# in every round counts.
#
#   cp target/release/valkey-tiered /tmp/a   # before the change
#   cp target/release/valkey-tiered /tmp/b   # after it
#   ROUNDS=2 bash benches/tiering-ab.sh /tmp/a /tmp/b
set -euo pipefail
cd "$(dirname "$0")/.."

A=${1:?usage: tiering-ab.sh BINARY_A BINARY_B}
B=${2:?usage: tiering-ab.sh BINARY_A BINARY_B}
KEYS=${KEYS:-2000000}
VALUE=${VALUE:-1000}
RATIO=${RATIO:-10}
CONNS=${CONNS:-32}
SECS=${SECS:-20}
WARMUP=${WARMUP:-5}
ROUNDS=${ROUNDS:-2}
ZIPF=${ZIPF:-0.99}
PORT=${PORT:-7412}
WORK=${WORK:-$(mktemp -d -p "${TMPDIR:-/var/tmp}" tiering-ab.XXXXXX)}
BENCH=target/release/valkey-tiered-bench
[ -x "$BENCH" ] || { echo "build first: cargo build --release --bin valkey-tiered-bench" >&2; exit 1; }
budget=$((KEYS * VALUE / RATIO))

# shellcheck source=benches/lib.sh
. benches/lib.sh

field() { echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }

# one NAME BINARY
one() {
    local name=$1 bin=$2 dir="$WORK/$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$bin" --port "$PORT" --save "" --dir "$dir" --tiering yes --maxmemory "$budget" \
        > "$dir/server.log" 2>&1 &
    wait_up
    local run="$BENCH --port $PORT --keys $KEYS --value-size $VALUE --connections $CONNS --warmup $WARMUP --duration $SECS --json"
    local z u
    z=$($run --load --dist "zipf:$ZIPF" --reads 90 2>/dev/null | grep '^{')
    u=$($run --dist uniform --reads 100 2>/dev/null | grep '^{')
    stop
    rm -rf "$dir/cold"
    printf '%s: zipf %s ops/s p50 %s p99 %s hit %s | uniform %s ops/s p50 %s p99 %s\n' "$name" \
        "$(field "$z" ops_per_sec)" "$(field "$z" p50_us)" "$(field "$z" p99_us)" \
        "$(field "$z" hot_hit_ratio)" "$(field "$u" ops_per_sec)" "$(field "$u" p50_us)" \
        "$(field "$u" p99_us)"
}

stop
echo "A = $A, B = $B; $KEYS keys x $VALUE bytes, maxmemory $((budget >> 20)) MiB, $CONNS connections, ${SECS}s per run, $ROUNDS rounds; work dir $WORK"
for r in $(seq 1 "$ROUNDS"); do
    one "round $r A" "$A"
    one "round $r B" "$B"
done
