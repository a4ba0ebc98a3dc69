//! DEBUG DIGEST and DEBUG DIGEST-VALUE compute Redis's digests: the same
//! dataset built on our server and on redis-server 7.0 prints the same
//! hex strings, with every value hot and with every value cold.

mod common;
use common::*;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One random command that builds data, as text arguments.
fn build_cmd(g: &mut StdRng) -> Vec<String> {
    let k = g.gen_range(0..12);
    let member = |g: &mut StdRng| -> String {
        match g.gen_range(0..4) {
            0 => g.gen_range(-300..300).to_string(),
            1 => g.gen_range(0..u32::MAX as u64 * 4).to_string(),
            2 => format!("m{}", g.gen_range(0..400)),
            _ => "x".repeat(g.gen_range(1..90)),
        }
    };
    let score = |g: &mut StdRng| -> String {
        match g.gen_range(0..7) {
            0 => g.gen_range(-50..50).to_string(),
            1 => format!("{}", g.gen_range(-1000.0..1000.0f64)),
            2 => "0.1".into(),
            3 => "-inf".into(),
            4 => "+inf".into(),
            5 => "1e-7".into(),
            _ => format!("{}", g.gen_range(0..1000) as f64 / 3.0),
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    match g.gen_range(0..9) {
        0 => {
            let v = member(g);
            s(&["SET", &format!("s:{k}"), &v])
        }
        1 => {
            let mut c = s(&["RPUSH", &format!("l:{k}")]);
            for _ in 0..g.gen_range(1..40) {
                c.push(member(g));
            }
            c
        }
        2 => {
            let mut c = s(&["SADD", &format!("set:{k}")]);
            let ints = g.gen_bool(0.5);
            for _ in 0..g.gen_range(1..60) {
                c.push(if ints {
                    g.gen_range(-1000..1000).to_string()
                } else {
                    member(g)
                });
            }
            c
        }
        3 => {
            let mut c = s(&["ZADD", &format!("z:{k}")]);
            for _ in 0..g.gen_range(1..50) {
                c.push(score(g));
                c.push(member(g));
            }
            c
        }
        4 => {
            let mut c = s(&["HSET", &format!("h:{k}")]);
            for _ in 0..g.gen_range(1..50) {
                c.push(member(g));
                c.push(member(g));
            }
            c
        }
        5 => s(&[
            "EXPIRE",
            &format!("{}:{k}", ["s", "l", "set", "z", "h"][g.gen_range(0..5)]),
            "100000",
        ]),
        6 => s(&["PFADD", &format!("hll:{k}"), &member(g), &member(g)]),
        7 => s(&["SELECT", &g.gen_range(0..3).to_string()]),
        _ => s(&[
            "DEL",
            &format!("{}:{k}", ["s", "l", "set", "z", "h"][g.gen_range(0..5)]),
        ]),
    }
}

fn reply(c: &mut Conn, args: &[String]) -> Vec<u8> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    c.cmd(&a)
}

/// Builds the same random dataset on our server (started with `ours`)
/// and on redis-server, then compares the digests.
fn digests_match(ours: &[&str]) {
    let debug = ["--enable-debug-command", "yes"];
    let Some(reference) = Server::start_reference(&debug) else {
        return;
    };
    let server = Server::start(&[ours, &debug[..]].concat());
    let mut a = server.conn();
    let mut b = reference.conn();
    let empty = "+0000000000000000000000000000000000000000\r\n";
    assert_eq!(show(&a.cmd(&["DEBUG", "DIGEST"])), show(empty.as_bytes()));
    let mut g = StdRng::seed_from_u64(0x5eed_d16e);
    let mut keys = std::collections::BTreeSet::new();
    for round in 0..6 {
        for _ in 0..400 {
            let c = build_cmd(&mut g);
            if c.len() > 1 && c[0] != "SELECT" {
                keys.insert(c[1].clone());
            }
            let (ra, rb) = (reply(&mut a, &c), reply(&mut b, &c));
            assert_eq!(show(&ra), show(&rb), "reply to {c:?}");
        }
        let (da, db) = (a.cmd(&["DEBUG", "DIGEST"]), b.cmd(&["DEBUG", "DIGEST"]));
        assert_eq!(show(&da), show(&db), "DEBUG DIGEST after round {round}");
        assert_ne!(show(&da), show(empty.as_bytes()));
        for db in 0..3 {
            let sel = ["SELECT".to_string(), db.to_string()];
            assert_eq!(show(&reply(&mut a, &sel)), show(&reply(&mut b, &sel)));
            let mut c = vec![
                "DEBUG".to_string(),
                "DIGEST-VALUE".into(),
                "nosuchkey".into(),
            ];
            c.extend(keys.iter().cloned());
            let (ra, rb) = (reply(&mut a, &c), reply(&mut b, &c));
            assert_eq!(show(&ra), show(&rb), "DEBUG DIGEST-VALUE in db {db}");
        }
    }
    for args in [
        &["DEBUG", "DIGEST-VALUE"][..],
        &["DEBUG", "DIGEST", "x"][..],
    ] {
        assert_eq!(show(&a.cmd(args)), show(&b.cmd(args)), "{args:?}");
    }
}

#[test]
fn digests_match_redis() {
    digests_match(&[]);
}

/// Every value demoted before each command: the digests read cold values
/// without changing anything.
#[test]
fn digests_match_redis_with_every_value_cold() {
    digests_match(ALL_COLD);
}

/// A dump saved here loads in redis-server with the same DEBUG DIGEST, and
/// one saved by redis-server (after more changes there) loads here with
/// redis-server's digest: every type and representation, expiries, three
/// databases. `ours` are extra arguments for our server.
fn dumps_round_trip_with_equal_digests(ours: &[&str]) {
    let debug = ["--enable-debug-command", "yes"];
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_string_lossy().into_owned();
    let mut args = vec!["--dir", d.as_str()];
    args.extend_from_slice(&debug);
    let ours_args = [&args[..], ours].concat();
    let server = Server::start(&ours_args);
    let mut a = server.conn();
    let mut g = StdRng::seed_from_u64(0xd0_d0);
    for _ in 0..2000 {
        reply(&mut a, &build_cmd(&mut g));
    }
    let ours_digest = show(&a.cmd(&["DEBUG", "DIGEST"]));
    assert_eq!(show(&a.cmd(&["SAVE"])), "+OK\\r\\n");
    drop(a);
    drop(server);
    let Some(reference) = Server::start_reference(&args) else {
        return;
    };
    let mut b = reference.conn();
    assert_eq!(
        show(&b.cmd(&["DEBUG", "DIGEST"])),
        ours_digest,
        "redis-server loading our dump"
    );
    for _ in 0..500 {
        reply(&mut b, &build_cmd(&mut g));
    }
    let theirs_digest = show(&b.cmd(&["DEBUG", "DIGEST"]));
    assert_ne!(theirs_digest, ours_digest);
    assert_eq!(show(&b.cmd(&["SAVE"])), "+OK\\r\\n");
    drop(b);
    drop(reference);
    let server = Server::start(&ours_args);
    let mut a = server.conn();
    assert_eq!(
        show(&a.cmd(&["DEBUG", "DIGEST"])),
        theirs_digest,
        "our server loading redis-server's dump"
    );
}

#[test]
fn dumps_round_trip_with_redis_with_equal_digests() {
    dumps_round_trip_with_equal_digests(&[]);
}

/// The same with every value in the cold tier when SAVE runs (cold
/// records are copied into the dump without decoding) and when the dump
/// loads.
#[test]
fn dumps_round_trip_with_redis_with_equal_digests_all_cold() {
    dumps_round_trip_with_equal_digests(ALL_COLD);
}
