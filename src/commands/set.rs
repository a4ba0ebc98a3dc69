//! Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
//! SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION,
//! SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN.
//!
//! The representation (`intset`, `listpack`, `hashtable`) is
//! [`SetValue`]'s business; commands hand it the current `set-max-*`
//! limits on every write. Where Redis 7.2 builds a result set in a
//! particular way (the *STORE commands, SPOP's "keep the rest" strategy),
//! we build it the same way, because the resulting `OBJECT ENCODING` is
//! observable.

use bytes::Bytes;

use super::access::{self, drop_if_empty, read, remove_each, write, write_or_create};
use super::scan_args::{self, Accept, ScanArgs};
use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx, Prop};
use crate::notify;
use crate::reply::Reply;
use tiering::set::IntSet;
use tiering::{Limits, SetValue, Value};

const S: u32 = C_SET;

/// A set command's declaration; `first`/`last`/`step` are the legacy key
/// positions.
#[allow(clippy::too_many_arguments)]
const fn scmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    key_specs: &'static [KeySpec],
    tips: &'static [&'static str],
    summary: &'static str,
    complexity: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        acl: S,
        first_key: keys.0,
        last_key: keys.1,
        key_step: keys.2,
        key_specs,
        tips,
        group: "set",
        since: "1.0.0",
        summary,
        complexity,
        handler: Some(handler),
        ..BASE
    }
}

const ONE: (i32, i32, i32) = (1, 1, 1);
const ALL_KEYS: (i32, i32, i32) = (1, -1, 1);
const INS: &[KeySpec] = &[ks(KS_RW | KS_INSERT, 1, 0, 1)];
const DEL: &[KeySpec] = &[ks(KS_RW | KS_DELETE, 1, 0, 1)];
const RDA: &[KeySpec] = &[ks(KS_RO | KS_ACCESS, 1, 0, 1)];
const RD: &[KeySpec] = &[ks(KS_RO, 1, 0, 1)];
const POP: &[KeySpec] = &[ks(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1)];
const MOVE: &[KeySpec] = &[
    ks(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1),
    ks(KS_RW | KS_INSERT, 2, 0, 1),
];
const READ_ALL: &[KeySpec] = &[ks(KS_RO | KS_ACCESS, 1, -1, 1)];
const INTER_STORE: &[KeySpec] = &[
    ks(KS_RW | KS_UPDATE, 1, 0, 1),
    ks(KS_RO | KS_ACCESS, 2, -1, 1),
];
const OP_STORE: &[KeySpec] = &[
    ks(KS_OW | KS_UPDATE, 1, 0, 1),
    ks(KS_RO | KS_ACCESS, 2, -1, 1),
];
const CARD_KEYS: &[KeySpec] = &[KeySpec {
    flags: KS_RO | KS_ACCESS,
    begin: Begin::Index(1),
    find: Find::Keynum {
        numkeys: 0,
        first: 1,
        step: 1,
    },
}];
const ORDER: &[&str] = &["nondeterministic_output_order"];
const NONDET: &[&str] = &["nondeterministic_output"];
const INTER_COST: &str =
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";
const ALL_COST: &str = "O(N) where N is the total number of elements in all given sets.";

pub static COMMANDS: &[CommandDef] = &[
    scmd(
        "sadd",
        -3,
        WRITE | DENYOOM | FAST,
        ONE,
        INS,
        &[],
        "Adds members to a set, creating it if needed.",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        sadd,
    ),
    scmd(
        "srem",
        -3,
        WRITE | FAST,
        ONE,
        DEL,
        &[],
        "Removes members from a set (and the key once it is empty).",
        "O(N) where N is the number of members to be removed.",
        srem,
    ),
    scmd(
        "smembers",
        2,
        READONLY,
        ONE,
        RDA,
        ORDER,
        "Gets every member of a set.",
        "O(N) where N is the set cardinality.",
        smembers,
    ),
    scmd(
        "sismember",
        3,
        READONLY | FAST,
        ONE,
        RD,
        &[],
        "Tells whether a value is a member of a set.",
        "O(1)",
        sismember,
    ),
    CommandDef {
        since: "6.2.0",
        ..scmd(
            "smismember",
            -3,
            READONLY | FAST,
            ONE,
            RDA,
            &[],
            "Tells, for each of several values, whether it is a member of a set.",
            "O(N) where N is the number of elements being checked for membership",
            smismember,
        )
    },
    scmd(
        "scard",
        2,
        READONLY | FAST,
        ONE,
        RD,
        &[],
        "Counts the members of a set.",
        "O(1)",
        scard,
    ),
    scmd(
        "spop",
        -2,
        WRITE | FAST,
        ONE,
        POP,
        NONDET,
        "Removes and returns one or more random members of a set.",
        "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        spop,
    ),
    scmd(
        "srandmember",
        -2,
        READONLY,
        ONE,
        RDA,
        NONDET,
        "Gets one or more random members of a set, leaving it unchanged.",
        "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        srandmember,
    ),
    scmd(
        "smove",
        4,
        WRITE | FAST,
        (1, 2, 1),
        MOVE,
        &[],
        "Moves a member from one set to another.",
        "O(1)",
        smove,
    ),
    scmd(
        "sinter",
        -2,
        READONLY,
        ALL_KEYS,
        READ_ALL,
        ORDER,
        "Gets the members common to all the given sets.",
        INTER_COST,
        sinter,
    ),
    CommandDef {
        since: "7.0.0",
        ..scmd(
            "sintercard",
            -3,
            READONLY | MOVABLEKEYS,
            (0, 0, 0),
            CARD_KEYS,
            &[],
            "Counts the members common to all the given sets, optionally stopping at a limit.",
            INTER_COST,
            sintercard,
        )
    },
    scmd(
        "sinterstore",
        -3,
        WRITE | DENYOOM,
        ALL_KEYS,
        INTER_STORE,
        &[],
        "Stores the members common to all the given sets in a key.",
        INTER_COST,
        sinterstore,
    ),
    scmd(
        "sunion",
        -2,
        READONLY,
        ALL_KEYS,
        READ_ALL,
        ORDER,
        "Gets the members of any of the given sets.",
        ALL_COST,
        sunion,
    ),
    scmd(
        "sunionstore",
        -3,
        WRITE | DENYOOM,
        ALL_KEYS,
        OP_STORE,
        &[],
        "Stores the members of any of the given sets in a key.",
        ALL_COST,
        sunionstore,
    ),
    scmd(
        "sdiff",
        -2,
        READONLY,
        ALL_KEYS,
        READ_ALL,
        ORDER,
        "Gets the members of the first set that are in none of the others.",
        ALL_COST,
        sdiff,
    ),
    scmd(
        "sdiffstore",
        -3,
        WRITE | DENYOOM,
        ALL_KEYS,
        OP_STORE,
        &[],
        "Stores the members of the first set that are in none of the others in a key.",
        ALL_COST,
        sdiffstore,
    ),
    CommandDef {
        since: "2.8.0",
        ..scmd(
            "sscan",
            -3,
            READONLY,
            ONE,
            RDA,
            NONDET,
            "Iterates over the members of a set, a few at a time.",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
            sscan,
        )
    },
];

/// [`access::reading`] for the set.
fn reading<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(Option<&SetValue>, &mut Reply) -> R,
) -> Result<R, CmdError> {
    access::reading::<SetValue, R>(ctx, key, f)
}

fn sadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limits = ctx.st.config.tun.limits;
    let key = &args[1];
    let members = &args[2..];
    // A new set starts in the representation the number of members
    // suggests; an existing one converts first if they cannot fit.
    let mut created = false;
    let s = write_or_create(ctx, key, || {
        created = true;
        SetValue::for_insert(&members[0], members.len(), &limits)
    })?;
    if !created {
        s.reserve(members.len(), &limits);
    }
    let added = members.iter().filter(|m| s.insert(m, &limits)).count();
    if added > 0 {
        ctx.modified(key);
        ctx.notify(notify::SET, "sadd", key);
        ctx.dirty(added as u64);
    }
    ctx.out.int(added as i64);
    Ok(())
}

fn srem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    remove_each(
        ctx,
        &args[1],
        (notify::SET, "srem"),
        &args[2..],
        |s: &mut SetValue, m| s.remove(m),
        SetValue::is_empty,
    )
}

fn smembers(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    reading(ctx, &args[1], |s, out| {
        out.set(s.map_or(0, SetValue::len));
        if let Some(s) = s {
            s.for_each(|m| out.bulk(m));
        }
    })
}

fn sismember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let found = read::<SetValue>(ctx, &args[1])?.is_some_and(|s| s.contains(&args[2]));
    ctx.out.int(i64::from(found));
    Ok(())
}

fn smismember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    reading(ctx, &args[1], |s, out| {
        out.array(args.len() - 2);
        for m in &args[2..] {
            out.int(i64::from(s.is_some_and(|s| s.contains(m))));
        }
    })
}

fn scard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read::<SetValue>(ctx, &args[1])?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// SPOP key [count]. Without a count: one random member (nil for a
/// missing key). With one: `count` distinct random members as a set reply,
/// the whole set (and the key deleted) when `count` covers it.
fn spop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let mut rng = rand::thread_rng();
    if args.len() > 3 {
        return Err(CmdError::SYNTAX);
    }
    if args.len() == 2 {
        let Some(s) = write::<SetValue>(ctx, key)? else {
            ctx.out.null();
            return Ok(());
        };
        let m = s.pop_random(&mut rng).expect("stored sets are never empty");
        let empty = s.is_empty();
        drop_if_empty(ctx, key, empty);
        ctx.modified(key);
        ctx.dirty(1);
        // The random pick is logged as the member it took.
        ctx.propagate_one(&[Prop::Word("SREM"), Prop::Arg(key), Prop::Arg(&m)]);
        // Redis's order: `spop`, the reply, `del`.
        ctx.notify(notify::SET, "spop", key);
        ctx.out.bulk(&m);
        if empty {
            ctx.notify(notify::GENERIC, "del", key);
        }
        return Ok(());
    }
    let count = arg_i64(&args[2])
        .ok()
        .filter(|&n| n >= 0)
        .ok_or(CmdError::msg("ERR value is out of range, must be positive"))?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let limits = ctx.st.config.tun.limits;
    let Some(s) = write::<SetValue>(ctx, key)? else {
        ctx.out.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    let size = s.len();
    let all = count >= size;
    // Redis fires `spop` before it pops (and replies), `del` after.
    if ctx.wants(notify::SET) {
        ctx.notify(notify::SET, "spop", key);
    }
    let (db, now) = (ctx.db, ctx.now_ms);
    let Some(s) = ctx
        .st
        .ks
        .lookup(db, key, now, tiering::Access::ReadNoTouch)
        .and_then(|e| <SetValue as access::Typed>::of(&mut e.value))
    else {
        return Ok(());
    };
    let popped = if all {
        let all = std::mem::take(s);
        let (db, now) = (ctx.db, ctx.now_ms);
        ctx.st.ks.delete(db, key, now);
        ctx.out.set(size);
        all.for_each(|m| ctx.out.bulk(m));
        ctx.propagate_one(&[Prop::Word("DEL"), Prop::Arg(key)]);
        size
    } else {
        let members = s.pop_many(count, &mut rng, &limits);
        ctx.out.set(members.len());
        for m in &members {
            ctx.out.bulk(m);
        }
        if ctx.propagating() {
            ctx.propagate_as(srem_batches(key, &members));
        }
        count
    };
    ctx.modified(key);
    if all {
        ctx.notify(notify::GENERIC, "del", key);
    }
    ctx.dirty(popped as u64);
    Ok(())
}

/// Members per logged `SREM` of an SPOP with a count.
const SREM_BATCH: usize = 1024;

/// The random picks of an SPOP with a count, logged as the members it
/// took: `SREM key m...` in batches of [`SREM_BATCH`] (as Redis 7.2 and
/// Valkey; 7.0 logs one SREM per member), one unit of the log.
fn srem_batches(key: &[u8], members: &[Vec<u8>]) -> Vec<Vec<Bytes>> {
    members
        .chunks(SREM_BATCH)
        .map(|chunk| {
            let mut c = Vec::with_capacity(chunk.len() + 2);
            c.push(Bytes::from_static(b"SREM"));
            c.push(Bytes::copy_from_slice(key));
            c.extend(chunk.iter().map(|m| Bytes::copy_from_slice(m)));
            c
        })
        .collect()
}

/// `LONG_MAX`, the bound of SRANDMEMBER's count.
const LONG_MAX: i64 = i64::MAX;

/// SRANDMEMBER key [count]. Without a count: one random member (nil for a
/// missing key). A positive count asks for that many *distinct* members
/// (the whole set if it has no more), a negative one for exactly |count|
/// members drawn independently (repeats allowed). Always an array reply,
/// also in RESP3.
fn srandmember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::SYNTAX);
    }
    let mut rng = rand::thread_rng();
    if args.len() == 2 {
        return reading(ctx, &args[1], |s, out| {
            match s.and_then(|s| s.random(&mut rng)) {
                Some(m) => out.bulk(&m),
                None => out.null(),
            }
        });
    }
    let count = arg_i64(&args[2])?;
    if !(-LONG_MAX..=LONG_MAX).contains(&count) {
        return Err(CmdError::msg(format!(
            "ERR value is out of range, value must between {} and {}",
            -LONG_MAX, LONG_MAX
        )));
    }
    reading(ctx, &args[1], |s, out| {
        let Some(s) = s else {
            out.array(0);
            return;
        };
        let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        if count < 0 || n == 1 {
            out.array(n);
            s.sample_repeating(n, &mut rng, |m| out.bulk(m));
        } else if n >= s.len() {
            out.array(s.len());
            s.for_each(|m| out.bulk(m));
        } else {
            let picked = s.sample_distinct(n, &mut rng);
            out.array(picked.len());
            for m in &picked {
                out.bulk(m);
            }
        }
    })
}

fn smove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    let limits = ctx.st.config.tun.limits;
    // Both keys are looked up (and expired) first, as in Redis.
    let src_kind = ctx.write(src).map(|e| matches!(e.value, Value::Set(_)));
    let dst_kind = ctx.write(dst).map(|e| matches!(e.value, Value::Set(_)));
    match (src_kind, dst_kind) {
        (None, _) => {
            ctx.out.int(0);
            return Ok(());
        }
        (Some(false), _) | (_, Some(false)) => return Err(CmdError::WRONGTYPE),
        _ => {}
    }
    if src == dst {
        let found = write::<SetValue>(ctx, src)?.is_some_and(|s| s.contains(member));
        ctx.out.int(i64::from(found));
        return Ok(());
    }
    let s = write::<SetValue>(ctx, src)?.expect("looked up above");
    if !s.remove(member) {
        ctx.out.int(0);
        return Ok(());
    }
    let empty = s.is_empty();
    drop_if_empty(ctx, src, empty);
    ctx.notify(notify::SET, "srem", src);
    if empty {
        ctx.notify(notify::GENERIC, "del", src);
    }
    let d = write_or_create(ctx, dst, || SetValue::for_insert(member, 1, &limits))?;
    let added = d.insert(member, &limits);
    ctx.modified(src);
    ctx.dirty(1);
    if added {
        ctx.modified(dst);
        ctx.dirty(1);
        ctx.notify(notify::SET, "sadd", dst);
    }
    ctx.out.int(1);
    Ok(())
}

/// Looks up every key in order, as Redis does before a multi-set
/// operation (lazy expiry, hit/miss stats), failing with WRONGTYPE at the
/// first key that holds another type. The sets are then read with
/// [`peek_sets`], which can hold them all at once.
fn check_sets(ctx: &mut Ctx, keys: &[Bytes]) -> Result<(), CmdError> {
    for k in keys {
        if let Some(e) = ctx.read(k) {
            if !matches!(e.value, Value::Set(_)) {
                return Err(CmdError::WRONGTYPE);
            }
        }
    }
    Ok(())
}

/// The sets at `keys` (`None` for a missing key), after [`check_sets`].
fn peek_sets<'a>(ctx: &'a Ctx, keys: &[Bytes]) -> Vec<Option<&'a SetValue>> {
    let db = ctx.st.ks.db(ctx.db);
    keys.iter()
        .map(|k| match db.loaded(k).map(|e| &e.value) {
            Some(Value::Set(s)) => Some(&**s),
            _ => None,
        })
        .collect()
}

/// Where an intersection goes.
enum InterTo {
    /// A set reply.
    Reply,
    /// Only the count, stopping at `limit` (0: no limit).
    Count(usize),
    /// A stored set.
    Store,
}

/// The result of a set operation before it is replied or stored.
enum Outcome {
    /// The members, already written to this reply body, with their count.
    Body(Vec<u8>, usize),
    Count(usize),
    Set(SetValue),
    /// A key was missing: nothing to store (Redis takes a shortcut here,
    /// whose `del` comes before its reply).
    NoSet,
}

/// SINTER, SINTERCARD and SINTERSTORE.
///
/// Any missing key makes the result empty at once. Otherwise the smallest
/// set is walked and each member tested against the others (sets ordered
/// by size, so a member absent from a small set is rejected early). A
/// stored result is built as Redis 7.2 builds it: an intset if the
/// smallest set is one, else a listpack converting as it grows, and
/// finally an intset if every member is an integer and few enough.
fn intersect(
    ctx: &mut Ctx,
    keys: &[Bytes],
    to: InterTo,
    limits: &Limits,
) -> Result<Outcome, CmdError> {
    check_sets(ctx, keys)?;
    let proto = ctx.out.proto;
    let mut sets: Vec<&SetValue> = match peek_sets(ctx, keys).into_iter().collect::<Option<_>>() {
        Some(v) => v,
        None => {
            return Ok(match to {
                InterTo::Reply => Outcome::Body(Vec::new(), 0),
                InterTo::Count(_) => Outcome::Count(0),
                InterTo::Store => Outcome::NoSet,
            })
        }
    };
    sets.sort_by_key(|s| s.len());
    let first = sets[0];
    let others: Vec<&SetValue> = sets[1..]
        .iter()
        .copied()
        .filter(|s| !std::ptr::eq(*s, first))
        .collect();
    let in_all = |m: &[u8]| others.iter().all(|s| s.contains(m));
    Ok(match to {
        InterTo::Reply => {
            let mut body = Reply {
                buf: Vec::new(),
                proto,
            };
            let mut n = 0;
            first.for_each(|m| {
                if in_all(m) {
                    body.bulk(m);
                    n += 1;
                }
            });
            Outcome::Body(body.buf, n)
        }
        InterTo::Count(limit) => {
            let mut n = 0;
            first.for_each_while(|m| {
                if in_all(m) {
                    n += 1;
                }
                limit == 0 || n < limit
            });
            Outcome::Count(n)
        }
        InterTo::Store => {
            let mut dst = match first {
                SetValue::Int(_) => SetValue::Int(IntSet::new()),
                _ => SetValue::Pack(tiering::pack::Pack::new()),
            };
            first.for_each(|m| {
                if in_all(m) {
                    dst.insert(m, limits);
                }
            });
            dst.maybe_to_intset(limits);
            Outcome::Set(dst)
        }
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

/// SUNION, SDIFF and their STORE forms. The result is built in a new set
/// that starts as an intset and converts as members are added, as in
/// Redis, so that a stored result has Redis's encoding.
///
/// SDIFF picks one of Redis's two algorithms by the same estimate of their
/// work (it decides the stored encoding too, since removing members never
/// converts back): (1) walk the first set and keep each member found in no
/// other set; (2) copy the first set and remove the members of every other
/// set from it, stopping once nothing is left. (1) is chosen when half of
/// |first| times the number of existing sets is at most the total size.
fn union_diff(
    ctx: &mut Ctx,
    keys: &[Bytes],
    op: Op,
    limits: &Limits,
) -> Result<SetValue, CmdError> {
    check_sets(ctx, keys)?;
    let sets = peek_sets(ctx, keys);
    let mut dst = SetValue::Int(IntSet::new());
    match op {
        Op::Union => {
            for s in sets.iter().flatten() {
                s.for_each(|m| {
                    dst.insert(m, limits);
                });
            }
        }
        Op::Diff => {
            let Some(first) = sets[0] else {
                return Ok(dst);
            };
            let rest: Vec<&SetValue> = sets[1..].iter().flatten().copied().collect();
            if rest.iter().any(|s| std::ptr::eq(*s, first)) {
                // The first key again: nothing can be left.
                return Ok(dst);
            }
            let existing = 1 + rest.len();
            let algo_one = (first.len() * existing) / 2;
            let algo_two = first.len() + rest.iter().map(|s| s.len()).sum::<usize>();
            if algo_one <= algo_two {
                first.for_each(|m| {
                    if !rest.iter().any(|s| s.contains(m)) {
                        dst.insert(m, limits);
                    }
                });
            } else {
                first.for_each(|m| {
                    dst.insert(m, limits);
                });
                for s in rest {
                    if dst.is_empty() {
                        break;
                    }
                    s.for_each(|m| {
                        dst.remove(m);
                    });
                }
            }
        }
    }
    Ok(dst)
}

/// Stores `result` at `dst` (replacing whatever is there, expiry
/// included), or deletes `dst` if the result is empty; replies with the
/// result's size. Fires `event` (the command's name) after the reply, or
/// `del` when an empty result deleted `dst`: after the reply too, unless
/// `del_first`.
fn store(ctx: &mut Ctx, dst: &[u8], result: SetValue, event: &str, del_first: bool) {
    let (db, now) = (ctx.db, ctx.now_ms);
    let n = result.len();
    if n == 0 {
        if !del_first {
            ctx.out.int(0);
        }
        if ctx.st.ks.delete_any(db, dst).is_some() {
            ctx.modified(dst);
            ctx.notify(notify::GENERIC, "del", dst);
            ctx.dirty(1);
        }
        if del_first {
            ctx.out.int(0);
        }
    } else {
        // Expires a stale old value first, as Redis's write lookup does.
        let found = ctx.write(dst).is_some();
        ctx.st
            .ks
            .set(db, dst, Value::Set(Box::new(result)), false, now);
        ctx.modified(dst);
        if !found {
            ctx.notify_new(dst);
        }
        // Redis replies before it fires the command's event.
        ctx.out.int(n as i64);
        ctx.notify(notify::SET, event, dst);
        ctx.dirty(1);
    }
}

/// Replies a computed set (a set reply: `~` in RESP3).
fn reply_set(ctx: &mut Ctx, s: &SetValue) {
    ctx.out.set(s.len());
    s.for_each(|m| ctx.out.bulk(m));
}

fn sinter(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limits = ctx.st.config.tun.limits;
    if let Outcome::Body(body, n) = intersect(ctx, &args[1..], InterTo::Reply, &limits)? {
        ctx.out.set(n);
        ctx.out.raw(&body);
    }
    Ok(())
}

fn sintercard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let numkeys = arg_i64(&args[1])
        .ok()
        .filter(|&n| n >= 1)
        .ok_or(CmdError::msg("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.len() - 2 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"limit") && i + 1 < args.len() {
            let l = arg_i64(&args[i + 1])
                .ok()
                .filter(|&n| n >= 0)
                .ok_or(CmdError::msg("ERR LIMIT can't be negative"))?;
            limit = usize::try_from(l).unwrap_or(usize::MAX);
            i += 2;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    let limits = ctx.st.config.tun.limits;
    let keys = &args[2..2 + numkeys];
    if let Outcome::Count(n) = intersect(ctx, keys, InterTo::Count(limit), &limits)? {
        ctx.out.int(n as i64);
    }
    Ok(())
}

fn sinterstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limits = ctx.st.config.tun.limits;
    match intersect(ctx, &args[2..], InterTo::Store, &limits)? {
        Outcome::Set(s) => store(ctx, &args[1], s, "sinterstore", false),
        Outcome::NoSet => store(ctx, &args[1], SetValue::default(), "sinterstore", true),
        _ => {}
    }
    Ok(())
}

fn sunion(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limits = ctx.st.config.tun.limits;
    let s = union_diff(ctx, &args[1..], Op::Union, &limits)?;
    reply_set(ctx, &s);
    Ok(())
}

fn sunionstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limits = ctx.st.config.tun.limits;
    let s = union_diff(ctx, &args[2..], Op::Union, &limits)?;
    store(ctx, &args[1], s, "sunionstore", false);
    Ok(())
}

fn sdiff(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limits = ctx.st.config.tun.limits;
    let s = union_diff(ctx, &args[1..], Op::Diff, &limits)?;
    reply_set(ctx, &s);
    Ok(())
}

fn sdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let limits = ctx.st.config.tun.limits;
    let s = union_diff(ctx, &args[2..], Op::Diff, &limits)?;
    store(ctx, &args[1], s, "sdiffstore", false);
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count].
///
/// An intset or listpack is returned whole in one call, with cursor 0,
/// whatever the cursor given. A table is walked with the shared bounded
/// walk ([`scan_args::walk`]); the pattern filters afterwards.
fn sscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = scan_args::cursor(&args[2])?;
    reading(ctx, &args[1], |s, out| -> CmdResult {
        let Some(s) = s else {
            // Options are not even looked at for a missing key.
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return Ok(());
        };
        let opts = ScanArgs::parse(args, 3, Accept::PLAIN)?;
        let mut found: Vec<Vec<u8>> = Vec::new();
        let next = match s {
            SetValue::Table(_) => scan_args::walk(cursor, opts.count, |c| {
                let n = s.scan(c, |m| found.push(m.to_vec()));
                (n, found.len())
            }),
            _ => s.scan(cursor, |m| found.push(m.to_vec())),
        };
        found.retain(|m| opts.matches(m));
        out.array(2);
        out.bulk_int(next as i64);
        out.array(found.len());
        for m in &found {
            out.bulk(m);
        }
        Ok(())
    })?
}
