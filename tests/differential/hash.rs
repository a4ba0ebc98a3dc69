//! Hash commands.
//!
//! Nondeterminism: HGETALL, HKEYS and HVALS list pairs in representation
//! order, which differs between two correct servers once a hash is a table
//! (`Norm::SortedPairs`, `Norm::Sorted`); HSCAN is driven to the end on each
//! server and the pairs compared as a set (`Norm::HScanAll`); HRANDFIELD is
//! checked for shape, length, membership and uniqueness instead of the
//! random choice (`Norm::RandField`). NOVALUES is Redis 7.4 and we follow 7.4, where
//! Redis 7.0 answers a syntax error: never sent here (tests/hash.rs covers
//! it).

use super::gen::{Args, Mutate, Norm, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("hset", 25, |g| set_like(g, "hset")),
        Spec::new("hmset", 5, |g| set_like(g, "hmset")),
        // Many fields at once: crosses hash-max-listpack-entries (512).
        Spec::new("hset", 1, big_hset).mutate(Mutate::Never),
        Spec::new("hsetnx", 6, |g| {
            cmd![g.case("hsetnx"), g.key(), field(g), g.value()]
        }),
        Spec::new("hget", 15, |g| cmd![g.case("hget"), g.key(), field(g)]),
        Spec::new("hmget", 6, |g| {
            let mut a = cmd![g.case("hmget"), g.key()];
            for _ in 0..1 + g.below(5) {
                a.push(field(g));
            }
            a
        }),
        Spec::new("hgetall", 6, |g| cmd![g.case("hgetall"), g.key()]).norm(Norm::SortedPairs),
        Spec::new("hkeys", 4, |g| cmd![g.case("hkeys"), g.key()]).norm(Norm::Sorted),
        Spec::new("hvals", 4, |g| cmd![g.case("hvals"), g.key()]).norm(Norm::Sorted),
        Spec::new("hdel", 10, |g| {
            let mut a = cmd![g.case("hdel"), g.key()];
            for _ in 0..1 + g.below(4) {
                a.push(field(g));
            }
            a
        }),
        Spec::new("hlen", 6, |g| cmd![g.case("hlen"), g.key()]),
        Spec::new("hstrlen", 5, |g| cmd![g.case("hstrlen"), g.key(), field(g)]),
        Spec::new("hexists", 5, |g| cmd![g.case("hexists"), g.key(), field(g)]),
        Spec::new("hincrby", 8, |g| {
            cmd![g.case("hincrby"), g.key(), field(g), g.int()]
        }),
        Spec::new("hincrbyfloat", 8, |g| {
            cmd![g.case("hincrbyfloat"), g.key(), field(g), g.float()]
        }),
        Spec::new("hrandfield", 8, hrandfield)
            .norm(Norm::RandField)
            // Never mutated: an edge value as the count, or a truncation
            // that drops WITHVALUES after a count only valid with it,
            // would ask for billions of fields. The generator makes its
            // own junk and wrong-arity cases.
            .mutate(Mutate::Never),
        Spec::new("hscan", 5, hscan)
            .norm(Norm::HScanAll)
            .mutate(Mutate::Never),
        // The first HSCAN call alone: cursor parsing, option errors and the
        // whole-in-one-call answer of a listpack hash compared exactly.
        // Never mutated: a truncated or replaced argument can turn the call
        // into a valid first call on a table.
        Spec::new("hscan", 3, hscan_first).mutate(Mutate::Never),
    ]
}

/// Field names: a small pool so commands collide, plus the empty field,
/// binary ones and some longer than hash-max-listpack-value (64).
fn field(g: &mut G) -> Vec<u8> {
    match g.below(100) {
        0..=79 => format!("f{}", g.below(8)).into_bytes(),
        80..=84 => Vec::new(),
        85..=89 => b"\x00f\r\n\xff".to_vec(),
        90..=94 => vec![b'F'; g.pick(&[63usize, 64, 65, 100])],
        _ => g.value(),
    }
}

fn set_like(g: &mut G, name: &str) -> Args {
    let key = g.key();
    if g.chance(15) {
        // The pool is shared with the other families: clear the key now and
        // then so that hashes, not WRONGTYPE errors, dominate.
        g.pre.push(cmd!["DEL", key.clone()]);
    }
    let mut a = cmd![g.case(name), key];
    for _ in 0..1 + g.below(4) {
        a.push(field(g));
        a.push(g.value());
    }
    if g.chance(3) {
        // A field without a value: the arity error.
        a.push(field(g));
    }
    a
}

fn big_hset(g: &mut G) -> Args {
    let mut a = cmd!["HSET", g.key()];
    let n = g.pick(&[100u64, 511, 512, 513, 600]);
    let base = g.below(1000);
    for i in 0..n {
        a.push(format!("big{}", base + i).into_bytes());
        a.push(format!("{i}").into_bytes());
    }
    a
}

fn rand_count(g: &mut G, with_values: bool) -> String {
    match g.below(100) {
        0..=79 => g.range(-20, 20).to_string(),
        80..=84 => g.pick(&["1000", "9223372036854775807", "513"]).to_string(),
        85..=89 => g
            .pick(&[
                "-9223372036854775808",
                "9223372036854775808",
                "x",
                "",
                "1.5",
            ])
            .to_string(),
        // Out of range only WITHVALUES (±LONG_MAX/2 is the bound). Only
        // positive ones: the mutator may cut WITHVALUES off, and a huge
        // negative count without it asks for billions of fields (both
        // servers then time out), where a huge positive one returns the
        // whole hash.
        _ if with_values => g
            .pick(&["4611686018427387903", "4611686018427387904"])
            .to_string(),
        _ => "0".to_string(),
    }
}

fn hrandfield(g: &mut G) -> Args {
    let key = g.key();
    match g.below(10) {
        0..=2 => cmd![g.case("hrandfield"), key],
        3..=5 => {
            let c = rand_count(g, false);
            cmd![g.case("hrandfield"), key, c]
        }
        6..=8 => {
            let c = rand_count(g, true);
            let w = g.pick(&["WITHVALUES", "withvalues", "WithValues"]);
            cmd![g.case("hrandfield"), key, c, w]
        }
        _ => {
            let c = rand_count(g, true);
            let junk = g.pick(&["WITHSCORES", "x", ""]);
            let mut a = cmd![g.case("hrandfield"), key, c, junk];
            if g.chance(50) {
                a.push(b"WITHVALUES".to_vec());
            }
            a
        }
    }
}

fn scan_options(g: &mut G, a: &mut Args) {
    for _ in 0..g.below(3) {
        match g.below(10) {
            0..=3 => {
                a.push(g.pick(&["MATCH", "match"]).into());
                a.push(
                    g.pick(&[&b"f*"[..], b"f[0-3]", b"*", b"big1*", b"F*", b"*\\"])
                        .to_vec(),
                );
            }
            4..=7 => {
                a.push(g.pick(&["COUNT", "count"]).into());
                a.push(g.pick(&["1", "5", "10", "100", "1000"]).into());
            }
            _ => {}
        }
    }
}

fn hscan(g: &mut G) -> Args {
    let mut a = cmd![g.case("hscan"), g.key(), "0"];
    scan_options(g, &mut a);
    a
}

fn hscan_first(g: &mut G) -> Args {
    // Only calls that fail before scanning, or fail whatever the key: a
    // valid cursor on a table would return a representation-dependent
    // batch. (A missing key answers an empty scan before the options are
    // read, so option errors show only on existing hashes.)
    if g.chance(40) {
        let cursor = g.pick(&["x", " 0", "18446744073709551616", "1.5", "0x1"]);
        let mut a = cmd![g.case("hscan"), g.key(), cursor];
        scan_options(g, &mut a);
        return a;
    }
    let mut a = cmd![g.case("hscan"), g.key(), "0"];
    match g.below(4) {
        0 => a.extend(cmd![
            "COUNT",
            g.pick(&["0", "-1", "x", "9223372036854775808"])
        ]),
        1 => a.extend(cmd!["TYPE", "hash"]),
        2 => a.push(b"MATCH".to_vec()),
        _ => a.extend(cmd!["COUNT", "10", "junk"]),
    }
    a
}
