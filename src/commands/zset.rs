//! Sorted-set commands: the table of the family and the commands on single
//! members (ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK)
//! and the pops (ZPOPMIN, ZPOPMAX). Range commands are in
//! [`super::zset_range`]. The value type is [`tiering::ZSetValue`].
//!
//! Scores are parsed as Redis's `getDoubleFromObject` (strtod, no leading
//! space, no trailing junk, no NaN, overflow and underflow to zero
//! rejected) and replied as doubles (`%.17g` bulk strings in RESP2).

use bytes::Bytes;

use super::access::{drop_if_empty, read, remove_each, write, write_or_create};
use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};
use crate::notify;
use tiering::ZSetValue;

const Z: u32 = C_SORTEDSET;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "zadd",
        arity: -4,
        flags: WRITE | DENYOOM | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RW | KS_UPDATE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Adds members to a sorted set, or updates their scores.",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        handler: Some(zadd),
        ..BASE
    },
    CommandDef {
        name: "zincrby",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RW | KS_ACCESS | KS_UPDATE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Increments the score of a member of a sorted set.",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        handler: Some(zincrby),
        ..BASE
    },
    CommandDef {
        name: "zrem",
        arity: -3,
        flags: WRITE | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RW | KS_DELETE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Removes members from a sorted set.",
        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        handler: Some(zrem),
        ..BASE
    },
    CommandDef {
        name: "zcard",
        arity: 2,
        flags: READONLY | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Returns the number of members of a sorted set.",
        complexity: "O(1)",
        handler: Some(zcard),
        ..BASE
    },
    CommandDef {
        name: "zscore",
        arity: 3,
        flags: READONLY | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Returns the score of a member of a sorted set.",
        complexity: "O(1)",
        handler: Some(zscore),
        ..BASE
    },
    CommandDef {
        name: "zmscore",
        arity: -3,
        flags: READONLY | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Returns the scores of several members of a sorted set.",
        complexity: "O(N) where N is the number of members being requested.",
        handler: Some(zmscore),
        ..BASE
    },
    CommandDef {
        name: "zrank",
        arity: 3,
        flags: READONLY | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Returns the position of a member in a sorted set, lowest score first.",
        complexity: "O(log(N))",
        handler: Some(zrank),
        ..BASE
    },
    CommandDef {
        name: "zrevrank",
        arity: 3,
        flags: READONLY | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Returns the position of a member in a sorted set, highest score first.",
        complexity: "O(log(N))",
        handler: Some(zrevrank),
        ..BASE
    },
    CommandDef {
        name: "zcount",
        arity: 4,
        flags: READONLY | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Counts the members of a sorted set within a score range.",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        handler: Some(super::zset_range::zcount),
        ..BASE
    },
    CommandDef {
        name: "zlexcount",
        arity: 4,
        flags: READONLY | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Counts the members of a sorted set within a lexical range.",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        handler: Some(super::zset_range::zlexcount),
        ..BASE
    },
    CommandDef {
        name: "zrange",
        arity: -4,
        flags: READONLY,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Returns members of a sorted set by position, score or lexical range.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        handler: Some(super::zset_range::zrange),
        ..BASE
    },
    CommandDef {
        name: "zrangestore",
        arity: -5,
        flags: WRITE | DENYOOM,
        acl: Z,
        first_key: 1,
        last_key: 2,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_OW | KS_UPDATE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }, KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Stores a range of a sorted set in another key.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        handler: Some(super::zset_range::zrangestore),
        ..BASE
    },
    CommandDef {
        name: "zrevrange",
        arity: -4,
        flags: READONLY,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Returns members of a sorted set by position, highest score first.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        handler: Some(super::zset_range::zrevrange),
        ..BASE
    },
    CommandDef {
        name: "zrangebyscore",
        arity: -4,
        flags: READONLY,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.0.5",
        summary: "Returns members of a sorted set within a score range.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        handler: Some(super::zset_range::zrangebyscore),
        ..BASE
    },
    CommandDef {
        name: "zrevrangebyscore",
        arity: -4,
        flags: READONLY,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.2.0",
        summary: "Returns members of a sorted set within a score range, highest first.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        handler: Some(super::zset_range::zrevrangebyscore),
        ..BASE
    },
    CommandDef {
        name: "zrangebylex",
        arity: -4,
        flags: READONLY,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Returns members of a sorted set within a lexical range.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        handler: Some(super::zset_range::zrangebylex),
        ..BASE
    },
    CommandDef {
        name: "zrevrangebylex",
        arity: -4,
        flags: READONLY,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RO | KS_ACCESS, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Returns members of a sorted set within a lexical range, in reverse.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        handler: Some(super::zset_range::zrevrangebylex),
        ..BASE
    },
    CommandDef {
        name: "zremrangebyrank",
        arity: 4,
        flags: WRITE,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RW | KS_DELETE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Removes the members of a sorted set within a range of positions.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        handler: Some(super::zset_range::zremrangebyrank),
        ..BASE
    },
    CommandDef {
        name: "zremrangebyscore",
        arity: 4,
        flags: WRITE,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RW | KS_DELETE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Removes the members of a sorted set within a score range.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        handler: Some(super::zset_range::zremrangebyscore),
        ..BASE
    },
    CommandDef {
        name: "zremrangebylex",
        arity: 4,
        flags: WRITE,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RW | KS_DELETE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Removes the members of a sorted set within a lexical range.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        handler: Some(super::zset_range::zremrangebylex),
        ..BASE
    },
    CommandDef {
        name: "zpopmin",
        arity: -2,
        flags: WRITE | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RW | KS_ACCESS | KS_DELETE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Removes and returns the lowest-scored members of a sorted set.",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        handler: Some(zpopmin),
        ..BASE
    },
    CommandDef {
        name: "zpopmax",
        arity: -2,
        flags: WRITE | FAST,
        acl: Z,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[KeySpec { flags: KS_RW | KS_ACCESS | KS_DELETE, begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 } }],
        tips: &[],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Removes and returns the highest-scored members of a sorted set.",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        handler: Some(zpopmax),
        ..BASE
    },

];

pub const NAN_ERR: CmdError = CmdError(std::borrow::Cow::Borrowed(
    "ERR resulting score is not a number (NaN)",
));

/// A score argument, as Redis's `getDoubleFromObject` reads it.
pub fn parse_score(a: &[u8]) -> Option<f64> {
    if a.is_empty() || is_c_space(a[0]) {
        return None;
    }
    let s = std::str::from_utf8(a).ok()?;
    let l = s.to_ascii_lowercase();
    let body = l.trim_start_matches(['+', '-']);
    if body.contains("nan") {
        return None;
    }
    let v: f64 = if body == "inf" || body == "infinity" {
        if l.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    } else {
        if body.starts_with("inf") || l.len() - body.len() > 1 {
            return None;
        }
        let v: f64 = match body.strip_prefix("0x") {
            Some(hex) => {
                let v = parse_hex_float(hex)?;
                if l.starts_with('-') {
                    -v
                } else {
                    v
                }
            }
            None => s.parse().ok()?,
        };
        // strtod reports overflow (ERANGE to HUGE_VAL) and underflow to
        // zero, which Redis rejects.
        if v.is_infinite() {
            return None;
        }
        if v == 0.0 && mantissa_nonzero(body) {
            return None;
        }
        v
    };
    Some(v)
}

/// The digits after `0x` of a C99 hexadecimal float (`1.8p3`), as strtod
/// reads them (the whole text must be one such number).
pub fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let digits = e.trim_start_matches(['+', '-']);
        if digits.is_empty()
            || e.len() - digits.len() > 1
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let e: i32 = e.parse().unwrap_or(if e.starts_with('-') {
            -100_000
        } else {
            100_000
        });
        v *= 2f64.powi(e.clamp(-2000, 2000));
    }
    Some(v)
}

fn mantissa_nonzero(s: &str) -> bool {
    let (digits, exp_mark) = match s.strip_prefix("0x") {
        Some(h) => (h, 'p'),
        None => (s, 'e'),
    };
    digits
        .split(exp_mark)
        .next()
        .is_some_and(|m| m.chars().any(|c| c.is_ascii_hexdigit() && c != '0'))
}

pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

pub fn arg_score(a: &[u8]) -> Result<f64, CmdError> {
    parse_score(a).ok_or(CmdError::NOT_FLOAT)
}

/// The limits deciding the representation.
pub fn limits(ctx: &Ctx) -> tiering::Limits {
    ctx.st.config.tun.limits
}

/// Writes a member/score list as Redis does for WITHSCORES replies: flat
/// pairs in RESP2, an array of [member, score] pairs in RESP3.
pub fn reply_pairs(ctx: &mut Ctx, items: &[(Vec<u8>, f64)], withscores: bool) {
    if withscores && !ctx.out.is_resp3() {
        ctx.out.array(items.len() * 2);
    } else {
        ctx.out.array(items.len());
    }
    for (m, s) in items {
        if withscores && ctx.out.is_resp3() {
            ctx.out.array(2);
        }
        ctx.out.bulk(m);
        if withscores {
            ctx.out.double(*s);
        }
    }
}

const F_NX: u8 = 1;
const F_XX: u8 = 2;
const F_GT: u8 = 4;
const F_LT: u8 = 8;
const F_CH: u8 = 16;
const F_INCR: u8 = 32;

fn zadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut flags = 0u8;
    let mut i = 2;
    while i < args.len() {
        let f = match args[i].to_ascii_lowercase().as_slice() {
            b"nx" => F_NX,
            b"xx" => F_XX,
            b"gt" => F_GT,
            b"lt" => F_LT,
            b"ch" => F_CH,
            b"incr" => F_INCR,
            _ => break,
        };
        flags |= f;
        i += 1;
    }
    zadd_generic(ctx, &args[1], &args[i..], flags)
}

fn zincrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zadd_generic(ctx, &args[1], &args[2..], F_INCR)
}

/// ZADD's core (ZINCRBY is ZADD INCR): `pairs` are score, member, ...
fn zadd_generic(ctx: &mut Ctx, key: &[u8], pairs: &[Bytes], flags: u8) -> CmdResult {
    let has = |f: u8| flags & f != 0;
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(CmdError::SYNTAX);
    }
    if has(F_NX) && has(F_XX) {
        return Err(CmdError::msg(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (has(F_GT) && has(F_NX)) || (has(F_LT) && has(F_NX)) || (has(F_GT) && has(F_LT)) {
        return Err(CmdError::msg(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if has(F_INCR) && pairs.len() > 2 {
        return Err(CmdError::msg(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = pairs
        .chunks(2)
        .map(|p| arg_score(&p[0]))
        .collect::<Result<Vec<f64>, _>>()?;
    let lim = limits(ctx);
    let exists = write::<ZSetValue>(ctx, key)?.is_some();
    if !exists && has(F_XX) {
        if has(F_INCR) {
            ctx.out.null();
        } else {
            ctx.out.int(0);
        }
        return Ok(());
    }
    // Redis 7.0 picks the representation of a new zset from its first
    // member alone; members added later convert it if needed. (The order
    // matters for -0 scores, which a listpack stores as 0.)
    let first_len = pairs[1].len();
    let z = write_or_create(ctx, key, || ZSetValue::with_hint(1, first_len, &lim))?;
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut last = 0.0;
    let mut nan = false;
    for (p, &score) in pairs.chunks(2).zip(&scores) {
        let member = &p[1];
        match z.score(member) {
            Some(cur) => {
                if has(F_NX) {
                    continue;
                }
                let new = if has(F_INCR) { cur + score } else { score };
                if new.is_nan() {
                    nan = true;
                    break;
                }
                if (has(F_LT) && new >= cur) || (has(F_GT) && new <= cur) {
                    continue;
                }
                if new != cur {
                    z.set(member, new, &lim);
                    updated += 1;
                }
                last = new;
                processed += 1;
            }
            None => {
                if has(F_XX) {
                    continue;
                }
                z.set(member, score, &lim);
                added += 1;
                last = score;
                processed += 1;
            }
        }
    }
    let empty = z.is_empty();
    drop_if_empty(ctx, key, empty);
    let changed = added + updated > 0;
    if changed {
        ctx.modified(key);
        ctx.dirty(added + updated);
    }
    let event = if has(F_INCR) { "zincr" } else { "zadd" };
    if nan {
        if changed {
            ctx.notify(notify::ZSET, event, key);
        }
        return Err(NAN_ERR);
    }
    if has(F_INCR) {
        if processed > 0 {
            ctx.out.double(last);
        } else {
            ctx.out.null();
        }
    } else if has(F_CH) {
        ctx.out.int((added + updated) as i64);
    } else {
        ctx.out.int(added as i64);
    }
    // Redis fires the event after its reply.
    if changed {
        ctx.notify(notify::ZSET, event, key);
    }
    Ok(())
}

fn zrem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    remove_each(
        ctx,
        &args[1],
        (notify::ZSET, "zrem"),
        &args[2..],
        |z: &mut ZSetValue, m| z.remove(m),
        ZSetValue::is_empty,
    )
}

fn zcard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read::<ZSetValue>(ctx, &args[1])?.map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match read::<ZSetValue>(ctx, &args[1])?.and_then(|z| z.score(&args[2])) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let scores: Vec<Option<f64>> = match read::<ZSetValue>(ctx, &args[1])? {
        Some(z) => args[2..].iter().map(|m| z.score(m)).collect(),
        None => vec![None; args.len() - 2],
    };
    ctx.out.array(scores.len());
    for s in scores {
        match s {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    rank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    rank_generic(ctx, args, true)
}

/// ZRANK/ZREVRANK, with Redis 7.2's WITHSCORE option.
fn rank_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> CmdResult {
    if args.len() > 4 {
        return Err(CmdError::SYNTAX);
    }
    let withscore = args.len() == 4;
    if withscore && !args[3].eq_ignore_ascii_case(b"withscore") {
        return Err(CmdError::SYNTAX);
    }
    let found = match read::<ZSetValue>(ctx, &args[1])? {
        Some(z) => z
            .rank(&args[2])
            .map(|(r, s)| (if rev { z.len() - 1 - r } else { r }, s)),
        None => None,
    };
    match (found, withscore) {
        (Some((r, _)), false) => ctx.out.int(r as i64),
        (Some((r, s)), true) => {
            ctx.out.array(2);
            ctx.out.int(r as i64);
            ctx.out.double(s);
        }
        (None, false) => ctx.out.null(),
        (None, true) => ctx.out.null_array(),
    }
    Ok(())
}

fn zpopmin(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zpop_command(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zpop_command(ctx, args, true)
}

fn zpop_command(ctx: &mut Ctx, args: &[Bytes], max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::SYNTAX);
    }
    let count = match args.get(2) {
        Some(a) => {
            let n = crate::exec::arg_i64(a)
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(CmdError::msg("ERR value is out of range, must be positive"))?;
            Some(usize::try_from(n).unwrap_or(usize::MAX))
        }
        None => None,
    };
    let nested = count.is_some() && ctx.out.is_resp3();
    pop(ctx, &args[1], max, count.unwrap_or(1), nested, |ctx, n| {
        ctx.out.array(if nested { n } else { 2 * n })
    })
}

/// Removes up to `count` lowest (or highest, `max`) members of the zset at
/// `key`, deleting the key when emptied, and replies with them in pop
/// order: `head` writes what precedes the members given their number (a
/// missing key counts none), then each member and score follow, as a
/// pair array if `nested`. Redis fires `zpopmin`/`zpopmax` between the
/// head and the members, and `del` after them. Shared with the blocking
/// variants.
pub fn pop(
    ctx: &mut Ctx,
    key: &[u8],
    max: bool,
    count: usize,
    nested: bool,
    head: impl FnOnce(&mut Ctx, usize),
) -> CmdResult {
    let Some(z) = write::<ZSetValue>(ctx, key)? else {
        head(ctx, 0);
        return Ok(());
    };
    let n = count.min(z.len());
    let (start, end) = if max { (z.len() - n, z.len()) } else { (0, n) };
    let mut items = z.range(start, end);
    z.remove_range(start, end);
    if max {
        items.reverse();
    }
    let empty = z.is_empty();
    drop_if_empty(ctx, key, empty);
    head(ctx, n);
    if n > 0 {
        ctx.modified(key);
        ctx.notify(notify::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
    }
    for (m, s) in &items {
        if nested {
            ctx.out.array(2);
        }
        ctx.out.bulk(m);
        ctx.out.double(*s);
    }
    if n > 0 {
        if empty {
            ctx.notify(notify::GENERIC, "del", key);
        }
        ctx.dirty(n as u64);
    }
    Ok(())
}
