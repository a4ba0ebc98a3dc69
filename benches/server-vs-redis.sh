#!/usr/bin/env bash
# Throughput and memory of valkey-tiered against redis-server, same machine,
# same run. Not a test: it prints numbers and ratios (ours / redis).
#
#   bash benches/server-vs-redis.sh            # defaults below
#   REQUESTS=500000 CLIENTS=50 bash benches/server-vs-redis.sh
#   TESTS=lpush,lpop MEM_TYPES=hash bash benches/server-vs-redis.sh
#
# Memory: RSS growth after loading MEM_KEYS strings of VALUE_SIZE bytes,
# and COLL_KEYS small collections (COLL_SIZE elements of ~10 bytes: hashes,
# sets, zsets, lists; `intset` is sets of integers) per type in MEM_TYPES.
# MEM_TYPES may also name
# `bigzset`: one sorted set of BIG_ZSET members ("member:000123", random
# scores). An empty TESTS skips the throughput runs:
#
#   TESTS= MEM_TYPES=zset,bigzset COLL_SIZE=200 bash benches/server-vs-redis.sh
#
# Needs redis-server and redis-benchmark (Debian: redis-server redis-tools).
set -euo pipefail

REQUESTS=${REQUESTS:-300000}
CLIENTS=${CLIENTS:-50}
VALUE_SIZE=${VALUE_SIZE:-100}
MEM_KEYS=${MEM_KEYS:-300000}
TESTS=${TESTS-set,get,lpush,lpop,sadd,hset,zadd}
MEM_TYPES=${MEM_TYPES:-string,hash,set,zset,list}
COLL_KEYS=${COLL_KEYS:-100000}
COLL_SIZE=${COLL_SIZE:-10}
BIG_ZSET=${BIG_ZSET:-1000000}

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --manifest-path "$root/Cargo.toml" --bin valkey-tiered >&2
ours_bin="$root/target/release/valkey-tiered"
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # name binary -> sets PORT and PID
    local name=$1 bin=$2
    PORT=$(free_port)
    mkdir -p "$work/$name"
    "$bin" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/$name" >"$work/$name.log" 2>&1 &
    PID=$!
    pids+=("$PID")
    for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && return; sleep 0.05; done
    echo "$name did not start" >&2; cat "$work/$name.log" >&2; exit 1
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

bench() { # port pipeline -> "test rps" lines
    redis-benchmark -p "$1" -t "$TESTS" -n "$REQUESTS" -c "$CLIENTS" -P "$2" -d "$VALUE_SIZE" -r 100000 --csv -q 2>/dev/null \
        | tr -d '"' | awk -F, 'NR>1 {print $1, $2}'
}

# Loads one data set of type $3 through one pipelined connection, then
# reports the RSS growth in KB.
load_mem() { # port pid type
    local before after
    before=$(rss_kb "$2")
    python3 - "$3" "$MEM_KEYS" "$VALUE_SIZE" "$COLL_KEYS" "$COLL_SIZE" "$BIG_ZSET" <<'PY' | redis-cli -p "$1" --pipe >/dev/null
import random, sys
kind, n, size, cn, csize, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        out.write(b"$%d\r\n%s\r\n" % (len(a), a))
if kind == "string":
    val = b"v" * size
    for i in range(n):
        cmd(b"SET", b"key:%012d" % i, val)
elif kind == "bigzset":
    random.seed(1)
    for start in range(0, big, 1000):
        args = [b"ZADD", b"bigzset"]
        for i in range(start, min(start + 1000, big)):
            args += [b"%.6f" % (random.random() * big), b"member:%06d" % i]
        cmd(*args)
else:
    for i in range(cn):
        k = b"%s:%010d" % (kind.encode(), i)
        if kind == "hash":
            args = [b"HSET", k]
            for j in range(csize):
                args += [b"field:%d" % j, b"value:%04d" % (i % 10000)]
        elif kind == "set":
            args = [b"SADD", k] + [b"member:%04d" % ((i + j) % 10000) for j in range(csize)]
        elif kind == "intset":
            args = [b"SADD", k] + [b"%d" % ((i + j) % 100000) for j in range(csize)]
        elif kind == "zset":
            args = [b"ZADD", k]
            for j in range(csize):
                args += [b"%d" % (i + j), b"member:%04d" % ((i + j) % 10000)]
        else:
            args = [b"RPUSH", k] + [b"item:%05d" % ((i + j) % 100000) for j in range(csize)]
        cmd(*args)
PY
    sleep 0.5
    after=$(rss_kb "$2")
    echo $((after - before))
}

declare -A result
for who in ours redis; do
    if [ $who = ours ]; then bin=$ours_bin; else bin=$(command -v redis-server); fi
    if [ -n "$TESTS" ]; then
        start $who "$bin"
        for p in 1 16; do
            while read -r t rps; do result[$who,$t,$p]=$rps; done < <(bench "$PORT" $p)
        done
        kill "$PID"; wait "$PID" 2>/dev/null || true
    fi
    for m in $(echo "$MEM_TYPES" | tr , ' '); do
        start $who "$bin"
        result[$who,mem,$m]=$(load_mem "$PORT" "$PID" "$m")
        result[$who,keys,$m]=$(redis-cli -p "$PORT" dbsize)
        kill "$PID"; wait "$PID" 2>/dev/null || true
    done
done

echo "# valkey-tiered vs redis-server $(redis-server --version | awk '{print $3}'), $(nproc) cores"
echo "# requests=$REQUESTS clients=$CLIENTS value=${VALUE_SIZE}B"
printf '%-10s %-3s %14s %14s %7s\n' test P "ours req/s" "redis req/s" ratio
for t in $(echo "$TESTS" | tr a-z A-Z | tr , ' '); do
    for p in 1 16; do
        o=${result[ours,$t,$p]:-0}; r=${result[redis,$t,$p]:-0}
        printf '%-10s %-3s %14s %14s %7s\n' "$t" "$p" "$o" "$r" "$(awk -v o="$o" -v r="$r" 'BEGIN{ if (r>0) printf "%.2f", o/r; else print "n/a"}')"
    done
done
for m in $(echo "$MEM_TYPES" | tr , ' '); do
    o=${result[ours,mem,$m]}; r=${result[redis,mem,$m]}
    case $m in
        string) what="${VALUE_SIZE}-byte values" ;;
        bigzset) what="$BIG_ZSET members" ;;
        *) what="$COLL_SIZE elements each" ;;
    esac
    echo "RSS growth, ${result[ours,keys,$m]}/${result[redis,keys,$m]} $m keys ($what): ours ${o} KB, redis ${r} KB, ratio $(awk -v o="$o" -v r="$r" 'BEGIN{ if (r>0) printf "%.2f", o/r; else print "n/a"}')"
done
