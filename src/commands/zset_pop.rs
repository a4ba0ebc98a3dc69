//! Popping from several sorted sets: ZMPOP and the blocking BZPOPMIN,
//! BZPOPMAX and BZMPOP.
//!
//! The blocking forms try their non-blocking work first and only block (see
//! [`crate::blocking`]) when every key they name is missing. When a key
//! they wait for gets a sorted set, the framework re-runs the command for
//! that key alone ([`blocking::serving`]); a key of another type does not
//! serve them, and they keep waiting.

use bytes::Bytes;

use super::access::write;
use super::zset::pop;
use super::*;
use crate::blocking;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx, Prop};
use tiering::ZSetValue;

const Z: u32 = C_SORTEDSET;

const fn keynum_spec(index: i32) -> KeySpec {
    KeySpec {
        flags: KS_RW | KS_ACCESS | KS_DELETE,
        begin: Begin::Index(index),
        find: Find::Keynum {
            numkeys: 0,
            first: 1,
            step: 1,
        },
    }
}

const MPOP_O: &str = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.";

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "zmpop",
        arity: -4,
        flags: WRITE | MOVABLEKEYS,
        acl: Z,
        key_specs: &[keynum_spec(1)],
        group: "sorted-set",
        since: "7.0.0",
        summary: "Pops the lowest- or highest-scored members of the first non-empty sorted set of several.",
        complexity: MPOP_O,
        handler: Some(zmpop),
        ..BASE
    },
    CommandDef {
        name: "bzpopmin",
        arity: -3,
        flags: WRITE | NOSCRIPT | BLOCKING | FAST,
        acl: Z,
        first_key: 1,
        last_key: -2,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_DELETE, 1, -2, 1)],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Pops the lowest-scored member of the first non-empty sorted set of several, or blocks until one is available.",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        handler: Some(bzpopmin),
        ..BASE
    },
    CommandDef {
        name: "bzpopmax",
        arity: -3,
        flags: WRITE | NOSCRIPT | BLOCKING | FAST,
        acl: Z,
        first_key: 1,
        last_key: -2,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_DELETE, 1, -2, 1)],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Pops the highest-scored member of the first non-empty sorted set of several, or blocks until one is available.",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        handler: Some(bzpopmax),
        ..BASE
    },
    CommandDef {
        name: "bzmpop",
        arity: -5,
        flags: WRITE | BLOCKING | MOVABLEKEYS,
        acl: Z,
        key_specs: &[keynum_spec(2)],
        group: "sorted-set",
        since: "7.0.0",
        summary: "Pops members of the first non-empty sorted set of several, or blocks until one is available.",
        complexity: MPOP_O,
        handler: Some(bzmpop),
        ..BASE
    },
];

/// Parsed `numkeys key... MIN|MAX [COUNT n]` of ZMPOP/BZMPOP, starting at
/// `args[at]`.
struct MPop<'a> {
    keys: &'a [Bytes],
    max: bool,
    count: usize,
}

fn parse_mpop(args: &[Bytes], at: usize) -> Result<MPop<'_>, CmdError> {
    let numkeys = arg_i64(&args[at])
        .ok()
        .filter(|&n| n > 0)
        .ok_or(CmdError::msg("ERR numkeys should be greater than 0"))?;
    let first = at + 1;
    // MIN|MAX must follow the keys.
    if numkeys as u64 >= (args.len() - first) as u64 {
        return Err(CmdError::SYNTAX);
    }
    let after = first + numkeys as usize;
    let dir = &args[after];
    let max = if dir.eq_ignore_ascii_case(b"min") {
        false
    } else if dir.eq_ignore_ascii_case(b"max") {
        true
    } else {
        return Err(CmdError::SYNTAX);
    };
    let mut count = None;
    let mut i = after + 1;
    while i < args.len() {
        if count.is_none() && args[i].eq_ignore_ascii_case(b"count") && i + 1 < args.len() {
            let c = arg_i64(&args[i + 1])
                .ok()
                .filter(|&c| c > 0)
                .ok_or(CmdError::msg("ERR count should be greater than 0"))?;
            count = Some(usize::try_from(c).unwrap_or(usize::MAX));
            i += 2;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    Ok(MPop {
        keys: &args[first..after],
        max,
        count: count.unwrap_or(1),
    })
}

/// The first of `keys` holding a sorted set; WRONGTYPE if the first
/// existing key holds something else (later keys are not looked at).
fn first_zset<'a>(ctx: &mut Ctx, keys: &'a [Bytes]) -> Result<Option<&'a Bytes>, CmdError> {
    for k in keys {
        if write::<ZSetValue>(ctx, k)?.is_some() {
            return Ok(Some(k));
        }
    }
    Ok(None)
}

/// True if `key` holds a sorted set (for a re-run: anything else, an
/// error included, means "nothing to serve").
fn holds_zset(ctx: &mut Ctx, key: &[u8]) -> bool {
    matches!(write::<ZSetValue>(ctx, key), Ok(Some(_)))
}

/// The single-key pop command that pops the `max` end.
fn pop_name(max: bool) -> Prop<'static> {
    Prop::Word(if max { "ZPOPMAX" } else { "ZPOPMIN" })
}

/// Pops from `key` and replies `[key, [[member, score]...]]`, the shape of
/// ZMPOP and BZMPOP in both protocols. Logged as `ZPOPMIN|ZPOPMAX key n`,
/// n what it popped, as Redis 7.0 does: the key it chose and the count it
/// got are fixed whenever the log replays.
fn reply_mpop(ctx: &mut Ctx, key: &[u8], max: bool, count: usize) -> CmdResult {
    let mut popped = 0;
    pop(ctx, key, max, count, true, |ctx, n| {
        popped = n;
        ctx.out.array(2);
        ctx.out.bulk(key);
        ctx.out.array(n);
    })?;
    if popped > 0 {
        ctx.propagate_one(&[pop_name(max), Prop::Arg(key), Prop::Int(popped as i64)]);
    }
    Ok(())
}

/// Pops one member from `key` and replies `[key, member, score]`, the
/// shape of BZPOPMIN/BZPOPMAX. Logged as `ZPOPMIN|ZPOPMAX key` on the key
/// it served (replayed, a blocking command finding nothing would wait).
fn reply_bzpop(ctx: &mut Ctx, key: &[u8], max: bool) -> CmdResult {
    let mut popped = 0;
    pop(ctx, key, max, 1, false, |ctx, n| {
        popped = n;
        ctx.out.array(1 + 2 * n);
        ctx.out.bulk(key);
    })?;
    if popped > 0 {
        ctx.propagate_one(&[pop_name(max), Prop::Arg(key)]);
    }
    Ok(())
}

fn zmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let m = parse_mpop(args, 1)?;
    match first_zset(ctx, m.keys)? {
        Some(k) => reply_mpop(ctx, k, m.max, m.count),
        None => {
            ctx.out.null_array();
            Ok(())
        }
    }
}

/// BZPOPMIN/BZPOPMAX key... timeout: the timeout is checked first.
fn bzpop(ctx: &mut Ctx, args: &[Bytes], max: bool) -> CmdResult {
    let deadline = blocking::parse_timeout(&args[args.len() - 1], ctx.now_ms)?;
    let keys = &args[1..args.len() - 1];
    if let Some(key) = blocking::serving(ctx) {
        if holds_zset(ctx, &key) {
            reply_bzpop(ctx, &key, max)?;
        }
        return Ok(());
    }
    match first_zset(ctx, keys)? {
        Some(k) => reply_bzpop(ctx, k, max),
        None => blocking::block(ctx, keys, deadline, false),
    }
}

fn bzpopmin(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bzpop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bzpop(ctx, args, true)
}

/// BZMPOP timeout numkeys key... MIN|MAX [COUNT n]: the pop arguments
/// are checked before the timeout.
fn bzmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let m = parse_mpop(args, 2)?;
    let deadline = blocking::parse_timeout(&args[1], ctx.now_ms)?;
    if let Some(key) = blocking::serving(ctx) {
        if holds_zset(ctx, &key) {
            reply_mpop(ctx, &key, m.max, m.count)?;
        }
        return Ok(());
    }
    match first_zset(ctx, m.keys)? {
        Some(k) => reply_mpop(ctx, k, m.max, m.count),
        None => blocking::block(ctx, m.keys, deadline, false),
    }
}
