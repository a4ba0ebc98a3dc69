#!/usr/bin/env bash
# Throughput ratios that survive a noisy machine: for each test, N rounds
# of one fresh valkey-tiered and one fresh redis-server, run back to back
# in alternating order, reporting the median of each side and their ratio
# (ours / redis) plus every run. On a small shared VM single runs of
# server-vs-redis.sh swing by about 20%; medians of interleaved runs do not.
#
#   bash benches/interleaved.sh                       # all tests, -P 16, N=5
#   N=7 P=1 TESTS=sadd,hset bash benches/interleaved.sh
#
# Needs redis-server and redis-benchmark (Debian: redis-server redis-tools).
set -euo pipefail

N=${N:-5}
P=${P:-16}
REQUESTS=${REQUESTS:-300000}
TESTS=${TESTS:-set,get,lpush,lpop,sadd,hset,zadd}

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --manifest-path "$root/Cargo.toml" --bin valkey-tiered >&2
ours_bin="$root/target/release/valkey-tiered"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rps() { # port test -> requests per second
    redis-benchmark -p "$1" -t "$2" -n "$REQUESTS" -c 50 -P "$P" -r 100000 -d 100 --csv -q 2>/dev/null \
        | tr -d '"' | awk -F, 'NR>1 {print $2; exit}'
}

wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.05; done; }

echo "# valkey-tiered vs $(redis-server --version | awk '{print $3}'), -P $P, median of $N interleaved runs"
for t in ${TESTS//,/ }; do
    ours=() redis=()
    for i in $(seq "$N"); do
        po=$(free_port); pr=$(free_port)
        "$ours_bin" --port "$po" --save "" --dir "$work" >/dev/null 2>&1 & o=$!
        redis-server --port "$pr" --save "" --dir "$work" >/dev/null 2>&1 & r=$!
        wait_ping "$po"; wait_ping "$pr"
        if (( i % 2 )); then a=$(rps "$po" "$t"); b=$(rps "$pr" "$t"); else b=$(rps "$pr" "$t"); a=$(rps "$po" "$t"); fi
        kill "$o" "$r"; wait "$o" "$r" 2>/dev/null || true
        ours+=("$a"); redis+=("$b")
    done
    python3 - "$t" "${ours[*]}" "${redis[*]}" <<'PY'
import statistics, sys
t, o, r = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
mo, mr = statistics.median(o), statistics.median(r)
print(f"{t.upper():6} ours {mo:>10.0f}  redis {mr:>10.0f}  ratio {mo / mr:.2f}  "
      f"runs(k) ours {[round(x / 1000) for x in o]} redis {[round(x / 1000) for x in r]}")
PY
done
