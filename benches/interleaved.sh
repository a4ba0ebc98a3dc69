#!/usr/bin/env bash
# Throughput ratios that survive a noisy machine: N rounds, each with
# a fresh valkey-tiered and a fresh redis-server running every test (in
# TESTS order, so SET fills what GET reads) back to back in alternating
# order; it reports the median of each side and their ratio
# (ours / redis) plus every run. On a small shared VM single runs of
# server-vs-redis.sh swing by about 20%; medians of interleaved runs do not.
#
#   bash benches/interleaved.sh                       # all tests, -P 16, N=5
#   N=7 P=1 TESTS=sadd,hset bash benches/interleaved.sh
#   PIN=1 bash benches/interleaved.sh   # servers on CPU 0, load generator on CPU 1
#
# PIN=1 (needs taskset, util-linux) keeps the servers and redis-benchmark
# from trading places on the cores, which cuts the noise further.
#
# Needs redis-server and redis-benchmark (Debian: redis-server redis-tools).
set -euo pipefail

N=${N:-5}
P=${P:-16}
REQUESTS=${REQUESTS:-300000}
TESTS=${TESTS:-set,get,lpush,lpop,sadd,hset,zadd}
srv=() gen=()
if [[ ${PIN:-0} == 1 ]]; then srv=(taskset -c 0) gen=(taskset -c 1); fi

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --manifest-path "$root/Cargo.toml" --bin valkey-tiered >&2
ours_bin="$root/target/release/valkey-tiered"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

all() { # port -> "TEST rps" lines, every test in one run, in TESTS order
    # (so SET fills what GET reads and LPUSH what LPOP pops)
    "${gen[@]}" redis-benchmark -p "$1" -t "$TESTS" -n "$REQUESTS" -c 50 -P "$P" -r 100000 -d 100 --csv -q 2>/dev/null \
        | tr -d '"' | awk -F, 'NR>1 {print $1, $2}'
}

wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.05; done; }

echo "# valkey-tiered vs redis-server $(redis-server --version | awk '{print $3}'), -P $P, median of $N interleaved rounds"
: >"$work/runs"
for i in $(seq "$N"); do
    po=$(free_port); pr=$(free_port)
    "${srv[@]}" "$ours_bin" --port "$po" --save "" --dir "$work" >/dev/null 2>&1 & o=$!
    "${srv[@]}" redis-server --port "$pr" --save "" --dir "$work" >/dev/null 2>&1 & r=$!
    wait_ping "$po"; wait_ping "$pr"
    if (( i % 2 )); then
        all "$po" | sed 's/^/ours /' >>"$work/runs"; all "$pr" | sed 's/^/redis /' >>"$work/runs"
    else
        all "$pr" | sed 's/^/redis /' >>"$work/runs"; all "$po" | sed 's/^/ours /' >>"$work/runs"
    fi
    kill "$o" "$r"; wait "$o" "$r" 2>/dev/null || true
done
python3 - "$work/runs" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    who, test, rps = line.split()
    runs.setdefault(test, {"ours": [], "redis": []})[who].append(float(rps))
for test, r in runs.items():
    mo, mr = statistics.median(r["ours"]), statistics.median(r["redis"])
    print(f"{test:6} ours {mo:>10.0f}  redis {mr:>10.0f}  ratio {mo / mr:.2f}  "
          f"runs(k) ours {[round(x / 1000) for x in r['ours']]} redis {[round(x / 1000) for x in r['redis']]}")
PY
