//! The hash family beyond what the random differential stream shows: the
//! representation thresholds (OBJECT ENCODING, including CONFIG SET of the
//! limits), HSCAN's guarantee on a big hash that changes during the scan,
//! HSCAN NOVALUES (Redis 7.4), big hashes, and WATCH invalidation.
//! Encoding checks also run against redis-server 7.0 when installed.

#[allow(clippy::collapsible_match)]
mod common;
use common::*;

use std::collections::HashSet;

fn text(c: &mut Conn, args: &[&str]) -> String {
    Value::parse(&c.cmd(args)).text()
}

fn int(c: &mut Conn, args: &[&str]) -> i64 {
    Value::parse(&c.cmd(args))
        .int()
        .unwrap_or_else(|| panic!("{args:?}: not an integer reply"))
}

/// Pipelines `HSET key f<i> v<i>` for `range`.
fn fill(c: &mut Conn, key: &str, range: std::ops::Range<usize>) {
    let n = range.len();
    let mut buf = Vec::new();
    for i in range {
        let f = format!("f{i}");
        let v = format!("v{i}");
        buf.extend(Conn::encode(&[
            b"HSET",
            key.as_bytes(),
            f.as_bytes(),
            v.as_bytes(),
        ]));
    }
    c.send_raw(&buf);
    for _ in 0..n {
        let r = c.read_reply().expect("reply");
        assert!(r.starts_with(b":"), "{}", show(&r));
    }
}

/// The encoding scenario, run on any server: returns the encodings seen.
fn encodings(c: &mut Conn) -> Vec<String> {
    let mut seen = Vec::new();
    let mut enc =
        |c: &mut Conn, k: &str| seen.push(format!("{k}={}", text(c, &["OBJECT", "ENCODING", k])));
    c.cmd(&["FLUSHALL"]);
    // Defaults: 512 entries, 64 bytes.
    fill(c, "e", 0..512);
    enc(c, "e");
    fill(c, "e", 512..513);
    enc(c, "e");
    c.cmd(&["HSET", "v", "f", &"x".repeat(64)]);
    enc(c, "v");
    c.cmd(&["HSET", "v", "g", &"x".repeat(65)]);
    enc(c, "v");
    c.cmd(&["HSET", "fl", &"y".repeat(65), "1"]);
    enc(c, "fl");
    // HINCRBYFLOAT/HINCRBY with a long field name convert too.
    c.cmd(&["HSET", "inc", "a", "1"]);
    c.cmd(&["HINCRBYFLOAT", "inc", &"z".repeat(70), "1.5"]);
    enc(c, "inc");
    // HSETNX on an existing field sets nothing and converts nothing.
    c.cmd(&["HSET", "nx", "a", "1"]);
    c.cmd(&["HSETNX", "nx", "a", &"x".repeat(100)]);
    enc(c, "nx");
    c.cmd(&["HSETNX", "nx", "b", &"x".repeat(100)]);
    enc(c, "nx");
    // Lower limits apply to the next write; nothing converts back.
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "4"]);
    c.cmd(&["HSET", "s", "a", "1", "b", "2", "c", "3", "d", "4"]);
    enc(c, "s");
    c.cmd(&["HSET", "s", "e", "5"]);
    enc(c, "s");
    c.cmd(&["HDEL", "s", "a", "b", "c", "d"]);
    enc(c, "s");
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "512"]);
    c.cmd(&["HSET", "s", "z", "1"]);
    enc(c, "s");
    // Duplicate fields in one HSET count once.
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
    c.cmd(&["HSET", "dup", "a", "1", "a", "2", "a", "3"]);
    enc(c, "dup");
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "0"]);
    c.cmd(&["HSET", "zero", "a", "1"]);
    enc(c, "zero");
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "512"]);
    c.cmd(&["CONFIG", "SET", "hash-max-ziplist-value", "3"]);
    c.cmd(&["HSET", "alias", "abc", "def"]);
    enc(c, "alias");
    c.cmd(&["HSET", "alias", "abcd", "1"]);
    enc(c, "alias");
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "64"]);
    // A copy keeps the representation's contents.
    c.cmd(&["COPY", "e", "e2"]);
    seen.push(format!("copy len {}", int(c, &["HLEN", "e2"])));
    seen
}

#[test]
fn encoding_thresholds() {
    let ours = Server::start(&[]);
    let mut oc = ours.conn();
    let got = encodings(&mut oc);
    let want = [
        "e=listpack",
        "e=hashtable",
        "v=listpack",
        "v=hashtable",
        "fl=hashtable",
        "inc=hashtable",
        "nx=listpack",
        "nx=hashtable",
        "s=listpack",
        "s=hashtable",
        "s=hashtable",
        "s=hashtable",
        "dup=listpack",
        "zero=hashtable",
        "alias=listpack",
        "alias=hashtable",
        "copy len 513",
    ];
    assert_eq!(got, want);
    if let Some(r) = Server::start_reference(&[]) {
        let mut rc = r.conn();
        assert_eq!(encodings(&mut rc), want, "redis-server 7.0 disagrees");
    }
}

/// Runs an HSCAN to the end with `extra` options, calling `between` after
/// every call; returns the (field, value) pairs, with repeats.
fn hscan_all(
    c: &mut Conn,
    key: &str,
    extra: &[&str],
    mut between: impl FnMut(&mut Conn, usize),
) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let novalues = extra.iter().any(|e| e.eq_ignore_ascii_case("novalues"));
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    for round in 0.. {
        assert!(round < 1_000_000, "HSCAN does not end");
        let mut args = vec!["HSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let r = Value::parse(&c.cmd(&args));
        let items = r.items();
        assert_eq!(items.len(), 2, "{r:?}");
        let next = items[0].text();
        let list = items[1].items();
        if novalues {
            for f in list {
                let Value::Bulk(f) = f else { panic!("{f:?}") };
                out.push((f.clone(), None));
            }
        } else {
            assert_eq!(list.len() % 2, 0);
            for p in list.chunks(2) {
                let (Value::Bulk(f), Value::Bulk(v)) = (&p[0], &p[1]) else {
                    panic!("{p:?}")
                };
                out.push((f.clone(), Some(v.clone())));
            }
        }
        between(c, round);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    out
}

#[test]
fn hscan_returns_stable_fields_while_the_hash_changes() {
    let ours = Server::start(&[]);
    let mut c = ours.conn();
    fill(&mut c, "h", 0..20_000);
    assert_eq!(text(&mut c, &["OBJECT", "ENCODING", "h"]), "hashtable");
    // Between calls: grow the hash (forcing resizes) and delete fields
    // f15000.. (which may or may not be returned); f0..f15000 stay.
    let mut next_new = 20_000;
    let mut next_del = 15_000;
    let got = hscan_all(&mut c, "h", &["COUNT", "50"], |c, _| {
        fill(c, "h", next_new..next_new + 100);
        next_new += 100;
        if next_del < 20_000 {
            let f = format!("f{next_del}");
            c.cmd(&["HDEL", "h", &f]);
            next_del += 1;
        }
    });
    let seen: HashSet<Vec<u8>> = got.iter().map(|(f, _)| f.clone()).collect();
    for i in 0..15_000 {
        assert!(
            seen.contains(format!("f{i}").as_bytes()),
            "f{i} was present throughout but not returned"
        );
    }
    for (f, v) in &got {
        let f = String::from_utf8_lossy(f);
        let i: usize = f[1..].parse().expect("field name");
        assert_eq!(v.as_deref(), Some(format!("v{i}").as_bytes()));
    }
    // Every reply batch is bounded: COUNT 50 over buckets of short chains.
    assert!(next_new > 20_000);
}

#[test]
fn hscan_match_count_and_novalues() {
    let ours = Server::start(&[]);
    let mut c = ours.conn();
    // A listpack hash: everything in one call, cursor 0, whatever COUNT.
    c.cmd(&["HSET", "small", "a1", "x", "a2", "y", "b1", "z"]);
    let r = Value::parse(&c.cmd(&["HSCAN", "small", "0", "COUNT", "1"]));
    assert_eq!(r.items()[0].text(), "0");
    assert_eq!(r.items()[1].items().len(), 6);
    let r = Value::parse(&c.cmd(&["HSCAN", "small", "0", "MATCH", "a*", "NOVALUES"]));
    let fields: Vec<String> = r.items()[1].items().iter().map(Value::text).collect();
    assert_eq!(fields, ["a1", "a2"]);
    // NOVALUES anywhere among the options, any case.
    let r = Value::parse(&c.cmd(&["HSCAN", "small", "0", "novalues", "COUNT", "5"]));
    assert_eq!(r.items()[1].items().len(), 3);
    assert!(c
        .cmd(&["HSCAN", "small", "0", "NOVALUES", "x"])
        .starts_with(b"-ERR syntax error"));

    // A table: fields only, all of them, once each (no resizes here).
    fill(&mut c, "big", 0..3000);
    let got = hscan_all(&mut c, "big", &["NOVALUES", "COUNT", "100"], |_, _| {});
    let set: HashSet<_> = got.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!(set.len(), 3000);
    assert!(got.iter().all(|(_, v)| v.is_none()));
    let got = hscan_all(&mut c, "big", &["MATCH", "f1??"], |_, _| {});
    let set: HashSet<_> = got.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!(set.len(), 100);
    // The hash is not changed by scanning.
    assert_eq!(int(&mut c, &["HLEN", "big"]), 3000);
}

#[test]
fn big_hash_round_trip() {
    let ours = Server::start(&[]);
    let mut c = ours.conn();
    fill(&mut c, "b", 0..100_000);
    assert_eq!(int(&mut c, &["HLEN", "b"]), 100_000);
    assert_eq!(text(&mut c, &["HGET", "b", "f77777"]), "v77777");
    assert_eq!(int(&mut c, &["HSTRLEN", "b", "f99999"]), 6);
    let all = Value::parse(&c.cmd(&["HGETALL", "b"]));
    assert_eq!(all.items().len(), 200_000);
    // HRANDFIELD: distinct fields for a positive count, all of them past
    // the size, |count| (with repeats allowed) for a negative one.
    for n in [10i64, 40_000, 99_999] {
        let r = Value::parse(&c.cmd(&["HRANDFIELD", "b", &n.to_string()]));
        let set: HashSet<String> = r.items().iter().map(Value::text).collect();
        assert_eq!(set.len(), n as usize);
    }
    let r = Value::parse(&c.cmd(&["HRANDFIELD", "b", "200000", "WITHVALUES"]));
    assert_eq!(r.items().len(), 200_000);
    let r = Value::parse(&c.cmd(&["HRANDFIELD", "b", "-300", "WITHVALUES"]));
    assert_eq!(r.items().len(), 600);
    for p in r.items().chunks(2) {
        assert_eq!(p[0].text()[1..], p[1].text()[1..]);
    }
    // Deleting everything deletes the key.
    let mut buf = Vec::new();
    for i in 0..100_000 {
        buf.extend(Conn::encode(&[b"HDEL", b"b", format!("f{i}").as_bytes()]));
    }
    c.send_raw(&buf);
    for _ in 0..100_000 {
        assert_eq!(c.read_reply().expect("reply"), b":1\r\n");
    }
    assert_eq!(int(&mut c, &["EXISTS", "b"]), 0);
}

#[test]
fn writes_invalidate_watch_and_noops_do_not() {
    let ours = Server::start(&[]);
    let mut c = ours.conn();
    let mut other = ours.conn();
    c.cmd(&["HSET", "w", "a", "1"]);
    let exec_after = |c: &mut Conn, other: &mut Conn, cmd: &[&str]| -> bool {
        c.cmd(&["WATCH", "w"]);
        other.cmd(cmd);
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        !c.cmd(&["EXEC"]).starts_with(b"*-1")
    };
    assert!(!exec_after(&mut c, &mut other, &["HSET", "w", "a", "1"]));
    assert!(!exec_after(&mut c, &mut other, &["HINCRBY", "w", "n", "1"]));
    assert!(!exec_after(&mut c, &mut other, &["HDEL", "w", "n"]));
    assert!(exec_after(&mut c, &mut other, &["HDEL", "w", "missing"]));
    assert!(exec_after(&mut c, &mut other, &["HSETNX", "w", "a", "2"]));
    assert!(exec_after(&mut c, &mut other, &["HGETALL", "w"]));
}
