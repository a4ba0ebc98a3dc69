//! HyperLogLog commands against a real redis-server 7.0: sketch bytes
//! exchanged both ways with GET/SET, the sparse to dense threshold
//! (`hll-sparse-max-bytes`), the cached cardinality as a write (WATCH,
//! change counter), statistics, and PFSELFTEST. The random command stream
//! is in `differential/hyperloglog.rs`.

mod common;
use common::*;

/// Our server and the reference, started with the same arguments, one
/// connection each.
struct Pair {
    ours: Server,
    reference: Server,
    o: Conn,
    r: Conn,
}

impl Pair {
    fn start(extra: &[&str]) -> Option<Pair> {
        let reference = Server::start_reference(extra)?;
        let ours = Server::start(extra);
        Some(Pair {
            o: ours.conn(),
            r: reference.conn(),
            ours,
            reference,
        })
    }

    /// Sends `args` to both; the replies must be identical. Returns it.
    fn both(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let o = self.o.cmd_bytes(args);
        let r = self.r.cmd_bytes(args);
        assert_eq!(
            show(&o),
            show(&r),
            "replies differ for {}",
            args.iter().map(|a| show(a)).collect::<Vec<_>>().join(" ")
        );
        o
    }

    fn both_str(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.both(&a)
    }

    /// An INFO field of each server.
    fn info_fields(&mut self, section: &str, field: &str) -> (String, String) {
        let get = |c: &mut Conn| {
            let info = Value::parse(&c.cmd(&["INFO", section])).text();
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
                .unwrap_or_default()
        };
        (get(&mut self.o), get(&mut self.r))
    }
}

fn bulk(reply: &[u8]) -> Vec<u8> {
    match Value::parse(reply) {
        Value::Bulk(b) => b,
        other => panic!("not a bulk string: {other:?}"),
    }
}

fn elements(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{prefix}{i}").into_bytes())
        .collect()
}

fn pfadd(p: &mut Pair, key: &str, els: &[Vec<u8>]) -> Vec<u8> {
    let mut a: Vec<&[u8]> = vec![b"PFADD", key.as_bytes()];
    a.extend(els.iter().map(|e| e.as_slice()));
    p.both(&a)
}

#[test]
fn sketches_travel_between_redis_and_us_by_get_and_set() {
    let Some(mut p) = Pair::start(&[]) else {
        return;
    };
    // Built by redis-server, continued by us (and the other way round):
    // after every step both hold the same bytes.
    for (n, name) in [(5, "tiny"), (300, "sparse"), (4000, "dense")] {
        let els = elements(name, n);
        let mut a: Vec<&[u8]> = vec![b"PFADD", name.as_bytes()];
        a.extend(els.iter().map(|e| e.as_slice()));
        p.r.cmd_bytes(&a);
        let from_redis = bulk(&p.r.cmd(&["GET", name]));
        p.o.cmd_bytes(&[b"SET", name.as_bytes(), &from_redis]);
        p.both_str(&["GET", name]);
        p.both_str(&["PFCOUNT", name]);
        p.both_str(&["GET", name]);
        pfadd(&mut p, name, &elements("more", 50));
        p.both_str(&["GET", name]);
        p.both_str(&["PFDEBUG", "ENCODING", name]);
        p.both_str(&["PFCOUNT", name, "tiny"]);
        p.both_str(&["PFMERGE", "union", name]);
        p.both_str(&["GET", "union"]);
    }
    // Built by us, read by redis-server.
    pfadd(&mut p, "ours", &elements("o", 1000));
    let from_us = bulk(&p.o.cmd(&["GET", "ours"]));
    p.r.cmd_bytes(&[b"SET", b"copied", &from_us]);
    p.o.cmd_bytes(&[b"SET", b"copied", &from_us]);
    p.both_str(&["PFCOUNT", "copied"]);
    p.both_str(&["PFDEBUG", "DECODE", "copied"]);
    p.both_str(&["GET", "copied"]);
}

#[test]
fn sparse_max_bytes_moves_the_switch_to_dense() {
    let Some(mut p) = Pair::start(&["--hll-sparse-max-bytes", "60"]) else {
        return;
    };
    // One element at a time: the promotion happens at the same element.
    for (i, e) in elements("s", 40).iter().enumerate() {
        pfadd(&mut p, "k", std::slice::from_ref(e));
        p.both_str(&["GET", "k"]);
        p.both_str(&["PFDEBUG", "ENCODING", "k"]);
        if i % 7 == 0 {
            p.both_str(&["PFCOUNT", "k"]);
        }
    }
    assert_eq!(p.both_str(&["PFDEBUG", "ENCODING", "k"]), b"+dense\r\n");
    // Changed at run time; a merge into a sparse destination promotes it
    // register by register.
    p.both_str(&["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    pfadd(&mut p, "a", &elements("a", 200));
    p.both_str(&["PFDEBUG", "ENCODING", "a"]);
    p.both_str(&["CONFIG", "SET", "hll-sparse-max-bytes", "100"]);
    pfadd(&mut p, "b", &elements("b", 3));
    p.both_str(&["PFMERGE", "b", "a"]);
    p.both_str(&["GET", "b"]);
    p.both_str(&["PFDEBUG", "ENCODING", "b"]);
    p.both_str(&["CONFIG", "SET", "hll-sparse-max-bytes", "0"]);
    pfadd(&mut p, "z", &elements("z", 1));
    p.both_str(&["PFDEBUG", "ENCODING", "z"]);
    p.both_str(&["GET", "z"]);
    assert_eq!(
        Value::parse(&p.o.cmd(&["CONFIG", "GET", "hll-sparse-max-bytes"])).items()[1].text(),
        "0"
    );
}

/// Crafted sketches: register values above 32 force promotion on merge;
/// broken ones give Redis's errors.
#[test]
fn crafted_sketches_and_errors() {
    let Some(mut p) = Pair::start(&[]) else {
        return;
    };
    let mut dense = b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    dense.resize(16 + 12288, 0);
    dense[16 + 100] = 0x3f; // register 133: 63 (bits 800..806)
    dense[16 + 5000] = 0xa4;
    p.both(&[b"SET", b"d", &dense]);
    pfadd(&mut p, "s", &elements("x", 10));
    p.both_str(&["PFMERGE", "s", "d"]);
    p.both_str(&["GET", "s"]);
    p.both_str(&["PFCOUNT", "s", "d"]);
    p.both_str(&["PFCOUNT", "d"]);
    // All registers at 63: the estimate does not fit; Redis replies
    // i64::MIN and leaves the cache stale.
    let mut full = dense[..16].to_vec();
    full.resize(16 + 12288, 0xff);
    p.both(&[b"SET", b"full", &full]);
    p.both_str(&["PFCOUNT", "full"]);
    p.both_str(&["GET", "full"]);
    p.both_str(&["PFCOUNT", "full", "s"]);
    // Not sketches.
    p.both_str(&["SET", "plain", "hello"]);
    p.both_str(&["PFADD", "plain", "a"]);
    p.both_str(&["PFCOUNT", "s", "plain"]);
    p.both_str(&["PFMERGE", "s", "plain"]);
    p.both_str(&["PFDEBUG", "GETREG", "plain"]);
    p.both(&[b"SET", b"short", &dense[..12303]]);
    p.both_str(&["PFCOUNT", "short"]);
    // Corrupt sparse bodies: too short, too long, empty.
    for body in [&b"\x7f"[..], b"\x7f\xff\x00", b""] {
        let mut v = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
        v.extend_from_slice(body);
        p.both(&[b"SET", b"bad", &v]);
        p.both_str(&["PFCOUNT", "bad"]);
        p.both_str(&["PFADD", "bad", "a", "b", "c"]);
        p.both_str(&["GET", "bad"]);
        p.both_str(&["PFMERGE", "m", "bad"]);
        p.both_str(&["PFDEBUG", "TODENSE", "bad"]);
        p.both_str(&["PFDEBUG", "DECODE", "bad"]);
    }
    // A valid cache is trusted without looking at the body.
    let mut v = b"HYLL\x01\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00".to_vec();
    v.push(0x7f);
    p.both(&[b"SET", b"cached", &v]);
    p.both_str(&["PFCOUNT", "cached"]);
    p.both_str(&["PFCOUNT", "cached", "s"]);
    // APPEND to a sketch.
    pfadd(&mut p, "ap", &elements("ap", 20));
    p.both_str(&["APPEND", "ap", "zz"]);
    p.both_str(&["PFCOUNT", "ap"]);
    p.both_str(&["PFADD", "ap", "q1", "q2", "q3"]);
    p.both_str(&["GET", "ap"]);
    p.both_str(&["PFCOUNT", "ap"]);
    pfadd(&mut p, "ad", &elements("ad", 5000));
    p.both_str(&["APPEND", "ad", "z"]);
    p.both_str(&["PFCOUNT", "ad"]);
    // PFDEBUG.
    p.both_str(&["PFDEBUG", "GETREG", "nokey"]);
    p.both_str(&["PFDEBUG", "NOPE", "s"]);
    p.both(&[b"PFDEBUG", b"\xff\xfe", b"s"]);
    p.both(&[b"PFDEBUG", b"a\r\nb", b"s"]);
    p.both_str(&["PFDEBUG", "GETREG", "s"]);
    p.both_str(&["PFDEBUG", "GETREG", "s", "extra"]);
    let (ours, theirs) = p.info_fields("errorstats", "errorstat_INVALIDOBJ");
    assert_eq!(ours, theirs);
    let (ours, theirs) = p.info_fields("errorstats", "errorstat_WRONGTYPE");
    assert_eq!(ours, theirs);
    let (ours, theirs) = p.info_fields("errorstats", "errorstat_ERR");
    assert_eq!(ours, theirs);
    // Another type (once lists are in: the command is skipped before; last,
    // as the probe counts an error on our side only).
    if !p.o.cmd(&["RPUSH", "list", "a"]).starts_with(b"-") {
        p.r.cmd(&["RPUSH", "list", "a"]);
        p.both_str(&["PFADD", "list", "a"]);
        p.both_str(&["PFCOUNT", "s", "list"]);
        p.both_str(&["PFMERGE", "list", "s"]);
    }
}

/// A sparse body may end in the first byte of an XZERO opcode that is
/// still valid (its second byte reads as the C string terminator, 0).
/// Within one command we edit it exactly as Redis does.
#[test]
fn xzero_cut_at_the_end_is_edited_as_redis_does() {
    let Some(mut p) = Pair::start(&[]) else {
        return;
    };
    // XZERO:255, then 0x7f: ((0x3f << 8) | 0) + 1 = 16129 registers.
    let mut v = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    v.extend_from_slice(&[0x40, 0xfe, 0x7f]);
    p.both(&[b"SET", b"k", &v]);
    p.both_str(&["PFCOUNT", "k"]);
    p.both(&[b"SET", b"k", &v]);
    // Several elements in one command: later ones walk what earlier ones
    // wrote past the end.
    pfadd(&mut p, "k", &elements("t", 12));
    p.both_str(&["GET", "k"]);
}

/// Redis keeps the byte it wrote past the end of the string in its
/// allocation, and reads it in later commands; we cannot keep it.
#[test]
#[ignore]
fn known_bug_xzero_cut_at_the_end_hidden_byte_across_commands() {
    let Some(mut p) = Pair::start(&[]) else {
        return;
    };
    let mut v = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    v.extend_from_slice(&[0x40, 0xfe, 0x7f]);
    p.both(&[b"SET", b"k", &v]);
    for e in elements("t", 12) {
        pfadd(&mut p, "k", &[e]);
        p.both_str(&["GET", "k"]);
        p.both_str(&["PFCOUNT", "k"]);
    }
}

/// PFCOUNT of one key stores the estimate in the value when the cache is
/// stale: a write (WATCH fires, the change counter moves); with a fresh
/// cache, and for several keys, nothing is written.
#[test]
fn pfcount_cache_update_is_a_write() {
    let Some(mut p) = Pair::start(&[]) else {
        return;
    };
    pfadd(&mut p, "h", &elements("w", 30));
    let watch = |p: &mut Pair, cmd: &[&str]| -> Vec<u8> {
        let mut w = (p.ours.conn(), p.reference.conn());
        for c in [&mut w.0, &mut w.1] {
            c.cmd(&["WATCH", "h"]);
        }
        p.both_str(cmd);
        for c in [&mut w.0, &mut w.1] {
            c.cmd(&["MULTI"]);
            c.cmd(&["PING"]);
        }
        let (a, b) = (w.0.cmd(&["EXEC"]), w.1.cmd(&["EXEC"]));
        assert_eq!(show(&a), show(&b), "EXEC after {cmd:?}");
        a
    };
    // Stale cache: PFCOUNT writes it, the transaction fails.
    assert_eq!(watch(&mut p, &["PFCOUNT", "h"]), b"*-1\r\n");
    // Fresh cache, several keys, no change: nothing written.
    assert_ne!(watch(&mut p, &["PFCOUNT", "h"]), b"*-1\r\n");
    assert_ne!(watch(&mut p, &["PFCOUNT", "h", "other"]), b"*-1\r\n");
    assert_ne!(watch(&mut p, &["PFADD", "h", "w1"]), b"*-1\r\n");
    assert_eq!(watch(&mut p, &["PFADD", "h", "new!"]), b"*-1\r\n");
    assert_eq!(watch(&mut p, &["PFMERGE", "h"]), b"*-1\r\n");
    let (ours, theirs) = p.info_fields("persistence", "rdb_changes_since_last_save");
    assert_eq!(ours, theirs);
    let (ours, theirs) = p.info_fields("stats", "keyspace_hits");
    assert_eq!(ours, theirs);
    let (ours, theirs) = p.info_fields("stats", "keyspace_misses");
    assert_eq!(ours, theirs);
    // PFDEBUG conversions count as changes too.
    pfadd(&mut p, "c", &elements("c", 3));
    p.both_str(&["PFDEBUG", "TODENSE", "c"]);
    let (ours, theirs) = p.info_fields("persistence", "rdb_changes_since_last_save");
    assert_eq!(ours, theirs);
}

/// A short sketch SET by a client is `embstr`; the HyperLogLog commands
/// that may edit it turn it `raw` first, as Redis does.
#[test]
fn editing_commands_make_the_string_raw() {
    let Some(mut p) = Pair::start(&[]) else {
        return;
    };
    let v = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff".to_vec();
    for cmd in [
        &["PFCOUNT", "k"][..],
        &["PFCOUNT", "k", "k"],
        &["PFADD", "k"],
        &["PFDEBUG", "ENCODING", "k"],
        &["PFMERGE", "x", "k"],
    ] {
        p.both(&[b"SET", b"k", &v]);
        p.both_str(&["OBJECT", "ENCODING", "k"]);
        p.both_str(cmd);
        p.both_str(&["OBJECT", "ENCODING", "k"]);
    }
}

#[test]
fn pfselftest_passes() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.set_read_timeout(std::time::Duration::from_secs(300));
    assert_eq!(show(&c.cmd(&["PFSELFTEST"])), show(b"+OK\r\n"));
}
