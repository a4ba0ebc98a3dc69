//! SORT and SORT_RO.
//!
//! Nondeterminism: a set has no order, so SORT of a set is compared
//! exactly only where Redis's result does not depend on it: numeric
//! sorting (ties are broken by the element bytes) and ALPHA with STORE
//! (byte comparison). ALPHA without STORE collates with the reference
//! server's locale (`strcoll`), which is not even a total order on binary
//! strings, so two redis-servers can disagree; it is compared as a sorted
//! multiset, as are `BY <constant>` (no sorting) and ALPHA with BY (equal
//! weights keep an arbitrary order), all without LIMIT or STORE. The
//! native order of `BY nosort` is checked on a list and a sorted set the
//! generator builds itself.

use super::gen::{Args, Mutate, Norm, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        // Never with a replaced argument: a BY pattern replaced by a
        // constant would stop the sorting, and a set's own order differs
        // between any two servers.
        Spec::new("sort", 12, |g| sort(g, "sort", true)).mutate(Mutate::NoReplace),
        Spec::new("sort_ro", 5, |g| sort(g, "sort_ro", false)).mutate(Mutate::NoReplace),
        Spec::new("sort", 5, unordered).norm(Norm::Sorted),
        Spec::new("sort", 4, native_order)
            .mutate(Mutate::Never)
            .requires(&["rpush", "zadd"]),
    ]
}

/// BY/GET patterns: most name keys of the pool (`k3` for element `3`,
/// `{tag}a` for `a`), some hash fields.
fn pattern(g: &mut G) -> Vec<u8> {
    g.pick(&[
        "k*", "k*", "k*->f", "k*->1", "{tag}*", "*", "k*->", "nostar", "#", "*\x00k",
    ])
    .as_bytes()
    .to_vec()
}

fn limit(g: &mut G, a: &mut Args) {
    let off = g.pick(&["0", "1", "2", "-1", "5", "100", "x", "9223372036854775807"]);
    let cnt = g.pick(&[
        "0",
        "1",
        "2",
        "3",
        "-1",
        "-5",
        "10",
        "x",
        "9223372036854775807",
    ]);
    a.push(g.case("limit"));
    a.push(off.as_bytes().to_vec());
    a.push(cnt.as_bytes().to_vec());
}

/// The deterministic forms, on any key of the pool.
fn sort(g: &mut G, name: &str, store: bool) -> Args {
    let mut a = cmd![g.case(name), g.key()];
    // STORE only with ALPHA: a numeric SORT can fail on redis-server
    // because of a stale errno (see known.rs), and with STORE that would
    // leave the two datasets different.
    let store = store && g.chance(30);
    let alpha = store;
    if !alpha && g.chance(40) {
        a.push(g.case("by"));
        let mut p = pattern(g);
        if !p.contains(&b'*') || p.starts_with(b"*\x00") {
            p = b"k*".to_vec();
        }
        a.push(p);
    }
    if alpha {
        a.push(g.case("alpha"));
    }
    if g.chance(40) {
        limit(g, &mut a);
    }
    for _ in 0..g.below(3) {
        a.push(g.case("get"));
        a.push(pattern(g));
    }
    if g.chance(40) {
        let dir = if g.chance(50) { "desc" } else { "asc" };
        a.push(g.case(dir));
    }
    if store {
        a.push(g.case("store"));
        a.push(g.key());
    }
    if g.chance(3) {
        a.push(b"junk".to_vec());
    }
    a
}

/// No sorting, or ALPHA with BY: compared as multisets.
fn unordered(g: &mut G) -> Args {
    let mut a = cmd![g.case("sort"), g.key()];
    match g.below(3) {
        0 => {
            a.push(g.case("by"));
            a.push(b"nosort".to_vec());
        }
        1 => {
            a.push(g.case("by"));
            a.push(pattern(g));
            a.push(g.case("alpha"));
        }
        _ => a.push(g.case("alpha")),
    }
    if g.chance(30) {
        a.push(g.case("get"));
        a.push(pattern(g));
    }
    if g.chance(30) {
        a.push(g.case("desc"));
    }
    a
}

/// A list or sorted set of its own, then SORT BY nosort with LIMIT, DESC
/// and STORE: the native order, sliced and reversed.
fn native_order(g: &mut G) -> Args {
    let src = b"sort:src".to_vec();
    g.pre.push(cmd!["DEL", src.clone()]);
    let n = g.below(8);
    if g.chance(50) {
        let mut push = cmd!["RPUSH", src.clone()];
        for _ in 0..=n {
            push.push(g.range(-5, 20).to_string().into_bytes());
        }
        g.pre.push(push);
    } else {
        let mut zadd = cmd!["ZADD", src.clone()];
        for i in 0..=n {
            zadd.push(g.range(-3, 3).to_string().into_bytes());
            zadd.push(format!("m{i}").into_bytes());
        }
        g.pre.push(zadd);
    }
    let mut a = cmd![g.case("sort"), src, g.case("by"), "nosort"];
    if g.chance(60) {
        limit(g, &mut a);
    }
    if g.chance(50) {
        a.push(g.case("desc"));
    }
    if g.chance(40) {
        a.push(g.case("get"));
        a.push(pattern(g));
    }
    if g.chance(30) {
        a.push(g.case("store"));
        a.push(g.key());
    }
    a
}
