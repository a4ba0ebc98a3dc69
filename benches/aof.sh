#!/usr/bin/env bash
# Write throughput with the append-only file on, valkey-tiered against
# redis-server, same machine, same disk, same run. Not a test: it prints
# ops/s, the p50/p99 latency redis-benchmark reports, and the ratio
# ours / redis for each appendfsync policy and pipeline depth.
#
#   bash benches/aof.sh
#   POLICIES=always REQUESTS=100000 CLIENTS=50 PIPELINES="1 16" bash benches/aof.sh
#   DIR=/mnt/nvme/tmp bash benches/aof.sh      # the disk to measure
#
# Each run starts both servers fresh (empty dataset) with `appendonly yes`
# and the policy, in a directory under $DIR, and runs redis-benchmark's
# SET and INCR tests (SET with VALUE_SIZE-byte values over KEYSPACE keys).
# Needs redis-server and redis-benchmark (Debian: redis-server redis-tools).
set -euo pipefail

REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-50}
VALUE_SIZE=${VALUE_SIZE:-100}
KEYSPACE=${KEYSPACE:-100000}
POLICIES=${POLICIES:-always everysec}
PIPELINES=${PIPELINES:-1 16}
TESTS=${TESTS:-set,incr}
DIR=${DIR:-${TMPDIR:-/tmp}}

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --manifest-path "$root/Cargo.toml" --bin valkey-tiered >&2
ours_bin="$root/target/release/valkey-tiered"
work=$(mktemp -d -p "$DIR")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=benches/lib.sh
. "$root/benches/lib.sh"

start() { # name policy port
    local d="$work/$1-$2"
    rm -rf "$d" && mkdir -p "$d"
    if [ "$1" = ours ]; then
        "$ours_bin" --port "$3" --bind 127.0.0.1 --dir "$d" --save "" \
            --appendonly yes --appendfsync "$2" >"$d.log" 2>&1 &
    else
        redis-server --port "$3" --bind 127.0.0.1 --dir "$d" --save "" \
            --appendonly yes --appendfsync "$2" >"$d.log" 2>&1 &
    fi
    pids+=($!)
    PORT=$3 wait_up
}

# ops/s p50 p99 of one redis-benchmark test (CSV: name, rps, avg, min, p50, p95, p99, max).
bench() { # port test pipeline
    redis-benchmark -p "$1" -t "$2" -n "$REQUESTS" -c "$CLIENTS" -P "$3" \
        -d "$VALUE_SIZE" -r "$KEYSPACE" --csv 2>/dev/null |
        awk -F'","' 'NR==2 { gsub(/"/, "", $2); gsub(/"/, "", $5); gsub(/"/, "", $7); print $2, $5, $7 }'
}

printf '%-9s %-6s %-3s %12s %8s %8s %12s %8s %8s %7s\n' \
    policy test P "ours ops/s" p50_ms p99_ms "redis ops/s" p50_ms p99_ms ratio
for policy in $POLICIES; do
    for p in $PIPELINES; do
        for t in ${TESTS//,/ }; do
            start ours "$policy" 7601
            read -r o_ops o50 o99 <<<"$(bench 7601 "$t" "$p")"
            PORT=7601 stop
            start redis "$policy" 7602
            read -r r_ops r50 r99 <<<"$(bench 7602 "$t" "$p")"
            PORT=7602 stop
            ratio=$(awk -v a="$o_ops" -v b="$r_ops" 'BEGIN { printf "%.2f", a / b }')
            printf '%-9s %-6s %-3s %12s %8s %8s %12s %8s %8s %7s\n' \
                "$policy" "$t" "$p" "$o_ops" "$o50" "$o99" "$r_ops" "$r50" "$r99" "$ratio"
        done
    done
done
