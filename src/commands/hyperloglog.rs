//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
//!
//! A sketch is an ordinary string value in Redis's byte layout (see
//! `tiering::hll`), so every string command works on it and `GET`/`SET`
//! move sketches between us and Redis. These commands check the header
//! before use: another type gets the usual WRONGTYPE, a string that is not
//! a sketch gets `WRONGTYPE Key is not a valid HyperLogLog string value.`,
//! and a sparse body that does not add up gets `INVALIDOBJ`.
//!
//! Like Redis, a command that edits a sketch first makes the string `raw`
//! (`OBJECT ENCODING` shows it), and PFCOUNT of one key stores the
//! recomputed cardinality in the header: a write, counted as a change.

use std::borrow::Cow;

use bytes::Bytes;

use super::string::{cstr, is_opt};
use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};
use crate::notify;
use tiering::hll::{self, Editor, Encoding, REGISTERS};
use tiering::{Entry, StrValue, Value};

const HLL: u32 = C_HYPERLOGLOG;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "pfadd",
        arity: -2,
        flags: WRITE | DENYOOM | FAST,
        acl: HLL,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_INSERT, 1, 0, 1)],
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Adds elements to a HyperLogLog, creating it if needed.",
        complexity: "O(1) per element.",
        handler: Some(pfadd),
        ..BASE
    },
    CommandDef {
        name: "pfcount",
        arity: -2,
        flags: READONLY,
        acl: HLL,
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS, 1, -1, 1)],
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Estimates the number of distinct elements added to one HyperLogLog, or to the union of several.",
        complexity: "O(1) for one key (the estimate is cached); O(N) for N keys, with a large constant.",
        handler: Some(pfcount),
        ..BASE
    },
    CommandDef {
        name: "pfmerge",
        arity: -2,
        flags: WRITE | DENYOOM,
        acl: HLL,
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: &[
            ks(KS_RW | KS_ACCESS | KS_INSERT, 1, 0, 1),
            ks(KS_RO | KS_ACCESS, 2, -1, 1),
        ],
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Stores the union of HyperLogLogs (the destination included) at the destination.",
        complexity: "O(N) for N HyperLogLogs, with a large constant.",
        handler: Some(pfmerge),
        ..BASE
    },
    CommandDef {
        name: "pfdebug",
        arity: 3,
        flags: WRITE | DENYOOM | ADMIN,
        acl: HLL,
        first_key: 2,
        last_key: 2,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS, 2, 0, 1)],
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Inspects a HyperLogLog's representation (internal, for debugging).",
        complexity: "N/A",
        handler: Some(pfdebug),
        ..BASE
    },
    CommandDef {
        name: "pfselftest",
        arity: 1,
        flags: ADMIN,
        acl: HLL,
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Tests the HyperLogLog implementation (internal).",
        complexity: "N/A",
        handler: Some(pfselftest),
        ..BASE
    },
];

const NOT_HLL: CmdError = CmdError(Cow::Borrowed(
    "WRONGTYPE Key is not a valid HyperLogLog string value.",
));
const CORRUPT: CmdError = CmdError(Cow::Borrowed("INVALIDOBJ Corrupted HLL object detected"));

fn corrupt(_: hll::Corrupt) -> CmdError {
    CORRUPT
}

/// The bytes of an entry that holds a sketch (header checked), for
/// reading.
fn sketch(e: &Entry) -> Result<(&[u8], Encoding), CmdError> {
    let b: &[u8] = match &e.value {
        Value::Str(StrValue::Emb(b)) => b,
        Value::Str(StrValue::Raw(v)) => v,
        // An integer-encoded string is never a sketch.
        Value::Str(StrValue::Int(_)) => return Err(NOT_HLL),
        _ => return Err(CmdError::WRONGTYPE),
    };
    let enc = hll::check(b).ok_or(NOT_HLL)?;
    Ok((b, enc))
}

/// The bytes of an entry that holds a sketch (header checked), made `raw`
/// for editing in place.
fn sketch_mut(e: &mut Entry) -> Result<&mut Vec<u8>, CmdError> {
    sketch(e)?;
    match &mut e.value {
        Value::Str(s) => Ok(s.make_raw()),
        _ => Err(CmdError::WRONGTYPE),
    }
}

/// A new, empty sketch value.
fn new_sketch() -> Value {
    Value::Str(StrValue::Raw(hll::empty()))
}

/// Adds `elements` to the sketch `v`: how many registers changed (plus
/// one if the key was just `created`), the cache marked stale if any. On a
/// corrupt sketch the error comes back with the registers already raised
/// left as they are, as in Redis.
fn add_all(
    v: &mut Vec<u8>,
    elements: &[Bytes],
    sparse_max: usize,
    created: bool,
) -> Result<u64, hll::Corrupt> {
    let mut ed = Editor::new(v);
    let mut updated = u64::from(created);
    for e in elements {
        updated += u64::from(ed.add(e, sparse_max)?);
    }
    if updated > 0 {
        hll::invalidate(ed.bytes_mut());
    }
    Ok(updated)
}

fn pfadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let sparse_max = ctx.st.config.tun.limits.hll_sparse_max_bytes;
    let (db, now) = (ctx.db, ctx.now_ms);
    let existing = match ctx.write(key) {
        Some(e) => Some(add_all(sketch_mut(e)?, &args[2..], sparse_max, false)),
        None => None,
    };
    let created = existing.is_none();
    let result = match existing {
        Some(r) => r,
        None => {
            let e = ctx.st.ks.insert_new(db, key, new_sketch(), now);
            add_all(sketch_mut(e)?, &args[2..], sparse_max, true)
        }
    };
    if created {
        ctx.notify_new(key);
    }
    let updated = result.map_err(corrupt)?;
    if updated > 0 {
        ctx.modified(key);
        ctx.notify(notify::STRING, "pfadd", key);
        ctx.dirty(updated);
    }
    ctx.out.int(i64::from(updated > 0));
    Ok(())
}

fn pfcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 2 {
        // The union of several: merged into scratch registers, no key
        // changes (not even the caches).
        let mut max = [0u8; REGISTERS];
        for key in &args[1..] {
            if let Some(e) = ctx.read(key) {
                let (b, _) = sketch(e)?;
                hll::merge_into(&mut max, b).map_err(corrupt)?;
            }
        }
        ctx.out.int(hll::count_registers(&max) as i64);
        return Ok(());
    }
    let key = &args[1];
    let (db, now) = (ctx.db, ctx.now_ms);
    let Some(e) = ctx.read(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let was_raw = matches!(e.value, Value::Str(StrValue::Raw(_)));
    sketch(e)?;
    if !was_raw {
        // Made `raw` in place below by a read (as Redis unshares it): the
        // cold tier's copy no longer matches.
        ctx.st.ks.changed_in_place(db, key);
    }
    let Some(e) = ctx.st.ks.lookup(db, key, now, tiering::Access::ReadNoTouch) else {
        ctx.out.int(0);
        return Ok(());
    };
    let v = sketch_mut(e)?;
    if let Some(card) = hll::cached(v) {
        ctx.out.int(card as i64);
        return Ok(());
    }
    let card = hll::count(v).map_err(corrupt)?;
    // Writing the cache back changes the value: through a write lookup, so
    // a running snapshot (BGSAVE) keeps the bytes as they were.
    if let Some(v) = ctx.write(key).and_then(|e| sketch_mut(e).ok()) {
        hll::store_cached(v, card);
    }
    ctx.modified(key);
    ctx.dirty(1);
    // An estimate of 2^63 or more replies negative, as Redis's does.
    ctx.out.int(card as i64);
    Ok(())
}

/// Writes the union `max` into the destination sketch `v`: dense if any
/// source was, else register by register into the sparse form (which may
/// turn dense on the way).
fn store_union(
    v: &mut Vec<u8>,
    max: &[u8; REGISTERS],
    dense: bool,
    sparse_max: usize,
) -> Result<(), hll::Corrupt> {
    let mut ed = Editor::new(v);
    if dense {
        ed.to_dense()?;
    }
    for (i, &m) in max.iter().enumerate() {
        if m != 0 {
            // The destination was validated as a source: Redis ignores
            // the outcome here, and so do we.
            let _ = ed.raise(i, m, sparse_max);
        }
    }
    hll::invalidate(ed.bytes_mut());
    Ok(())
}

fn pfmerge(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut max = [0u8; REGISTERS];
    let mut dense = false;
    for key in &args[1..] {
        if let Some(e) = ctx.read(key) {
            let (b, enc) = sketch(e)?;
            dense |= enc == Encoding::Dense;
            hll::merge_into(&mut max, b).map_err(corrupt)?;
        }
    }
    let dest = &args[1];
    let sparse_max = ctx.st.config.tun.limits.hll_sparse_max_bytes;
    let (db, now) = (ctx.db, ctx.now_ms);
    let existing = match ctx.write(dest) {
        Some(e) => Some(store_union(sketch_mut(e)?, &max, dense, sparse_max)),
        None => None,
    };
    let created = existing.is_none();
    let result = match existing {
        Some(r) => r,
        None => {
            let e = ctx.st.ks.insert_new(db, dest, new_sketch(), now);
            store_union(sketch_mut(e)?, &max, dense, sparse_max)
        }
    };
    if created {
        ctx.notify_new(dest);
    }
    result.map_err(corrupt)?;
    ctx.modified(dest);
    ctx.notify(notify::STRING, "pfadd", dest);
    ctx.dirty(1);
    ctx.out.ok();
    Ok(())
}

/// `ERR <text>` quoting a client argument: Redis prints it as a C string
/// (up to a NUL byte), bytes as they are. Bytes that are not UTF-8 cannot
/// travel in a [`CmdError`]; those are written directly.
fn error_quoting(ctx: &mut Ctx, before: &str, arg: &[u8], after: &str) -> CmdResult {
    let arg = cstr(arg);
    match std::str::from_utf8(arg) {
        Ok(s) => Err(CmdError::msg(format!("ERR {before}{s}{after}"))),
        Err(_) => {
            let mut msg = format!("ERR {before}").into_bytes();
            msg.extend_from_slice(arg);
            msg.extend_from_slice(after.as_bytes());
            ctx.out.error_bytes(&msg);
            ctx.st.stats.count_error("ERR");
            Ok(())
        }
    }
}

fn pfdebug(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (sub, key) = (&args[1][..], &args[2]);
    let Some(e) = ctx.write(key) else {
        return Err(CmdError::msg("ERR The specified key does not exist"));
    };
    let v = sketch_mut(e)?;
    if is_opt(sub, "getreg") {
        let converted = Editor::new(v).to_dense().map_err(corrupt)?;
        let regs = hll::dense_registers(v);
        if converted {
            ctx.dirty(1);
        }
        ctx.out.array(REGISTERS);
        for r in regs {
            ctx.out.int(i64::from(r));
        }
    } else if is_opt(sub, "decode") {
        if hll::check(v) != Some(Encoding::Sparse) {
            return Err(CmdError::msg("ERR HLL encoding is not sparse"));
        }
        let s = hll::decode_sparse(v);
        ctx.out.bulk(s.as_bytes());
    } else if is_opt(sub, "encoding") {
        let enc = match hll::check(v) {
            Some(Encoding::Sparse) => "sparse",
            _ => "dense",
        };
        ctx.out.simple(enc);
    } else if is_opt(sub, "todense") {
        let converted = Editor::new(v).to_dense().map_err(corrupt)?;
        if converted {
            ctx.dirty(1);
        }
        ctx.out.int(i64::from(converted));
    } else {
        return error_quoting(ctx, "Unknown PFDEBUG subcommand '", sub, "'");
    }
    Ok(())
}

/// Checks the register packing and the estimator on the running build:
/// random register values must read back unchanged, and a dense and a
/// sparse sketch fed the same distinct elements must agree with each other
/// and stay within six standard errors of the truth at every power of ten
/// up to ten million (Redis's self-test makes the same checks).
fn pfselftest(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let sparse_max = ctx.st.config.tun.limits.hll_sparse_max_bytes;
    let seed = rand::Rng::gen::<u64>(ctx.st.ks.rng());
    selftest(seed, sparse_max, 10_000_000).map_err(|e| CmdError::msg(format!("TESTFAILED {e}")))?;
    ctx.out.ok();
    Ok(())
}

fn selftest(seed: u64, sparse_max: usize, elements: u64) -> Result<(), String> {
    let mut rng = seed | 1;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Registers: set all to random values through a dense sketch and read
    // them back.
    for _ in 0..100 {
        let want: Vec<u8> = (0..REGISTERS).map(|_| (next() & 63) as u8).collect();
        let mut d = hll::empty();
        let mut ed = Editor::new(&mut d);
        ed.to_dense().map_err(|_| "empty sketch is corrupt")?;
        for (i, &w) in want.iter().enumerate() {
            ed.raise(i, w, sparse_max)
                .map_err(|_| "dense sketch is corrupt")?;
        }
        drop(ed);
        let got = hll::dense_registers(&d);
        for (i, (&w, &g)) in want.iter().zip(&got).enumerate() {
            if g != w {
                return Err(format!("Register {i} should be {w} but is {g}"));
            }
        }
    }
    // Estimates: dense and sparse side by side.
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint = 1u64;
    let (mut dense, mut sparse) = (hll::empty(), hll::empty());
    let mut ded = Editor::new(&mut dense);
    ded.to_dense().map_err(|_| "empty sketch is corrupt")?;
    let mut sed = Editor::new(&mut sparse);
    for j in 1..=elements {
        let ele = (j ^ seed).to_le_bytes();
        ded.add(&ele, sparse_max).map_err(|_| "dense add failed")?;
        sed.add(&ele, sparse_max).map_err(|_| "sparse add failed")?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max / 2 && sed.encoding() != Encoding::Sparse {
            return Err("sparse encoding not used".into());
        }
        let dc = hll::count(ded.bytes()).map_err(|_| "dense count failed")?;
        let sc = hll::count(sed.bytes()).map_err(|_| "sparse count failed")?;
        if dc != sc {
            return Err("dense/sparse disagree".into());
        }
        let abserr = checkpoint.abs_diff(dc);
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!("Too big error. card:{checkpoint} abserr:{abserr}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::string_testkit::Harness;

    #[test]
    fn pfadd_pfcount_and_errors() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["pfadd", "h", "a", "b", "c"]), ":1");
        assert_eq!(h.run(&["pfadd", "h", "a"]), ":0");
        assert_eq!(h.run(&["pfcount", "h"]), ":3");
        assert_eq!(h.run(&["pfcount", "h", "nokey"]), ":3");
        assert_eq!(h.run(&["pfadd", "e"]), ":1");
        assert_eq!(h.run(&["pfcount", "e"]), ":0");
        assert_eq!(h.encoding("h"), "raw");
        h.run(&["set", "s", "HYLL"]);
        assert_eq!(
            h.run(&["pfadd", "s", "x"]),
            "-WRONGTYPE Key is not a valid HyperLogLog string value."
        );
        h.run(&["set", "i", "12345678901234567890"]);
        assert_eq!(
            h.run(&["pfcount", "h", "i"]),
            "-WRONGTYPE Key is not a valid HyperLogLog string value."
        );
        h.run_bytes(&[b"set", b"c", b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f"]);
        assert_eq!(
            h.run(&["pfcount", "c"]),
            "-INVALIDOBJ Corrupted HLL object detected"
        );
        assert_eq!(h.run(&["pfmerge", "m", "h", "nokey"]), "+OK");
        assert_eq!(h.run(&["pfcount", "m"]), ":3");
        assert_eq!(h.run(&["pfdebug", "encoding", "m"]), "+sparse");
        assert_eq!(h.run(&["pfdebug", "todense", "m"]), ":1");
        assert_eq!(h.run(&["pfdebug", "todense", "m"]), ":0");
        assert_eq!(
            h.run(&["pfdebug", "decode", "m"]),
            "-ERR HLL encoding is not sparse"
        );
        assert_eq!(
            h.run(&["pfdebug", "getreg", "nokey"]),
            "-ERR The specified key does not exist"
        );
        assert_eq!(
            h.run(&["pfdebug", "nope\0x", "m"]),
            "-ERR Unknown PFDEBUG subcommand 'nope'"
        );
    }

    #[test]
    fn selftest_passes() {
        super::selftest(0x1234_5678_9abc_def0, 3000, 100_000).expect("self-test");
    }
}
