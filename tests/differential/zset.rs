//! Sorted-set commands. Deterministic: no reply depends on timing.
//!
//! Members come from a small pool (so commands meet each other's members),
//! with equal scores often (ties ordered by member), infinities, exclusive
//! and lexical bounds, huge LIMIT values, negative ranks, and now and then a
//! member over 64 bytes or a ZADD of 130 members, which moves a key to the
//! large representation.

use super::gen::{Args, Mutate, Spec, G};
use crate::cmd;

const MEMBERS: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "aa", "", "1", "-1", "\u{ff}",
];
const SCORES: &[&str] = &[
    "0",
    "1",
    "1",
    "2",
    "-1",
    "1.5",
    "-2.25",
    "inf",
    "-inf",
    "+inf",
    "-0",
    "1e308",
    "3e-5",
    "0.1",
    "123456789012345678",
    "nan",
    "x",
    "",
    " 1",
    "1 ",
    "1e400",
    "1e-400",
    "infinity",
    "-INF",
];
const BOUNDS: &[&str] = &[
    "-inf", "+inf", "inf", "0", "1", "(1", "2", "(2", "-1", "(-1", "1.5", "(1.5", "x", "(", "",
    "nan", "(inf", "(-inf", " 1", "1e400",
];
const LEX: &[&str] = &[
    "-", "+", "[a", "(a", "[b", "(c", "[d", "[", "(", "[aa", "(g", "a", "", "+x", "[\u{ff}",
];

pub fn member(g: &mut G) -> Vec<u8> {
    if g.chance(2) {
        vec![b'm'; 65 + g.below(3) as usize]
    } else {
        g.pick(MEMBERS).as_bytes().to_vec()
    }
}

fn score(g: &mut G) -> Vec<u8> {
    if g.chance(75) {
        g.range(-3, 4).to_string().into_bytes()
    } else {
        g.pick(SCORES).as_bytes().to_vec()
    }
}

fn rank(g: &mut G) -> String {
    match g.below(10) {
        0..=5 => g.range(-5, 6).to_string(),
        6 => g
            .pick(&["9223372036854775807", "-9223372036854775808", "200", "-200"])
            .into(),
        7 => g.pick(&["x", "1.5", ""]).into(),
        _ => g.range(-150, 150).to_string(),
    }
}

fn limit(g: &mut G, a: &mut Args) {
    a.push(g.case("limit"));
    let off = match g.below(6) {
        0 => "9223372036854775807".to_string(),
        1 => g.range(-2, 0).to_string(),
        2 => "x".to_string(),
        _ => g.range(0, 4).to_string(),
    };
    let cnt = match g.below(6) {
        0 => "9223372036854775807".to_string(),
        1 => "-1".to_string(),
        2 => g.range(-3, 0).to_string(),
        _ => g.range(0, 5).to_string(),
    };
    a.push(off.into_bytes());
    a.push(cnt.into_bytes());
}

fn zadd(g: &mut G) -> Args {
    let mut a = cmd![g.case("zadd"), g.key()];
    let opts = ["nx", "xx", "gt", "lt", "ch", "incr"];
    for o in opts {
        if g.chance(12) {
            a.push(g.case(o));
        }
    }
    if g.chance(3) {
        // Past the listpack entry limit at once.
        for i in 0..130 {
            a.push(g.range(-5, 5).to_string().into_bytes());
            a.push(format!("n{i}").into_bytes());
        }
        return a;
    }
    let n = 1 + g.below(4);
    for _ in 0..n {
        a.push(score(g));
        a.push(member(g));
    }
    if g.chance(4) {
        a.pop();
    }
    a
}

/// Keys for the lex commands. Redis's answer to a lex range over members
/// of different scores depends, for its large representation, on random
/// skiplist levels; these keys only ever get score 0 (`zadd_lex`), so lex
/// ranges over them are deterministic. (Mixed-score listpacks, where
/// Redis is deterministic, are covered by tests/zset.rs.)
const LEX_KEYS: &[&str] = &["zlex0", "zlex1"];

fn lex_key(g: &mut G) -> Vec<u8> {
    g.pick(LEX_KEYS).as_bytes().to_vec()
}

fn zadd_lex(g: &mut G) -> Args {
    let mut a = cmd![g.case("zadd"), lex_key(g)];
    if g.chance(5) {
        for i in 0..130 {
            a.push(b"0".to_vec());
            a.push(format!("n{i}").into_bytes());
        }
        return a;
    }
    for _ in 0..1 + g.below(4) {
        a.push(b"0".to_vec());
        a.push(member(g));
    }
    a
}

fn range_cmd(g: &mut G, name: &str, kind: u8) -> Args {
    let key = if kind == 2 { lex_key(g) } else { g.key() };
    let mut a = cmd![g.case(name), key];
    push_range(g, &mut a, kind);
    a
}

/// kind: 0 rank, 1 score, 2 lex.
fn push_range(g: &mut G, a: &mut Args, kind: u8) {
    for _ in 0..2 {
        let v = match kind {
            0 => rank(g).into_bytes(),
            1 => g.pick(BOUNDS).as_bytes().to_vec(),
            _ => g.pick(LEX).as_bytes().to_vec(),
        };
        a.push(v);
    }
}

fn zrange_opts(g: &mut G, a: &mut Args, words: &[&str]) {
    let n = g.below(4);
    for _ in 0..n {
        if g.chance(25) {
            limit(g, a);
        } else {
            let w = g.pick(words);
            a.push(g.case(w));
        }
    }
}

fn zrange(g: &mut G, name: &str) -> Args {
    let mut a = cmd![g.case(name)];
    if name == "zrangestore" {
        a.push(g.key());
    }
    let kind = g.below(3) as u8;
    let key = if kind == 2 { lex_key(g) } else { g.key() };
    a.push(key);
    push_range(g, &mut a, kind);
    let mut words = vec!["withscores", "rev", "foo"];
    match kind {
        1 => words.extend(["byscore"; 4]),
        2 => words.extend(["bylex"; 4]),
        _ => {}
    }
    zrange_opts(g, &mut a, &words);
    a
}

fn legacy(g: &mut G, name: &str, kind: u8) -> Args {
    let mut a = range_cmd(g, name, kind);
    zrange_opts(g, &mut a, &["withscores", "withscores", "rev", "byscore"]);
    a
}

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("zadd", 30, zadd),
        Spec::new("zadd", 8, zadd_lex).mutate(Mutate::Never),
        Spec::new("zincrby", 6, |g| {
            cmd![g.case("zincrby"), g.key(), score(g), member(g)]
        }),
        Spec::new("zrem", 6, |g| {
            let mut a = cmd![g.case("zrem"), g.key()];
            for _ in 0..1 + g.below(3) {
                a.push(member(g));
            }
            a
        }),
        Spec::new("zcard", 4, |g| cmd![g.case("zcard"), g.key()]),
        Spec::new("zscore", 4, |g| cmd![g.case("zscore"), g.key(), member(g)]),
        Spec::new("zmscore", 4, |g| {
            let mut a = cmd![g.case("zmscore"), g.key()];
            for _ in 0..1 + g.below(3) {
                a.push(member(g));
            }
            a
        }),
        Spec::new("zrank", 4, |g| cmd![g.case("zrank"), g.key(), member(g)]),
        Spec::new("zrevrank", 3, |g| {
            cmd![g.case("zrevrank"), g.key(), member(g)]
        }),
        Spec::new("zcount", 4, |g| range_cmd(g, "zcount", 1)),
        Spec::new("zlexcount", 4, |g| range_cmd(g, "zlexcount", 2)),
        Spec::new("zrange", 12, |g| zrange(g, "zrange")),
        Spec::new("zrangestore", 5, |g| zrange(g, "zrangestore")),
        Spec::new("zrevrange", 4, |g| legacy(g, "zrevrange", 0)),
        Spec::new("zrangebyscore", 5, |g| legacy(g, "zrangebyscore", 1)),
        Spec::new("zrevrangebyscore", 4, |g| legacy(g, "zrevrangebyscore", 1)),
        Spec::new("zrangebylex", 4, |g| legacy(g, "zrangebylex", 2)),
        Spec::new("zrevrangebylex", 3, |g| legacy(g, "zrevrangebylex", 2)),
        Spec::new("zremrangebyrank", 2, |g| range_cmd(g, "zremrangebyrank", 0)),
        Spec::new("zremrangebyscore", 2, |g| {
            range_cmd(g, "zremrangebyscore", 1)
        }),
        Spec::new("zremrangebylex", 2, |g| range_cmd(g, "zremrangebylex", 2)),
        Spec::new("zpopmin", 3, |g| zpop(g, "zpopmin")),
        Spec::new("zpopmax", 3, |g| zpop(g, "zpopmax")),
    ]
}

fn zpop(g: &mut G, name: &str) -> Args {
    let mut a = cmd![g.case(name), g.key()];
    if g.chance(60) {
        a.push(rank(g).into_bytes());
    }
    if g.chance(3) {
        a.push(b"1".to_vec());
    }
    a
}
