//! List commands.
//!
//! Nondeterminism: none; every reply is compared byte for byte. Elements
//! come mostly from a small pool so LREM, LPOS and LINSERT find matches,
//! and pushes of many or large elements move lists across the
//! listpack/quicklist boundary (OBJECT ENCODING is compared under Redis
//! 7.0's names by the keyspace family's generator).

use super::gen::{Args, Mutate, Spec, EDGE_INTS, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("lpush", 12, |g| push(g, "lpush")),
        Spec::new("rpush", 12, |g| push(g, "rpush")),
        Spec::new("lpushx", 4, |g| push(g, "lpushx")),
        Spec::new("rpushx", 4, |g| push(g, "rpushx")),
        Spec::new("rpush", 1, big_push),
        Spec::new("lpop", 8, |g| pop(g, "lpop")),
        Spec::new("rpop", 8, |g| pop(g, "rpop")),
        Spec::new("llen", 5, |g| cmd![g.case("llen"), g.key()]),
        Spec::new("lrange", 10, |g| {
            cmd![g.case("lrange"), g.key(), index(g), index(g)]
        }),
        Spec::new("lindex", 6, |g| cmd![g.case("lindex"), g.key(), index(g)]),
        Spec::new("lset", 5, |g| {
            cmd![g.case("lset"), g.key(), index(g), element(g)]
        }),
        Spec::new("linsert", 5, |g| {
            let w = g.pick(&["BEFORE", "after", "AFTER", "before", "middle"]);
            cmd![g.case("linsert"), g.key(), w, element(g), element(g)]
        }),
        Spec::new("lrem", 5, |g| {
            let c = g.pick(&["0", "1", "-1", "2", "-2", "100", "-100"]);
            let c = if g.chance(10) { g.int() } else { c.to_string() };
            cmd![g.case("lrem"), g.key(), c, element(g)]
        }),
        Spec::new("ltrim", 4, |g| {
            cmd![g.case("ltrim"), g.key(), index(g), index(g)]
        }),
        Spec::new("lpos", 6, lpos),
        Spec::new("lmove", 5, |g| {
            let (a, b) = (side(g), side(g));
            cmd![g.case("lmove"), g.key(), g.key(), a, b]
        }),
        Spec::new("rpoplpush", 4, |g| {
            cmd![g.case("rpoplpush"), g.key(), g.key()]
        }),
        Spec::new("lmpop", 5, |g| mpop(g, "lmpop", None)),
        // Blocking forms: on non-empty keys they answer at once; on empty
        // ones they wait a few milliseconds and answer nil (the stream has
        // one client per server, so nothing can serve them meanwhile).
        // Never a zero timeout (forever), hence no edge-value mutation.
        Spec::new("blpop", 2, |g| bpop(g, "blpop")).mutate(Mutate::NoReplace),
        Spec::new("brpop", 1, |g| bpop(g, "brpop")).mutate(Mutate::NoReplace),
        Spec::new("blmove", 1, |g| {
            let (a, b) = (side(g), side(g));
            cmd![g.case("blmove"), g.key(), g.key(), a, b, timeout(g)]
        })
        .mutate(Mutate::NoReplace),
        Spec::new("brpoplpush", 1, |g| {
            cmd![g.case("brpoplpush"), g.key(), g.key(), timeout(g)]
        })
        .mutate(Mutate::NoReplace),
        Spec::new("blmpop", 1, |g| {
            let t = timeout(g);
            mpop(g, "blmpop", Some(t))
        })
        .mutate(Mutate::NoReplace),
    ]
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

fn bpop(g: &mut G, name: &str) -> Args {
    let mut a = cmd![g.case(name)];
    a.extend(g.keys(3));
    a.push(timeout(g).into_bytes());
    a
}

/// An element: usually from a small pool, so commands find each other's
/// elements.
pub fn element(g: &mut G) -> Vec<u8> {
    if g.chance(80) {
        g.pick(&[&b"a"[..], b"b", b"c", b"1", b"-1", b"", b"100000", b"x y"])
            .to_vec()
    } else {
        g.value()
    }
}

fn index(g: &mut G) -> String {
    match g.below(100) {
        0..=59 => g.range(-5, 5).to_string(),
        60..=79 => g.range(-300, 300).to_string(),
        80..=94 => g.pick(EDGE_INTS).to_string(),
        _ => g.int(),
    }
}

pub fn side(g: &mut G) -> &'static str {
    if g.chance(97) {
        g.pick(&["LEFT", "RIGHT", "left", "right"])
    } else {
        g.pick(&["middle", "", "L"])
    }
}

fn push(g: &mut G, name: &str) -> Args {
    let mut a = cmd![g.case(name), g.key()];
    for _ in 0..1 + g.below(5) {
        a.push(element(g));
    }
    a
}

/// Many or large elements: crosses the listpack limit (8 KiB by default)
/// and makes multi-node quicklists.
fn big_push(g: &mut G) -> Args {
    let mut a = cmd![g.case("rpush"), g.key()];
    let (n, size) = *g
        .rng
        .pick(&[(200usize, 50usize), (20, 1000), (1, 9000), (600, 1)]);
    for i in 0..n {
        a.push(if i % 7 == 0 {
            element(g)
        } else {
            vec![b'a' + (i % 26) as u8; size]
        });
    }
    a
}

fn pop(g: &mut G, name: &str) -> Args {
    let mut a = cmd![g.case(name), g.key()];
    if g.chance(50) {
        let c = match g.below(10) {
            0..=6 => g.range(0, 5).to_string(),
            7 => "-1".to_string(),
            8 => g.pick(EDGE_INTS).to_string(),
            _ => g.int(),
        };
        a.push(c.into_bytes());
    }
    a
}

fn lpos(g: &mut G) -> Args {
    let mut a = cmd![g.case("lpos"), g.key(), element(g)];
    for _ in 0..g.below(4) {
        let (opt, v) = match g.below(10) {
            0..=2 => (
                "RANK",
                g.pick(&[
                    "1",
                    "2",
                    "-1",
                    "-2",
                    "3",
                    "0",
                    "-9223372036854775808",
                    "9223372036854775807",
                ])
                .to_string(),
            ),
            3..=5 => ("COUNT", g.pick(&["0", "1", "2", "-1"]).to_string()),
            6..=7 => ("MAXLEN", g.pick(&["0", "1", "3", "-1", "100"]).to_string()),
            8 => ("rank", g.int()),
            _ => (g.pick(&["FOO", "count", "maxlen"]), g.int()),
        };
        a.push(opt.as_bytes().to_vec());
        if g.chance(97) {
            a.push(v.into_bytes());
        }
    }
    a
}

/// LMPOP/BLMPOP: `numkeys key... LEFT|RIGHT [COUNT n]`, with `timeout`
/// first for BLMPOP.
pub fn mpop(g: &mut G, name: &str, timeout: Option<String>) -> Args {
    let mut a = cmd![g.case(name)];
    if let Some(t) = timeout {
        a.push(t.into_bytes());
    }
    let keys = g.keys(3);
    let n = if g.chance(90) {
        keys.len().to_string()
    } else {
        g.pick(&["0", "-1", "5", "x", "9223372036854775807"])
            .to_string()
    };
    a.push(n.into_bytes());
    a.extend(keys);
    a.push(side(g).as_bytes().to_vec());
    if g.chance(40) {
        a.push(g.pick(&[&b"COUNT"[..], b"count", b"CNT"]).to_vec());
        if g.chance(95) {
            let c = g.pick(&["1", "2", "5", "100", "0", "-1", "x"]);
            a.push(c.as_bytes().to_vec());
        }
    }
    a
}
