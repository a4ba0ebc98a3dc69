#!/usr/bin/env bash
# Persistence benchmark (docs/persistence.md, "Measurements"). Not a test:
# it prints numbers and ratios.
#
#  1. RDB save and load speed, valkey-tiered against redis-server, on the
#     same data: redis-server is filled by valkey-tiered-bench (KEYS keys,
#     mixed TYPES, VALUE-byte values), SAVEs; both servers then load that
#     very file (time from their logs), and each SAVEs it again (timed
#     around the command). MB/s = file size / time.
#  2. Client latency during BGSAVE, tiering on, dataset RATIO x maxmemory
#     (BG_KEYS values of BG_VALUE bytes): a Zipf 90/10 run of SECS seconds
#     without a snapshot, then the same run while BGSAVEs follow one
#     another; p50/p99/p99.9 of both and their ratio.
#
#   cargo build --release --bin valkey-tiered --bin valkey-tiered-bench
#   bash benches/persistence.sh
#   KEYS=2000000 BG_KEYS=2000000 RATIO=10 bash benches/persistence.sh
#
# Every server gets a fresh directory under $WORK; logs stay there.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-1000000}
VALUE=${VALUE:-100}
TYPES=${TYPES:-string:70,hash:10,set:10,zset:10}
BG_KEYS=${BG_KEYS:-1000000}
BG_VALUE=${BG_VALUE:-1000}
RATIO=${RATIO:-10}
CONNS=${CONNS:-16}
SECS=${SECS:-30}
WORK=${WORK:-$(mktemp -d -p "${TMPDIR:-/var/tmp}" persistence-bench.XXXXXX)}
BIN=target/release/valkey-tiered
BENCH=target/release/valkey-tiered-bench
PORT=${PORT:-7431}

for b in "$BIN" "$BENCH"; do
    [ -x "$b" ] || { echo "build first: cargo build --release --bin valkey-tiered --bin valkey-tiered-bench" >&2; exit 1; }
done
# shellcheck source=benches/lib.sh
. benches/lib.sh

now() { date +%s.%N; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
timed_save() { # prints seconds
    local t0 t1
    t0=$(now)
    redis-cli -p "$PORT" save >/dev/null
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
wait_loaded() {
    while [ "$(redis-cli -p "$PORT" info persistence 2>/dev/null | tr -d '\r' | grep '^loading:')" != "loading:0" ]; do
        sleep 0.05
    done
}

echo "work dir $WORK"
echo "== 1. RDB save/load: $KEYS keys ($TYPES), values of $VALUE bytes"
stop
mkdir -p "$WORK/fill" "$WORK/redis-load" "$WORK/ours-load"
redis-server --port "$PORT" --save "" --appendonly no --dir "$WORK/fill" --daemonize yes \
    --logfile "$WORK/fill.log" >/dev/null
wait_up
"$BENCH" --port "$PORT" --keys "$KEYS" --value-size "$VALUE" --types "$TYPES" --load \
    --duration 0 > "$WORK/fill.txt" 2>&1
redis_save=$(timed_save)
stop
size=$(stat -c %s "$WORK/fill/dump.rdb")
cp "$WORK/fill/dump.rdb" "$WORK/redis-load/dump.rdb"
cp "$WORK/fill/dump.rdb" "$WORK/ours-load/dump.rdb"

redis-server --port "$PORT" --save "" --appendonly no --dir "$WORK/redis-load" --daemonize yes \
    --logfile "$WORK/redis-load.log" >/dev/null
wait_up
wait_loaded
redis_load=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$WORK/redis-load.log" | tail -1)
stop

"$BIN" --port "$PORT" --save "" --dir "$WORK/ours-load" --tiering no > "$WORK/ours-load.log" 2>&1 &
wait_up
wait_loaded
ours_load=$(sed -n 's/.*DB loaded from disk: .* in \([0-9]*\) ms.*/\1/p' "$WORK/ours-load.log" | tail -1)
ours_load=$(awk -v m="$ours_load" 'BEGIN { printf "%.3f", m / 1000 }')
rm -f "$WORK/ours-load/dump.rdb"
ours_save=$(timed_save)
ours_size=$(stat -c %s "$WORK/ours-load/dump.rdb")
stop

printf 'file %d bytes (%.1f MiB)\n' "$size" "$(awk -v b="$size" 'BEGIN { print b / 1048576 }')"
printf 'load: redis %ss = %s MB/s, ours %ss = %s MB/s, ours/redis speed %.2f\n' \
    "$redis_load" "$(mbs "$size" "$redis_load")" "$ours_load" "$(mbs "$size" "$ours_load")" \
    "$(awk -v a="$redis_load" -v b="$ours_load" 'BEGIN { print a / b }')"
printf 'save: redis %ss = %s MB/s, ours %ss (%d bytes) = %s MB/s, ours/redis speed %.2f\n' \
    "$redis_save" "$(mbs "$size" "$redis_save")" "$ours_save" "$ours_size" "$(mbs "$ours_size" "$ours_save")" \
    "$(awk -v a="$redis_save" -v b="$ours_save" 'BEGIN { print a / b }')"

dataset=$((BG_KEYS * BG_VALUE))
budget=$((dataset / RATIO))
echo
echo "== 2. latency during BGSAVE: $BG_KEYS x $BG_VALUE bytes = $((dataset >> 20)) MiB, maxmemory $((budget >> 20)) MiB, $CONNS connections, ${SECS}s runs"
mkdir -p "$WORK/bg"
"$BIN" --port "$PORT" --save "" --dir "$WORK/bg" --tiering yes --maxmemory "$budget" \
    > "$WORK/bg.log" 2>&1 &
wait_up
run() { # name
    "$BENCH" --port "$PORT" --keys "$BG_KEYS" --value-size "$BG_VALUE" --dist zipf:0.99 \
        --reads 90 --connections "$CONNS" --warmup 2 --duration "$SECS" --json \
        > "$WORK/$1.txt" 2> "$WORK/$1.log"
    grep '^{' "$WORK/$1.txt" > "$WORK/$1.json"
}
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$WORK/$1.json"; }
"$BENCH" --port "$PORT" --keys "$BG_KEYS" --value-size "$BG_VALUE" --load --duration 0 \
    > "$WORK/bg-fill.txt" 2>&1
run quiet
run during &
bench_pid=$!
saves=0
while kill -0 "$bench_pid" 2>/dev/null; do
    if [ "$(redis-cli -p "$PORT" info persistence | tr -d '\r' | grep '^rdb_bgsave_in_progress:')" = "rdb_bgsave_in_progress:0" ]; then
        redis-cli -p "$PORT" bgsave >/dev/null && saves=$((saves + 1))
    fi
    sleep 0.2
done
wait "$bench_pid"
secs_per_save=$(redis-cli -p "$PORT" info persistence | tr -d '\r' | sed -n 's/^rdb_last_bgsave_time_sec://p')
cold=$(redis-cli -p "$PORT" info tiering | tr -d '\r' | sed -n 's/^cold_keys://p')
stop
echo "BGSAVEs started during the run: $saves (last took ${secs_per_save}s); cold keys $cold"
for f in ops_per_sec p50_us p99_us p999_us; do
    printf '%-12s quiet %10s  during BGSAVE %10s  ratio %.2f\n' "$f" "$(field quiet "$f")" "$(field during "$f")" \
        "$(awk -v a="$(field during "$f")" -v b="$(field quiet "$f")" 'BEGIN { print a / b }')"
done
