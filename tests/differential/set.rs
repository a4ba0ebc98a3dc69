//! Set commands.
//!
//! Nondeterminism: SMEMBERS, SINTER, SUNION and SDIFF list members in
//! representation order, which differs between two correct servers once a
//! set is a hash table (`Norm::Sorted`); SSCAN is driven to the end on each
//! server and the members compared as a set (`Norm::SScanAll`);
//! SRANDMEMBER is checked for shape, length, membership and uniqueness
//! instead of the random choice (`Norm::SRandMember`). SPOP is generated
//! only where its result is determined (a count covering the whole set, a
//! set of one member, count 0, errors), since a random pop would make the
//! two servers' data diverge; tests/set.rs covers the random cases.
//!
//! Members come mostly from small pools so that sets overlap and
//! intersections are not empty; integers keep sets `intset`, strings make
//! them `listpack`, long members and big SADDs cross
//! set-max-listpack-value/-entries and set-max-intset-entries (OBJECT
//! ENCODING is compared under Redis 7.0's names by the keyspace family).
//! Big SADDs use distinct members only: Redis 7.2 converts a set before a
//! multi-member add that *could* pass a limit, where 7.0 converts only if
//! it does; with distinct members the two agree.

use super::gen::{Args, Mutate, Norm, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("sadd", 25, sadd),
        Spec::new("sadd", 1, big_sadd).mutate(Mutate::Never),
        Spec::new("srem", 10, |g| {
            let mut a = cmd![g.case("srem"), g.key()];
            for _ in 0..1 + g.below(4) {
                a.push(member(g));
            }
            a
        }),
        Spec::new("smembers", 6, |g| cmd![g.case("smembers"), g.key()]).norm(Norm::Sorted),
        Spec::new("sismember", 6, |g| {
            cmd![g.case("sismember"), g.key(), member(g)]
        }),
        Spec::new("smismember", 5, |g| {
            let mut a = cmd![g.case("smismember"), g.key()];
            for _ in 0..1 + g.below(5) {
                a.push(member(g));
            }
            a
        }),
        Spec::new("scard", 5, |g| cmd![g.case("scard"), g.key()]),
        Spec::new("spop", 8, spop)
            .mutate(Mutate::Never)
            .norm(Norm::Sorted)
            .requires(&["sadd", "del", "set"]),
        Spec::new("srandmember", 8, srandmember)
            .norm(Norm::SRandMember)
            // An edge value as the count could be a huge negative count: a
            // reply of billions of members.
            .mutate(Mutate::NoReplace),
        Spec::new("smove", 6, |g| {
            let (src, dst) = (g.key(), g.key());
            cmd![g.case("smove"), src, dst, member(g)]
        }),
        Spec::new("sinter", 6, |g| multi(g, "sinter", false)).norm(Norm::Sorted),
        Spec::new("sunion", 6, |g| multi(g, "sunion", false)).norm(Norm::Sorted),
        Spec::new("sdiff", 6, |g| multi(g, "sdiff", false)).norm(Norm::Sorted),
        Spec::new("sinterstore", 5, |g| multi(g, "sinterstore", true)),
        Spec::new("sunionstore", 5, |g| multi(g, "sunionstore", true)),
        Spec::new("sdiffstore", 5, |g| multi(g, "sdiffstore", true)),
        Spec::new("sintercard", 6, sintercard),
        Spec::new("sscan", 5, sscan)
            .norm(Norm::SScanAll)
            .mutate(Mutate::Never),
        // The first SSCAN call alone: cursor parsing, option errors and the
        // whole-in-one-call answer of a compact set compared exactly. Never
        // mutated: a changed argument can make a valid first call on a
        // table, whose batch depends on the representation.
        Spec::new("sscan", 3, sscan_first).mutate(Mutate::Never),
    ]
}

/// Members: small pools of integers and strings so that sets collide,
/// plus integer edge cases (width changes of an intset, strings that look
/// like integers but are not canonical), binary and long members.
fn member(g: &mut G) -> Vec<u8> {
    match g.below(100) {
        0..=44 => g.range(-3, 20).to_string().into_bytes(),
        45..=74 => format!("m{}", g.below(10)).into_bytes(),
        75..=82 => g
            .pick(&[
                "70000",
                "-5000000000",
                "9223372036854775807",
                "-9223372036854775808",
                "0",
                "-0",
                "01",
                "+1",
                " 1",
                "1.0",
            ])
            .as_bytes()
            .to_vec(),
        83..=87 => g.pick(&[&b""[..], b"\x00m\r\n\xff"]).to_vec(),
        88..=93 => vec![b'x'; g.pick(&[63usize, 64, 65, 100])],
        _ => g.value(),
    }
}

fn sadd(g: &mut G) -> Args {
    let key = g.key();
    if g.chance(20) {
        // The pool is shared with the other families: clear the key now and
        // then so that sets, not WRONGTYPE errors, dominate.
        g.pre.push(cmd!["DEL", key.clone()]);
    }
    let mut a = cmd![g.case("sadd"), key];
    for _ in 0..1 + g.below(5) {
        a.push(member(g));
    }
    a
}

/// Many distinct members at once, integers or strings: crosses
/// set-max-listpack-entries (128) and set-max-intset-entries (512).
fn big_sadd(g: &mut G) -> Args {
    let key = g.key();
    let mut a = cmd!["SADD", key];
    let n = g.pick(&[100u64, 127, 128, 129, 200, 511, 512, 513, 600]);
    let base = g.below(1000);
    let ints = g.chance(60);
    for i in 0..n {
        a.push(if ints {
            (base + i).to_string().into_bytes()
        } else {
            format!("big{}", base + i).into_bytes()
        });
    }
    a
}

/// `n` distinct members for a set built before a deterministic SPOP.
fn distinct_members(g: &mut G, n: u64) -> Args {
    let kind = g.below(3);
    (0..n)
        .map(|i| match kind {
            0 => i.to_string().into_bytes(),
            1 => format!("p{i}").into_bytes(),
            _ if i % 2 == 0 => i.to_string().into_bytes(),
            _ => format!("p{i}").into_bytes(),
        })
        .collect()
}

/// Only SPOPs whose result both servers must agree on.
fn spop(g: &mut G) -> Args {
    let key = g.key();
    match g.below(10) {
        // A set built here, popped whole (or by more than it holds).
        0..=3 => {
            let n = g.pick(&[1u64, 2, 5, 20, 129, 513]);
            g.pre.push(cmd!["DEL", key.clone()]);
            let mut sadd = cmd!["SADD", key.clone()];
            sadd.extend(distinct_members(g, n));
            g.pre.push(sadd);
            let over = g.pick(&[0u64, 1, 1000]);
            cmd![g.case("spop"), key, (n + over).to_string()]
        }
        // A set of one member, popped without a count.
        4 => {
            g.pre.push(cmd!["DEL", key.clone()]);
            let m = member(g);
            g.pre.push(cmd!["SADD", key.clone(), m]);
            cmd![g.case("spop"), key]
        }
        // Any key of the pool: a count no set reaches, or 0.
        5..=6 => {
            let c = g.pick(&["9223372036854775807", "100000", "0"]);
            cmd![g.case("spop"), key, c]
        }
        // A missing key or another type.
        7 => {
            g.pre.push(cmd!["DEL", key.clone()]);
            if g.chance(50) {
                g.pre.push(cmd!["SET", key.clone(), "v"]);
            }
            if g.chance(50) {
                cmd![g.case("spop"), key]
            } else {
                cmd![g.case("spop"), key, g.pick(&["0", "1", "5"])]
            }
        }
        // Errors: a bad count, or too many arguments (both before the key
        // is looked at).
        _ => {
            let c = g.pick(&[
                "-1",
                "x",
                "",
                "1.5",
                "-9223372036854775808",
                "9223372036854775808",
            ]);
            if g.chance(70) {
                cmd![g.case("spop"), key, c]
            } else {
                cmd![g.case("spop"), key, "1", c]
            }
        }
    }
}

fn rand_count(g: &mut G) -> String {
    match g.below(100) {
        0..=79 => g.range(-20, 20).to_string(),
        80..=86 => g
            .pick(&["1000", "9223372036854775807", "129", "513", "-1000"])
            .to_string(),
        87..=94 => g
            .pick(&[
                "-9223372036854775808",
                "9223372036854775808",
                "x",
                "",
                "1.5",
            ])
            .to_string(),
        _ => "0".to_string(),
    }
}

fn srandmember(g: &mut G) -> Args {
    let key = g.key();
    match g.below(10) {
        0..=2 => cmd![g.case("srandmember"), key],
        3..=8 => {
            let c = rand_count(g);
            cmd![g.case("srandmember"), key, c]
        }
        _ => {
            let c = rand_count(g);
            cmd![
                g.case("srandmember"),
                key,
                c,
                g.pick(&["1", "x", "WITHVALUES"])
            ]
        }
    }
}

/// SINTER/SUNION/SDIFF (1-4 keys) and their STORE forms (a destination
/// first). Keys repeat now and then, the destination among them too.
fn multi(g: &mut G, name: &str, store: bool) -> Args {
    let mut a = cmd![g.case(name)];
    if store {
        a.push(g.key());
    }
    let keys = g.keys(4);
    a.extend(keys);
    a
}

fn sintercard(g: &mut G) -> Args {
    let keys = g.keys(4);
    let n = keys.len();
    let numkeys = match g.below(10) {
        0 => g
            .pick(&[
                "0",
                "-1",
                "x",
                "",
                "9223372036854775807",
                "9223372036854775808",
            ])
            .to_string(),
        1 => (n + 1 + g.below(2) as usize).to_string(),
        // Fewer than given: the rest must parse as options.
        2 if n > 1 => (n - 1).to_string(),
        _ => n.to_string(),
    };
    let mut a = cmd![g.case("sintercard"), numkeys];
    a.extend(keys);
    match g.below(10) {
        0..=3 => {}
        4..=7 => {
            a.push(g.pick(&["LIMIT", "limit"]).into());
            a.push(g.pick(&["0", "1", "2", "3", "100"]).into());
        }
        8 => {
            a.push(b"LIMIT".to_vec());
            if g.chance(70) {
                a.push(
                    g.pick(&["-1", "x", "", "1.5", "9223372036854775808"])
                        .into(),
                );
            }
        }
        _ => {
            a.push(g.pick(&["LIMITS", "junk", "1"]).into());
            if g.chance(50) {
                a.push(b"1".to_vec());
            }
        }
    }
    a
}

fn scan_options(g: &mut G, a: &mut Args) {
    for _ in 0..g.below(3) {
        match g.below(10) {
            0..=3 => {
                a.push(g.pick(&["MATCH", "match"]).into());
                a.push(
                    g.pick(&[&b"m*"[..], b"1*", b"*", b"big1*", b"-*", b"[0-5]", b"*\\"])
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

fn sscan(g: &mut G) -> Args {
    let mut a = cmd![g.case("sscan"), g.key(), "0"];
    scan_options(g, &mut a);
    a
}

fn sscan_first(g: &mut G) -> Args {
    // Only calls that fail before scanning, or fail whatever the key: a
    // valid cursor on a table would return a representation-dependent
    // batch. (A missing key answers an empty scan before the options are
    // read, so option errors show only on existing sets.)
    if g.chance(40) {
        let cursor = g.pick(&["x", " 0", "18446744073709551616", "1.5", "0x1"]);
        let mut a = cmd![g.case("sscan"), g.key(), cursor];
        scan_options(g, &mut a);
        return a;
    }
    let mut a = cmd![g.case("sscan"), g.key(), "0"];
    match g.below(5) {
        0 => a.extend(cmd![
            "COUNT",
            g.pick(&["0", "-1", "x", "9223372036854775808"])
        ]),
        1 => a.extend(cmd!["TYPE", "set"]),
        2 => a.push(b"MATCH".to_vec()),
        3 => a.push(b"NOVALUES".to_vec()),
        _ => a.extend(cmd!["COUNT", "10", "junk"]),
    }
    a
}
