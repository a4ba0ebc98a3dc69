//! Sorted-set algebra (ZUNION, ZINTER, ZDIFF, their STORE forms,
//! ZINTERCARD), ZMPOP and the blocking pops, ZRANDMEMBER and ZSCAN.
//!
//! Plain sets are valid algebra inputs: they live under their own keys
//! ([`SET_KEYS`]), restored from a payload now and then, which no other
//! generator touches (so this family does not depend on the set commands
//! existing). Destinations come from the shared pool, sometimes one of the
//! inputs. Nondeterminism: ZRANDMEMBER is checked for shape, membership
//! and uniqueness (`Norm::RandMember`); ZSCAN is driven to the end on each
//! server and compared as a set of pairs (`Norm::HScanAll`). NOSCORES is
//! Valkey 8, rejected by Redis 7.0: never sent here (tests/zset.rs).

use persistence::object::{write_object, Form, Object};
use persistence::rdb::{dump_payload, Writer};

use super::gen::{Args, Mutate, Norm, Spec, G};
use super::zset::member;
use crate::cmd;

/// Keys holding plain sets (or nothing), for the algebra only.
const SET_KEYS: &[&str] = &["zalg-set0", "zalg-set1"];

/// Keys that mostly hold sorted sets: the shared pool is full of other
/// types, which would make most calls WRONGTYPE errors. They are refilled
/// now and then ([`zkey`]) and also meet the other zset generators' keys
/// through ZUNIONSTORE & co.
const Z_KEYS: &[&str] = &["zalg0", "zalg1", "zalg2"];

/// A score for the refills: mostly small integers (ties), and the values
/// whose arithmetic is delicate (signed zeros, infinities, huge values,
/// fractions that do not add up exactly).
fn fill_score(g: &mut G) -> String {
    if g.chance(60) {
        g.range(-3, 3).to_string()
    } else {
        g.pick(&[
            "-0",
            "inf",
            "-inf",
            "0.1",
            "0.2",
            "1.5",
            "1e308",
            "-1e308",
            "3e-5",
            "1e18",
            "123456789012345678",
        ])
        .to_string()
    }
}

/// A key for this family: one of [`Z_KEYS`] (refilled with a ZADD first
/// now and then), or a pool key.
fn zkey(g: &mut G) -> Vec<u8> {
    if g.chance(12) {
        return g.key();
    }
    let k = g.pick(Z_KEYS);
    if g.chance(20) {
        if g.chance(50) {
            g.pre.push(cmd!["DEL", k]);
        }
        let mut a = cmd!["ZADD", k];
        if g.chance(8) {
            // Past zset-max-listpack-entries: the large representation.
            for i in 0..130 {
                a.push(fill_score(g).into_bytes());
                a.push(format!("n{i}").into_bytes());
            }
        } else {
            for _ in 0..1 + g.below(8) {
                a.push(fill_score(g).into_bytes());
                a.push(member(g));
            }
        }
        g.pre.push(a);
    }
    k.as_bytes().to_vec()
}

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("zunion", 5, |g| algebra(g, "zunion")),
        Spec::new("zunionstore", 5, |g| algebra(g, "zunionstore")),
        Spec::new("zinter", 5, |g| algebra(g, "zinter")),
        Spec::new("zinterstore", 4, |g| algebra(g, "zinterstore")),
        Spec::new("zintercard", 3, |g| algebra(g, "zintercard")),
        Spec::new("zdiff", 4, |g| algebra(g, "zdiff")),
        Spec::new("zdiffstore", 3, |g| algebra(g, "zdiffstore")),
        Spec::new("zmpop", 5, |g| mpop(g, "zmpop", None)),
        // Blocking forms: on non-empty keys they answer at once; on empty
        // ones they wait a few milliseconds and answer nil (one client per
        // server: nothing can serve them meanwhile). Never a zero timeout
        // (forever), hence no edge-value mutation.
        Spec::new("bzpopmin", 2, |g| bzpop(g, "bzpopmin")).mutate(Mutate::NoReplace),
        Spec::new("bzpopmax", 2, |g| bzpop(g, "bzpopmax")).mutate(Mutate::NoReplace),
        Spec::new("bzmpop", 2, |g| {
            let t = timeout(g);
            mpop(g, "bzmpop", Some(t))
        })
        .mutate(Mutate::NoReplace),
        Spec::new("zrandmember", 6, zrandmember)
            .norm(Norm::RandMember)
            // Never mutated: an edge value as the count, or a WITHSCORES
            // cut off after a count only it keeps in range, would ask for
            // billions of members. The generator sends junk and wrong
            // arity itself.
            .mutate(Mutate::Never),
        Spec::new("zscan", 4, zscan)
            .norm(Norm::HScanAll)
            .mutate(Mutate::Never),
        // The first ZSCAN call alone: cursor parsing and option errors,
        // compared exactly (never mutated: that could turn it into a
        // valid first call on a large zset, whose batch is
        // representation-dependent).
        Spec::new("zscan", 2, zscan_first).mutate(Mutate::Never),
    ]
}

/// A payload of a plain set for RESTORE: a few short members (some shared
/// with the zset generators' pool), now and then many.
fn set_payload(g: &mut G) -> Vec<u8> {
    let n = if g.chance(10) { 140 } else { 1 + g.below(6) };
    let mut m: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            if g.chance(70) {
                member(g)
            } else {
                format!("n{i}").into_bytes()
            }
        })
        .collect();
    m.sort();
    m.dedup();
    let mut w = Writer::new(false);
    write_object(&mut w, &Object::Set(m), Form::Large, -2);
    dump_payload(w.buf)
}

/// An algebra input: a pool key (zsets, other types, missing), a set key,
/// or (duplicate) the previous input again.
fn input(g: &mut G, prev: Option<&Vec<u8>>) -> Vec<u8> {
    match (g.below(10), prev) {
        (0..=5, _) => zkey(g),
        (6..=7, _) => {
            let k = g.pick(SET_KEYS);
            if g.chance(15) {
                let p = set_payload(g);
                g.pre.push(cmd!["RESTORE", k, "0", p, "REPLACE"]);
            }
            k.as_bytes().to_vec()
        }
        (_, Some(p)) => p.clone(),
        _ => zkey(g),
    }
}

fn weight(g: &mut G) -> Vec<u8> {
    match g.below(100) {
        0..=59 => g.range(-2, 3).to_string().into_bytes(),
        60..=96 => g
            .pick(&[
                "inf", "-inf", "+inf", "0", "-0", "0.5", "1e308", "-1e308", "1.5", "0.1",
            ])
            .as_bytes()
            .to_vec(),
        _ => g.pick(&["nan", "x", "", "1e400", " 1"]).as_bytes().to_vec(),
    }
}

/// `[dst] numkeys key... [WEIGHTS w...] [AGGREGATE a] [WITHSCORES]
/// [LIMIT n]`, with wrong counts and junk now and then. Options a command
/// does not take are sent too (they are syntax errors).
fn algebra(g: &mut G, name: &str) -> Args {
    let store = name.ends_with("store");
    let card = name == "zintercard";
    let mut a = cmd![g.case(name)];
    let n = 1 + g.below(4) as usize;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for _ in 0..n {
        let k = input(g, keys.last());
        keys.push(k);
    }
    if store {
        let dst = if g.chance(30) { g.pick(&keys) } else { zkey(g) };
        a.push(dst);
    }
    let numkeys = if g.chance(95) {
        n.to_string()
    } else {
        g.pick(&[
            "0".to_string(),
            "-1".to_string(),
            "x".to_string(),
            "9223372036854775807".to_string(),
            (n + 1).to_string(),
            (n - 1).to_string(),
        ])
    };
    a.push(numkeys.into_bytes());
    a.extend(keys);
    // Mostly options the command takes; the others (syntax errors) now
    // and then.
    let (good, bad): (&[&str], &[&str]) = if card {
        (&["limit"], &["weights", "withscores", "aggregate"])
    } else if name == "zdiff" {
        (&["withscores"], &["weights", "aggregate"])
    } else if name == "zdiffstore" {
        (&[], &["withscores", "weights", "aggregate"])
    } else if store {
        (&["weights", "aggregate"], &["withscores", "limit"])
    } else {
        (&["weights", "aggregate", "withscores"], &["limit"])
    };
    let mut words: Vec<&str> = good.repeat(8);
    words.extend(bad);
    let options = if good.is_empty() {
        u64::from(g.chance(10))
    } else {
        g.below(4)
    };
    for _ in 0..options {
        let w = g.pick(&words);
        a.push(g.case(w));
        match w {
            "weights" => {
                let m = match g.below(10) {
                    0 => n - 1,
                    1 => n + 1,
                    _ => n,
                };
                for _ in 0..m {
                    a.push(weight(g));
                }
            }
            // Now and then the option's value is missing.
            "aggregate" if g.chance(97) => {
                let f = if g.chance(90) {
                    g.pick(&["sum", "min", "max", "SUM", "Min", "MAX"])
                } else {
                    g.pick(&["avg", ""])
                };
                a.push(f.as_bytes().to_vec());
            }
            "limit" if g.chance(95) => {
                let l = g.pick(&["0", "1", "2", "3", "-1", "x", "100", "9223372036854775807"]);
                a.push(l.as_bytes().to_vec());
            }
            _ => {}
        }
    }
    if g.chance(3) {
        a.push(b"junk".to_vec());
    }
    a
}

/// A short blocking timeout, or an invalid one; never 0 (or anything
/// under a millisecond, which Redis truncates to 0: forever).
fn timeout(g: &mut G) -> String {
    if g.chance(85) {
        g.pick(&["0.002", "0.003", "0.005", "0.01"]).to_string()
    } else {
        g.pick(&["-1", "-0.5", "x", "inf", "1e30", "", "nan", "-inf"])
            .to_string()
    }
}

fn bzpop(g: &mut G, name: &str) -> Args {
    let mut a = cmd![g.case(name)];
    for _ in 0..1 + g.below(3) {
        a.push(zkey(g));
    }
    a.push(timeout(g).into_bytes());
    a
}

/// ZMPOP/BZMPOP: `numkeys key... MIN|MAX [COUNT n]`, with `timeout` first
/// for BZMPOP.
fn mpop(g: &mut G, name: &str, timeout: Option<String>) -> Args {
    let mut a = cmd![g.case(name)];
    if let Some(t) = timeout {
        a.push(t.into_bytes());
    }
    let keys: Args = (0..1 + g.below(3)).map(|_| zkey(g)).collect();
    let n = if g.chance(90) {
        keys.len().to_string()
    } else {
        g.pick(&["0", "-1", "5", "x", "9223372036854775807"])
            .to_string()
    };
    a.push(n.into_bytes());
    a.extend(keys);
    if g.chance(97) {
        let w = if g.chance(95) {
            g.pick(&["MIN", "MAX", "min", "max", "Max"])
        } else {
            g.pick(&["left", ""])
        };
        a.push(w.as_bytes().to_vec());
    }
    if g.chance(40) {
        let w = if g.chance(95) { "COUNT" } else { "CNT" };
        a.push(g.case(w));
        if g.chance(95) {
            let c = g.pick(&[
                "1",
                "2",
                "5",
                "100",
                "0",
                "-1",
                "x",
                "9223372036854775807",
                "9223372036854775808",
            ]);
            a.push(c.as_bytes().to_vec());
        }
        if g.chance(5) {
            a.extend(cmd!["COUNT", "1"]);
        }
    }
    a
}

fn rand_count(g: &mut G, withscores: bool) -> String {
    match g.below(100) {
        0..=79 => g.range(-20, 20).to_string(),
        80..=84 => g.pick(&["1000", "9223372036854775807", "131"]).to_string(),
        85..=89 => g
            .pick(&[
                "-9223372036854775808",
                "9223372036854775808",
                "x",
                "",
                "1.5",
            ])
            .to_string(),
        // Out of range only WITHSCORES (±LONG_MAX/2 is the bound): without
        // it these would ask for billions of members.
        _ if withscores => g
            .pick(&[
                "4611686018427387903",
                "4611686018427387904",
                "-4611686018427387904",
                "-9223372036854775807",
            ])
            .to_string(),
        _ => "0".to_string(),
    }
}

fn zrandmember(g: &mut G) -> Args {
    let key = zkey(g);
    match g.below(10) {
        0..=2 => cmd![g.case("zrandmember"), key],
        3..=5 => {
            let c = rand_count(g, false);
            cmd![g.case("zrandmember"), key, c]
        }
        6..=8 => {
            let c = rand_count(g, true);
            let w = g.pick(&["WITHSCORES", "withscores", "WithScores"]);
            cmd![g.case("zrandmember"), key, c, w]
        }
        9 if g.chance(20) => cmd![g.case("zrandmember")],
        _ => {
            let c = rand_count(g, false);
            let junk = g.pick(&["WITHVALUES", "x", ""]);
            let mut a = cmd![g.case("zrandmember"), key, c, junk];
            if g.chance(50) {
                a.push(b"WITHSCORES".to_vec());
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
                    g.pick(&[&b"a*"[..], b"[a-c]", b"*", b"n1*", b"m*", b"*\\", b""])
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

fn zscan(g: &mut G) -> Args {
    let mut a = cmd![g.case("zscan"), zkey(g), "0"];
    scan_options(g, &mut a);
    a
}

fn zscan_first(g: &mut G) -> Args {
    // Only calls that fail before scanning, or fail whatever the key (a
    // missing key answers an empty scan before the options are read).
    if g.chance(40) {
        let cursor = g.pick(&["x", " 0", "18446744073709551616", "1.5", "0x1"]);
        let mut a = cmd![g.case("zscan"), zkey(g), cursor];
        scan_options(g, &mut a);
        return a;
    }
    let mut a = cmd![g.case("zscan"), zkey(g), "0"];
    match g.below(4) {
        0 => a.extend(cmd![
            "COUNT",
            g.pick(&["0", "-1", "x", "9223372036854775808"])
        ]),
        1 => a.extend(cmd!["TYPE", "zset"]),
        2 => a.push(b"MATCH".to_vec()),
        _ => a.extend(cmd!["COUNT", "10", "junk"]),
    }
    a
}
