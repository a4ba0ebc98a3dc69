//! Tiering: values demoted to the cold tier (RocksDB) and promoted back,
//! checked through real clients. Transparency over random command streams
//! is the differential's job (`resp*_tiering_against_redis`); these tests
//! pin what a stream cannot show: which commands read the disk, what the
//! counters say, persistence of cold values, the RAM bound.

mod common;
use common::*;

use std::time::Duration;

/// Our server with every value demoted before each command.
fn all_cold() -> Server {
    Server::start(&[ALL_COLD, &["--enable-debug-command", "yes"][..]].concat())
}

/// A reply in brief: `+OK`, `:1`, `$text`, `$-1`, `*[$a, :1]`, `-ERR ...`.
fn brief(v: &Value) -> String {
    match v {
        Value::Simple(s) => format!("+{s}"),
        Value::Error(e) => format!("-{e}"),
        Value::Int(i) => format!(":{i}"),
        Value::Bulk(b) => format!("${}", String::from_utf8_lossy(b)),
        Value::Nil => "$-1".into(),
        Value::Array(a) | Value::Set(a) => {
            format!("*[{}]", a.iter().map(brief).collect::<Vec<_>>().join(", "))
        }
        other => format!("{other:?}"),
    }
}

fn q(c: &mut Conn, args: &[&str]) -> String {
    brief(&Value::parse(&c.cmd(args)))
}

/// `used_memory` from `INFO memory`.
fn used_memory(c: &mut Conn) -> i64 {
    Value::parse(&c.cmd(&["INFO", "memory"]))
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

/// Sets keys `<prefix><i>` to `value(i)` for every `i` below `n`,
/// pipelined 500 at a time.
fn set_all(r: &mut redis::Connection, prefix: &str, n: usize, value: impl Fn(usize) -> String) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut pipe = redis::pipe();
        for &i in chunk {
            pipe.cmd("SET")
                .arg(format!("{prefix}{i}"))
                .arg(value(i))
                .ignore();
        }
        let () = pipe.query(r).expect("pipeline");
    }
}

/// Every `step`-th key `<prefix><i>` below `n` reads back as `value(i)`.
fn spot_check(
    r: &mut redis::Connection,
    prefix: &str,
    n: usize,
    step: usize,
    value: impl Fn(usize) -> String,
) {
    for i in (0..n).step_by(step) {
        let got: String = redis::cmd("GET")
            .arg(format!("{prefix}{i}"))
            .query(r)
            .expect("GET");
        assert_eq!(got, value(i), "{prefix}{i}");
    }
}

/// `INFO tiering` as field -> value.
fn tiering_info(c: &mut Conn) -> std::collections::HashMap<String, String> {
    let text = Value::parse(&c.cmd(&["INFO", "tiering"])).text();
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

fn field(c: &mut Conn, name: &str) -> i64 {
    tiering_info(c)
        .get(name)
        .unwrap_or_else(|| panic!("INFO tiering has no {name}"))
        .parse()
        .expect("integer field")
}

#[test]
fn every_type_round_trips_through_the_cold_tier() {
    let s = all_cold();
    let mut c = s.conn();
    let long = "x".repeat(5000);
    for cmd in [
        vec!["SET", "s:int", "12345"],
        vec!["SET", "s:emb", "hello"],
        vec!["SET", "s:raw", long.as_str()],
        vec!["RPUSH", "l", "a", "b", "c"],
        vec!["HSET", "h", "f1", "v1", "f2", "v2"],
        vec!["SADD", "si", "1", "2", "70000"],
        vec!["SADD", "ss", "a", "b"],
        vec!["ZADD", "z", "1", "a", "2.5", "b", "-inf", "c"],
        vec!["PFADD", "hll", "a", "b", "c"],
    ] {
        c.cmd(&cmd);
    }
    // One more command so the last write is demoted too.
    c.cmd(&["PING"]);
    assert_eq!(field(&mut c, "cold_keys"), 9);
    assert_eq!(field(&mut c, "hot_keys"), 0);
    // Header-only commands answer without promoting.
    let promotions = field(&mut c, "promotions");
    assert_eq!(q(&mut c, &["TYPE", "z"]), "+zset");
    assert_eq!(q(&mut c, &["OBJECT", "ENCODING", "si"]), "$intset");
    assert_eq!(q(&mut c, &["OBJECT", "ENCODING", "s:raw"]), "$raw");
    assert_eq!(q(&mut c, &["EXISTS", "l", "h", "nope"]), ":2");
    assert_eq!(q(&mut c, &["TTL", "h"]), ":-1");
    assert_eq!(q(&mut c, &["DBSIZE"]), ":9");
    assert_eq!(field(&mut c, "promotions"), promotions);
    // Reads bring each value back intact, in its representation.
    assert_eq!(q(&mut c, &["GET", "s:int"]), "$12345");
    assert_eq!(q(&mut c, &["OBJECT", "ENCODING", "s:int"]), "$int");
    assert_eq!(q(&mut c, &["GET", "s:emb"]), "$hello");
    assert_eq!(
        Value::parse(&c.cmd(&["GET", "s:raw"])).text(),
        long,
        "long string"
    );
    assert_eq!(q(&mut c, &["LRANGE", "l", "0", "-1"]), "*[$a, $b, $c]");
    assert_eq!(q(&mut c, &["HGET", "h", "f2"]), "$v2");
    assert_eq!(q(&mut c, &["SMEMBERS", "si"]), "*[$1, $2, $70000]");
    assert_eq!(q(&mut c, &["SISMEMBER", "ss", "b"]), ":1");
    assert_eq!(
        q(&mut c, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        "*[$c, $-inf, $a, $1, $b, $2.5]"
    );
    assert_eq!(q(&mut c, &["PFCOUNT", "hll"]), ":3");
    assert!(field(&mut c, "promotions") >= promotions + 9);
    // Each value was loaded before its command ran, off the command
    // thread, not by the command's own lookup.
    assert_eq!(field(&mut c, "cold_sync_loads"), 0);
    assert!(field(&mut c, "cold_read_p99_us") >= field(&mut c, "cold_read_p50_us"));
}

#[test]
fn blind_writes_do_not_read_the_old_value() {
    let s = all_cold();
    let mut c = s.conn();
    c.cmd(&["SET", "a", "old"]);
    c.cmd(&["RPUSH", "b", "x"]);
    c.cmd(&["SET", "c", "old"]);
    c.cmd(&["SET", "d", "old"]);
    c.cmd(&["SET", "f", "old", "EX", "100"]);
    c.cmd(&["SET", "g", "old", "EX", "100"]);
    c.cmd(&["PING"]);
    let hits = field(&mut c, "cold_hits");
    assert_eq!(q(&mut c, &["SET", "a", "new"]), "+OK");
    // A key with an expiry takes another path; still no read.
    assert_eq!(q(&mut c, &["SET", "f", "new"]), "+OK");
    assert_eq!(q(&mut c, &["SET", "g", "new", "EX", "200"]), "+OK");
    assert_eq!(q(&mut c, &["DEL", "b"]), ":1");
    assert_eq!(q(&mut c, &["UNLINK", "c"]), ":1");
    assert_eq!(q(&mut c, &["EXPIRE", "d", "100"]), ":1");
    assert_eq!(q(&mut c, &["PERSIST", "d"]), ":1");
    assert_eq!(q(&mut c, &["RENAME", "d", "e"]), "+OK");
    assert_eq!(q(&mut c, &["MOVE", "e", "1"]), ":1");
    assert_eq!(
        field(&mut c, "cold_hits"),
        hits,
        "a blind write read the disk"
    );
    // No resurrection: the overwritten and deleted values are gone.
    assert_eq!(q(&mut c, &["GET", "a"]), "$new");
    assert_eq!(q(&mut c, &["GET", "f"]), "$new");
    assert_eq!(q(&mut c, &["TTL", "f"]), ":-1");
    assert_eq!(q(&mut c, &["GET", "g"]), "$new");
    let ttl: i64 = q(&mut c, &["TTL", "g"])[1..].parse().expect("TTL");
    assert!((101..=200).contains(&ttl), "TTL {ttl}");
    assert_eq!(q(&mut c, &["LRANGE", "b", "0", "-1"]), "*[]");
    assert_eq!(q(&mut c, &["GET", "c"]), "$-1");
    assert_eq!(q(&mut c, &["SELECT", "1"]), "+OK");
    assert_eq!(q(&mut c, &["GET", "e"]), "$old");
}

#[test]
fn cold_keys_expire_on_time_without_being_read() {
    let s = all_cold();
    let mut c = s.conn();
    for i in 0..50 {
        c.cmd(&["SET", &format!("k{i}"), "v", "PX", "100"]);
    }
    c.cmd(&["SET", "stay", "v"]);
    c.cmd(&["PING"]);
    assert_eq!(field(&mut c, "cold_keys"), 51);
    let hits = field(&mut c, "cold_hits");
    std::thread::sleep(Duration::from_millis(600));
    // Active expiry removes them; nothing was read back.
    let mut left = 51;
    for _ in 0..50 {
        left = Value::parse(&c.cmd(&["DBSIZE"])).int().expect("int");
        if left == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(left, 1);
    assert_eq!(field(&mut c, "cold_hits"), hits);
    assert_eq!(field(&mut c, "cold_keys"), 1);
}

#[test]
fn cold_values_are_saved_and_loaded() {
    let s = all_cold();
    let mut c = s.conn();
    c.cmd(&["SET", "s", "value"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    c.cmd(&["ZADD", "z", "3", "m"]);
    c.cmd(&["SET", "t", "v", "EX", "1000"]);
    c.cmd(&["PING"]);
    assert_eq!(field(&mut c, "cold_keys"), 4);
    // SAVE and DEBUG RELOAD go through the cold tier.
    assert_eq!(q(&mut c, &["DEBUG", "RELOAD"]), "+OK");
    assert_eq!(q(&mut c, &["GET", "s"]), "$value");
    assert_eq!(q(&mut c, &["HGET", "h", "f"]), "$v");
    assert_eq!(q(&mut c, &["ZSCORE", "z", "m"]), "$3");
    assert!(Value::parse(&c.cmd(&["TTL", "t"])).int().expect("ttl") > 900);
    // BGSAVE while values are cold, then a fresh server loads the file.
    c.cmd(&["PING"]);
    assert_eq!(q(&mut c, &["BGSAVE"]), "+Background saving started");
    for _ in 0..100 {
        let info = Value::parse(&c.cmd(&["INFO", "persistence"])).text();
        if info.contains("rdb_bgsave_in_progress:0") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let file = s.dir.path().join("dump.rdb");
    let copy = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&file, copy.path().join("dump.rdb")).expect("copy rdb");
    let plain = Server::start(&["--dir", copy.path().to_str().expect("utf-8")]);
    let mut p = plain.conn();
    assert_eq!(q(&mut p, &["GET", "s"]), "$value");
    assert_eq!(q(&mut p, &["HGET", "h", "f"]), "$v");
    assert_eq!(q(&mut p, &["ZSCORE", "z", "m"]), "$3");
    assert_eq!(q(&mut p, &["DBSIZE"]), ":4");
}

#[test]
fn copy_flush_and_swapdb_with_cold_keys() {
    let s = all_cold();
    let mut c = s.conn();
    c.cmd(&["RPUSH", "l", "1", "2"]);
    c.cmd(&["SET", "x", "y"]);
    c.cmd(&["PING"]);
    assert_eq!(q(&mut c, &["COPY", "l", "l2"]), ":1");
    assert_eq!(q(&mut c, &["LRANGE", "l2", "0", "-1"]), "*[$1, $2]");
    assert_eq!(q(&mut c, &["LRANGE", "l", "0", "-1"]), "*[$1, $2]");
    assert_eq!(q(&mut c, &["SWAPDB", "0", "3"]), "+OK");
    assert_eq!(q(&mut c, &["SELECT", "3"]), "+OK");
    assert_eq!(q(&mut c, &["GET", "x"]), "$y");
    assert_eq!(q(&mut c, &["FLUSHALL"]), "+OK");
    assert_eq!(field(&mut c, "cold_keys"), 0);
    assert_eq!(q(&mut c, &["GET", "x"]), "$-1");
    assert_eq!(q(&mut c, &["DBSIZE"]), ":0");
}

#[test]
fn stale_cold_files_are_removed_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cold = dir.path().join("cold");
    std::fs::create_dir_all(&cold).expect("mkdir");
    std::fs::write(cold.join("STALE-FILE"), b"left by a crash").expect("write");
    let s = Server::start(&[
        "--dir",
        dir.path().to_str().expect("utf-8"),
        "--tiering",
        "yes",
    ]);
    let mut c = s.conn();
    assert_eq!(field(&mut c, "tiering_enabled"), 1);
    assert!(!cold.join("STALE-FILE").exists());
    assert!(cold.join("CURRENT").exists(), "RocksDB opened there");
}

/// Under a write flood bigger than `maxmemory`, the hot tier stays within
/// the bound by demoting, and nothing is lost.
#[test]
fn maxmemory_bounds_the_hot_tier_by_demoting() {
    let s = Server::start(&["--tiering", "yes", "--tiering-min-value-size", "64"]);
    let mut c = s.conn();
    let base: i64 = used_memory(&mut c);
    let limit = base + (4 << 20);
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]),
        "+OK"
    );
    let mut r = s.client();
    let value = |i: usize| format!("{i:08}-{}", "v".repeat(1000));
    let n = 20_000; // ~20 MB of values: five times the budget
    set_all(&mut r, "key:", n, value);
    let used: i64 = used_memory(&mut c);
    // Slack: one demotion batch and the connections' buffers.
    assert!(used <= limit + (1 << 20), "used {used} > limit {limit}");
    assert!(field(&mut c, "cold_keys") > (n / 2) as i64);
    assert!(field(&mut c, "cold_bytes_on_disk") >= 0);
    assert_eq!(q(&mut c, &["DBSIZE"]), format!(":{n}"));
    spot_check(&mut r, "key:", n, 997, value);
}

/// When keys and their headers alone fill `maxmemory`, commands that add
/// data are refused with Redis's `-OOM`, and reads still work.
#[test]
fn keys_alone_over_maxmemory_refuse_writes() {
    // No time budget for demotion: with one, a demotion round slowed by a
    // loaded machine ends as "still running", and Redis's rule lets the
    // command through.
    let s = Server::start(&[
        "--tiering",
        "yes",
        "--tiering-min-value-size",
        "0",
        "--maxmemory-eviction-tenacity",
        "100",
    ]);
    let mut c = s.conn();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    let r = q(&mut c, &["SET", "k2", "v"]);
    assert!(r.starts_with("-OOM"), "{r}");
    assert_eq!(q(&mut c, &["GET", "k"]), "$v");
}

/// Clients that need the same cold value at the same time wait for one
/// read; none of them loads it on the command thread.
#[test]
fn concurrent_readers_of_a_cold_key_share_one_read() {
    let s = Server::start(&["--tiering", "yes", "--tiering-min-value-size", "0"]);
    let mut c = s.conn();
    let big = "x".repeat(200_000);
    q(&mut c, &["SET", "big", &big]);
    // Over the limit: the next command demotes everything; then no limit,
    // so nothing is demoted again.
    demote_everything(&mut c);
    assert_eq!(field(&mut c, "cold_keys"), 1);
    let mut conns: Vec<Conn> = (0..16).map(|_| s.conn()).collect();
    for k in &mut conns {
        k.send_raw(&Conn::encode(&[b"GET", b"big"]));
    }
    for k in &mut conns {
        let r = k.read_reply().expect("reply");
        assert_eq!(Value::parse(&r).text().len(), big.len());
    }
    assert_eq!(field(&mut c, "cold_keys"), 0);
    assert_eq!(field(&mut c, "promotions"), 1);
    assert_eq!(field(&mut c, "cold_hits"), 1);
    assert_eq!(field(&mut c, "cold_sync_loads"), 0);
}

/// A client waiting for a cold value keeps its pipeline in order: the
/// replies come back in the order the commands were sent, with the cold
/// reads in between.
#[test]
fn pipelines_stay_in_order_across_cold_reads() {
    let s = all_cold();
    let mut c = s.conn();
    for i in 0..20 {
        q(&mut c, &["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    let mut batch = Vec::new();
    for i in 0..20 {
        batch.extend(Conn::encode(&[b"GET", format!("k{i}").as_bytes()]));
        batch.extend(Conn::encode(&[b"APPEND", format!("k{i}").as_bytes(), b"!"]));
        batch.extend(Conn::encode(&[b"PING"]));
    }
    c.send_raw(&batch);
    for i in 0..20 {
        let get = Value::parse(&c.read_reply().expect("GET")).text();
        assert_eq!(get, format!("v{i}"));
        let n = Value::parse(&c.read_reply().expect("APPEND")).int();
        assert_eq!(n, Some(format!("v{i}!").len() as i64));
        assert_eq!(
            brief(&Value::parse(&c.read_reply().expect("PING"))),
            "+PONG"
        );
    }
}

/// Demotes every value now, then lifts the limit so nothing is demoted
/// again: the keys stay cold until something reads them. Waits for the
/// demotion writes to be taken in (the cron does it with no `maxmemory`).
fn demote_everything(c: &mut Conn) {
    q(c, &["CONFIG", "SET", "maxmemory", "1"]);
    q(c, &["PING"]);
    q(c, &["CONFIG", "SET", "maxmemory", "0"]);
    let start = std::time::Instant::now();
    while field(c, "demotion_queue") > 0 {
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A slow cold read holds up only the client that needs it: another
/// client's commands on hot keys are answered meanwhile.
#[test]
fn a_slow_cold_read_does_not_delay_other_clients() {
    let s = Server::start(&[
        "--tiering",
        "yes",
        "--tiering-min-value-size",
        "0",
        "--enable-debug-command",
        "yes",
    ]);
    let mut c = s.conn();
    q(&mut c, &["SET", "cold", "slow"]);
    demote_everything(&mut c);
    q(&mut c, &["SET", "hot", "fast"]);
    assert_eq!(field(&mut c, "cold_keys"), 1);
    // Every cold read now takes two seconds.
    assert_eq!(
        q(&mut c, &["DEBUG", "TIERING-READ-DELAY", "2000000"]),
        "+OK"
    );
    let mut waiting = s.conn();
    waiting.send_raw(&Conn::encode(&[b"GET", b"cold"]));
    // The hot client is served while the cold read is under way.
    let mut other = s.conn();
    for _ in 0..20 {
        assert_eq!(q(&mut other, &["GET", "hot"]), "$fast");
        q(&mut other, &["INCR", "counter"]);
    }
    assert_eq!(q(&mut other, &["GET", "counter"]), "$20");
    // ... and the waiting client has no reply yet.
    waiting.set_read_timeout(Duration::from_millis(100));
    assert!(
        waiting.try_read_reply().is_err(),
        "the cold read should still be under way"
    );
    waiting.set_read_timeout(Duration::from_secs(30));
    assert_eq!(
        brief(&Value::parse(&waiting.read_reply().expect("GET"))),
        "$slow"
    );
    q(&mut c, &["DEBUG", "TIERING-READ-DELAY", "0"]);
}

/// SCAN returns every key that exists for the whole scan while a writer
/// moves values between the tiers (DESIGN §4, invariant 6).
#[test]
fn scan_sees_every_key_while_values_move_between_tiers() {
    let s = all_cold();
    let mut c = s.conn();
    let n = 2000;
    let mut r = s.client();
    set_all(&mut r, "stable:", n, |i| i.to_string());
    let port = s.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut w = Conn::connect(port);
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Promotions (reads, appends) and new keys that grow the
                // table while the scan runs; every command's value goes
                // cold again after it.
                let k = format!("stable:{}", i % n as u64);
                w.cmd(&["GET", &k]);
                w.cmd(&["SET", &format!("new:{i}"), "x"]);
                i += 1;
            }
        })
    };
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let reply = Value::parse(&c.cmd(&["SCAN", &cursor, "COUNT", "50"]));
        let items = reply.items();
        cursor = items[0].text();
        for k in items[1].items() {
            seen.insert(k.text());
        }
        if cursor == "0" {
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
    for i in 0..n {
        assert!(seen.contains(&format!("stable:{i}")), "stable:{i} missed");
    }
}

/// No resurrection: once a cold value is deleted, overwritten, expired or
/// flushed, its bytes are never seen again, even when the key comes back.
#[test]
fn dead_cold_values_never_come_back() {
    let s = all_cold();
    let mut c = s.conn();
    q(&mut c, &["RPUSH", "del", "old"]);
    q(&mut c, &["SET", "exp", "old", "PX", "50"]);
    q(&mut c, &["HSET", "flush", "f", "old"]);
    q(&mut c, &["SET", "over", "old"]);
    q(&mut c, &["DEL", "del"]);
    q(&mut c, &["RPUSH", "del", "new"]);
    assert_eq!(q(&mut c, &["LRANGE", "del", "0", "-1"]), "*[$new]");
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(q(&mut c, &["GET", "exp"]), "$-1");
    q(&mut c, &["APPEND", "exp", "new"]);
    assert_eq!(q(&mut c, &["GET", "exp"]), "$new");
    q(&mut c, &["SET", "over", "new"]);
    assert_eq!(q(&mut c, &["GET", "over"]), "$new");
    q(&mut c, &["FLUSHALL"]);
    assert_eq!(q(&mut c, &["HGETALL", "flush"]), "*[]");
    q(&mut c, &["HSET", "flush", "g", "new"]);
    assert_eq!(q(&mut c, &["HGETALL", "flush"]), "*[$g, $new]");
    assert_eq!(q(&mut c, &["DBSIZE"]), ":1");
}

/// An RDB file bigger than `maxmemory` loads with the excess going to the
/// cold tier as it streams in.
#[test]
fn a_dataset_bigger_than_maxmemory_loads_into_the_cold_tier() {
    let plain = Server::start(&[]);
    let mut r = plain.client();
    let value = |i: usize| format!("{i:06}:{}", "w".repeat(1000));
    let n = 20_000;
    set_all(&mut r, "k", n, value);
    let mut p = plain.conn();
    assert_eq!(q(&mut p, &["SAVE"]), "+OK");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        plain.dir.path().join("dump.rdb"),
        dir.path().join("dump.rdb"),
    )
    .expect("copy");
    // About a fifth of the dataset fits.
    let s = Server::start(&[
        "--dir",
        dir.path().to_str().expect("utf-8"),
        "--tiering",
        "yes",
        "--maxmemory",
        "8mb",
    ]);
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["DBSIZE"]), format!(":{n}"));
    assert!(field(&mut c, "cold_keys") > (n / 2) as i64);
    let used: i64 = used_memory(&mut c);
    assert!(used <= (8 << 20) + (1 << 20), "used_memory {used}");
    let mut rc = s.client();
    spot_check(&mut rc, "k", n, 991, value);
}

/// A full disk: demotion fails, so once the hot tier is full, writes get
/// `-OOM`; every acknowledged write is still readable. Needs a small
/// filesystem for the cold tier: a tmpfs mounted for the test (root
/// only; skipped with a notice otherwise).
#[test]
fn a_full_disk_refuses_writes_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cold = dir.path().join("cold");
    std::fs::create_dir_all(&cold).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&cold)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("NOTICE: cannot mount a small tmpfs (not root?); skipping the full-disk test");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(cold.clone());
    // The server recreates the directory: point it at a subdirectory of
    // the mount so the mount itself stays.
    let tier_dir = cold.join("tier");
    let s = Server::start(&[
        "--tiering",
        "yes",
        "--tiering-dir",
        tier_dir.to_str().expect("utf-8"),
        "--tiering-min-value-size",
        "0",
        "--tiering-compression",
        "none",
    ]);
    let mut c = s.conn();
    let limit = used_memory(&mut c) + (2 << 20);
    q(&mut c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    let value = |i: usize| format!("{i:06}:{}", "z".repeat(2000));
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..40_000 {
        let r = q(&mut c, &["SET", &format!("k{i}"), &value(i)]);
        if r == "+OK" {
            acked.push(i);
        } else {
            refused = Some(r);
            break;
        }
    }
    let refused = refused.expect("writes are refused once the disk is full");
    assert!(refused.starts_with("-OOM"), "{refused}");
    assert!(
        field(&mut c, "cold_write_errors") > 0,
        "refused before the disk filled"
    );
    assert!(acked.len() > 100);
    for &i in acked.iter().step_by(97).chain(acked.last()) {
        assert_eq!(
            Value::parse(&c.cmd(&["GET", &format!("k{i}")])).text(),
            value(i),
            "k{i}"
        );
    }
    // Reads and deletes still work, and free room.
    assert_eq!(q(&mut c, &["DEL", "k0"]), ":1");
    drop(s);
}

/// Fraction of a hot set still in RAM after a scan of read-once keys
/// several times the RAM budget, under `tiering-admission` `admission`.
fn hot_set_after_scan(admission: &str) -> f64 {
    let s = Server::start(&[
        "--tiering",
        "yes",
        "--tiering-min-value-size",
        "64",
        "--tiering-admission",
        admission,
        // The estimator's own memory (about 1 MB here) would come out
        // of this deliberately tight budget.
        "--tiering-estimator-samples",
        "0",
    ]);
    let mut c = s.conn();
    let mut r = s.client();
    let value = |i: usize| format!("{i:08}-{}", "v".repeat(1000));
    let n = 40_000;
    // The keys and their headers take about 3 MB; the values get about
    // 5 MB, and the hot set 1 MB of them.
    let hot = 1000;
    let limit = used_memory(&mut c) + (8 << 20);
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]),
        "+OK"
    );
    set_all(&mut r, "key:", n, value);
    let get_all = |r: &mut redis::Connection, range: std::ops::Range<usize>| {
        for chunk in range.collect::<Vec<_>>().chunks(100) {
            let mut pipe = redis::pipe();
            for &i in chunk {
                pipe.cmd("GET").arg(format!("key:{i}"));
            }
            let got: Vec<String> = pipe.query(r).expect("GET pipeline");
            for (&i, v) in chunk.iter().zip(&got) {
                assert_eq!(v, &value(i));
            }
        }
    };
    // The hot set, read a few times.
    for _ in 0..4 {
        get_all(&mut r, 0..hot);
    }
    let before = field(&mut c, "hot_hits");
    get_all(&mut r, 0..hot);
    let warm = field(&mut c, "hot_hits") - before;
    assert!(
        warm as f64 >= 0.95 * hot as f64,
        "{admission}: only {warm} of {hot} hot keys in RAM before the scan"
    );
    // A scan of every other key, once: 39 MB through the budget.
    get_all(&mut r, hot..n);
    let before = field(&mut c, "hot_hits");
    get_all(&mut r, 0..hot);
    let kept = field(&mut c, "hot_hits") - before;
    assert!(used_memory(&mut c) <= limit + (1 << 20));
    kept as f64 / hot as f64
}

/// A scan of read-once keys does not flush the hot set: values read back
/// once go on probation and leave first (`tiering-admission frequency`).
/// Without the gate, the same scan pushes most of the hot set out.
#[test]
fn a_scan_of_read_once_keys_does_not_flush_the_hot_set() {
    let gated = hot_set_after_scan("frequency");
    let always = hot_set_after_scan("always");
    eprintln!("hot set kept after the scan: frequency {gated:.3}, always {always:.3}");
    // Measured: 0.95-0.98 with the gate (the sketch admits a few scanned
    // keys by collision, and those push hot ones out), 0.000-0.001
    // without.
    assert!(
        gated >= 0.9,
        "frequency admission kept only {gated:.3} of the hot set"
    );
    assert!(
        always < gated - 0.5,
        "without the gate the scan should flush the hot set: kept {always:.3}"
    );
}

/// `ram_per_cold_key_bytes` is measured over the cold keys by the cron's
/// pass: a key's length, and a TTL, show in it.
#[test]
fn ram_per_cold_key_is_measured() {
    let s = all_cold();
    let mut c = s.conn();
    let mut r = s.client();
    let wait_for = |c: &mut Conn, want: &dyn Fn(i64) -> bool| {
        let start = std::time::Instant::now();
        loop {
            let v = field(c, "ram_per_cold_key_bytes");
            if want(v) || start.elapsed() > std::time::Duration::from_secs(10) {
                return v;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    set_all(&mut r, "k", 2000, |i| format!("v{i}"));
    c.cmd(&["PING"]);
    assert_eq!(field(&mut c, "cold_keys"), 2000);
    // Short keys (2 to 5 bytes), no TTL: a 28- to 32-byte record in the
    // cold-key table plus 4-8 bytes of buckets (a 64-byte table node plus
    // 8-16 bytes of buckets when cold keys stayed in the main table).
    let short = wait_for(&mut c, &|v| (30..=40).contains(&v));
    assert!((30..=40).contains(&short), "{short}");
    // MEMORY USAGE of a cold key at rest: its record, 24 bytes and the
    // 2-byte name rounded up to 4.
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "k5"]), b":28\r\n");
    // The same number of keys of 100 bytes, each with a TTL: the longer
    // record, the expiry record and a second copy of the key.
    c.cmd(&["FLUSHALL"]);
    let long = "x".repeat(94);
    let mut pipe = redis::pipe();
    for i in 0..2000 {
        pipe.cmd("SET")
            .arg(format!("{long}{i:06}"))
            .arg("v")
            .arg("EX")
            .arg(1000)
            .ignore();
    }
    let () = pipe.query(&mut r).expect("pipeline");
    c.cmd(&["PING"]);
    assert_eq!(field(&mut c, "cold_keys"), 2000);
    let with_ttl = wait_for(&mut c, &|v| v > short + 200);
    assert!(
        with_ttl > short + 200 && with_ttl < short + 300,
        "{short} -> {with_ttl}"
    );
}
