#!/usr/bin/env bash
# Tiering benchmark (docs/tiering.md, "Measurements"): one dataset of
# KEYS values of VALUE bytes, run with valkey-tiered-bench against
#   1. redis-server, everything in RAM;
#   2. valkey-tiered, tiering off, everything in RAM;
#   3. valkey-tiered, tiering on, maxmemory = dataset / RATIO;
# with a Zipf read-mostly mix (90% GET, 10% SET), then uniform GETs over the
# tiered server (mostly cold) next to fio 4k random reads on the same disk
# at the same concurrency.
#
#   cargo build --release --bin valkey-tiered --bin valkey-tiered-bench
#   KEYS=2000000 VALUE=1000 RATIO=10 bash benches/tiering.sh
#
# Build the release binary with its own, optimised RocksDB: not with
# ROCKSDB_LIB_DIR pointing at the debug-profile librocksdb.a that .ci/run
# caches, which is compiled without optimisation (cold reads then cost
# about 1.6 times the CPU).
#
# Every server gets a fresh directory under $WORK (default a temp dir on
# the disk under test). Prints one line per run; the full output of each
# run is kept in $WORK/*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-2000000}
VALUE=${VALUE:-1000}
RATIO=${RATIO:-10}
CONNS=${CONNS:-32}
PIPE=${PIPE:-1}
SECS=${SECS:-30}
# Seconds of each workload before measuring: 5 measures the tiered run
# while its hot set still forms after the load; 60 or more, steady state.
WARMUP=${WARMUP:-5}
ZIPF=${ZIPF:-0.99}
WORK=${WORK:-$(mktemp -d -p "${TMPDIR:-/var/tmp}" tiering-bench.XXXXXX)}
BIN=target/release/valkey-tiered
BENCH=target/release/valkey-tiered-bench
PORT=${PORT:-7411}

for b in "$BIN" "$BENCH"; do
    [ -x "$b" ] || { echo "build first: cargo build --release --bin valkey-tiered --bin valkey-tiered-bench" >&2; exit 1; }
done

dataset=$((KEYS * VALUE))
budget=$((dataset / RATIO))
echo "dataset: $KEYS keys x $VALUE bytes = $((dataset >> 20)) MiB; tiered maxmemory $((budget >> 20)) MiB; $CONNS connections, pipeline $PIPE, ${SECS}s per run; work dir $WORK"

# shellcheck source=benches/lib.sh
. benches/lib.sh

# run NAME DIST READS [--load]
run() {
    local name=$1 dist=$2 reads=$3 load=${4:-}
    "$BENCH" --port "$PORT" --keys "$KEYS" --value-size "$VALUE" $load \
        --dist "$dist" --reads "$reads" --connections "$CONNS" --pipeline "$PIPE" \
        --warmup "$WARMUP" --duration "$SECS" --json > "$WORK/$name.txt" 2> "$WORK/$name.log"
    local json
    json=$(grep '^{' "$WORK/$name.txt")
    echo "$name: $json"
    echo "$json" > "$WORK/$name.json"
}

field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$WORK/$1.json"; }

stop
mkdir -p "$WORK/redis"
redis-server --port "$PORT" --save "" --appendonly no --dir "$WORK/redis" --daemonize yes \
    --logfile "$WORK/redis.log" >/dev/null
wait_up
run redis-zipf "zipf:$ZIPF" 90 --load
stop

mkdir -p "$WORK/ram"
"$BIN" --port "$PORT" --save "" --dir "$WORK/ram" --tiering no > "$WORK/ram.log" 2>&1 &
wait_up
run ram-zipf "zipf:$ZIPF" 90 --load
stop

mkdir -p "$WORK/tiered"
"$BIN" --port "$PORT" --save "" --dir "$WORK/tiered" --tiering yes \
    --maxmemory "$budget" > "$WORK/tiered.log" 2>&1 &
wait_up
run tiered-zipf "zipf:$ZIPF" 90 --load
redis-cli -p "$PORT" info tiering > "$WORK/tiered-info.txt"
redis-cli -p "$PORT" info memory >> "$WORK/tiered-info.txt"
run tiered-uniform uniform 100
redis-cli -p "$PORT" info tiering >> "$WORK/tiered-info-uniform.txt"
stop

echo
printf 'zipf s=%s 90/10: ops/s redis %s, ours in RAM %s, ours tiered %s\n' "$ZIPF" \
    "$(field redis-zipf ops_per_sec)" "$(field ram-zipf ops_per_sec)" "$(field tiered-zipf ops_per_sec)"
awk -v a="$(field tiered-zipf ops_per_sec)" -v b="$(field ram-zipf ops_per_sec)" -v c="$(field redis-zipf ops_per_sec)" \
    'BEGIN { printf "tiered / ours in RAM = %.2f; tiered / redis = %.2f\n", a / b, a / c }'
printf 'p50/p99 us: redis %s/%s, ours in RAM %s/%s, tiered %s/%s\n' \
    "$(field redis-zipf p50_us)" "$(field redis-zipf p99_us)" \
    "$(field ram-zipf p50_us)" "$(field ram-zipf p99_us)" \
    "$(field tiered-zipf p50_us)" "$(field tiered-zipf p99_us)"
grep -E "^(cold_keys|hot_keys|cold_bytes_logical|cold_bytes_on_disk|compression_ratio|ram_per_cold_key_bytes|cold_read_p50_us|cold_read_p99_us|used_memory):" "$WORK/tiered-info.txt" | tr '\r' ' '

if command -v fio >/dev/null 2>&1; then
    fio --name=randread --directory="$WORK" --size=1g --rw=randread --bs=4k \
        --ioengine=io_uring --direct=1 --iodepth="$CONNS" --numjobs=1 \
        --runtime=15 --time_based --group_reporting --output-format=terse \
        > "$WORK/fio.txt" 2>/dev/null || true
    iops=$(awk -F';' '{print $8}' "$WORK/fio.txt" | head -1)
    echo "uniform GETs (mostly cold): $(field tiered-uniform ops_per_sec) ops/s; fio 4k random reads at depth $CONNS: ${iops:-?} IOPS"
    [ -n "${iops:-}" ] && awk -v a="$(field tiered-uniform ops_per_sec)" -v b="$iops" 'BEGIN { printf "uniform GETs / fio IOPS = %.2f\n", a / b }'
    rm -f "$WORK"/randread.*
fi
