//! The set family beyond what the random differential stream shows: the
//! random commands (SPOP with a count, SRANDMEMBER) checked for what must
//! hold whatever is chosen, on every representation; Redis 7.2's encoding
//! rules (which the differential compares only under Redis 7.0's names);
//! RESP3 reply types; SSCAN on a set that changes during the scan;
//! DUMP/RESTORE of every representation; WATCH invalidation; and a
//! blocked list client meeting a key that a set command creates.

mod common;
use common::*;

use std::collections::HashSet;

use redis::Connection;

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn members(c: &mut Connection, key: &str) -> HashSet<String> {
    q(c, &["SMEMBERS", key])
}

fn encoding(c: &mut Connection, key: &str) -> String {
    q(c, &["OBJECT", "ENCODING", key])
}

/// Fills `key` with `n` members: integers (`ints`) or short strings.
fn fill(c: &mut Connection, key: &str, n: usize, ints: bool) -> HashSet<String> {
    let all: Vec<String> = (0..n)
        .map(|i| if ints { i.to_string() } else { format!("m{i}") })
        .collect();
    for chunk in all.chunks(100) {
        let mut cmd = redis::cmd("SADD");
        cmd.arg(key);
        for m in chunk {
            cmd.arg(m);
        }
        let _: i64 = cmd.query(c).expect("SADD");
    }
    all.into_iter().collect()
}

/// (size, integers?, encoding) of the sets the random tests run on.
const SHAPES: &[(usize, bool, &str)] = &[
    (100, true, "intset"),
    (60, false, "listpack"),
    (1000, false, "hashtable"),
    (600, true, "hashtable"),
];

#[test]
fn spop_with_count_on_every_representation() {
    let s = Server::start(&[]);
    let mut c = s.client();
    for &(n, ints, enc) in SHAPES {
        // Small counts pop one by one; counts leaving at most a fifth of
        // what is popped keep the rest in a new set instead.
        for count in [1, 3, n / 3, n / 2, n - n / 10, n - 1] {
            let _: i64 = q(&mut c, &["DEL", "s"]);
            let before = fill(&mut c, "s", n, ints);
            assert_eq!(encoding(&mut c, "s"), enc);
            let popped: Vec<String> = q(&mut c, &["SPOP", "s", &count.to_string()]);
            let unique: HashSet<String> = popped.iter().cloned().collect();
            assert_eq!(popped.len(), count, "{enc} n={n} count={count}");
            assert_eq!(unique.len(), count, "repeated members popped");
            assert!(unique.is_subset(&before));
            let after = members(&mut c, "s");
            assert!(after.is_disjoint(&unique), "popped members still there");
            assert_eq!(after.len() + count, n);
            assert_eq!(after.union(&unique).count(), n);
            let remaining = n - count;
            // Redis 7.2: intsets and listpacks keep their encoding; a table
            // left with few members (the "new set" strategy) restarts as a
            // listpack, which converts back past 128 members.
            let want = match enc {
                "hashtable" if remaining * 5 <= count && remaining <= 128 => "listpack",
                e => e,
            };
            assert_eq!(encoding(&mut c, "s"), want, "{enc} n={n} count={count}");
        }
        // A count covering the set pops all of it and deletes the key.
        let _: i64 = q(&mut c, &["DEL", "s"]);
        let before = fill(&mut c, "s", n, ints);
        let popped: HashSet<String> = q(&mut c, &["SPOP", "s", &(n + 5).to_string()]);
        assert_eq!(popped, before);
        let exists: i64 = q(&mut c, &["EXISTS", "s"]);
        assert_eq!(exists, 0);
        // Without a count: one member at a time, until the key is gone.
        let before = fill(&mut c, "s", 20, ints);
        let mut seen = HashSet::new();
        for _ in 0..20 {
            let m: String = q(&mut c, &["SPOP", "s"]);
            assert!(before.contains(&m) && seen.insert(m));
        }
        let nil: Option<String> = q(&mut c, &["SPOP", "s"]);
        assert_eq!(nil, None);
    }
}

#[test]
fn srandmember_on_every_representation() {
    let s = Server::start(&[]);
    let mut c = s.client();
    for &(n, ints, enc) in SHAPES {
        let _: i64 = q(&mut c, &["DEL", "s"]);
        let all = fill(&mut c, "s", n, ints);
        for count in [1, 2, n / 4, n / 3 + 1, n - 1, n, n + 1, 100_000] {
            let got: Vec<String> = q(&mut c, &["SRANDMEMBER", "s", &count.to_string()]);
            let unique: HashSet<String> = got.iter().cloned().collect();
            assert_eq!(got.len(), count.min(n), "{enc} count {count}");
            assert_eq!(unique.len(), got.len(), "{enc} count {count}: repeats");
            assert!(unique.is_subset(&all));
        }
        // A negative count: exactly |count| draws, repeats allowed (and
        // certain with more draws than members).
        for count in [1usize, 5, 3 * n] {
            let got: Vec<String> = q(&mut c, &["SRANDMEMBER", "s", &format!("-{count}")]);
            assert_eq!(got.len(), count);
            assert!(got.iter().all(|m| all.contains(m)));
            if count > n {
                let unique: HashSet<&String> = got.iter().collect();
                assert!(unique.len() < got.len());
            }
        }
        let one: String = q(&mut c, &["SRANDMEMBER", "s"]);
        assert!(all.contains(&one));
        // Nothing changed.
        assert_eq!(members(&mut c, "s"), all);
        assert_eq!(encoding(&mut c, "s"), enc);
    }
    // Every member turns up: the draws are not stuck on a few.
    let _: i64 = q(&mut c, &["DEL", "t"]);
    let all = fill(&mut c, "t", 50, false);
    let got: Vec<String> = q(&mut c, &["SRANDMEMBER", "t", "-5000"]);
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), all);
    // The count bounds.
    let mut raw = s.conn();
    assert_eq!(
        show(&raw.cmd(&["SRANDMEMBER", "t", "-9223372036854775808"])),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\\r\\n"
    );
    assert_eq!(show(&raw.cmd(&["SRANDMEMBER", "t", "0"])), "*0\\r\\n");
    assert_eq!(show(&raw.cmd(&["SRANDMEMBER", "nokey", "-5"])), "*0\\r\\n");
}

fn text(c: &mut Conn, args: &[&str]) -> String {
    Value::parse(&c.cmd(args)).text()
}

/// The encoding scenario of Redis 7.2 (where 7.0 differs, says so).
#[test]
fn encodings_follow_redis_7_2() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let enc = |c: &mut Conn, cmd: &[&str], key: &str| -> String {
        if !cmd.is_empty() {
            let r = c.cmd(cmd);
            assert!(!r.starts_with(b"-"), "{cmd:?}: {}", show(&r));
        }
        text(c, &["OBJECT", "ENCODING", key])
    };
    let ints: Vec<String> = (0..600).map(|i| i.to_string()).collect();
    let strs: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    let sadd = |key: &str, ms: &[String]| -> Vec<String> {
        let mut v = vec!["SADD".to_string(), key.to_string()];
        v.extend(ms.iter().cloned());
        v
    };
    let run = |c: &mut Conn, v: Vec<String>| {
        let a: Vec<&str> = v.iter().map(String::as_str).collect();
        let r = c.cmd(&a);
        assert!(!r.starts_with(b"-"), "{}", show(&r));
    };

    assert_eq!(
        enc(&mut c, &["SADD", "i", "1", "-5000000000"], "i"),
        "intset"
    );
    run(&mut c, sadd("i", &ints[2..512]));
    assert_eq!(enc(&mut c, &[], "i"), "intset"); // 512 members
    assert_eq!(enc(&mut c, &["SADD", "i", "600"], "i"), "hashtable");
    // Non-canonical integers are strings.
    for m in ["01", "+1", "-0", " 1", "1.0", "9223372036854775808"] {
        c.cmd(&["DEL", "j"]);
        assert_eq!(enc(&mut c, &["SADD", "j", "1", m], "j"), "listpack", "{m}");
    }
    // A small intset takes a string as a listpack (7.0: hashtable), a big
    // one (128 members or more) goes straight to the table.
    run(&mut c, sadd("a", &ints[..127]));
    assert_eq!(enc(&mut c, &["SADD", "a", "x"], "a"), "listpack");
    assert_eq!(enc(&mut c, &["SADD", "a", "y"], "a"), "hashtable");
    run(&mut c, sadd("b", &ints[..128]));
    assert_eq!(enc(&mut c, &["SADD", "b", "x"], "b"), "hashtable");
    // Strings: listpack up to 128 members of up to 64 bytes.
    run(&mut c, sadd("l", &strs[..128]));
    assert_eq!(enc(&mut c, &[], "l"), "listpack");
    assert_eq!(enc(&mut c, &["SADD", "l", "one-more"], "l"), "hashtable");
    let long = "x".repeat(65);
    assert_eq!(
        enc(&mut c, &["SADD", "v", &"x".repeat(64)], "v"),
        "listpack"
    );
    assert_eq!(enc(&mut c, &["SADD", "v", &long], "v"), "hashtable");
    assert_eq!(enc(&mut c, &["SADD", "w", &long], "w"), "hashtable");
    // A multi-member SADD that *could* pass a limit converts first, even
    // when most members are already there (7.0 converts only if it does).
    let mut dup = vec!["1".to_string(); 513];
    dup[0] = "2".to_string();
    c.cmd(&["SADD", "d", "1"]);
    run(&mut c, sadd("d", &dup));
    assert_eq!(enc(&mut c, &[], "d"), "hashtable");
    assert_eq!(text(&mut c, &["SCARD", "d"]), "2");
    // Removing members never converts back.
    assert_eq!(
        enc(&mut c, &["SREM", "l", "one-more", "m0"], "l"),
        "hashtable"
    );

    // Results of the STORE commands.
    c.cmd(&["SADD", "x", "1", "2", "3", "a"]);
    c.cmd(&["SADD", "y", "1", "2", "b"]);
    assert_eq!(enc(&mut c, &["SINTERSTORE", "r", "x", "y"], "r"), "intset");
    assert_eq!(
        enc(&mut c, &["SUNIONSTORE", "r", "x", "y"], "r"),
        "listpack"
    );
    assert_eq!(enc(&mut c, &["SDIFFSTORE", "r", "x", "y"], "r"), "listpack");
    // An all-integer intersection of two tables becomes an intset.
    run(&mut c, sadd("t1", &strs));
    run(&mut c, sadd("t1", &ints[..300]));
    run(&mut c, sadd("t2", &ints[..400]));
    assert_eq!(
        enc(&mut c, &["SINTERSTORE", "r", "t1", "t2"], "r"),
        "intset"
    );
    assert_eq!(text(&mut c, &["SCARD", "r"]), "300");
    // SDIFF's second algorithm (chosen when half of |first| times the
    // number of sets exceeds their total size) copies the first set, then
    // removes: a table stays a table even when only a few integers are
    // left. The first algorithm adds only the survivors: an intset.
    c.cmd(&["DEL", "big", "sub"]);
    run(&mut c, sadd("big", &ints));
    run(&mut c, sadd("sub", &ints[5..]));
    c.cmd(&["SADD", "tiny", "x"]);
    let two = ["SDIFFSTORE", "r", "big", "sub", "tiny", "tiny", "tiny"];
    assert_eq!(enc(&mut c, &two, "r"), "hashtable");
    assert_eq!(text(&mut c, &["SCARD", "r"]), "5");
    assert_eq!(
        enc(&mut c, &["SDIFFSTORE", "r", "big", "sub"], "r"),
        "intset"
    );
    assert_eq!(text(&mut c, &["SCARD", "r"]), "5");
    // ... while the first algorithm (few members to check) adds only the
    // survivors.
    c.cmd(&["DEL", "small"]);
    run(&mut c, sadd("small", &ints[..10]));
    assert_eq!(
        enc(&mut c, &["SDIFFSTORE", "r", "small", "x"], "r"),
        "intset"
    );
    // SMOVE into a new key starts it as the member suggests.
    assert_eq!(enc(&mut c, &["SMOVE", "x", "n1", "a"], "n1"), "listpack");
    assert_eq!(enc(&mut c, &["SMOVE", "x", "n2", "1"], "n2"), "intset");

    // Lower limits apply to the next write.
    c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "3"]);
    c.cmd(&["CONFIG", "SET", "set-max-listpack-entries", "4"]);
    c.cmd(&["CONFIG", "SET", "set-max-listpack-value", "5"]);
    assert_eq!(enc(&mut c, &["SADD", "c1", "1", "2", "3"], "c1"), "intset");
    assert_eq!(enc(&mut c, &["SADD", "c1", "4"], "c1"), "hashtable");
    assert_eq!(
        enc(&mut c, &["SADD", "c2", "1", "2", "3", "4"], "c2"),
        "listpack"
    );
    assert_eq!(
        enc(&mut c, &["SADD", "c3", "a", "b", "c", "d", "e"], "c3"),
        "hashtable"
    );
    assert_eq!(enc(&mut c, &["SADD", "c4", "abcde"], "c4"), "listpack");
    assert_eq!(enc(&mut c, &["SADD", "c4", "abcdef"], "c4"), "hashtable");
}

#[test]
fn resp3_reply_types() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["SADD", "s", "1", "2"]);
    c.cmd(&["SADD", "t", "2", "a"]);
    let first = |c: &mut Conn, args: &[&str]| -> String {
        let r = c.cmd(args);
        show(&r[..r.iter().position(|&b| b == b'\r').unwrap_or(r.len())])
    };
    assert_eq!(first(&mut c, &["SMEMBERS", "s"]), "~2");
    assert_eq!(first(&mut c, &["SMEMBERS", "nokey"]), "~0");
    assert_eq!(first(&mut c, &["SINTER", "s", "t"]), "~1");
    assert_eq!(first(&mut c, &["SINTER", "s", "nokey"]), "~0");
    assert_eq!(first(&mut c, &["SUNION", "s", "t"]), "~3");
    assert_eq!(first(&mut c, &["SDIFF", "s", "t"]), "~1");
    assert_eq!(first(&mut c, &["SRANDMEMBER", "s", "5"]), "*2");
    assert_eq!(first(&mut c, &["SRANDMEMBER", "s", "-5"]), "*5");
    assert_eq!(first(&mut c, &["SRANDMEMBER", "nokey", "5"]), "*0");
    assert_eq!(first(&mut c, &["SRANDMEMBER", "nokey"]), "_");
    assert_eq!(
        show(&c.cmd(&["SMISMEMBER", "s", "1", "9"])),
        "*2\\r\\n:1\\r\\n:0\\r\\n"
    );
    assert_eq!(first(&mut c, &["SPOP", "nokey", "3"]), "~0");
    assert_eq!(first(&mut c, &["SPOP", "s", "0"]), "~0");
    assert_eq!(first(&mut c, &["SPOP", "s", "1"]), "~1");
    assert_eq!(first(&mut c, &["SPOP", "s", "10"]), "~1");
    assert_eq!(first(&mut c, &["SPOP", "s"]), "_");
    assert_eq!(first(&mut c, &["SSCAN", "t", "0"]), "*2");
}

/// Runs an SSCAN to the end with `extra` options, calling `between` after
/// every call; returns the members, with repeats.
fn sscan_all(
    c: &mut Conn,
    key: &str,
    extra: &[&str],
    mut between: impl FnMut(&mut Conn),
) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    for round in 0.. {
        assert!(round < 1_000_000, "SSCAN does not end");
        let mut args = vec!["SSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let r = Value::parse(&c.cmd(&args));
        let items = r.items();
        assert_eq!(items.len(), 2, "{r:?}");
        let next = items[0].text();
        out.extend(items[1].items().iter().map(Value::text));
        between(c);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    out
}

#[test]
fn sscan_returns_stable_members_while_the_set_changes() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut rc = s.client();
    fill(&mut rc, "s", 20_000, false);
    let mut next_new = 20_000;
    let mut next_del = 15_000;
    let got = sscan_all(&mut c, "s", &["COUNT", "50"], |c| {
        let mut args = vec!["SADD".to_string(), "s".to_string()];
        args.extend((next_new..next_new + 100).map(|i| format!("m{i}")));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        c.cmd(&a);
        next_new += 100;
        if next_del < 20_000 {
            c.cmd(&["SREM", "s", &format!("m{next_del}")]);
            next_del += 1;
        }
    });
    let seen: HashSet<String> = got.into_iter().collect();
    for i in 0..15_000 {
        assert!(seen.contains(&format!("m{i}")), "m{i} not returned");
    }
    // MATCH filters, COUNT bounds nothing on a compact set.
    let got = sscan_all(&mut c, "s", &["MATCH", "m1??"], |_| {});
    assert_eq!(got.into_iter().collect::<HashSet<_>>().len(), 100);
    c.cmd(&["SADD", "small", "1", "2", "3"]);
    let r = Value::parse(&c.cmd(&["SSCAN", "small", "77", "COUNT", "1"]));
    assert_eq!(r.items()[0].text(), "0");
    assert_eq!(r.items()[1].items().len(), 3);
    for bad in [
        &["TYPE", "set"][..],
        &["NOVALUES"],
        &["COUNT", "0"],
        &["MATCH"],
    ] {
        let mut a = vec!["SSCAN", "small", "0"];
        a.extend_from_slice(bad);
        assert_eq!(show(&c.cmd(&a)), "-ERR syntax error\\r\\n", "{bad:?}");
    }
}

/// An intset is dumped as Redis dumps it, at its own width: Redis widens
/// it for a wide member and never narrows it again.
#[test]
fn intset_dump_matches_redis() {
    let Some(r) = Server::start_reference(&[]) else {
        return;
    };
    let s = Server::start(&[]);
    let (mut oc, mut rc) = (s.conn(), r.conn());
    for c in [&mut oc, &mut rc] {
        c.cmd(&["SADD", "i", "1", "70000", "-3"]);
        c.cmd(&["SADD", "wide", "1", "-5000000000"]);
        c.cmd(&["SREM", "wide", "-5000000000"]);
        c.cmd(&["SADD", "mid", "2", "100000", "-1"]);
        c.cmd(&["SREM", "mid", "100000"]);
    }
    for key in ["i", "wide", "mid"] {
        assert_eq!(
            show(&oc.cmd(&["DUMP", key])),
            show(&rc.cmd(&["DUMP", key])),
            "{key}"
        );
    }
}

#[test]
fn dump_restore_every_representation() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SADD", "i", "1", "70000", "-3"]);
    // A wide member removed: the others stay wide, as in Redis.
    c.cmd(&["SADD", "wide", "1", "-5000000000"]);
    c.cmd(&["SREM", "wide", "-5000000000"]);
    c.cmd(&["SADD", "l", "a", "1", "bb"]);
    let mut args = vec!["SADD".to_string(), "h".to_string()];
    args.extend((0..300).map(|i| format!("m{i}")));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    c.cmd(&a);
    for key in ["i", "wide", "l", "h"] {
        let before = text(&mut c, &["OBJECT", "ENCODING", key]);
        let mut want: Vec<String> = Value::parse(&c.cmd(&["SMEMBERS", key]))
            .items()
            .iter()
            .map(Value::text)
            .collect();
        want.sort();
        let dump = match Value::parse(&c.cmd(&["DUMP", key])) {
            Value::Bulk(b) => b,
            v => panic!("{v:?}"),
        };
        let r = c.cmd_bytes(&[b"RESTORE", b"copy", b"0", &dump, b"REPLACE"]);
        assert_eq!(r, b"+OK\r\n");
        let mut got: Vec<String> = Value::parse(&c.cmd(&["SMEMBERS", "copy"]))
            .items()
            .iter()
            .map(Value::text)
            .collect();
        got.sort();
        assert_eq!(got, want, "{key}");
        assert_eq!(
            text(&mut c, &["OBJECT", "ENCODING", "copy"]),
            before,
            "{key}"
        );
    }
    // An intset blob over set-max-intset-entries becomes a table on load.
    c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "2"]);
    let dump = match Value::parse(&c.cmd(&["DUMP", "i"])) {
        Value::Bulk(b) => b,
        v => panic!("{v:?}"),
    };
    c.cmd_bytes(&[b"RESTORE", b"copy", b"0", &dump, b"REPLACE"]);
    assert_eq!(text(&mut c, &["OBJECT", "ENCODING", "copy"]), "hashtable");
}

#[test]
fn writes_invalidate_watch_and_noops_do_not() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut other = s.conn();
    c.cmd(&["SADD", "w", "a", "1"]);
    c.cmd(&["SADD", "src", "m"]);
    let exec_after = |c: &mut Conn, other: &mut Conn, cmd: &[&str]| -> bool {
        c.cmd(&["WATCH", "w"]);
        other.cmd(cmd);
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        !c.cmd(&["EXEC"]).starts_with(b"*-1")
    };
    assert!(!exec_after(&mut c, &mut other, &["SADD", "w", "b"]));
    assert!(exec_after(&mut c, &mut other, &["SADD", "w", "b"]));
    assert!(!exec_after(&mut c, &mut other, &["SREM", "w", "b"]));
    assert!(exec_after(&mut c, &mut other, &["SREM", "w", "b"]));
    assert!(!exec_after(&mut c, &mut other, &["SMOVE", "src", "w", "m"]));
    // Moving a member the destination already has changes only the source.
    c.cmd(&["SADD", "src", "m"]);
    assert!(exec_after(&mut c, &mut other, &["SMOVE", "src", "w", "m"]));
    assert!(exec_after(&mut c, &mut other, &["SMOVE", "w", "w", "m"]));
    assert!(!exec_after(
        &mut c,
        &mut other,
        &["SINTERSTORE", "w", "w", "w"]
    ));
    assert!(exec_after(&mut c, &mut other, &["SINTERSTORE", "x", "w"]));
    assert!(exec_after(&mut c, &mut other, &["SISMEMBER", "w", "a"]));
    assert!(exec_after(&mut c, &mut other, &["SPOP", "w", "0"]));
    assert!(!exec_after(
        &mut c,
        &mut other,
        &["SDIFFSTORE", "w", "nokey"]
    ));
    // w is gone now: storing an empty result again deletes nothing.
    assert!(exec_after(
        &mut c,
        &mut other,
        &["SUNIONSTORE", "w", "nokey"]
    ));
}

#[test]
fn a_set_created_under_a_blocked_list_client_does_not_serve_it() {
    let s = Server::start(&[]);
    let mut blocked = s.conn();
    let mut c = s.conn();
    c.cmd(&["SADD", "src", "m", "n"]);
    blocked.send_raw(&Conn::encode(&[b"BLPOP", b"k", b"0"]));
    // Wait until the client is blocked.
    for _ in 0..200 {
        if text(&mut c, &["INFO", "clients"]).contains("blocked_clients:1") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(show(&c.cmd(&["SUNIONSTORE", "k", "src"])), ":2\\r\\n");
    assert_eq!(show(&c.cmd(&["SMOVE", "src", "k", "m"])), ":1\\r\\n");
    assert_eq!(show(&c.cmd(&["DEL", "k"])), ":1\\r\\n");
    assert_eq!(show(&c.cmd(&["SMOVE", "src", "k", "n"])), ":1\\r\\n");
    assert_eq!(show(&c.cmd(&["DEL", "k"])), ":1\\r\\n");
    // Still waiting: the next push serves it.
    c.cmd(&["RPUSH", "k", "v"]);
    let r = blocked.read_reply().expect("BLPOP reply");
    assert_eq!(show(&r), "*2\\r\\n$1\\r\\nk\\r\\n$1\\r\\nv\\r\\n");
}
