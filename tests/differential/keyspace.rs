//! Keyspace commands (keys of any type).
//!
//! Nondeterministic replies and how they are handled:
//! - KEYS: order unspecified, sorted (`Norm::Sorted`).
//! - SCAN: cursors and batching are implementation details; the runner
//!   drives a full iteration and compares the sorted key set
//!   (`Norm::ScanAll`). Only cursor 0 is generated.
//! - RANDOMKEY: only nil versus a key (`Norm::NilOrNot`).
//! - TTL/PTTL: positive values bucketed (`Norm::Ttl`); EXPIRETIME and
//!   PEXPIRETIME keep only the generator's own absolute times
//!   (`Norm::AbsTime`).
//! - DBSIZE and RANDOMKEY may count keys that are logically expired but not
//!   yet reclaimed: they are preceded by an `EXISTS <pool>` that makes both
//!   servers reclaim them (`G::sync_expired`).
//! - OBJECT IDLETIME and OBJECT REFCOUNT: any integer (`Norm::AnyInt`).
//! - FLUSHALL/FLUSHDB ASYNC: the data is gone for the client right away in
//!   both, so they are compared like the SYNC forms.

use super::gen::{Args, Mutate, Norm, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("del", 8, |g| {
            let mut a = cmd![g.case("del")];
            a.extend(g.keys(4));
            a
        }),
        Spec::new("unlink", 3, |g| {
            let mut a = cmd![g.case("unlink")];
            a.extend(g.keys(4));
            a
        }),
        Spec::new("exists", 6, |g| {
            let mut a = cmd![g.case("exists")];
            a.extend(g.keys(5));
            a
        }),
        Spec::new("type", 5, |g| cmd![g.case("type"), g.key()]),
        Spec::new("rename", 4, |g| cmd![g.case("rename"), g.key(), g.key()]),
        Spec::new("renamenx", 3, |g| {
            cmd![g.case("renamenx"), g.key(), g.key()]
        }),
        Spec::new("copy", 4, copy),
        Spec::new("move", 3, |g| cmd![g.case("move"), g.key(), g.db()]),
        Spec::new("keys", 3, |g| cmd![g.case("keys"), g.pattern()]).norm(Norm::Sorted),
        Spec::new("scan", 3, scan)
            .norm(Norm::ScanAll)
            .mutate(Mutate::Never),
        Spec::new("scan", 1, scan_bad).mutate(Mutate::Never),
        Spec::new("randomkey", 2, |g| {
            g.sync_expired();
            cmd![g.case("randomkey")]
        })
        .norm(Norm::NilOrNot)
        .requires(&["exists"]),
        Spec::new("dbsize", 3, |g| {
            g.sync_expired();
            cmd![g.case("dbsize")]
        })
        .requires(&["exists"]),
        Spec::new("flushdb", 1, |g| {
            let mut a = cmd![g.case("flushdb")];
            if g.chance(50) {
                a.push(g.pick(&[&b"ASYNC"[..], b"SYNC", b"sync", b"FOO"]).to_vec());
            }
            a
        }),
        // Rare: it empties every database of the stream.
        Spec::new("flushall", 1, |g| {
            if !g.chance(20) {
                return cmd!["FLUSHALL", "FOO"];
            }
            let mut a = cmd![g.case("flushall")];
            if g.chance(50) {
                a.push(g.pick(&[&b"ASYNC"[..], b"SYNC"]).to_vec());
            }
            a
        }),
        Spec::new("swapdb", 2, |g| cmd![g.case("swapdb"), g.db(), g.db()]),
        Spec::new("expire", 5, |g| expire(g, "expire", false, false)).mutate(Mutate::NoReplace),
        Spec::new("pexpire", 4, |g| expire(g, "pexpire", true, false)).mutate(Mutate::NoReplace),
        Spec::new("expireat", 4, |g| expire(g, "expireat", false, true)).mutate(Mutate::NoReplace),
        Spec::new("pexpireat", 3, |g| expire(g, "pexpireat", true, true)).mutate(Mutate::NoReplace),
        Spec::new("pexpire", 1, short_ttl_pexpire).mutate(Mutate::Never),
        Spec::new("ttl", 5, |g| cmd![g.case("ttl"), g.key()]).norm(Norm::Ttl),
        Spec::new("pttl", 4, |g| cmd![g.case("pttl"), g.key()]).norm(Norm::Ttl),
        Spec::new("expiretime", 3, |g| cmd![g.case("expiretime"), g.key()]).norm(Norm::AbsTime),
        Spec::new("pexpiretime", 3, |g| cmd![g.case("pexpiretime"), g.key()]).norm(Norm::AbsTime),
        Spec::new("persist", 4, |g| cmd![g.case("persist"), g.key()]),
        Spec::new("touch", 3, |g| {
            let mut a = cmd![g.case("touch")];
            a.extend(g.keys(4));
            a
        }),
        Spec::new("object|encoding", 3, |g| {
            cmd!["OBJECT", "ENCODING", g.key()]
        })
        .norm(Norm::Encoding),
        // Sizes are this server's own: only nil/int/error are compared.
        // MEMORY USAGE sees a logically expired key until it is removed, so
        // an EXISTS first removes it on both servers.
        Spec::new("memory|usage", 2, |g| {
            let key = g.key();
            g.pre.push(cmd!["EXISTS", key.clone()]);
            let mut a = cmd!["MEMORY", "USAGE", key];
            if g.chance(30) {
                a.push(g.case("samples"));
                a.push(g.int().into_bytes());
            }
            a
        })
        .norm(Norm::AnyInt),
        Spec::new("object|refcount", 1, |g| {
            cmd!["OBJECT", "REFCOUNT", g.key()]
        })
        .norm(Norm::AnyInt),
        Spec::new("object|idletime", 1, |g| {
            cmd!["OBJECT", "IDLETIME", g.key()]
        })
        .norm(Norm::AnyInt),
        // Without an LFU maxmemory-policy this is an error (exact text).
        Spec::new("object|freq", 1, |g| cmd!["OBJECT", "FREQ", g.key()]).norm(Norm::AnyInt),
        Spec::new("object", 1, |g| {
            let sub = g.pick(&[&b"FOO"[..], b"encodings", b""]);
            cmd![g.case("object"), sub, g.key()]
        }),
    ]
}

fn copy(g: &mut G) -> Args {
    let mut a = cmd![g.case("copy"), g.key(), g.key()];
    for _ in 0..g.below(3) {
        match g.below(4) {
            0 | 1 => {
                a.push(b"DB".to_vec());
                a.push(g.db().into_bytes());
            }
            2 => a.push(b"REPLACE".to_vec()),
            _ => a.push(g.pick(&[&b"replace"[..], b"FOO", b"DB"]).to_vec()),
        }
    }
    a
}

fn scan(g: &mut G) -> Args {
    let mut a = cmd![g.case("scan"), "0"];
    if g.chance(50) {
        a.push(b"MATCH".to_vec());
        a.push(g.pattern());
    }
    if g.chance(50) {
        a.push(b"COUNT".to_vec());
        a.push(g.pick(&[&b"1"[..], b"2", b"5", b"10", b"1000"]).to_vec());
    }
    if g.chance(30) {
        a.push(b"TYPE".to_vec());
        a.push(
            g.pick(&[
                &b"string"[..],
                b"STRING",
                b"hash",
                b"list",
                b"set",
                b"zset",
                b"foo",
            ])
            .to_vec(),
        );
    }
    a
}

/// SCAN calls that fail before iterating: compared exactly.
fn scan_bad(g: &mut G) -> Args {
    match g.below(6) {
        // Not "" or "-1": Redis parses those (as 0 and ULONG_MAX).
        0 => cmd![
            "SCAN",
            g.pick(&["x", "1.5", "18446744073709551616", " 1", "1 "])
        ],
        1 => cmd!["SCAN", "0", "COUNT", g.pick(&["0", "-1", "x", ""])],
        2 => cmd!["SCAN", "0", "MATCH"],
        3 => cmd!["SCAN", "0", "FOO", "bar"],
        4 => cmd!["SCAN", "0", "COUNT"],
        _ => cmd!["SCAN"],
    }
}

fn expire(g: &mut G, name: &str, ms: bool, abs: bool) -> Args {
    let t = if abs { g.abs_time(ms) } else { g.rel_time(ms) };
    let mut a = cmd![g.case(name), g.key(), t];
    if g.chance(40) {
        a.push(
            g.pick(&[&b"NX"[..], b"XX", b"GT", b"LT", b"nx", b"gt", b"FOO"])
                .to_vec(),
        );
        if g.chance(15) {
            a.push(g.pick(&[&b"NX"[..], b"XX", b"GT", b"LT"]).to_vec());
        }
    }
    a
}

/// A PEXPIRE of a few milliseconds; see `string::short_ttl_set`.
fn short_ttl_pexpire(g: &mut G) -> Args {
    g.pause_after_ms = 10;
    cmd!["PEXPIRE", g.key(), g.range(1, 3)]
}
