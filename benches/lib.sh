# Helpers shared by the benchmark scripts (sourced, not run): stopping and
# waiting for the server on $PORT.

stop() {
    redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do
        redis-cli -p "$PORT" ping >/dev/null 2>&1 || return 0
        sleep 0.2
    done
}

wait_up() {
    for _ in $(seq 1 100); do
        redis-cli -p "$PORT" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server on $PORT did not start" >&2
    exit 1
}
