//! String and bit commands.
//!
//! Nondeterminism: none of these replies depends on timing, except through
//! expiry, which the generators only set far in the future or in the past
//! (see `G::rel_time`), plus the rare short TTL that ends a batch and
//! waits for it to pass (`short_ttl_set`).

use super::gen::{Args, Mutate, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("get", 30, |g| cmd![g.case("get"), g.key()]),
        // Plain SET is part of the foundation; SET's options come with the
        // string family, whose presence GETEX marks (the foundation's SET
        // option parsing differs from Redis: see the test report).
        Spec::new("set", 10, |g| cmd![g.case("set"), g.key(), g.value()]).mutate(Mutate::Never),
        Spec::new("set", 25, set)
            .mutate(Mutate::NoReplace)
            .requires(&["getex"]),
        Spec::new("set", 1, short_ttl_set)
            .mutate(Mutate::Never)
            .requires(&["getex"]),
        Spec::new("psetex", 1, short_ttl_psetex).mutate(Mutate::Never),
        Spec::new("getex", 5, getex).mutate(Mutate::NoReplace),
        Spec::new("getdel", 4, |g| cmd![g.case("getdel"), g.key()]),
        Spec::new("getset", 4, |g| cmd![g.case("getset"), g.key(), g.value()]),
        Spec::new("mget", 5, |g| {
            let mut a = cmd![g.case("mget")];
            a.extend(g.keys(5));
            a
        }),
        Spec::new("mset", 5, |g| mset(g, "mset")),
        Spec::new("msetnx", 3, |g| mset(g, "msetnx")),
        Spec::new("setnx", 3, |g| cmd![g.case("setnx"), g.key(), g.value()]),
        Spec::new("setex", 3, |g| {
            let t = g.rel_time(false);
            cmd![g.case("setex"), g.key(), t, g.value()]
        })
        .mutate(Mutate::NoReplace),
        Spec::new("psetex", 3, |g| {
            let t = g.rel_time(true);
            cmd![g.case("psetex"), g.key(), t, g.value()]
        })
        .mutate(Mutate::NoReplace),
        Spec::new("append", 6, |g| cmd![g.case("append"), g.key(), g.value()]),
        Spec::new("strlen", 4, |g| cmd![g.case("strlen"), g.key()]),
        Spec::new("incr", 6, |g| cmd![g.case("incr"), g.key()]),
        Spec::new("decr", 4, |g| cmd![g.case("decr"), g.key()]),
        Spec::new("incrby", 5, |g| cmd![g.case("incrby"), g.key(), g.int()]),
        Spec::new("decrby", 4, |g| cmd![g.case("decrby"), g.key(), g.int()]),
        Spec::new("incrbyfloat", 6, |g| {
            cmd![g.case("incrbyfloat"), g.key(), g.float()]
        }),
        Spec::new("getrange", 5, |g| range_cmd(g, "getrange")),
        Spec::new("substr", 2, |g| range_cmd(g, "substr")),
        Spec::new("setrange", 5, |g| {
            let v = if g.chance(10) { Vec::new() } else { g.value() };
            cmd![g.case("setrange"), g.key(), g.offset(), v]
        }),
        Spec::new("lcs", 3, lcs).requires(&["set"]),
        Spec::new("setbit", 6, |g| {
            let bit = if g.chance(90) {
                g.pick(&["0", "1"])
            } else {
                g.pick(&["2", "-1", "", "01", "x"])
            };
            cmd![g.case("setbit"), g.key(), bit_offset(g), bit]
        }),
        Spec::new("getbit", 5, |g| {
            cmd![g.case("getbit"), g.key(), bit_offset(g)]
        }),
        Spec::new("bitcount", 5, bitcount),
        Spec::new("bitpos", 5, bitpos),
        Spec::new("bitop", 4, bitop),
        Spec::new("bitfield", 6, |g| bitfield(g, false)),
        Spec::new("bitfield_ro", 3, |g| bitfield(g, true)),
    ]
}

/// SET with a random subset of its options in random order, sometimes
/// conflicting or malformed.
fn set(g: &mut G) -> Args {
    let mut a = cmd![g.case("set"), g.key(), g.value()];
    let n = g.pick(&[0, 0, 0, 1, 1, 2, 3]);
    for _ in 0..n {
        match g.below(11) {
            0 => a.push(b"NX".to_vec()),
            1 => a.push(b"XX".to_vec()),
            2 => a.push(b"GET".to_vec()),
            3 => a.push(b"KEEPTTL".to_vec()),
            4 => {
                a.push(b"EX".to_vec());
                a.push(g.rel_time(false).into_bytes());
            }
            5 => {
                a.push(b"PX".to_vec());
                a.push(g.rel_time(true).into_bytes());
            }
            6 => {
                a.push(b"EXAT".to_vec());
                a.push(g.abs_time(false).into_bytes());
            }
            7 => {
                a.push(b"PXAT".to_vec());
                a.push(g.abs_time(true).into_bytes());
            }
            8 => a.push(
                g.pick(&[&b"nx"[..], b"get", b"keepttl", b"ex", b"Px"])
                    .to_vec(),
            ),
            9 => a.push(g.pick(&[&b"PERSIST"[..], b"FOO", b"EX", b"NXX"]).to_vec()),
            _ => {
                let o = g.pick(&["EX", "PX", "EXAT", "PXAT"]);
                a.push(o.as_bytes().to_vec());
                a.push(g.pick(super::gen::EDGE_NOT_INTS).as_bytes().to_vec());
            }
        }
    }
    a
}

/// A key with a TTL of a few milliseconds: the batch ends after it and the
/// runner waits until the TTL has passed on both servers before sending
/// anything else, so every later command sees the key expired.
fn short_ttl_set(g: &mut G) -> Args {
    g.pause_after_ms = 10;
    let t = g.range(1, 3);
    cmd!["SET", g.key(), g.value(), "PX", t]
}

fn short_ttl_psetex(g: &mut G) -> Args {
    g.pause_after_ms = 10;
    let t = g.range(1, 3);
    cmd!["PSETEX", g.key(), t, g.value()]
}

fn getex(g: &mut G) -> Args {
    let mut a = cmd![g.case("getex"), g.key()];
    let n = g.pick(&[0, 1, 1, 1, 2]);
    for _ in 0..n {
        match g.below(7) {
            0 => {
                a.push(b"EX".to_vec());
                a.push(g.rel_time(false).into_bytes());
            }
            1 => {
                a.push(b"PX".to_vec());
                a.push(g.rel_time(true).into_bytes());
            }
            2 => {
                a.push(b"EXAT".to_vec());
                a.push(g.abs_time(false).into_bytes());
            }
            3 => {
                a.push(b"PXAT".to_vec());
                a.push(g.abs_time(true).into_bytes());
            }
            4 => a.push(b"PERSIST".to_vec()),
            5 => a.push(b"persist".to_vec()),
            _ => a.push(g.pick(&[&b"KEEPTTL"[..], b"EX", b"NX", b"GET"]).to_vec()),
        }
    }
    a
}

fn mset(g: &mut G, name: &str) -> Args {
    let mut a = vec![g.case(name)];
    for _ in 0..1 + g.below(4) {
        a.push(g.key());
        a.push(g.value());
    }
    if g.chance(5) {
        a.push(g.key()); // odd number of arguments
    }
    a
}

fn range_cmd(g: &mut G, name: &str) -> Args {
    cmd![g.case(name), g.key(), g.offset(), g.offset()]
}

fn bit_offset(g: &mut G) -> String {
    match g.below(100) {
        0..=59 => g.range(0, 100).to_string(),
        60..=74 => g.range(100, 5000).to_string(),
        75..=94 => g.pick(super::gen::EDGE_INTS).to_string(),
        _ => g.pick(super::gen::EDGE_NOT_INTS).to_string(),
    }
}

/// LCS on two small strings it sets itself (LCS is quadratic in memory),
/// sometimes on pool keys (wrong types, missing keys).
fn lcs(g: &mut G) -> Args {
    let (k1, k2) = if g.chance(90) {
        for k in ["lcs:a", "lcs:b"] {
            let n = g.below(30) as usize;
            let alphabet = g.pick(&[&b"ab"[..], b"abc", b"acgt", b"abcdefghij"]);
            let v: Vec<u8> = (0..n)
                .map(|_| alphabet[g.below(alphabet.len() as u64) as usize])
                .collect();
            g.pre.push(cmd!["SET", k, v]);
        }
        (b"lcs:a".to_vec(), b"lcs:b".to_vec())
    } else {
        (g.key(), g.key())
    };
    let mut a = cmd![g.case("lcs"), k1, k2];
    for _ in 0..g.below(4) {
        match g.below(6) {
            0 => a.push(b"LEN".to_vec()),
            1 | 2 => a.push(b"IDX".to_vec()),
            3 => {
                a.push(b"MINMATCHLEN".to_vec());
                a.push(g.pick(&["0", "1", "2", "3", "-1", "x"]).as_bytes().to_vec());
            }
            4 => a.push(b"WITHMATCHLEN".to_vec()),
            _ => a.push(g.pick(&[&b"FOO"[..], b"len", b"idx"]).to_vec()),
        }
    }
    a
}

fn bitcount(g: &mut G) -> Args {
    let mut a = cmd![g.case("bitcount"), g.key()];
    match g.below(5) {
        0 => {}
        1 => a.push(g.offset().into_bytes()), // only start: syntax error
        _ => {
            a.push(g.offset().into_bytes());
            a.push(g.offset().into_bytes());
            if g.chance(50) {
                a.push(g.pick(&[&b"BYTE"[..], b"BIT", b"bit", b"FOO"]).to_vec());
            }
        }
    }
    a
}

fn bitpos(g: &mut G) -> Args {
    let bit = g.pick(&["0", "1", "1", "0", "2", "-1", "x"]);
    let mut a = cmd![g.case("bitpos"), g.key(), bit];
    let n = g.below(4);
    if n >= 1 {
        a.push(g.offset().into_bytes());
    }
    if n >= 2 {
        a.push(g.offset().into_bytes());
    }
    if n >= 3 {
        a.push(g.pick(&[&b"BYTE"[..], b"BIT", b"bit", b"FOO"]).to_vec());
    }
    a
}

fn bitop(g: &mut G) -> Args {
    let op = g.pick(&["AND", "OR", "XOR", "NOT", "and", "not", "FOO"]);
    let mut a = cmd![g.case("bitop"), op, g.key()];
    let n = if op.eq_ignore_ascii_case("not") && g.chance(80) {
        1
    } else {
        1 + g.below(3)
    };
    for _ in 0..n {
        a.push(g.key());
    }
    a
}

fn bf_type(g: &mut G) -> String {
    match g.below(10) {
        0..=7 => {
            let signed = g.chance(50);
            let bits = if signed {
                g.pick(&[1, 2, 3, 4, 7, 8, 9, 16, 31, 32, 33, 63, 64])
            } else {
                g.pick(&[1, 2, 3, 4, 7, 8, 9, 16, 31, 32, 33, 63])
            };
            format!("{}{}", if signed { "i" } else { "u" }, bits)
        }
        _ => g
            .pick(&["u64", "i65", "i0", "u0", "x8", "u", "", "I8", "U8", "i-1"])
            .to_string(),
    }
}

fn bf_offset(g: &mut G) -> String {
    match g.below(10) {
        0..=5 => g.range(0, 100).to_string(),
        6 | 7 => format!("#{}", g.range(0, 20)),
        8 => g
            .pick(&[
                "-1",
                "#-1",
                "#",
                "x",
                "4294967296",
                "#9223372036854775807",
                "1000",
            ])
            .to_string(),
        _ => g.range(100, 2000).to_string(),
    }
}

fn bitfield(g: &mut G, ro: bool) -> Args {
    let mut a = cmd![g.case(if ro { "bitfield_ro" } else { "bitfield" }), g.key()];
    for _ in 0..g.below(4) {
        let op = if ro {
            if g.chance(90) {
                0
            } else {
                g.below(4)
            }
        } else {
            g.below(5)
        };
        match op {
            0 => {
                a.push(b"GET".to_vec());
                a.push(bf_type(g).into_bytes());
                a.push(bf_offset(g).into_bytes());
            }
            1 => {
                a.push(b"SET".to_vec());
                a.push(bf_type(g).into_bytes());
                a.push(bf_offset(g).into_bytes());
                a.push(g.int().into_bytes());
            }
            2 => {
                a.push(b"INCRBY".to_vec());
                a.push(bf_type(g).into_bytes());
                a.push(bf_offset(g).into_bytes());
                a.push(g.int().into_bytes());
            }
            3 => {
                a.push(b"OVERFLOW".to_vec());
                a.push(
                    g.pick(&[&b"WRAP"[..], b"SAT", b"FAIL", b"fail", b"FOO"])
                        .to_vec(),
                );
            }
            _ => a.push(g.pick(&[&b"FOO"[..], b"GET", b"get"]).to_vec()),
        }
    }
    a
}
