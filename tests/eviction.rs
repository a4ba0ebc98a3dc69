//! `maxmemory` with tiering off: Redis's eviction policies and `-OOM`.
//!
//! What does not depend on byte counts (errors, what MULTI/EXEC do when
//! memory is short, which keys a policy may touch, WATCH seeing an
//! eviction) is played on our server and on redis-server 7.0 and compared
//! reply by reply. What does (how much is evicted, which keys survive) is
//! checked on our server against the policy's promise.

mod common;
use common::*;

use std::time::Duration;

type Step<'a> = (usize, &'a str);

fn play(port: u16, clients: usize, steps: &[Step]) -> Vec<String> {
    let mut conns: Vec<Conn> = (0..clients).map(|_| Conn::connect(port)).collect();
    steps
        .iter()
        .map(|(c, line)| {
            let args: Vec<&str> = line.split(' ').collect();
            format!("[{c}] {line} -> {}", show(&conns[*c].cmd(&args)))
        })
        .collect()
}

fn same_as_redis(clients: usize, steps: &[Step]) {
    let ours = Server::start(&[]);
    let got = play(ours.port, clients, steps);
    let Some(reference) = Server::start_reference(&[]) else {
        return;
    };
    let want = play(reference.port, clients, steps);
    assert_eq!(
        got,
        want,
        "\nours:\n{}\nredis:\n{}",
        got.join("\n"),
        want.join("\n")
    );
}

#[test]
fn noeviction_refuses_writes_and_queueing_but_serves_reads_and_deletes() {
    same_as_redis(
        2,
        &[
            (0, "SET k1 v"),
            (0, "SET k2 v"),
            (0, "CONFIG SET maxmemory 1"),
            (0, "SET k3 v"),
            (0, "APPEND k1 more"),
            (0, "GET k1"),
            (0, "DEL k2"),
            (0, "EXISTS k2"),
            // Inside MULTI nothing queues (queueing takes memory); EXEC
            // reports the earlier refusals.
            (0, "MULTI"),
            (0, "GET k1"),
            (0, "SET k4 v"),
            (0, "EXEC"),
            // A transaction queued while memory was fine, with a write in
            // it, is discarded at EXEC once memory is short...
            (0, "CONFIG SET maxmemory 0"),
            (0, "MULTI"),
            (0, "SET k5 v"),
            (1, "CONFIG SET maxmemory 1"),
            (0, "EXEC"),
            (0, "DISCARD"),
            // ... and one with reads only runs.
            (1, "CONFIG SET maxmemory 0"),
            (0, "MULTI"),
            (0, "GET k1"),
            (1, "CONFIG SET maxmemory 1"),
            (0, "EXEC"),
            (0, "CONFIG SET maxmemory 0"),
            (0, "SET k3 v"),
            (0, "DBSIZE"),
            (0, "INFO errorstats"),
        ],
    );
}

#[test]
fn volatile_policies_without_volatile_keys_refuse_writes() {
    same_as_redis(
        1,
        &[
            (0, "SET a 1"),
            (0, "SET b 2"),
            (0, "CONFIG SET maxmemory-policy volatile-lru"),
            (0, "CONFIG SET maxmemory 1"),
            (0, "SET c 3"),
            // EXPIRE is not refused; the key becomes a candidate and the
            // next write evicts it (and is still refused: the limit cannot
            // be met).
            (0, "EXPIRE a 1000"),
            (0, "SET c 3"),
            (0, "EXISTS a b c"),
            (0, "CONFIG SET maxmemory-policy volatile-ttl"),
            (0, "EXPIRE b 1000"),
            (0, "PING"),
            (0, "EXISTS a b c"),
            (0, "CONFIG SET maxmemory 0"),
        ],
    );
}

#[test]
fn eviction_invalidates_watch_and_counts() {
    same_as_redis(
        2,
        &[
            (0, "SET w 1"),
            (0, "SET x 2"),
            (0, "SET y 3"),
            (0, "WATCH w"),
            (1, "CONFIG SET maxmemory-policy allkeys-random"),
            (1, "CONFIG SET maxmemory 1"),
            (1, "PING"),
            (1, "CONFIG SET maxmemory 0"),
            (1, "DBSIZE"),
            (0, "MULTI"),
            (0, "SET w 5"),
            (0, "EXEC"),
            (0, "GET w"),
        ],
    );
    let s = Server::start(&[]);
    let mut c = s.conn();
    for i in 0..10 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    c.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    c.cmd(&["PING"]);
    c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "10");
}

fn info_field(c: &mut Conn, section: &str, field: &str) -> String {
    let r = Value::parse(&c.cmd(&["INFO", section])).text();
    r.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .to_string()
}

fn used_memory(c: &mut Conn) -> u64 {
    info_field(c, "memory", "used_memory")
        .parse()
        .expect("number")
}

/// Writes `n` keys `prefix:i` of `size` bytes in pipelined batches,
/// with `extra` arguments after the value (`EX ..`). Returns the number of
/// writes refused.
fn fill(port: u16, prefix: &str, n: usize, size: usize, extra: &[&str]) -> usize {
    let mut con = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .expect("url")
        .get_connection()
        .expect("connect");
    let value = vec![b'x'; size];
    let mut refused = 0;
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut p = redis::pipe();
        for i in chunk {
            p.cmd("SET")
                .arg(format!("{prefix}:{i}"))
                .arg(&value)
                .arg(extra);
        }
        let replies: Vec<redis::RedisResult<redis::Value>> = p
            .query::<Vec<redis::Value>>(&mut con)
            .map(|v| v.into_iter().map(Ok).collect())
            .unwrap_or_else(|e| vec![Err(e)]);
        refused += replies.iter().filter(|r| r.is_err()).count();
    }
    refused
}

/// Waits until eviction (a command's budget is short; the cron goes on)
/// has brought memory under `limit`.
fn wait_under(c: &mut Conn, limit: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while used_memory(c) > limit {
        assert!(std::time::Instant::now() < deadline, "never got under");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(c: &mut Conn, pattern: &str) -> usize {
    array_items(&c.cmd(&["KEYS", pattern]))
        .expect("array")
        .len()
}

#[test]
fn every_evicting_policy_keeps_memory_under_the_limit() {
    for policy in [
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let s = Server::start(&["--maxmemory-policy", policy]);
        let mut c = s.conn();
        let limit = used_memory(&mut c) + 4 * 1024 * 1024;
        c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
        // 20 MB of values, all with an expiry so volatile-* may evict them.
        let refused = fill(s.port, "k", 20_000, 1000, &["EX", "100000"]);
        assert_eq!(refused, 0, "{policy}: no write refused");
        let used = used_memory(&mut c);
        assert!(
            used <= limit + 64 * 1024,
            "{policy}: used {used} > limit {limit}"
        );
        let evicted: usize = info_field(&mut c, "stats", "evicted_keys")
            .parse()
            .expect("n");
        let left: usize = Value::parse(&c.cmd(&["DBSIZE"])).int().expect("int") as usize;
        assert!(evicted > 10_000, "{policy}: evicted {evicted}");
        assert_eq!(evicted + left, 20_000, "{policy}");
    }
}

#[test]
fn volatile_ttl_keeps_keys_without_expiry_and_evicts_soonest_first() {
    let s = Server::start(&["--maxmemory-policy", "volatile-ttl"]);
    let mut c = s.conn();
    fill(s.port, "persistent", 2000, 1000, &[]);
    fill(s.port, "soon", 2000, 1000, &["EX", "1000"]);
    fill(s.port, "late", 2000, 1000, &["EX", "900000"]);
    let used = used_memory(&mut c);
    // Make room for about a third of the values.
    let limit = used - 2_000 * 1000;
    c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    wait_under(&mut c, limit);
    assert_eq!(count(&mut c, "persistent:*"), 2000);
    let (soon, late) = (count(&mut c, "soon:*"), count(&mut c, "late:*"));
    assert!(soon < 500 && late > 1500, "soon {soon} late {late}");
}

#[test]
fn lfu_keeps_frequently_used_keys() {
    let s = Server::start(&["--maxmemory-policy", "allkeys-lfu"]);
    let mut c = s.conn();
    fill(s.port, "hot", 200, 1000, &[]);
    for _ in 0..30 {
        for i in 0..200 {
            c.cmd(&["GET", &format!("hot:{i}")]);
        }
    }
    let limit = used_memory(&mut c) + 3 * 1024 * 1024;
    c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    assert_eq!(fill(s.port, "cold", 20_000, 1000, &[]), 0);
    let hot = count(&mut c, "hot:*");
    assert!(hot >= 190, "only {hot} of 200 hot keys survived");
    assert!(count(&mut c, "cold:*") < 5000);
}

#[test]
fn eviction_that_runs_out_of_time_continues_in_the_background() {
    // Tenacity 0: no time per command, so a lowered limit is reached by
    // the cron and the following commands, not by one command.
    let s = Server::start(&[
        "--maxmemory-policy",
        "allkeys-random",
        "--maxmemory-eviction-tenacity",
        "0",
    ]);
    let mut c = s.conn();
    fill(s.port, "k", 5000, 1000, &[]);
    let limit = used_memory(&mut c) - 3_000 * 1000;
    c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    wait_under(&mut c, limit);
    let n = Value::parse(&c.cmd(&["DBSIZE"])).int().expect("int");
    assert!(n < 2500 && n > 0, "{n} keys left");
}
