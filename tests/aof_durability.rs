//! The append-only file through the real binary: acknowledged writes
//! survive `kill -9`, torn and corrupt logs at start, rewrites (manual,
//! automatic, during writes, with a cold tier), and switching the log on
//! and off at run time.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn start_in(dir: &Path, extra: &[&str]) -> Server {
    let d = dir.to_string_lossy().into_owned();
    let mut args = vec![
        "--dir",
        d.as_str(),
        "--appendonly",
        "yes",
        "--enable-debug-command",
        "yes",
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn info_field(c: &mut Conn, section: &str, field: &str) -> String {
    let info = Value::parse(&c.cmd(&["INFO", section])).text();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}: {info}"))
        .trim()
        .to_string()
}

fn wait_rewrite_done(c: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(c, "persistence", "aof_rewrite_in_progress") != "0"
        || info_field(c, "persistence", "aof_rewrite_scheduled") != "0"
    {
        assert!(Instant::now() < deadline, "the rewrite did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn digest(c: &mut Conn) -> String {
    Value::parse(&c.cmd(&["DEBUG", "DIGEST"])).text()
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).expect("manifest")
}

/// Starts a server with the AOF on in `dir`, runs `cmds`, and stops it
/// with SHUTDOWN NOSAVE (the log synced, no dump).
fn write_then_stop(dir: &Path, cmds: &[&[&str]]) {
    let s = start_in(dir, &[]);
    let mut c = s.conn();
    for cmd in cmds {
        c.cmd(cmd);
    }
    c.send_raw(&Conn::encode(&[b"SHUTDOWN", b"NOSAVE"]));
    let _ = c.read_reply();
}

/// Runs the binary on `dir` expecting it to refuse to start; returns its
/// output.
fn failed_start(dir: &Path, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_valkey-tiered"))
        .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "yes", "--dir"])
        .arg(dir)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success(), "the server started");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

/// Each of `clients` connections INCRs its own counter as fast as the
/// server acknowledges, remembering the last value acknowledged, until
/// the server is killed.
fn writers(port: u16, clients: usize, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<i64>> {
    // Connected here, before the caller can kill the server.
    let conns: Vec<Conn> = (0..clients).map(|_| Conn::connect(port)).collect();
    conns
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                c.set_read_timeout(Duration::from_secs(5));
                let key = format!("counter:{i}");
                let mut acked = 0;
                while !stop.load(Ordering::Relaxed) {
                    c.send_raw(&Conn::encode(&[b"INCR", key.as_bytes()]));
                    match c.try_read_reply() {
                        Ok(r) => match Value::parse(&r).int() {
                            Some(v) => acked = v,
                            None => panic!("INCR answered {}", show(&r)),
                        },
                        Err(_) => break,
                    }
                }
                acked
            })
        })
        .collect()
}

/// `kill -9` at random moments during a write stream: after a restart,
/// every acknowledged INCR is there (and at most the one in flight more).
fn crash_loop(fsync: &str, rounds: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut expected = [0i64; 3];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..rounds {
        let mut s = start_in(dir.path(), &["--appendfsync", fsync]);
        let mut c = s.conn();
        for (i, slot) in expected.iter_mut().enumerate() {
            let e = *slot;
            let got = Value::parse(&c.cmd(&["GET", &format!("counter:{i}")]))
                .text()
                .parse::<i64>()
                .unwrap_or(0);
            assert!(
                got == e || got == e + 1,
                "round {round} ({fsync}): counter {i} is {got} after the restart, {e} was acknowledged"
            );
            *slot = got;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let handles = writers(s.port, 3, stop.clone());
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 180));
        // SIGKILL: no shutdown code runs.
        s.child.kill().expect("kill -9");
        let _ = s.child.wait();
        stop.store(true, Ordering::Relaxed);
        for (i, h) in handles.into_iter().enumerate() {
            let acked = h.join().expect("writer");
            if acked > 0 {
                expected[i] = acked;
            }
        }
        drop(s);
    }
    let s = start_in(dir.path(), &["--appendfsync", fsync]);
    let mut c = s.conn();
    let total: i64 = (0..3)
        .map(|i| {
            Value::parse(&c.cmd(&["GET", &format!("counter:{i}")]))
                .text()
                .parse::<i64>()
                .unwrap_or(0)
        })
        .sum();
    assert!(total > 0, "nothing was written");
}

#[test]
fn acknowledged_writes_survive_kill_9_with_appendfsync_always() {
    crash_loop("always", 20);
}

#[test]
fn acknowledged_writes_survive_kill_9_with_appendfsync_everysec() {
    // The reply waits for the write to the file, so a process crash (not
    // a power loss) loses nothing here either.
    crash_loop("everysec", 6);
}

#[test]
fn a_torn_last_command_is_cut_or_refused_as_configured() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_then_stop(dir.path(), &[&["SET", "a", "1"], &["RPUSH", "l", "x", "y"]]);
    let incr = dir.path().join("appendonlydir/appendonly.aof.1.incr.aof");
    let good = std::fs::read(&incr).expect("incr file");
    let mut torn = good.clone();
    torn.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$5\r\nhel");
    std::fs::write(&incr, &torn).expect("write");
    // Refused when aof-load-truncated is off, naming file and offset.
    let out = failed_start(dir.path(), &["--aof-load-truncated", "no"]);
    assert!(
        out.contains("appendonly.aof.1.incr.aof")
            && out.contains(&format!("offset {}", good.len())),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&incr).expect("incr"),
        torn,
        "the file is untouched"
    );
    // Cut off (and the file truncated) when it is on, the default.
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(show(&c.cmd(&["GET", "a"])), "$1\\r\\n1\\r\\n");
    assert_eq!(show(&c.cmd(&["EXISTS", "b"])), ":0\\r\\n");
    assert_eq!(Value::parse(&c.cmd(&["LLEN", "l"])).int(), Some(2));
    drop(c);
    drop(s);
    let now = std::fs::read(&incr).expect("incr");
    assert!(now.starts_with(&good), "what was good is kept");
}

#[test]
fn a_transaction_without_exec_is_a_torn_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_then_stop(dir.path(), &[&["SET", "a", "1"]]);
    let incr = dir.path().join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut data = std::fs::read(&incr).expect("incr");
    let cut = data.len();
    data.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n2\r\n");
    std::fs::write(&incr, &data).expect("write");
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(
        show(&c.cmd(&["GET", "a"])),
        "$1\\r\\n1\\r\\n",
        "half a transaction is not applied"
    );
    drop(c);
    drop(s);
    assert_eq!(std::fs::read(&incr).expect("incr").len(), cut);
}

#[test]
fn corruption_before_the_end_stops_the_start_with_file_and_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_then_stop(dir.path(), &[&["SET", "a", "1"], &["SET", "b", "2"]]);
    let incr = dir.path().join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut data = std::fs::read(&incr).expect("incr");
    // The second SET's `*3` becomes `!3`.
    let at = data
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"*3")
        .map(|(i, _)| i)
        .nth(1)
        .expect("second command");
    data[at] = b'!';
    std::fs::write(&incr, &data).expect("write");
    let out = failed_start(dir.path(), &[]);
    assert!(
        out.contains("Bad file format") && out.contains(&format!("offset {at}")),
        "{out}"
    );
    // An unknown command is refused too.
    let mut data = std::fs::read(&incr).expect("incr");
    data[at] = b'*';
    data.extend_from_slice(b"*1\r\n$7\r\nNOTACMD\r\n");
    std::fs::write(&incr, &data).expect("write");
    let out = failed_start(dir.path(), &[]);
    assert!(out.contains("Unknown command 'NOTACMD'"), "{out}");
}

#[test]
fn bgrewriteaof_switches_to_a_new_base_and_keeps_everything() {
    rewrite_round_trip("yes");
}

#[test]
fn a_base_of_commands_replays_the_same() {
    rewrite_round_trip("no");
}

fn rewrite_round_trip(preamble: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ext = if preamble == "yes" { "rdb" } else { "aof" };
    let opts = ["--aof-use-rdb-preamble", preamble];
    let s = start_in(dir.path(), &opts);
    let mut c = s.conn();
    for i in 0..500 {
        c.cmd(&["SET", &format!("k{i}"), &format!("v{i}")]);
        c.cmd(&["HSET", "h", &format!("f{i}"), "x"]);
    }
    c.cmd(&["SET", "ttl", "v", "EX", "100000"]);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&[
        "ZADD", "z", "1.5", "a", "-inf", "b", "0.1", "c", "1e300", "d",
    ]);
    c.cmd(&["SADD", "ints", "1", "-7", "300000"]);
    c.cmd(&["SADD", "strs", "x", "y\r\nz"]);
    for i in 0..150 {
        c.cmd(&["RPUSH", "biglist", &format!("e{i}")]);
        c.cmd(&[
            "ZADD",
            "bigz",
            &format!("{}", i as f64 / 7.0),
            &format!("m{i}"),
        ]);
    }
    c.cmd(&["PFADD", "hll", "a", "b", "c"]);
    assert_eq!(
        show(&c.cmd(&["BGREWRITEAOF"])),
        "+Background append only file rewriting started\\r\\n"
    );
    // Writes during the rewrite land in the new incremental file.
    for i in 0..200 {
        c.cmd(&["RPUSH", "during", &i.to_string()]);
    }
    wait_rewrite_done(&mut c);
    assert_eq!(info_field(&mut c, "persistence", "aof_rewrites"), "1");
    assert_eq!(
        info_field(&mut c, "persistence", "aof_last_bgrewrite_status"),
        "ok"
    );
    let m = manifest(dir.path());
    assert_eq!(
        m,
        format!("file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
    );
    let files: Vec<String> = std::fs::read_dir(dir.path().join("appendonlydir"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files.iter().any(|f| f.contains(".1.")),
        "old files deleted: {files:?}"
    );
    c.cmd(&["SET", "after", "1"]);
    let before = digest(&mut c);
    assert_eq!(show(&c.cmd(&["DEBUG", "LOADAOF"])), "+OK\\r\\n");
    assert_eq!(digest(&mut c), before, "DEBUG LOADAOF");
    drop(c);
    drop(s);
    let s = start_in(dir.path(), &opts);
    let mut c = s.conn();
    assert_eq!(digest(&mut c), before, "after a restart");
    let ttl = Value::parse(&c.cmd(&["TTL", "ttl"])).int().expect("ttl");
    assert!(ttl > 99_000, "{ttl}");
}

#[test]
fn a_rewrite_under_a_write_stream_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    for i in 0..3000 {
        c.cmd(&["SET", &format!("pre{i}"), &"x".repeat(100)]);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let handles = writers(s.port, 2, stop.clone());
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(30));
        c.cmd(&["BGREWRITEAOF"]);
        wait_rewrite_done(&mut c);
    }
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<i64> = handles
        .into_iter()
        .map(|h| h.join().expect("writer"))
        .collect();
    let before = digest(&mut c);
    drop(c);
    drop(s);
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(digest(&mut c), before);
    for (i, a) in acked.iter().enumerate() {
        let v = Value::parse(&c.cmd(&["GET", &format!("counter:{i}")])).text();
        assert_eq!(v, a.to_string());
    }
}

#[test]
fn cold_values_are_in_the_rewritten_base() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cold = [
        "--tiering",
        "yes",
        "--maxmemory",
        "4mb",
        "--tiering-min-value-size",
        "0",
    ];
    let s = start_in(dir.path(), &cold);
    let mut c = s.conn();
    for i in 0..3000 {
        c.cmd(&[
            "SET",
            &format!("k{i}"),
            &format!("{i}:{}", "v".repeat(2000)),
        ]);
    }
    c.cmd(&["RPUSH", "list", "a", "b", "c"]);
    let cold_keys: u64 = info_field(&mut c, "tiering", "cold_keys")
        .parse()
        .expect("n");
    assert!(cold_keys > 1000, "the test needs cold keys: {cold_keys}");
    c.cmd(&["BGREWRITEAOF"]);
    wait_rewrite_done(&mut c);
    let before = digest(&mut c);
    drop(c);
    drop(s);
    let s = start_in(dir.path(), &cold);
    let mut c = s.conn();
    assert_eq!(digest(&mut c), before);
}

#[test]
fn config_set_appendonly_turns_the_log_on_with_the_data_and_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_string_lossy().into_owned();
    let s = Server::start(&["--dir", &d, "--enable-debug-command", "yes"]);
    let mut c = s.conn();
    c.cmd(&["SET", "before", "1"]);
    c.cmd(&["SADD", "s", "a", "b"]);
    assert_eq!(info_field(&mut c, "persistence", "aof_enabled"), "0");
    assert_eq!(
        show(&c.cmd(&["CONFIG", "SET", "appendonly", "yes"])),
        "+OK\\r\\n"
    );
    c.cmd(&["SET", "after", "2"]);
    wait_rewrite_done(&mut c);
    assert_eq!(info_field(&mut c, "persistence", "aof_enabled"), "1");
    c.cmd(&["SET", "later", "3"]);
    let before = digest(&mut c);
    drop(c);
    drop(s);
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(digest(&mut c), before);
    assert_eq!(
        show(&c.cmd(&["CONFIG", "SET", "appendonly", "no"])),
        "+OK\\r\\n"
    );
    assert_eq!(info_field(&mut c, "persistence", "aof_enabled"), "0");
    c.cmd(&["SET", "not-logged", "1"]);
    drop(c);
    drop(s);
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(
        digest(&mut c),
        before,
        "the write after `appendonly no` is not in the log"
    );
}

#[test]
fn the_log_rewrites_itself_as_it_grows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(
        dir.path(),
        &[
            "--auto-aof-rewrite-min-size",
            "64kb",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let mut c = s.conn();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut i = 0;
    while info_field(&mut c, "persistence", "aof_rewrites") == "0" {
        assert!(Instant::now() < deadline, "no automatic rewrite");
        for _ in 0..200 {
            // Overwrites: the log grows, the dataset does not.
            c.cmd(&["SET", "same", &format!("{i}:{}", "x".repeat(500))]);
            i += 1;
        }
    }
    wait_rewrite_done(&mut c);
    // The new base holds the one key, not the history of overwrites.
    let base: u64 = info_field(&mut c, "persistence", "aof_base_size")
        .parse()
        .expect("size");
    assert!(base < 4096, "the rewritten base is small: {base}");
    assert!(manifest(dir.path()).contains(".base.rdb seq 2 type b"));
}

#[test]
fn bgsave_and_bgrewriteaof_take_turns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    for i in 0..20_000 {
        c.send_raw(&Conn::encode(&[b"SET", format!("k{i}").as_bytes(), b"v"]));
    }
    for _ in 0..20_000 {
        c.read_reply();
    }
    c.cmd(&["BGREWRITEAOF"]);
    let r = show(&c.cmd(&["BGSAVE"]));
    if info_field(&mut c, "persistence", "aof_rewrite_in_progress") == "1" {
        assert!(r.contains("An AOF log rewriting in progress"), "{r}");
        // Scheduled, or started if the rewrite ended meanwhile.
        let r = show(&c.cmd(&["BGSAVE", "SCHEDULE"]));
        assert!(
            r == "+Background saving scheduled\\r\\n" || r == "+Background saving started\\r\\n",
            "{r}"
        );
    }
    wait_rewrite_done(&mut c);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.path().join("dump.rdb").exists()
        || info_field(&mut c, "persistence", "rdb_bgsave_in_progress") != "0"
    {
        assert!(
            Instant::now() < deadline,
            "the scheduled BGSAVE did not run"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_log_replays_whatever_the_password_and_the_memory_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = ["--requirepass", "pw", "--tiering", "no"];
    let s = start_in(dir.path(), &opts);
    let mut c = s.conn();
    c.cmd(&["AUTH", "pw"]);
    for i in 0..2000 {
        c.cmd(&["SET", &format!("k{i}"), &"x".repeat(1000)]);
    }
    drop(c);
    drop(s);
    // Replayed in full although it is over maxmemory with noeviction:
    // the commands were accepted when they ran.
    let tight = [
        "--requirepass",
        "pw",
        "--tiering",
        "no",
        "--maxmemory",
        "1mb",
        "--maxmemory-policy",
        "noeviction",
    ];
    let s = start_in(dir.path(), &tight);
    let mut c = s.conn();
    c.cmd(&["AUTH", "pw"]);
    assert_eq!(Value::parse(&c.cmd(&["DBSIZE"])).int(), Some(2000));
    let r = show(&c.cmd(&["SET", "more", "x"]));
    assert!(r.starts_with("-OOM"), "{r}");
}

#[test]
fn a_log_bigger_than_maxmemory_replays_into_the_cold_tier() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(dir.path(), &["--tiering", "no"]);
    let mut c = s.conn();
    let n = 20_000;
    for i in 0..n {
        c.send_raw(&Conn::encode(&[
            b"SET",
            format!("k{i}").as_bytes(),
            format!("{i}:{}", "v".repeat(2000)).as_bytes(),
        ]));
    }
    for _ in 0..n {
        c.read_reply();
    }
    let before = digest(&mut c);
    drop(c);
    drop(s);
    // 40 MB of values replayed under a 4 MB hot tier: the memory peak
    // stays far below the dataset.
    let s = start_in(
        dir.path(),
        &[
            "--tiering",
            "yes",
            "--maxmemory",
            "4mb",
            "--tiering-min-value-size",
            "0",
        ],
    );
    let mut c = s.conn();
    let peak: u64 = info_field(&mut c, "memory", "used_memory_peak")
        .parse()
        .expect("peak");
    eprintln!("used_memory_peak after the replay: {peak}");
    assert!(peak < 16 << 20, "peak {peak} bytes for 40 MB of values");
    let mut c = s.conn();
    assert_eq!(digest(&mut c), before);
}
