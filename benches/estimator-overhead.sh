#!/usr/bin/env bash
# The hit-ratio estimator's cost: one tiered server, the same workload
# measured in alternating rounds with the estimator on
# (tiering-estimator-samples $ON, default 8192) and off (0), so drift of the machine
# hits both alike. Prints each round and the median ratio on / off.
#
#   cargo build --release --bin valkey-tiered --bin valkey-tiered-bench
#   bash benches/estimator-overhead.sh
#
# Options (environment): KEYS, VALUE, MAXMEMORY (default: everything fits,
# where the per-command cost shows most), DIST, ROUNDS, SECS, CONNS, PIPE.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-200000}
VALUE=${VALUE:-100}
MAXMEMORY=${MAXMEMORY:-1gb}
DIST=${DIST:-zipf:0.99}
ROUNDS=${ROUNDS:-8}
ON=${ON:-8192}
SECS=${SECS:-8}
CONNS=${CONNS:-16}
PIPE=${PIPE:-8}
BIN=${BIN:-target/release/valkey-tiered}
BENCH=${BENCH:-target/release/valkey-tiered-bench}
PORT=${PORT:-7431}
WORK=${WORK:-$(mktemp -d -p "${TMPDIR:-/var/tmp}" estimator-overhead.XXXXXX)}
mkdir -p "$WORK"

# shellcheck source=benches/lib.sh
. benches/lib.sh
trap stop EXIT
stop
"$BIN" --port "$PORT" --tiering yes --maxmemory "$MAXMEMORY" --dir "$WORK" --save "" \
    > "$WORK/server.log" 2>&1 &
wait_up
"$BENCH" --port "$PORT" --keys "$KEYS" --value-size "$VALUE" --load --duration 1 --warmup 0 > /dev/null 2>&1

ops() {
    "$BENCH" --port "$PORT" --keys "$KEYS" --value-size "$VALUE" --dist "$DIST" \
        --connections "$CONNS" --pipeline "$PIPE" --warmup 1 --duration "$SECS" --json 2>/dev/null \
        | sed -n 's/.*"ops_per_sec":\([0-9.]*\).*/\1/p'
}
on=() off=()
for i in $(seq 1 "$ROUNDS"); do
    redis-cli -p "$PORT" config set tiering-estimator-samples "$ON" > /dev/null
    a=$(ops)
    mem_on=$(redis-cli -p "$PORT" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
    redis-cli -p "$PORT" config set tiering-estimator-samples 0 > /dev/null
    b=$(ops)
    mem_off=$(redis-cli -p "$PORT" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
    on+=("$a") off+=("$b")
    echo "round $i: on $a off $b ratio $(echo "$a / $b" | bc -l | cut -c1-5); used_memory on $mem_on off $mem_off"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m_on=$(median "${on[@]}") m_off=$(median "${off[@]}")
echo "median ops/s: on $m_on off $m_off; on/off $(echo "$m_on / $m_off" | bc -l | cut -c1-5)"
