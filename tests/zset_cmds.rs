//! The sorted-set algebra, ZMPOP, ZRANDMEMBER and ZSCAN beyond the
//! differential stream: plain sets as inputs, the representation and
//! change counting of stored results, the order-sensitive arithmetic in
//! both protocols, WATCH, and large sorted sets (whose random and scanned
//! replies need checks rather than byte comparison). Compared with
//! redis-server 7.0 where it is installed.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use persistence::object::{write_object, Form, Object};
use persistence::rdb::{dump_payload, Writer};

/// Our server and, if installed, the reference, fed the same commands.
struct Pair {
    _ours: Server,
    _reference: Option<Server>,
    o: Conn,
    r: Option<Conn>,
}

impl Pair {
    fn start() -> Pair {
        let ours = Server::start(&[]);
        let reference = Server::start_reference(&[]);
        Pair {
            o: ours.conn(),
            r: reference.as_ref().map(|s| s.conn()),
            _ours: ours,
            _reference: reference,
        }
    }

    /// Sends `args` to both; the replies must be identical. Returns ours.
    fn both(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let o = self.o.cmd_bytes(args);
        if let Some(r) = &mut self.r {
            let want = r.cmd_bytes(args);
            assert_eq!(
                show(&o),
                show(&want),
                "replies differ for {}",
                args.iter().map(|a| show(a)).collect::<Vec<_>>().join(" ")
            );
        }
        o
    }

    /// Switches both connections to RESP3 (the greetings differ: the
    /// servers' versions).
    fn hello3(&mut self) {
        self.o.cmd(&["HELLO", "3"]);
        if let Some(r) = &mut self.r {
            r.cmd(&["HELLO", "3"]);
        }
    }

    fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.both(&a)
    }

    /// `rdb_changes_since_last_save` of each server must be equal.
    fn same_dirty(&mut self) {
        fn field(c: &mut Conn) -> String {
            let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
            info.lines()
                .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
                .expect("field")
                .to_string()
        }
        let ours = field(&mut self.o);
        if let Some(r) = &mut self.r {
            assert_eq!(ours, field(r), "change counts differ");
        }
    }
}

/// A RESTORE payload holding a plain set (the set commands are another
/// family's; RESTORE makes sets on both servers alike).
fn set_payload(members: &[&str]) -> Vec<u8> {
    let mut w = Writer::new(false);
    let m = members.iter().map(|s| s.as_bytes().to_vec()).collect();
    write_object(&mut w, &Object::Set(m), Form::Large, -2);
    dump_payload(w.buf)
}

#[test]
fn plain_sets_are_inputs_with_score_one() {
    let mut p = Pair::start();
    let payload = set_payload(&["a", "c", "x"]);
    p.both(&[b"RESTORE", b"s", b"0", &payload]);
    p.cmd(&["ZADD", "z", "1.5", "a", "2", "b", "-3", "c"]);
    for resp3 in [false, true] {
        if resp3 {
            p.hello3();
        }
        p.cmd(&["ZUNION", "2", "z", "s", "WITHSCORES"]);
        p.cmd(&[
            "ZUNION",
            "2",
            "s",
            "z",
            "WEIGHTS",
            "10",
            "1",
            "AGGREGATE",
            "MAX",
            "WITHSCORES",
        ]);
        p.cmd(&["ZINTER", "2", "s", "z", "WITHSCORES"]);
        p.cmd(&[
            "ZINTER",
            "3",
            "s",
            "s",
            "s",
            "WEIGHTS",
            "1",
            "2",
            "3",
            "WITHSCORES",
        ]);
        p.cmd(&["ZDIFF", "2", "s", "z", "WITHSCORES"]);
        p.cmd(&["ZDIFF", "2", "z", "s"]);
        p.cmd(&["ZINTERCARD", "2", "z", "s"]);
        p.cmd(&["ZINTERCARD", "2", "z", "s", "LIMIT", "1"]);
    }
    p.cmd(&["ZUNIONSTORE", "d", "2", "s", "z"]);
    p.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]);
    p.cmd(&["OBJECT", "ENCODING", "d"]);
    // Lists, hashes and strings are not inputs; the error comes before any
    // option is read.
    p.cmd(&["RPUSH", "l", "a"]);
    p.cmd(&["HSET", "h", "a", "1"]);
    p.cmd(&["SET", "str", "a"]);
    for k in ["l", "h", "str"] {
        p.cmd(&["ZUNION", "2", "z", k, "BOGUS"]);
        p.cmd(&["ZINTERSTORE", "d", "2", "nokey", k]);
        p.cmd(&["ZDIFF", "2", "nokey", k]);
    }
    p.cmd(&["ZRANGE", "d", "0", "-1"]);
}

#[test]
fn the_arithmetic_follows_redis_in_both_protocols() {
    let mut p = Pair::start();
    p.cmd(&["ZADD", "a", "inf", "x", "-inf", "y", "0.1", "z", "1", "w"]);
    p.cmd(&[
        "ZADD", "b", "-inf", "x", "inf", "y", "0.2", "z", "-1", "w", "5", "v",
    ]);
    p.cmd(&["ZADD", "c", "0.3", "z", "-0", "w"]);
    for resp3 in [false, true] {
        if resp3 {
            p.hello3();
        }
        for agg in ["SUM", "MIN", "MAX"] {
            for w in [
                ["1", "1", "1"],
                ["0", "1", "-1"],
                ["inf", "-inf", "0"],
                ["-0", "1", "1"],
            ] {
                let mut args = vec!["ZUNION", "3", "a", "b", "c", "WEIGHTS"];
                args.extend(w);
                args.extend(["AGGREGATE", agg, "WITHSCORES"]);
                p.cmd(&args);
                args[0] = "ZINTER";
                p.cmd(&args);
                // The inputs in another order: sums of 0.1, 0.2, 0.3 differ
                // by order, so this checks the visiting order too.
                let mut args = vec!["ZUNION", "3", "c", "b", "a", "WEIGHTS"];
                args.extend(w);
                args.extend(["AGGREGATE", agg, "WITHSCORES"]);
                p.cmd(&args);
                args[0] = "ZINTER";
                p.cmd(&args);
            }
        }
        // Equal cardinalities: the inputs are summed in argument order
        // (0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit).
        p.cmd(&["ZADD", "d", "0.1", "z", "1", "q"]);
        p.cmd(&["ZADD", "e", "0.2", "z", "1", "q"]);
        p.cmd(&["ZADD", "f", "0.3", "z", "1", "q"]);
        for keys in [["d", "e", "f"], ["f", "e", "d"]] {
            for cmd in ["ZUNION", "ZINTER"] {
                let mut args = vec![cmd, "3"];
                args.extend(keys);
                args.push("WITHSCORES");
                let r = p.cmd(&args);
                let sum = if keys[0] == "d" {
                    "0.60000000000000009"
                } else {
                    "0.59999999999999998"
                };
                assert!(String::from_utf8_lossy(&r).contains(sum), "{}", show(&r));
            }
        }
        p.cmd(&["ZDIFF", "3", "b", "a", "c", "WITHSCORES"]);
        p.cmd(&["ZMPOP", "2", "nokey", "c", "MAX", "COUNT", "10"]);
        p.cmd(&["ZADD", "c", "0.3", "z", "-0", "w"]);
    }
}

#[test]
fn stored_results_take_redis_form_count_changes_and_touch_watchers() {
    let mut p = Pair::start();
    let long = "m".repeat(65);
    p.cmd(&["ZADD", "big", "1", &long, "2", "b"]);
    p.cmd(&["ZADD", "small", "1", "a", "3", "b"]);
    p.cmd(&["OBJECT", "ENCODING", "big"]);
    // Small results are listpacks again, whatever the inputs were.
    p.cmd(&["ZINTERSTORE", "d", "2", "big", "small"]);
    p.cmd(&["OBJECT", "ENCODING", "d"]);
    p.cmd(&["ZUNIONSTORE", "d", "2", "big", "small"]);
    p.cmd(&["OBJECT", "ENCODING", "d"]);
    p.same_dirty();
    // The destination is one of the inputs.
    p.cmd(&["ZDIFFSTORE", "small", "2", "small", "big"]);
    p.cmd(&["ZRANGE", "small", "0", "-1", "WITHSCORES"]);
    // An empty result deletes the destination (one change) or does
    // nothing if there was none.
    p.cmd(&["EXPIRE", "d", "1000"]);
    p.cmd(&["ZINTERSTORE", "d", "2", "big", "nokey"]);
    p.cmd(&["EXISTS", "d"]);
    p.same_dirty();
    p.cmd(&["ZINTERSTORE", "d", "2", "big", "nokey"]);
    p.same_dirty();
    // A stored result replaces any type and drops the old TTL.
    p.cmd(&["SET", "d", "x", "EX", "1000"]);
    p.cmd(&["ZUNIONSTORE", "d", "1", "big"]);
    p.cmd(&["TTL", "d"]);
    p.cmd(&["TYPE", "d"]);
    p.same_dirty();
    let mut args = vec!["ZADD".to_string(), "many".to_string()];
    for i in 0..200 {
        args.push(i.to_string());
        args.push(format!("e{i}"));
    }
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    p.cmd(&refs);
    p.cmd(&["ZUNIONSTORE", "d", "2", "many", "small"]);
    p.cmd(&["OBJECT", "ENCODING", "d"]);
    p.cmd(&["ZMPOP", "1", "many", "MIN", "COUNT", "70"]);
    p.cmd(&["ZINTERSTORE", "d", "1", "many"]);
    p.cmd(&["OBJECT", "ENCODING", "d"]);
    p.same_dirty();
    // WATCH sees stores and pops.
    for change in [
        &["ZUNIONSTORE", "w", "1", "small"][..],
        &["ZDIFFSTORE", "w", "1", "nokey"],
        &["ZMPOP", "1", "many", "MAX"],
    ] {
        let watched = if change[0] == "ZMPOP" { "many" } else { "w" };
        p.cmd(&["ZADD", "w", "1", "x"]);
        p.cmd(&["WATCH", watched]);
        p.cmd(&["MULTI"]);
        p.cmd(&["PING"]);
        // The change comes from another connection.
        let a: Vec<&[u8]> = change.iter().map(|s| s.as_bytes()).collect();
        let mut other = Conn::connect(p.o.stream.peer_addr().expect("addr").port());
        other.cmd_bytes(&a);
        if let Some(r) = &p.r {
            let mut other = Conn::connect(r.stream.peer_addr().expect("addr").port());
            other.cmd_bytes(&a);
        }
        assert_eq!(p.cmd(&["EXEC"]), b"*-1\r\n");
    }
}

/// The items of a reply: an array of bulk strings and scores, flat or
/// nested in pairs.
fn members_and_scores(reply: &[u8]) -> Vec<(Vec<u8>, String)> {
    let v = Value::parse(reply);
    let items = v.items();
    if items.first().is_some_and(|i| matches!(i, Value::Array(_))) {
        items
            .iter()
            .map(|p| match p.items() {
                [Value::Bulk(m), s] => (m.clone(), s.text()),
                other => panic!("not a pair: {other:?}"),
            })
            .collect()
    } else {
        items
            .chunks(2)
            .map(|c| match c {
                [Value::Bulk(m), s] => (m.clone(), s.text()),
                other => panic!("not a pair: {other:?}"),
            })
            .collect()
    }
}

#[test]
fn zrandmember_on_a_large_zset() {
    let ours = Server::start(&[]);
    let mut c = ours.conn();
    let mut args = vec!["ZADD".to_string(), "z".to_string()];
    let n = 1000;
    for i in 0..n {
        args.push(format!("{}.5", i));
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    c.cmd(&refs);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), b"$8\r\nskiplist\r\n");
    let score_of = |m: &[u8]| -> String {
        let i: usize = std::str::from_utf8(&m[1..])
            .expect("utf8")
            .parse()
            .expect("index");
        format!("{i}.5")
    };
    for resp3 in [false, true] {
        if resp3 {
            c.cmd(&["HELLO", "3"]);
        }
        for count in [1usize, 10, 400, 999] {
            let r = c.cmd(&["ZRANDMEMBER", "z", &count.to_string(), "WITHSCORES"]);
            let got = members_and_scores(&r);
            assert_eq!(got.len(), count);
            let distinct: BTreeSet<&Vec<u8>> = got.iter().map(|(m, _)| m).collect();
            assert_eq!(
                distinct.len(),
                count,
                "repeated members for a positive count"
            );
            for (m, s) in &got {
                assert_eq!(*s, score_of(m));
            }
        }
        // Negative counts repeat members: 5000 draws from 1000 members.
        let r = c.cmd(&["ZRANDMEMBER", "z", "-5000", "WITHSCORES"]);
        let got = members_and_scores(&r);
        assert_eq!(got.len(), 5000);
        let distinct: BTreeSet<&Vec<u8>> = got.iter().map(|(m, _)| m).collect();
        assert!(
            distinct.len() < 1000 && distinct.len() > 900,
            "{}",
            distinct.len()
        );
        for (m, s) in &got {
            assert_eq!(*s, score_of(m));
        }
        // A count that covers the zset returns all of it.
        let r = Value::parse(&c.cmd(&["ZRANDMEMBER", "z", "5000"]));
        let all: BTreeSet<Vec<u8>> = r
            .items()
            .iter()
            .map(|v| match v {
                Value::Bulk(b) => b.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(all.len(), n);
    }
}

#[test]
fn zscan_returns_every_member_and_accepts_noscores() {
    let ours = Server::start(&[]);
    let mut c = ours.conn();
    let mut args = vec!["ZADD".to_string(), "z".to_string()];
    for i in 0..300 {
        args.push(if i % 3 == 0 {
            "0.1".into()
        } else {
            i.to_string()
        });
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    c.cmd(&refs);
    let mut seen: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    let mut cursor = "0".to_string();
    for _ in 0..10_000 {
        let r = Value::parse(&c.cmd(&["ZSCAN", "z", &cursor, "COUNT", "7"]));
        let [Value::Bulk(next), items] = r.items() else {
            panic!("bad reply {r:?}");
        };
        for pair in items.items().chunks(2) {
            seen.insert(pair[0].text().into_bytes(), pair[1].text());
        }
        cursor = String::from_utf8(next.clone()).expect("cursor");
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(cursor, "0", "the scan never ended");
    assert_eq!(seen.len(), 300);
    assert_eq!(seen[&b"m3"[..]], "0.10000000000000001");
    assert_eq!(seen[&b"m4"[..]], "4");
    // MATCH filters members; NOSCORES (Valkey 8) leaves the scores out.
    let r = Value::parse(&c.cmd(&[
        "ZSCAN", "z", "0", "MATCH", "m1?", "NOSCORES", "COUNT", "1000",
    ]));
    let names: BTreeSet<String> = r.items()[1].items().iter().map(|v| v.text()).collect();
    let want: BTreeSet<String> = (10..20).map(|i| format!("m{i}")).collect();
    assert_eq!(names, want);
    c.cmd(&["ZADD", "small", "1.5", "a", "2", "b", "-0", "c"]);
    assert_eq!(
        c.cmd(&["ZSCAN", "small", "0", "noscores"]),
        b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(
        c.cmd(&["ZSCAN", "small", "0", "NOSCORES", "junk"]),
        b"-ERR syntax error\r\n"
    );
    // Redis 7.0 does not know NOSCORES: the only difference.
    if let Some(reference) = Server::start_reference(&[]) {
        let mut r = reference.conn();
        r.cmd(&["ZADD", "small", "1.5", "a"]);
        assert_eq!(
            r.cmd(&["ZSCAN", "small", "0", "NOSCORES"]),
            b"-ERR syntax error\r\n"
        );
    }
}
