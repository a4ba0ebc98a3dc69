//! Hash commands: HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS, HVALS,
//! HDEL, HLEN, HSTRLEN, HEXISTS, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.
//!
//! The representation (`listpack` while small, `hashtable` after a limit is
//! passed) is [`HashValue`]'s business; commands hand it the current
//! `hash-max-listpack-*` limits on every write.

use std::collections::HashSet;

use bytes::Bytes;
use rand::seq::SliceRandom;

use super::access::{self, drop_if_empty, read, remove_each, write_or_create};
use super::scan_args::{self, Accept, ScanArgs};
use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx, Prop};
use crate::ldouble::{self, LongDouble};
use crate::notify;
use crate::reply::Reply;
use tiering::HashValue;

const H: u32 = C_HASH;

/// A hash command with one key at argument 1 (all of them).
#[allow(clippy::too_many_arguments)]
const fn hcmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    key_specs: &'static [KeySpec],
    tips: &'static [&'static str],
    since: &'static str,
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        acl: H,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs,
        tips,
        group: "hash",
        since,
        summary,
        complexity,
        handler: Some(handler),
        ..BASE
    }
}

const UPD: &[KeySpec] = &[ks(KS_RW | KS_UPDATE, 1, 0, 1)];
const INS: &[KeySpec] = &[ks(KS_RW | KS_INSERT, 1, 0, 1)];
const DEL: &[KeySpec] = &[ks(KS_RW | KS_DELETE, 1, 0, 1)];
const RMW: &[KeySpec] = &[ks(KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1)];
const RDA: &[KeySpec] = &[ks(KS_RO | KS_ACCESS, 1, 0, 1)];
const RD: &[KeySpec] = &[ks(KS_RO, 1, 0, 1)];
const ORDER: &[&str] = &["nondeterministic_output_order"];
const NONDET: &[&str] = &["nondeterministic_output"];

pub static COMMANDS: &[CommandDef] = &[
    hcmd(
        "hset",
        -4,
        WRITE | DENYOOM | FAST,
        UPD,
        &[],
        "2.0.0",
        "Sets fields of a hash to values, creating the hash if needed.",
        "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        hset,
    ),
    hcmd(
        "hsetnx",
        4,
        WRITE | DENYOOM | FAST,
        INS,
        &[],
        "2.0.0",
        "Sets a field of a hash only if the field does not exist yet.",
        "O(1)",
        hsetnx,
    ),
    hcmd(
        "hmset",
        -4,
        WRITE | DENYOOM | FAST,
        UPD,
        &[],
        "2.0.0",
        "Sets fields of a hash to values (the older form of HSET, replying OK).",
        "O(N) where N is the number of fields being set.",
        hmset,
    ),
    hcmd(
        "hget",
        3,
        READONLY | FAST,
        RDA,
        &[],
        "2.0.0",
        "Gets the value of a field of a hash.",
        "O(1)",
        hget,
    ),
    hcmd(
        "hmget",
        -3,
        READONLY | FAST,
        RDA,
        &[],
        "2.0.0",
        "Gets the values of several fields of a hash.",
        "O(N) where N is the number of fields being requested.",
        hmget,
    ),
    hcmd(
        "hgetall",
        2,
        READONLY,
        RDA,
        ORDER,
        "2.0.0",
        "Gets every field and value of a hash.",
        "O(N) where N is the size of the hash.",
        hgetall,
    ),
    hcmd(
        "hkeys",
        2,
        READONLY,
        RDA,
        ORDER,
        "2.0.0",
        "Gets every field of a hash.",
        "O(N) where N is the size of the hash.",
        hkeys,
    ),
    hcmd(
        "hvals",
        2,
        READONLY,
        RDA,
        ORDER,
        "2.0.0",
        "Gets every value of a hash.",
        "O(N) where N is the size of the hash.",
        hvals,
    ),
    hcmd(
        "hdel",
        -3,
        WRITE | FAST,
        DEL,
        &[],
        "2.0.0",
        "Removes fields from a hash (and the key once no field is left).",
        "O(N) where N is the number of fields to be removed.",
        hdel,
    ),
    hcmd(
        "hlen",
        2,
        READONLY | FAST,
        RD,
        &[],
        "2.0.0",
        "Counts the fields of a hash.",
        "O(1)",
        hlen,
    ),
    hcmd(
        "hstrlen",
        3,
        READONLY | FAST,
        RD,
        &[],
        "3.2.0",
        "Gets the length in bytes of the value of a field of a hash.",
        "O(1)",
        hstrlen,
    ),
    hcmd(
        "hexists",
        3,
        READONLY | FAST,
        RD,
        &[],
        "2.0.0",
        "Tells whether a field exists in a hash.",
        "O(1)",
        hexists,
    ),
    hcmd(
        "hincrby",
        4,
        WRITE | DENYOOM | FAST,
        RMW,
        &[],
        "2.0.0",
        "Adds an integer to the integer value of a field of a hash (a missing field counts as 0).",
        "O(1)",
        hincrby,
    ),
    hcmd(
        "hincrbyfloat",
        4,
        WRITE | DENYOOM | FAST,
        RMW,
        &[],
        "2.6.0",
        "Adds a decimal number to the number value of a field of a hash (a missing field counts as 0).",
        "O(1)",
        hincrbyfloat,
    ),
    hcmd(
        "hrandfield",
        -2,
        READONLY,
        RDA,
        NONDET,
        "6.2.0",
        "Gets one or more random fields of a hash, optionally with their values.",
        "O(N) where N is the number of fields returned",
        hrandfield,
    ),
    hcmd(
        "hscan",
        -3,
        READONLY,
        RDA,
        NONDET,
        "2.8.0",
        "Iterates over the fields and values of a hash, a few at a time.",
        "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        hscan,
    ),
];

/// The wrong-arity error Redis gives HSET/HMSET with a field and no value.
fn arity_error(ctx: &Ctx) -> CmdError {
    CmdError::msg(format!(
        "ERR wrong number of arguments for '{}' command",
        ctx.cmd.name
    ))
}

/// Sets the pairs of `args[2..]`; returns the number of new fields.
fn set_pairs(ctx: &mut Ctx, args: &[Bytes]) -> Result<i64, CmdError> {
    if args.len() % 2 != 0 {
        return Err(arity_error(ctx));
    }
    let limits = ctx.st.config.tun.limits;
    let key = &args[1];
    let h = write_or_create(ctx, key, HashValue::default)?;
    let mut created = 0;
    for pair in args[2..].chunks(2) {
        if h.set(&pair[0], &pair[1], &limits) {
            created += 1;
        }
    }
    ctx.modified(key);
    ctx.dirty(((args.len() - 2) / 2) as u64);
    Ok(created)
}

// The hash commands reply before they fire their event, as Redis does.

fn hset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = set_pairs(ctx, args)?;
    ctx.out.int(n);
    ctx.notify(notify::HASH, "hset", &args[1]);
    Ok(())
}

fn hmset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_pairs(ctx, args)?;
    ctx.out.ok();
    ctx.notify(notify::HASH, "hset", &args[1]);
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limits = ctx.st.config.tun.limits;
    let key = &args[1];
    let h = write_or_create(ctx, key, HashValue::default)?;
    if h.contains(&args[2]) {
        ctx.out.int(0);
        return Ok(());
    }
    h.set(&args[2], &args[3], &limits);
    ctx.modified(key);
    ctx.dirty(1);
    ctx.out.int(1);
    ctx.notify(notify::HASH, "hset", key);
    Ok(())
}

fn hget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match read::<HashValue>(ctx, &args[1])?.and_then(|h| h.get(&args[2])) {
        Some(v) => {
            // Copied out so the reply buffer can be borrowed.
            let v = v.to_vec();
            ctx.out.bulk(&v);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let vals: Vec<Option<Vec<u8>>> = match read::<HashValue>(ctx, &args[1])? {
        Some(h) => args[2..]
            .iter()
            .map(|f| h.get(f).map(<[u8]>::to_vec))
            .collect(),
        None => vec![None; args.len() - 2],
    };
    ctx.out.array(vals.len());
    for v in vals {
        match v {
            Some(v) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// What HGETALL, HKEYS and HVALS reply.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Both,
    Fields,
    Values,
}

/// [`access::reading`] for the hash.
fn reading<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(Option<&HashValue>, &mut Reply) -> R,
) -> Result<R, CmdError> {
    access::reading::<HashValue, R>(ctx, key, f)
}

fn get_all(ctx: &mut Ctx, key: &[u8], part: Part) -> CmdResult {
    reading(ctx, key, |h, out| {
        let n = h.map_or(0, HashValue::len);
        match part {
            Part::Both => out.map(n),
            _ => out.array(n),
        }
        for (f, v) in h.into_iter().flat_map(HashValue::iter) {
            if part != Part::Values {
                out.bulk(f);
            }
            if part != Part::Fields {
                out.bulk(v);
            }
        }
    })
}

fn hgetall(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    get_all(ctx, &args[1], Part::Both)
}

fn hkeys(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    get_all(ctx, &args[1], Part::Fields)
}

fn hvals(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    get_all(ctx, &args[1], Part::Values)
}

fn hdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    remove_each(
        ctx,
        &args[1],
        (notify::HASH, "hdel"),
        &args[2..],
        |h: &mut HashValue, f| h.remove(f),
        HashValue::is_empty,
    )
}

fn hlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read::<HashValue>(ctx, &args[1])?.map_or(0, |h| h.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read::<HashValue>(ctx, &args[1])?
        .and_then(|h| h.get(&args[2]).map(<[u8]>::len))
        .unwrap_or(0);
    ctx.out.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let found = read::<HashValue>(ctx, &args[1])?.is_some_and(|h| h.contains(&args[2]));
    ctx.out.int(found as i64);
    Ok(())
}

fn hincrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let by = arg_i64(&args[3])?;
    let limits = ctx.st.config.tun.limits;
    let key = &args[1];
    let h = write_or_create(ctx, key, HashValue::default)?;
    let old = match h.get(&args[2]) {
        Some(v) => tiering::value::parse_strict_i64(v)
            .ok_or(CmdError::msg("ERR hash value is not an integer"))?,
        None => 0,
    };
    let Some(new) = old.checked_add(by) else {
        // A hash created just now stays empty: remove it again.
        let empty = h.is_empty();
        drop_if_empty(ctx, key, empty);
        return Err(CmdError::OVERFLOW);
    };
    h.set(&args[2], new.to_string().as_bytes(), &limits);
    ctx.modified(key);
    ctx.dirty(1);
    ctx.out.int(new);
    ctx.notify(notify::HASH, "hincrby", key);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let by = LongDouble::parse(&args[3]).ok_or(CmdError::NOT_FLOAT)?;
    if !by.is_finite() {
        return Err(CmdError::msg("ERR value is NaN or Infinity"));
    }
    let limits = ctx.st.config.tun.limits;
    let key = &args[1];
    let h = write_or_create(ctx, key, HashValue::default)?;
    let result = match h.get(&args[2]) {
        Some(v) => match LongDouble::parse(v) {
            Some(cur) => ldouble::incr_by(cur, by)
                .map_err(|_| CmdError::msg("ERR increment would produce NaN or Infinity")),
            None => Err(CmdError::msg("ERR hash value is not a float")),
        },
        None => ldouble::incr_by(LongDouble::ZERO, by)
            .map_err(|_| CmdError::msg("ERR increment would produce NaN or Infinity")),
    };
    let text = match result {
        Ok(t) => t,
        Err(e) => {
            let empty = h.is_empty();
            drop_if_empty(ctx, key, empty);
            return Err(e);
        }
    };
    h.set(&args[2], text.as_bytes(), &limits);
    ctx.modified(key);
    ctx.dirty(1);
    // Logged as the value it stored (see INCRBYFLOAT).
    ctx.propagate_one(&[
        Prop::Word("HSET"),
        Prop::Arg(key),
        Prop::Arg(&args[2]),
        Prop::Arg(text.as_bytes()),
    ]);
    ctx.out.bulk(text.as_bytes());
    ctx.notify(notify::HASH, "hincrbyfloat", key);
    Ok(())
}

/// `LONG_MAX`, the bound of HRANDFIELD's count.
const LONG_MAX: i64 = i64::MAX;

/// The count and flag of HRANDFIELD / ZRANDMEMBER (`key count [flag]`,
/// `flag` being WITHVALUES or WITHSCORES), with Redis's range errors: the
/// count within ±LONG_MAX, and within ±LONG_MAX/2 with the flag (each
/// pick then answers two elements).
pub(super) fn random_count(args: &[Bytes], flag: &[u8]) -> Result<(i64, bool), CmdError> {
    let count = arg_i64(&args[2])?;
    if !(-LONG_MAX..=LONG_MAX).contains(&count) {
        return Err(CmdError::msg(format!(
            "ERR value is out of range, value must between {} and {}",
            -LONG_MAX, LONG_MAX
        )));
    }
    let with = match args.len() {
        3 => false,
        4 if args[3].eq_ignore_ascii_case(flag) => {
            if !(-LONG_MAX / 2..=LONG_MAX / 2).contains(&count) {
                return Err(CmdError::msg("ERR value is out of range"));
            }
            true
        }
        _ => return Err(CmdError::SYNTAX),
    };
    Ok((count, with))
}

/// HRANDFIELD. Without a count: one random field (nil for a missing key).
/// With a count: a positive count asks for that many *distinct* fields (the
/// whole hash if it has no more), a negative one for exactly |count| fields
/// drawn independently (repeats allowed). WITHVALUES adds each field's value
/// (RESP3: as `[field, value]` pairs).
///
/// Distinct fields are drawn in one of two ways: when the request is a
/// large share of the hash (more than a third), all pairs are listed and a
/// partial Fisher-Yates shuffle picks `count` of them; otherwise random
/// pairs are drawn until `count` distinct fields have been seen, which
/// needs few retries because most draws are new.
fn hrandfield(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        return reading(ctx, &args[1], |h, out| {
            let mut rng = rand::thread_rng();
            match h.and_then(|h| h.random(&mut rng)) {
                Some((f, _)) => out.bulk(f),
                None => out.null(),
            }
        });
    }
    let (count, with_values) = random_count(args, b"withvalues")?;
    reading(ctx, &args[1], |h, out| {
        let Some(h) = h else {
            out.array(0);
            return;
        };
        let resp3 = out.is_resp3();
        let emit = |out: &mut Reply, f: &[u8], v: &[u8]| {
            if with_values && resp3 {
                out.array(2);
            }
            out.bulk(f);
            if with_values {
                out.bulk(v);
            }
        };
        let header = |out: &mut Reply, n: usize| {
            out.array(if with_values && !resp3 { 2 * n } else { n });
        };
        let mut rng = rand::thread_rng();
        let size = h.len();
        if count < 0 {
            let n = count.unsigned_abs() as usize;
            header(out, n);
            for _ in 0..n {
                let (f, v) = h.random(&mut rng).expect("the hash is not empty");
                emit(out, f, v);
            }
            return;
        }
        let n = count as usize;
        if n >= size {
            header(out, size);
            for (f, v) in h.iter() {
                emit(out, f, v);
            }
            return;
        }
        header(out, n);
        if n.saturating_mul(3) > size {
            let mut all: Vec<(&[u8], &[u8])> = h.iter().collect();
            let (picked, _) = all.partial_shuffle(&mut rng, n);
            for (f, v) in picked.iter() {
                emit(out, f, v);
            }
        } else {
            let mut seen: HashSet<&[u8]> = HashSet::with_capacity(n);
            while seen.len() < n {
                let (f, v) = h.random(&mut rng).expect("the hash is not empty");
                if seen.insert(f) {
                    emit(out, f, v);
                }
            }
        }
    })
}

/// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES].
///
/// A `listpack` hash is returned whole in one call, with cursor 0. A table
/// is walked bucket by bucket with the keyspace's reverse-binary cursor
/// (see [`tiering::dict`]): up to `COUNT` pairs per call, visiting at most
/// ten times that many buckets so a sparse table cannot stall the server.
/// The pattern filters after collecting, so a call may return nothing with
/// a cursor that is not 0. NOVALUES (Redis 7.4) returns fields only.
fn hscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = scan_args::cursor(&args[2])?;
    reading(ctx, &args[1], |h, out| -> CmdResult {
        let Some(h) = h else {
            // Options are not even looked at for a missing key.
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return Ok(());
        };
        let opts = ScanArgs::parse(args, 3, Accept::NOVALUES)?;
        let mut found: Vec<(&[u8], &[u8])> = Vec::new();
        let next = match h {
            HashValue::Pack(_) => h.scan(cursor, |f, v| found.push((f, v))),
            HashValue::Table(_) => scan_args::walk(cursor, opts.count, |c| {
                let n = h.scan(c, |f, v| found.push((f, v)));
                (n, found.len())
            }),
        };
        found.retain(|(f, _)| opts.matches(f));
        out.array(2);
        out.bulk_int(next as i64);
        out.array(if opts.no_values {
            found.len()
        } else {
            2 * found.len()
        });
        for (f, v) in found {
            out.bulk(f);
            if !opts.no_values {
                out.bulk(v);
            }
        }
        Ok(())
    })?
}
