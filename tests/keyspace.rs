//! The keyspace family against a real redis-server 7.0: the same command
//! sequences go to both servers and the raw replies must be identical
//! (order-insensitive where Redis's order depends on its hash function).
//! Where no redis-server is installed only our side runs, and the literal
//! expectations below still apply.

mod common;
#[path = "keyspace/scan.rs"]
mod scan;
#[path = "keyspace/support.rs"]
mod support;

use std::time::Duration;

use common::*;
use support::*;

#[test]
fn rename_and_renamenx() {
    let mut p = Pair::start(&[]);
    p.run(&[
        &["SET", "a", "1"],
        &["RENAME", "a", "a"],
        &["RENAMENX", "a", "a"],
        &["RENAME", "nokey", "x"],
        &["RENAME", "nokey", "nokey"],
        &["RENAMENX", "nokey", "x"],
        &["RENAMENX", "nokey", "nokey"],
        &["RENAME", "a"],
        &["RENAME", "a", "b", "c"],
        // The TTL travels with the value; the old name is gone.
        &["PEXPIREAT", "a", FAR_MS],
        &["RENAME", "a", "b"],
        &["EXISTS", "a"],
        &["GET", "b"],
        &["PEXPIRETIME", "b"],
        &["PEXPIRETIME", "a"],
        // Overwriting replaces value and TTL of the destination.
        &["SET", "c", "other"],
        &["EXPIREAT", "c", "4100000000"],
        &["RENAME", "b", "c"],
        &["GET", "c"],
        &["PEXPIRETIME", "c"],
        &["DBSIZE"],
        // A destination without TTL gets the source's absence of TTL.
        &["SET", "d", "x"],
        &["EXPIREAT", "d", FAR],
        &["SET", "e", "y"],
        &["RENAME", "e", "d"],
        &["TTL", "d"],
        // RENAMENX refuses an existing destination and keeps both.
        &["SET", "f", "1"],
        &["RENAMENX", "f", "d"],
        &["GET", "f"],
        &["GET", "d"],
        &["RENAMENX", "f", "g"],
        &["EXISTS", "f", "g"],
        &["OBJECT", "ENCODING", "g"],
        &["DBSIZE"],
    ]);
    p.expect(&["RENAME", "nokey", "x"], "-ERR no such key\\r\\n");
    p.expect(&["RENAMENX", "d", "d"], ":0\\r\\n");
    p.expect(&["RENAME", "d", "d"], "+OK\\r\\n");
}

#[test]
fn copy_and_move_between_databases() {
    let mut p = Pair::start(&[]);
    p.run(&[
        &["SET", "a", "hello"],
        &["PEXPIREAT", "a", FAR_MS],
        &["COPY", "a", "a"],
        &["COPY", "a", "a", "DB", "0"],
        &["COPY", "a", "a", "REPLACE"],
        &["COPY", "a", "b", "DB"],
        &["COPY", "a", "b", "DB", "x"],
        &["COPY", "a", "b", "DB", "16"],
        &["COPY", "a", "b", "DB", "-1"],
        &["COPY", "a", "b", "DB", "99999999999"],
        &["COPY", "a", "b", "foo", "DB", "x"],
        &["COPY", "a", "b", "DB", "x", "foo"],
        &["COPY", "a", "b", "REPLACE", "REPLACE", "extra"],
        &["COPY", "a"],
        &["COPY", "nokey", "b"],
        &["COPY", "a", "b"],
        &["COPY", "a", "b"],
        &["PEXPIRETIME", "b"],
        &["GET", "b"],
        &["SET", "b", "changed"],
        &["GET", "a"],
        &["COPY", "a", "b", "replace"],
        &["GET", "b"],
        &["COPY", "a", "a", "DB", "1"],
        &["COPY", "a", "a", "db", "1"],
        &["COPY", "a", "a", "DB", "1", "REPLACE"],
        &["SELECT", "1"],
        &["GET", "a"],
        &["PEXPIRETIME", "a"],
        &["DBSIZE"],
        // From a SELECT-ed database back to 0.
        &["SET", "n", "12345"],
        &["COPY", "n", "n", "DB", "0"],
        &["OBJECT", "ENCODING", "n"],
        &["SELECT", "0"],
        &["GET", "n"],
        &["OBJECT", "ENCODING", "n"],
        &["SET", "long", &"x".repeat(100)],
        &["COPY", "long", "long2"],
        &["OBJECT", "ENCODING", "long2"],
        &["DBSIZE"],
        // MOVE
        &["MOVE", "a", "0"],
        &["MOVE", "nokey", "0"],
        &["MOVE", "a", "16"],
        &["MOVE", "a", "-1"],
        &["MOVE", "a", "x"],
        &["MOVE", "a", "99999999999"],
        &["MOVE", "nokey", "1"],
        &["MOVE", "a", "1"],
        &["MOVE", "b", "1"],
        &["EXISTS", "b"],
        &["SELECT", "1"],
        &["GET", "b"],
        &["PEXPIRETIME", "b"],
        &["MOVE", "b", "2"],
        &["EXISTS", "b"],
        &["SELECT", "2"],
        &["GET", "b"],
        &["DBSIZE"],
        &["SELECT", "0"],
        &["DBSIZE"],
    ]);
    p.expect(
        &["MOVE", "long", "0"],
        "-ERR source and destination objects are the same\\r\\n",
    );
    p.expect(
        &["MOVE", "long", "16"],
        "-ERR DB index is out of range\\r\\n",
    );
    p.expect(
        &["COPY", "long", "x", "DB", "4294967296"],
        "-ERR value is out of range, value must between -2147483648 and 2147483647\\r\\n",
    );
}

#[test]
fn exists_type_touch_del_unlink() {
    let mut p = Pair::start(&[]);
    p.run(&[
        &["SET", "a", "1"],
        &["SET", "b", "2"],
        &["EXISTS", "a", "a", "b", "nokey", "a"],
        &["EXISTS"],
        &["TYPE", "a"],
        &["TYPE", "nokey"],
        &["TYPE"],
        &["TYPE", "a", "b"],
        &["TOUCH", "a", "a", "nokey"],
        &["TOUCH"],
        &["DEL", "a", "a", "nokey"],
        &["UNLINK", "b", "b", "nokey"],
        &["UNLINK"],
        &["EXISTS", "a", "b"],
        &["DBSIZE"],
        &["DBSIZE", "x"],
        &["SET", "big", &"x".repeat(100_000)],
        &["UNLINK", "big"],
        &["GET", "big"],
    ]);
    p.expect(&["EXISTS", "x", "x"], ":0\\r\\n");
    p.expect(&["TYPE", "x"], "+none\\r\\n");
}

#[test]
fn expire_options_and_errors() {
    let mut p = Pair::start(&[]);
    p.run(&[
        &["SET", "a", "1"],
        &["EXPIRE", "a", "100", "nx", "xx"],
        &["EXPIRE", "a", "100", "NX", "XX", "GT"],
        &["EXPIRE", "a", "100", "gt", "lt"],
        &["EXPIRE", "a", "100", "lt", "lt", "nx"],
        &["EXPIRE", "a", "100", "xx", "bogus", "nx"],
        &["EXPIRE", "a", "100", ""],
        &["EXPIRE", "a", "abc", "foo"],
        &["EXPIRE", "a", "abc"],
        &["EXPIRE", "a", "1.5"],
        &["EXPIRE", "a"],
        &["EXPIRE", "a", "9223372036854775"],
        &["EXPIRE", "a", "9223372036854775807"],
        &["EXPIRE", "a", "-9223372036854775808"],
        &["EXPIRE", "a", "-9223372036854776"],
        &["PEXPIRE", "a", "9223372036854775807"],
        &["EXPIREAT", "a", "9223372036854776"],
        &["EXPIREAT", "a", "-9223372036854776"],
        &["PEXPIREAT", "a", "9223372036854775808"],
        &["TTL", "a"],
        // Conditions against "no expiry" (infinite).
        &["EXPIRE", "a", "100", "xx"],
        &["EXPIRE", "a", "100", "gt"],
        &["EXPIRE", "a", "100", "lt"],
        &["TTL", "a"],
        &["EXPIRE", "a", "200", "nx"],
        &["EXPIRE", "a", "200", "lt"],
        &["EXPIRE", "a", "50", "lt"],
        &["TTL", "a"],
        &["EXPIRE", "a", "40", "gt"],
        &["EXPIRE", "a", "400", "gt"],
        // Not 400 again: now+400 > (earlier now)+400 only if a millisecond
        // passed in between, which differs between the two servers.
        &["EXPIRE", "a", "500", "xx", "gt"],
        &["TTL", "a"],
        &["EXPIRE", "a", "100", "gt", "gt"],
        &["PERSIST", "a"],
        &["PERSIST", "a"],
        &["TTL", "a"],
        &["PERSIST", "nokey"],
        &["EXPIRE", "nokey", "10"],
        &["EXPIRE", "nokey", "10", "nx", "xx"],
        // Absolute times, exactly.
        &["EXPIREAT", "a", FAR],
        &["EXPIRETIME", "a"],
        &["PEXPIRETIME", "a"],
        &["PEXPIREAT", "a", FAR_MS],
        &["EXPIRETIME", "a"],
        &["PEXPIREAT", "a", "9223372036854775807"],
        &["EXPIRETIME", "a"],
        &["PEXPIREAT", "a", "9223372036854775307"],
        &["EXPIRETIME", "a"],
        &["PEXPIREAT", "a", "4000000000500"],
        &["EXPIRETIME", "a"],
        &["PEXPIREAT", "a", "4000000000499"],
        &["EXPIRETIME", "a"],
        &["EXPIREAT", "a", "4100000000", "LT"],
        &["EXPIREAT", "a", "4100000000", "GT"],
        &["PEXPIRETIME", "a"],
        // Times in the past delete the key (and count as set).
        &["EXPIRE", "a", "-1"],
        &["EXISTS", "a"],
        &["SET", "b", "x"],
        &["EXPIRE", "b", "0"],
        &["EXISTS", "b"],
        &["SET", "c", "1"],
        &["PEXPIREAT", "c", "1"],
        &["EXISTS", "c"],
        &["SET", "d", "1"],
        &["EXPIREAT", "d", "0", "GT"],
        &["EXPIRE", "d", "-5", "LT"],
        &["EXISTS", "d"],
        &["SET", "e", "1"],
        &["EXPIREAT", "e", FAR],
        &["EXPIRE", "e", "-5", "GT"],
        &["EXPIRE", "e", "-5", "LT"],
        &["EXISTS", "e"],
        &["DBSIZE"],
    ]);
    p.expect(
        &["EXPIRE", "k", "1", "nx", "gt"],
        "-ERR NX and XX, GT or LT options at the same time are not compatible\\r\\n",
    );
    p.expect(
        &["PEXPIRE", "k", "9223372036854775807"],
        "-ERR invalid expire time in 'pexpire' command\\r\\n",
    );
    p.expect(
        &["EXPIREAT", "k", "9223372036854776"],
        "-ERR invalid expire time in 'expireat' command\\r\\n",
    );
}

#[test]
fn ttl_family_values() {
    let mut p = Pair::start(&[]);
    p.run(&[
        &["TTL", "nokey"],
        &["PTTL", "nokey"],
        &["EXPIRETIME", "nokey"],
        &["PEXPIRETIME", "nokey"],
        &["SET", "k", "v"],
        &["TTL", "k"],
        &["PTTL", "k"],
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["EXPIRE", "k", "100"],
        &["TTL", "k"],
        // TTL rounds to the nearest second.
        &["PEXPIRE", "k", "100400"],
        &["TTL", "k"],
        &["PEXPIRE", "k", "100900"],
        &["TTL", "k"],
        &["SET", "k", "w"],
        &["TTL", "k"],
        &["TTL"],
        &["PTTL", "a", "b"],
    ]);
    // Milliseconds left depend on timing: close to what was set.
    p.same(&["PEXPIRE", "k", "100000"]);
    let (a, b) = p.both(&["PTTL", "k"]);
    for r in std::iter::once(a).chain(b) {
        let ms = int(&r);
        assert!((99_000..=100_000).contains(&ms), "PTTL {ms}");
    }
}

#[test]
fn expired_keys_are_gone_everywhere() {
    let mut p = Pair::start(&[]);
    // Only lazy expiry, so that both servers see the same keys.
    p.same(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    p.run(&[
        &["SET", "live", "1"],
        &["SET", "x", "1", "PX", "1"],
        &["SET", "y", "1", "PX", "1"],
        &["SET", "z", "1", "PX", "1"],
    ]);
    std::thread::sleep(Duration::from_millis(20));
    p.run(&[
        &["DBSIZE"],
        &["KEYS", "*"],
        &["DBSIZE"],
        &["EXISTS", "x"],
        &["TYPE", "x"],
        &["TTL", "x"],
        &["OBJECT", "ENCODING", "x"],
        &["RENAME", "x", "w"],
        &["COPY", "x", "w"],
        &["MOVE", "x", "1"],
        &["EXPIRE", "x", "100"],
        &["PERSIST", "x"],
        &["DEL", "x", "y"],
        &["DBSIZE"],
        &["COPY", "live", "z"],
        &["TTL", "z"],
        &["RENAMENX", "live", "z"],
        &["DBSIZE"],
    ]);
    // SCAN drops expired keys it meets; with TYPE the lookup removes
    // them first and they read as type "none" (as Redis 7.0 does).
    p.run(&[
        &["SET", "e1", "1", "PX", "1"],
        &["SET", "e2", "1", "PX", "1"],
    ]);
    std::thread::sleep(Duration::from_millis(20));
    p.same_unordered(&["SCAN", "0", "TYPE", "none", "COUNT", "100"]);
    p.same(&["DBSIZE"]);
    p.run(&[&["SET", "e3", "1", "PX", "1"]]);
    std::thread::sleep(Duration::from_millis(20));
    p.same_unordered(&["SCAN", "0", "COUNT", "100"]);
    p.same(&["DBSIZE"]);
    // RANDOMKEY skips (and deletes) expired keys; nil when none live.
    p.run(&[
        &["FLUSHALL"],
        &["SET", "r1", "1", "PX", "1"],
        &["SET", "r2", "1", "PX", "1"],
    ]);
    std::thread::sleep(Duration::from_millis(20));
    p.expect(&["RANDOMKEY"], "$-1\\r\\n");
    p.expect(&["DBSIZE"], ":0\\r\\n");
}

#[test]
fn randomkey_dbsize_flush_swapdb() {
    let mut p = Pair::start(&[]);
    p.run(&[
        &["RANDOMKEY"],
        &["RANDOMKEY", "x"],
        &["SET", "only", "1"],
        &["RANDOMKEY"],
        &["SET", "k0", "a"],
        &["SET", "k1", "b"],
        &["DBSIZE"],
    ]);
    for _ in 0..20 {
        let (a, _) = p.both(&["RANDOMKEY"]);
        let R::Bulk(k) = parse(&a) else {
            panic!("{}", show(&a))
        };
        assert!([&b"only"[..], b"k0", b"k1"].contains(&&k[..]));
    }
    p.run(&[
        // SWAPDB: clients keep their index and see the other data.
        &["SELECT", "1"],
        &["SET", "one", "1"],
        &["EXPIREAT", "one", FAR],
        &["SELECT", "0"],
        &["SWAPDB", "0", "1"],
        &["DBSIZE"],
        &["GET", "one"],
        &["EXPIRETIME", "one"],
        &["SELECT", "1"],
        &["DBSIZE"],
        &["GET", "only"],
        &["SWAPDB", "1", "1"],
        &["DBSIZE"],
        &["SWAPDB", "0", "16"],
        &["SWAPDB", "-1", "0"],
        &["SWAPDB", "x", "0"],
        &["SWAPDB", "0", "x"],
        &["SWAPDB", "x", "99"],
        &["SWAPDB", "99", "x"],
        &["SWAPDB", "0", "99999999999"],
        &["SWAPDB", "0"],
        // FLUSHDB only the selected database.
        &["FLUSHDB", "foo"],
        &["FLUSHDB", "SYNC", "extra"],
        &["FLUSHDB", "ASYNC"],
        &["DBSIZE"],
        &["SELECT", "0"],
        &["DBSIZE"],
        &["FLUSHDB", "sync"],
        &["DBSIZE"],
        &["SET", "a", "1"],
        &["SELECT", "5"],
        &["SET", "b", "1"],
        &["FLUSHDB"],
        &["SELECT", "0"],
        &["GET", "a"],
        // FLUSHALL, in every mode.
        &["FLUSHALL", "bogus"],
        &["FLUSHALL", "ASYNC", "x"],
        &["FLUSHALL", "async"],
        &["DBSIZE"],
        &["GET", "a"],
        &["SET", "a", "2"],
        &["FLUSHALL", "SYNC"],
        &["SET", "a", "3"],
        &["FLUSHALL"],
        &["DBSIZE"],
        &["RANDOMKEY"],
    ]);
    // Lots of keys freed in the background never come back.
    p.each(|c| set_many(c, "bulk:", 0..5000));
    p.same(&["FLUSHALL", "ASYNC"]);
    p.expect(&["DBSIZE"], ":0\\r\\n");
    p.expect(&["GET", "bulk:1"], "$-1\\r\\n");
    p.expect(
        &["SWAPDB", "0", "16"],
        "-ERR DB index is out of range\\r\\n",
    );
    p.expect(&["SWAPDB", "a", "0"], "-ERR invalid first DB index\\r\\n");
}

#[test]
fn object_subcommands() {
    let mut p = Pair::start(&[]);
    p.run(&[
        &["SET", "a", "123"],
        &["SET", "b", "99999"],
        &["SET", "c", "hello"],
        &["SET", "d", &"9".repeat(45)],
        &["SET", "e", "-5"],
        &["SET", "f", &"x".repeat(44)],
        &["SET", "g", &"x".repeat(45)],
        &["OBJECT", "ENCODING", "a"],
        &["OBJECT", "ENCODING", "b"],
        &["OBJECT", "ENCODING", "c"],
        &["OBJECT", "ENCODING", "d"],
        &["OBJECT", "ENCODING", "e"],
        &["OBJECT", "ENCODING", "f"],
        &["OBJECT", "ENCODING", "g"],
        &["OBJECT", "REFCOUNT", "a"],
        &["OBJECT", "REFCOUNT", "b"],
        &["OBJECT", "REFCOUNT", "c"],
        &["OBJECT", "REFCOUNT", "e"],
        &["OBJECT", "FREQ", "c"],
        &["OBJECT", "ENCODING", "nokey"],
        &["OBJECT", "FREQ", "nokey"],
        &["OBJECT", "IDLETIME", "nokey"],
        &["OBJECT", "REFCOUNT", "nokey"],
        &["OBJECT", "HELP"],
        &["object", "help"],
        &["OBJECT", "HELP", "x"],
        &["OBJECT", "ENCODING"],
        &["OBJECT", "ENCODING", "a", "b"],
        &["OBJECT", "foo"],
        &["OBJECT", "foo", "a"],
        &["OBJECT"],
        &["COPY", "c", "c2"],
        &["OBJECT", "ENCODING", "c2"],
        &["COPY", "g", "g2"],
        &["OBJECT", "ENCODING", "g2"],
        &["RENAME", "b", "b2"],
        &["OBJECT", "ENCODING", "b2"],
    ]);
    // A second boundary may pass between SET and OBJECT.
    let (a, b) = p.both(&["OBJECT", "IDLETIME", "c"]);
    for r in std::iter::once(a).chain(b) {
        assert!(int(&r) <= 1, "{}", show(&r));
    }
    // RESP3 nulls.
    p.each(|c| {
        c.cmd(&["HELLO", "3"]);
    });
    p.run(&[
        &["OBJECT", "ENCODING", "nokey"],
        &["OBJECT", "IDLETIME", "nokey"],
        &["FLUSHALL"],
        &["RANDOMKEY"],
        &["SCAN", "0"],
        &["TYPE", "nokey"],
    ]);
}

#[test]
fn object_freq_under_lfu() {
    let mut p = Pair::start(&["--maxmemory-policy", "allkeys-lfu"]);
    p.run(&[
        &["SET", "s", "hello"],
        // OBJECT and introspection do not count as accesses.
        &["OBJECT", "FREQ", "s"],
        &["TTL", "s"],
        &["TYPE", "s"],
        &["EXISTS", "s"],
        &["OBJECT", "FREQ", "s"],
        // The first access from the initial value always counts.
        &["GET", "s"],
        &["OBJECT", "FREQ", "s"],
        &["OBJECT", "IDLETIME", "s"],
        &["OBJECT", "IDLETIME", "nokey"],
        &["OBJECT", "FREQ", "nokey"],
        // A copy is a new object; a renamed key keeps its counter.
        &["COPY", "s", "s2"],
        &["OBJECT", "FREQ", "s2"],
        &["TOUCH", "s2"],
        &["OBJECT", "FREQ", "s2"],
        &["RENAME", "s", "s3"],
    ]);
    // Past the first access the counter grows with probability 1/11 (from
    // 6) and 1/21 (from 7): COPY's and RENAME's lookups of the source both
    // count, so 8 is rare (about 1 run in 230 per server) but possible.
    let (a, b) = p.both(&["OBJECT", "FREQ", "s3"]);
    for r in std::iter::once(a).chain(b) {
        assert!((6..=8).contains(&int(&r)), "{}", show(&r));
    }
    p.same(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    p.same(&["OBJECT", "FREQ", "s2"]);
    p.expect(&["OBJECT", "FREQ", "s3"], "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\\r\\n");
}

/// The declarations of every command of the family, as COMMAND INFO and
/// COMMAND DOCS (since, group) show them.
#[test]
fn declarations_match_redis() {
    let mut p = Pair::start(&[]);
    if p.reference.is_none() {
        return;
    }
    let names = [
        "del",
        "unlink",
        "exists",
        "type",
        "rename",
        "renamenx",
        "copy",
        "move",
        "keys",
        "scan",
        "randomkey",
        "dbsize",
        "flushdb",
        "flushall",
        "swapdb",
        "expire",
        "pexpire",
        "expireat",
        "pexpireat",
        "ttl",
        "pttl",
        "expiretime",
        "pexpiretime",
        "persist",
        "touch",
        "object|encoding",
        "object|freq",
        "object|idletime",
        "object|refcount",
        "object|help",
    ];
    for n in names {
        let (a, b) = p.both(&["COMMAND", "INFO", n]);
        let b = b.expect("reference");
        assert_eq!(
            simple_as_bulk(parse(&a)),
            simple_as_bulk(parse(&b)),
            "COMMAND INFO {n}"
        );
        let field = |reply: &[u8], name: &[u8]| -> Option<R> {
            let R::Array(top) = parse(reply) else {
                return None;
            };
            let Some(R::Array(m)) = top.get(1) else {
                return None;
            };
            m.chunks(2)
                .find(|kv| kv[0] == R::Bulk(name.to_vec()))
                .map(|kv| kv[1].clone())
        };
        let (a, b) = p.both(&["COMMAND", "DOCS", n]);
        let b = b.expect("reference");
        for f in [&b"since"[..], b"group"] {
            assert_eq!(
                field(&a, f),
                field(&b, f),
                "{n} {}",
                String::from_utf8_lossy(f)
            );
            assert!(field(&a, f).is_some(), "{n}");
        }
    }
    // The container lists its subcommands in hash order: compare sorted.
    let (a, b) = p.both(&["COMMAND", "INFO", "object"]);
    let b = b.expect("reference");
    assert_eq!(
        sorted(simple_as_bulk(parse(&a))),
        sorted(simple_as_bulk(parse(&b))),
        "COMMAND INFO object"
    );
}

/// COMMAND INFO spells tips as bulk strings in Redis and as status strings
/// here (src/commands/mod.rs); the declarations are what this compares.
fn simple_as_bulk(r: R) -> R {
    match r {
        R::Simple(s) => R::Bulk(s),
        R::Array(v) => R::Array(v.into_iter().map(simple_as_bulk).collect()),
        r => r,
    }
}
