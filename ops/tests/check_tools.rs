//! The offline tools as users run them: the real binaries on good,
//! truncated and damaged files — RDB files from our writer and from
//! redis-server, multi-part AOFs written by redis-server 7.0 — checking
//! exit codes, messages, and that `--fix` leaves an AOF that checks OK
//! (with redis-check-aof's verdict as a cross-check when it is installed).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use persistence::aof::encode_command;
use persistence::file::RdbWriter;
use persistence::object::{Form, Object};

const CHECK_RDB: &str = env!("CARGO_BIN_EXE_valkey-tiered-check-rdb");
const CHECK_AOF: &str = env!("CARGO_BIN_EXE_valkey-tiered-check-aof");

struct Run {
    code: i32,
    out: String,
}

fn run(bin: &str, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let o: Output = child.wait_with_output().expect("wait");
    let mut out = String::from_utf8_lossy(&o.stdout).into_owned();
    out.push_str(&String::from_utf8_lossy(&o.stderr));
    Run {
        code: o.status.code().expect("exit code"),
        out,
    }
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

// ---------------------------------------------------------------------------
// check-rdb

fn sample_rdb() -> Vec<u8> {
    let mut w = RdbWriter::new(true, -2);
    w.aux("redis-ver", b"7.2.4");
    w.aux("redis-bits", b"64");
    w.select_db(0, 3, 1);
    w.entry(b"s", &Object::Str(vec![b'x'; 300]), Form::Compact, None);
    w.entry(
        b"h",
        &Object::Hash(vec![(b"f".to_vec(), b"v".to_vec())]),
        Form::Compact,
        Some(4_102_444_800_000),
    );
    w.entry(
        b"z",
        &Object::ZSet(vec![(b"a".to_vec(), 1.5), (b"b".to_vec(), 2.0)]),
        Form::Large,
        None,
    );
    w.select_db(2, 1, 0);
    w.entry(
        b"l",
        &Object::List(vec![b"1".to_vec(), b"two".to_vec()]),
        Form::Large,
        None,
    );
    w.finish(true)
}

#[test]
fn check_rdb_reports_a_good_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("dump.rdb");
    std::fs::write(&f, sample_rdb()).expect("write");
    let r = run(CHECK_RDB, &[p(&f)], "");
    assert_eq!(r.code, 0, "{}", r.out);
    for want in [
        "RDB version: 10\n",
        "aux redis-ver = \"7.2.4\"\n",
        "db 0: 3 keys (hash 1, string 1, zset 1), 1 with an expiry, 1 compact\n",
        "db 2: 1 key (list 1), 0 with an expiry\n",
        "checksum: OK (",
        "RDB file is OK: 4 keys in 2 databases\n",
    ] {
        assert!(r.out.contains(want), "{want:?} not in:\n{}", r.out);
    }
}

#[test]
fn check_rdb_locates_damage() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = sample_rdb();
    let f = dir.path().join("dump.rdb");
    // Every cut: exit 1 with an offset within what is left.
    for cut in (0..good.len()).step_by(5) {
        std::fs::write(&f, &good[..cut]).expect("write");
        let r = run(CHECK_RDB, &[p(&f)], "");
        assert_eq!(r.code, 1, "cut {cut}: {}", r.out);
        let off: usize = r
            .out
            .split("error at offset ")
            .nth(1)
            .and_then(|s| s.split(':').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no offset in {}", r.out));
        assert!(off <= cut, "cut {cut}: offset {off}");
        assert!(r.out.ends_with("RDB file is NOT valid\n"), "{}", r.out);
    }
    // A flip in the middle.
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x01;
    std::fs::write(&f, &bad).expect("write");
    let r = run(CHECK_RDB, &[p(&f)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.out.contains("error at offset "), "{}", r.out);
    // The file as a whole is read before the sum is compared: a flip in
    // the stored checksum itself says so.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] ^= 0x80;
    std::fs::write(&f, &bad).expect("write");
    let r = run(CHECK_RDB, &[p(&f)], "");
    assert_eq!(r.code, 1);
    assert!(r.out.contains("wrong checksum"), "{}", r.out);
    assert!(
        r.out.contains("the last key read whole was \"l\" in db 2"),
        "{}",
        r.out
    );
    // Not an RDB at all; no file; no argument.
    std::fs::write(&f, b"*1\r\n$4\r\nPING\r\n").expect("write");
    let r = run(CHECK_RDB, &[p(&f)], "");
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains("error at offset 0: not an RDB file"),
        "{}",
        r.out
    );
    let r = run(CHECK_RDB, &[p(&dir.path().join("nope.rdb"))], "");
    assert_eq!(r.code, 1);
    assert!(r.out.contains("cannot read"), "{}", r.out);
    assert_eq!(run(CHECK_RDB, &[], "").code, 2);
}

// ---------------------------------------------------------------------------
// A redis-server 7.0 to write real files.

struct Redis {
    child: std::process::Child,
    sock: PathBuf,
}

impl Redis {
    fn start(dir: &Path, extra: &[&str]) -> Option<Redis> {
        let sock = dir.join("redis.sock");
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&sock)
            .arg("--dir")
            .arg(dir)
            .args(["--save", "", "--appendfsync", "always"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("NOTICE: redis-server is not installed; skipping");
            return None;
        };
        let r = Redis { child, sock };
        let start = Instant::now();
        while !r.cli(&["PING"]).contains("PONG") {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(r)
    }

    fn cli(&self, args: &[&str]) -> String {
        let o = Command::new("redis-cli")
            .arg("-s")
            .arg(&self.sock)
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Sends commands on one connection (for MULTI/EXEC).
    fn pipe(&self, lines: &str) {
        let mut c = Command::new("redis-cli")
            .arg("-s")
            .arg(&self.sock)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-cli");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(lines.as_bytes())
            .expect("write");
        c.wait().expect("wait");
    }

    fn wait_rewrite(&self) {
        let start = Instant::now();
        while !self
            .cli(&["INFO", "persistence"])
            .contains("aof_rewrite_in_progress:0")
            || self
                .cli(&["INFO", "persistence"])
                .contains("aof_rewrite_scheduled:1")
        {
            assert!(start.elapsed() < Duration::from_secs(20));
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(mut self) {
        let _ = self.cli(&["SHUTDOWN", "NOSAVE"]);
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn check_rdb_accepts_redis_files_and_fixtures() {
    let dir = tempfile::tempdir().expect("tmp");
    if let Some(r) = Redis::start(dir.path(), &[]) {
        r.cli(&["SET", "a", "1"]);
        r.cli(&["RPUSH", "l", "x", "y"]);
        r.cli(&["HSET", "h", "f", "v"]);
        r.cli(&["SADD", "s", "1", "2"]);
        r.cli(&["ZADD", "z", "1", "m"]);
        r.cli(&["SET", "e", "1", "EX", "1000"]);
        r.cli(&["SELECT", "3"]);
        assert!(r.cli(&["SAVE"]).contains("OK"));
        r.stop();
        let out = run(CHECK_RDB, &[p(&dir.path().join("dump.rdb"))], "");
        assert_eq!(out.code, 0, "{}", out.out);
        assert!(
            out.out.contains(
                "db 0: 6 keys (hash 1, list 1, set 1, string 2, zset 1), 1 with an expiry, 3 compact"
            ),
            "{}",
            out.out
        );
        assert!(out.out.contains("aux redis-ver = \"7."), "{}", out.out);
    }
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/rdb");
    for name in ["encodings.rdb", "hash-zipmap.rdb", "list-quicklist.rdb"] {
        let f = fixtures.join(name);
        if f.exists() {
            let out = run(CHECK_RDB, &[p(&f)], "");
            assert_eq!(out.code, 0, "{name}: {}", out.out);
        }
    }
    let f = fixtures.join("corrupt_ziplist.rdb");
    if f.exists() {
        let out = run(CHECK_RDB, &[p(&f)], "");
        assert_eq!(out.code, 1, "{}", out.out);
        assert!(out.out.contains("corrupt ziplist"), "{}", out.out);
    }
}

// ---------------------------------------------------------------------------
// check-aof

/// A multi-part AOF written by redis-server: an RDB base (or a command
/// base), an incremental file with plain commands and a transaction.
/// Returns the AOF directory, or None without redis-server.
fn redis_aof(dir: &Path, preamble: bool) -> Option<PathBuf> {
    let r = Redis::start(
        dir,
        &[
            "--appendonly",
            "yes",
            "--aof-use-rdb-preamble",
            if preamble { "yes" } else { "no" },
        ],
    )?;
    r.cli(&["SET", "k1", "v1"]);
    r.cli(&["RPUSH", "list", "a", "b", "c"]);
    r.cli(&["BGREWRITEAOF"]);
    r.wait_rewrite();
    r.cli(&["SET", "after", "rewrite"]);
    r.pipe("MULTI\nINCR n\nINCR n\nEXEC\n");
    r.cli(&["HSET", "h", "field", "value"]);
    r.stop();
    Some(dir.join("appendonlydir"))
}

fn manifest(aof: &Path) -> PathBuf {
    aof.join("appendonly.aof.manifest")
}

fn last_incr(aof: &Path) -> PathBuf {
    let text = std::fs::read_to_string(manifest(aof)).expect("manifest");
    let name = text
        .lines()
        .rfind(|l| l.ends_with("type i"))
        .and_then(|l| l.split(' ').nth(1))
        .expect("an incr file")
        .to_string();
    aof.join(name)
}

/// redis-check-aof's verdict, if it is installed: (valid, ok_up_to of the
/// last file it analysed).
fn redis_verdict(target: &Path) -> Option<(bool, Option<u64>)> {
    let o = Command::new("redis-check-aof").arg(target).output().ok()?;
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let ok_up_to = out
        .rsplit("ok_up_to=")
        .next()
        .filter(|_| out.contains("ok_up_to="))
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok());
    Some((o.status.success(), ok_up_to))
}

#[test]
fn check_aof_accepts_redis_multi_part_aofs() {
    for preamble in [true, false] {
        let dir = tempfile::tempdir().expect("tmp");
        let Some(aof) = redis_aof(dir.path(), preamble) else {
            return;
        };
        // The manifest, the directory: same verdict.
        for target in [manifest(&aof), aof.clone()] {
            let r = run(CHECK_AOF, &[p(&target)], "");
            assert_eq!(r.code, 0, "{}", r.out);
            assert!(r.out.ends_with("AOF is valid\n"), "{}", r.out);
            assert!(r.out.contains("Manifest "), "{}", r.out);
        }
        let r = run(CHECK_AOF, &[p(&aof)], "");
        if preamble {
            assert!(r.out.contains(".base.rdb: "), "{}", r.out);
            assert!(r.out.contains("RDB version 10 with 2 keys"), "{}", r.out);
        } else {
            assert!(r.out.contains(".base.aof: "), "{}", r.out);
        }
        // SELECT, SET, MULTI, INCR, INCR, EXEC, HSET.
        assert!(r.out.contains(".incr.aof: "), "{}", r.out);
        assert!(r.out.contains(" 7 commands: OK"), "{}", r.out);
        // Nothing to fix.
        let r = run(CHECK_AOF, &["--fix", "-y", p(&aof)], "");
        assert_eq!(r.code, 0, "{}", r.out);
    }
}

#[test]
fn fix_cuts_a_torn_last_command() {
    let dir = tempfile::tempdir().expect("tmp");
    let Some(aof) = redis_aof(dir.path(), true) else {
        return;
    };
    let incr = last_incr(&aof);
    let full = std::fs::read(&incr).expect("incr");
    // The HSET's start: the last command.
    let hset = full
        .windows(4)
        .rposition(|w| w == b"*4\r\n")
        .expect("the HSET");
    std::fs::write(&incr, &full[..full.len() - 5]).expect("cut");
    let r = run(CHECK_AOF, &[p(&aof)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(
        r.out.contains(&format!(
            "truncated: the file ends inside the command at offset {hset}; valid up to offset {hset}"
        )),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains(&format!("the first bad offset is {hset} in ")),
        "{}",
        r.out
    );
    assert!(r.out.contains("Run with --fix"), "{}", r.out);
    if let Some((valid, ok_up_to)) = redis_verdict(&manifest(&aof)) {
        assert!(!valid);
        assert_eq!(ok_up_to, Some(hset as u64), "redis-check-aof disagrees");
    }
    // Answering no (or nothing) changes nothing.
    for answer in ["n\n", "", "maybe\n"] {
        let r = run(CHECK_AOF, &["--fix", p(&aof)], answer);
        assert_eq!(r.code, 1, "{}", r.out);
        assert!(r.out.contains("Continue? [y/N]: "), "{}", r.out);
        assert!(r.out.contains("Not repaired."), "{}", r.out);
        assert_eq!(std::fs::read(&incr).expect("incr").len(), full.len() - 5);
    }
    // Answering yes cuts exactly at the torn command.
    let r = run(CHECK_AOF, &["--fix", p(&aof)], "y\n");
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(r.out.contains("Repaired: "), "{}", r.out);
    assert_eq!(std::fs::read(&incr).expect("incr"), &full[..hset]);
    let r = run(CHECK_AOF, &[p(&aof)], "");
    assert_eq!(r.code, 0, "{}", r.out);
    if let Some((valid, _)) = redis_verdict(&manifest(&aof)) {
        assert!(valid, "redis-check-aof rejects our repair");
    }
}

#[test]
fn fix_cuts_an_open_transaction_before_multi() {
    let dir = tempfile::tempdir().expect("tmp");
    let Some(aof) = redis_aof(dir.path(), true) else {
        return;
    };
    let incr = last_incr(&aof);
    let full = std::fs::read(&incr).expect("incr");
    let multi = full
        .windows(9)
        .position(|w| w.eq_ignore_ascii_case(b"$5\r\nMULTI"))
        .expect("MULTI")
        - 4;
    let exec = full
        .windows(8)
        .position(|w| w.eq_ignore_ascii_case(b"$4\r\nEXEC"))
        .expect("EXEC")
        - 4;
    // Cut just before EXEC: complete commands, an open transaction.
    std::fs::write(&incr, &full[..exec]).expect("cut");
    let r = run(CHECK_AOF, &[p(&aof)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(
        r.out.contains(&format!(
            "the transaction started by MULTI at offset {multi} has no EXEC"
        )),
        "{}",
        r.out
    );
    let r = run(CHECK_AOF, &["--fix", "--yes", p(&aof)], "");
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(std::fs::read(&incr).expect("incr"), &full[..multi]);
    assert_eq!(run(CHECK_AOF, &[p(&aof)], "").code, 0);
}

#[test]
fn fix_refuses_damage_that_is_not_a_torn_end() {
    let dir = tempfile::tempdir().expect("tmp");
    let Some(aof) = redis_aof(dir.path(), true) else {
        return;
    };
    let incr = last_incr(&aof);
    let full = std::fs::read(&incr).expect("incr");
    // Garbage in the middle of the last file, valid commands after it.
    let mut bad = full.clone();
    let second_cmd = full.windows(4).position(|w| w == b"*3\r\n").expect("SET");
    bad[second_cmd] = b'?';
    std::fs::write(&incr, &bad).expect("write");
    let r = run(CHECK_AOF, &["--fix", "-y", p(&aof)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.out.contains("bad format at offset"), "{}", r.out);
    assert!(r.out.contains("Cannot be repaired by --fix"), "{}", r.out);
    assert_eq!(
        std::fs::read(&incr).expect("incr"),
        bad,
        "the file was changed"
    );
    std::fs::write(&incr, &full).expect("restore");
    // Damage in the RDB base: refused, whatever the incr file holds.
    let base = aof.join(
        std::fs::read_dir(&aof)
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.ends_with(".base.rdb"))
            .expect("a base"),
    );
    let good_base = std::fs::read(&base).expect("base");
    let mut b = good_base.clone();
    let n = b.len();
    b[n - 20] ^= 0x55;
    std::fs::write(&base, &b).expect("write");
    let r = run(CHECK_AOF, &["--fix", "-y", p(&aof)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.out.contains("bad RDB at offset"), "{}", r.out);
    assert!(r.out.contains("cannot be repaired by cutting"), "{}", r.out);
    assert_eq!(std::fs::read(&base).expect("base"), b);
    std::fs::write(&base, &good_base).expect("restore");
    // A torn end in an incremental file that is not the last one.
    let second = "appendonly.aof.99.incr.aof";
    let mut m = std::fs::read_to_string(manifest(&aof)).expect("manifest");
    m.push_str(&format!("file {second} seq 99 type i\n"));
    std::fs::write(manifest(&aof), m).expect("manifest");
    let mut tail = Vec::new();
    encode_command(&mut tail, &["SET", "x", "y"]);
    std::fs::write(aof.join(second), &tail).expect("second");
    assert_eq!(run(CHECK_AOF, &[p(&aof)], "").code, 0);
    std::fs::write(&incr, &full[..full.len() - 3]).expect("cut");
    let r = run(CHECK_AOF, &["--fix", "-y", p(&aof)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(
        r.out.contains("is not the last file of the AOF"),
        "{}",
        r.out
    );
    assert_eq!(std::fs::read(&incr).expect("incr").len(), full.len() - 3);
    // A listed file that is missing.
    std::fs::remove_file(aof.join(second)).expect("rm");
    std::fs::write(&incr, &full).expect("restore");
    let r = run(CHECK_AOF, &[p(&aof)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.out.contains("cannot read"), "{}", r.out);
}

#[test]
fn single_files_garbage_tails_and_usage() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("appendonly.aof");
    let mut good = Vec::new();
    encode_command(&mut good, &["SELECT", "0"]);
    good.extend_from_slice(b"#TS:1700000000\r\n");
    encode_command(&mut good, &["SET", "a", "1"]);
    let end = good.len();
    // A torn write padded with zeros.
    let mut zeros = good.clone();
    zeros.extend([0u8; 64]);
    std::fs::write(&f, &zeros).expect("write");
    let r = run(CHECK_AOF, &[p(&f)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(
        r.out
            .contains("64 zero bytes follow the last complete command"),
        "{}",
        r.out
    );
    let r = run(CHECK_AOF, &["--fix", "-y", p(&f)], "");
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(std::fs::read(&f).expect("read"), good);
    // Garbage that ends the file (nothing readable after it).
    let mut garbage = good.clone();
    garbage.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1x\r\n");
    std::fs::write(&f, &garbage).expect("write");
    let r = run(CHECK_AOF, &[p(&f)], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.out.contains("nothing readable follows"), "{}", r.out);
    let r = run(CHECK_AOF, &["--fix", "-y", p(&f)], "");
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(std::fs::read(&f).expect("read").len(), end);
    // Usage errors.
    assert_eq!(run(CHECK_AOF, &[], "").code, 2);
    assert_eq!(run(CHECK_AOF, &["--bogus", p(&f)], "").code, 2);
    assert_eq!(run(CHECK_AOF, &[p(&f), p(&f)], "").code, 2);
    let r = run(CHECK_AOF, &[p(&dir.path().join("none.aof"))], "");
    assert_eq!(r.code, 1);
    // A directory without a manifest.
    let r = run(CHECK_AOF, &[p(dir.path())], "");
    assert_eq!(r.code, 1);
    assert!(r.out.contains("no AOF manifest"), "{}", r.out);
    // A manifest that does not parse: named, with its line, never fixed.
    let m = dir.path().join("appendonly.aof.manifest");
    std::fs::write(&m, "file appendonly.aof.1.incr.aof seq 1 type q\n").expect("write");
    let r = run(CHECK_AOF, &["--fix", "-y", p(dir.path())], "");
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.out.contains("invalid AOF manifest line 1"), "{}", r.out);
}

// ---------------------------------------------------------------------------
// check-rdb against redis-check-rdb on damaged files.

#[path = "../../persistence/tests/legacy/mod.rs"]
mod legacy;

/// An RDB version 10 file (what Redis 7.0 reads) holding every object
/// Redis 7.0 knows, legacy encodings included, with expiries.
fn rich_rdb() -> Vec<u8> {
    let mut w = persistence::rdb::Writer::new(true);
    w.buf.extend_from_slice(b"REDIS0010");
    w.byte(persistence::rdb::OP_AUX);
    w.string(b"redis-ver");
    w.string(b"7.0.15");
    w.byte(persistence::rdb::OP_SELECTDB);
    w.length(0);
    let objects: Vec<Vec<u8>> = legacy::legacy_objects()
        .into_iter()
        .filter(|o| o[0] != persistence::rdb::TYPE_SET_LISTPACK)
        .collect();
    for (i, o) in objects.iter().enumerate() {
        if i % 3 == 1 {
            w.byte(persistence::rdb::OP_EXPIRETIME_MS);
            w.millis(4_000_000_000_000);
        }
        w.byte(o[0]);
        w.string(format!("key{i}").as_bytes());
        w.buf.extend_from_slice(&o[1..]);
    }
    w.byte(persistence::rdb::OP_EOF);
    let crc = persistence::crc64::crc64(0, &w.buf);
    w.buf.extend_from_slice(&crc.to_le_bytes());
    w.buf
}

/// Whatever this tool calls valid, redis-check-rdb (Redis 7.0, which
/// checks encoded values deeply) must call valid too. Damage lands in the
/// body and the checksum is recomputed, so it reaches the parsers.
#[test]
fn check_rdb_accepts_nothing_redis_check_rdb_refuses() {
    if Command::new("redis-check-rdb")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("NOTICE: redis-check-rdb is not installed; skipping");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("damaged.rdb");
    let good = rich_rdb();
    let body = good.len() - 9; // before the EOF opcode and the checksum
    let mut state = std::env::var("CHECK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15u64);
    eprintln!("CHECK_SEED={state}");
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let cases: usize = std::env::var("CHECK_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let (mut both, mut only_redis, mut neither) = (0, 0, 0);
    for case in 0..cases {
        let mut data = good[..body].to_vec();
        for _ in 0..1 + next() % 2 {
            let at = 9 + (next() as usize) % (data.len() - 9);
            match next() % 3 {
                0 => data[at] ^= 1 << (next() % 8),
                1 => data[at] = next() as u8,
                _ => {
                    data.remove(at);
                }
            }
        }
        data.push(persistence::rdb::OP_EOF);
        let crc = persistence::crc64::crc64(0, &data);
        data.extend_from_slice(&crc.to_le_bytes());
        std::fs::write(&f, &data).expect("write");
        let ours = run(CHECK_RDB, &[p(&f)], "");
        let theirs = Command::new("redis-check-rdb")
            .arg(&f)
            .output()
            .expect("redis-check-rdb");
        assert!(ours.code == 0 || ours.code == 1, "{}", ours.out);
        let theirs_out = String::from_utf8_lossy(&theirs.stdout);
        // Types 20 and 21 (listpack sets, streams v3) came with Redis 7.2,
        // whose reader (like ours) takes them in any RDB version.
        if theirs_out.contains("Invalid object type: 20")
            || theirs_out.contains("Invalid object type: 21")
        {
            continue;
        }
        match (ours.code == 0, theirs.status.success()) {
            (true, true) => both += 1,
            (true, false) => panic!(
                "case {case}: valid for us, not for redis-check-rdb:\n{}\n{}",
                ours.out, theirs_out
            ),
            (false, true) => only_redis += 1,
            (false, false) => neither += 1,
        }
    }
    eprintln!("valid for both: {both}, for Redis only: {only_redis}, for neither: {neither}");
    assert!(
        neither > cases / 3,
        "the damage is not reaching the parsers"
    );
}
