//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE,
//! LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP and
//! the blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
//!
//! The representation (`listpack` or `quicklist`) is chosen by
//! [`ListValue`] from `list-max-listpack-size`. The blocking forms try
//! their non-blocking work first and only block (see [`crate::blocking`])
//! when every key they name is missing.

use bytes::Bytes;

use super::access::{drop_if_empty, read, write, write_or_create};
use super::*;
use crate::blocking;
use crate::exec::{arg_i64, lower, CmdError, CmdResult, Ctx, Prop};
use crate::notify;
use tiering::{End, ListValue, Value};

const L: u32 = C_LIST;

const fn one_key(
    name: &'static str,
    arity: i32,
    flags: u32,
    key_specs: &'static [KeySpec],
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        acl: L,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs,
        group: "list",
        ..BASE
    }
}

const MOVE_SPECS: &[KeySpec] = &[
    ks(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1),
    ks(KS_RW | KS_INSERT, 2, 0, 1),
];

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

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        summary: "Prepends elements to a list, creating it if needed.",
        complexity: "O(1) per element added.",
        handler: Some(lpush),
        ..one_key("lpush", -3, WRITE | DENYOOM | FAST, &[ks(KS_RW | KS_INSERT, 1, 0, 1)])
    },
    CommandDef {
        summary: "Appends elements to a list, creating it if needed.",
        complexity: "O(1) per element added.",
        handler: Some(rpush),
        ..one_key("rpush", -3, WRITE | DENYOOM | FAST, &[ks(KS_RW | KS_INSERT, 1, 0, 1)])
    },
    CommandDef {
        since: "2.2.0",
        summary: "Prepends elements to a list only if the list exists.",
        complexity: "O(1) per element added.",
        handler: Some(lpushx),
        ..one_key("lpushx", -3, WRITE | DENYOOM | FAST, &[ks(KS_RW | KS_INSERT, 1, 0, 1)])
    },
    CommandDef {
        since: "2.2.0",
        summary: "Appends elements to a list only if the list exists.",
        complexity: "O(1) per element added.",
        handler: Some(rpushx),
        ..one_key("rpushx", -3, WRITE | DENYOOM | FAST, &[ks(KS_RW | KS_INSERT, 1, 0, 1)])
    },
    CommandDef {
        summary: "Removes and returns the first elements of a list.",
        complexity: "O(N), N the number of elements returned.",
        handler: Some(lpop),
        ..one_key("lpop", -2, WRITE | FAST, &[ks(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1)])
    },
    CommandDef {
        summary: "Removes and returns the last elements of a list.",
        complexity: "O(N), N the number of elements returned.",
        handler: Some(rpop),
        ..one_key("rpop", -2, WRITE | FAST, &[ks(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1)])
    },
    CommandDef {
        summary: "Returns the number of elements of a list.",
        complexity: "O(1)",
        handler: Some(llen),
        ..one_key("llen", 2, READONLY | FAST, &[ks(KS_RO, 1, 0, 1)])
    },
    CommandDef {
        summary: "Returns a range of elements of a list.",
        complexity: "O(S+N), S the distance of the start from the nearer end (the head for small lists), N the number of elements returned.",
        handler: Some(lrange),
        ..one_key("lrange", 4, READONLY, &[ks(KS_RO | KS_ACCESS, 1, 0, 1)])
    },
    CommandDef {
        summary: "Returns the element of a list at an index.",
        complexity: "O(N), N the number of elements walked to reach the index; O(1) for the first and last.",
        handler: Some(lindex),
        ..one_key("lindex", 3, READONLY, &[ks(KS_RO | KS_ACCESS, 1, 0, 1)])
    },
    CommandDef {
        summary: "Replaces the element of a list at an index.",
        complexity: "O(N), N the length of the list; O(1) for the first and last element.",
        handler: Some(lset),
        ..one_key("lset", 4, WRITE | DENYOOM, &[ks(KS_RW | KS_UPDATE, 1, 0, 1)])
    },
    CommandDef {
        since: "2.2.0",
        summary: "Inserts an element before or after another element of a list.",
        complexity: "O(N), N the number of elements walked before the pivot is found.",
        handler: Some(linsert),
        ..one_key("linsert", 5, WRITE | DENYOOM, &[ks(KS_RW | KS_INSERT, 1, 0, 1)])
    },
    CommandDef {
        summary: "Removes elements equal to a value from a list.",
        complexity: "O(N+M), N the length of the list, M the number of elements removed.",
        handler: Some(lrem),
        ..one_key("lrem", 4, WRITE, &[ks(KS_RW | KS_DELETE, 1, 0, 1)])
    },
    CommandDef {
        summary: "Keeps only a range of elements of a list.",
        complexity: "O(N), N the number of elements removed.",
        handler: Some(ltrim),
        ..one_key("ltrim", 4, WRITE, &[ks(KS_RW | KS_DELETE, 1, 0, 1)])
    },
    CommandDef {
        since: "6.0.6",
        summary: "Returns the indexes of the elements of a list equal to a value.",
        complexity: "O(N), N the length of the list; less with MAXLEN or for matches near the start.",
        handler: Some(lpos),
        ..one_key("lpos", -3, READONLY, &[ks(KS_RO | KS_ACCESS, 1, 0, 1)])
    },
    CommandDef {
        last_key: 2,
        key_specs: MOVE_SPECS,
        since: "6.2.0",
        summary: "Moves an element from one end of a list to an end of another, and returns it.",
        complexity: "O(1)",
        handler: Some(lmove),
        ..one_key("lmove", 5, WRITE | DENYOOM, &[])
    },
    CommandDef {
        last_key: 2,
        key_specs: MOVE_SPECS,
        since: "1.2.0",
        summary: "Moves the last element of a list to the head of another, and returns it.",
        complexity: "O(1)",
        handler: Some(rpoplpush),
        ..one_key("rpoplpush", 3, WRITE | DENYOOM, &[])
    },
    CommandDef {
        first_key: 0,
        last_key: 0,
        key_step: 0,
        key_specs: &[keynum_spec(1)],
        since: "7.0.0",
        summary: "Pops elements from the first non-empty list of several.",
        complexity: "O(N+M), N the number of keys, M the number of elements returned.",
        handler: Some(lmpop),
        ..one_key("lmpop", -4, WRITE | MOVABLEKEYS, &[])
    },
    CommandDef {
        last_key: -2,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_DELETE, 1, -2, 1)],
        since: "2.0.0",
        summary: "Removes and returns the first element of the first non-empty list, or blocks until one is available.",
        complexity: "O(N), N the number of keys.",
        handler: Some(blpop),
        ..one_key("blpop", -3, WRITE | NOSCRIPT | BLOCKING, &[])
    },
    CommandDef {
        last_key: -2,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_DELETE, 1, -2, 1)],
        since: "2.0.0",
        summary: "Removes and returns the last element of the first non-empty list, or blocks until one is available.",
        complexity: "O(N), N the number of keys.",
        handler: Some(brpop),
        ..one_key("brpop", -3, WRITE | NOSCRIPT | BLOCKING, &[])
    },
    CommandDef {
        last_key: 2,
        key_specs: MOVE_SPECS,
        since: "6.2.0",
        summary: "Moves an element between lists like LMOVE, or blocks until one is available.",
        complexity: "O(1)",
        handler: Some(blmove),
        ..one_key("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, &[])
    },
    CommandDef {
        last_key: 2,
        key_specs: MOVE_SPECS,
        since: "2.2.0",
        summary: "Moves an element between lists like RPOPLPUSH, or blocks until one is available.",
        complexity: "O(1)",
        handler: Some(brpoplpush),
        ..one_key("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, &[])
    },
    CommandDef {
        first_key: 0,
        last_key: 0,
        key_step: 0,
        key_specs: &[keynum_spec(2)],
        since: "7.0.0",
        summary: "Pops elements from the first non-empty list of several, or blocks until one is available.",
        complexity: "O(N+M), N the number of keys, M the number of elements returned.",
        handler: Some(blmpop),
        ..one_key("blmpop", -5, WRITE | BLOCKING | MOVABLEKEYS, &[])
    },
];

/// `list-max-listpack-size`.
fn fill(ctx: &Ctx) -> i64 {
    ctx.st.config.tun.limits.list_max_listpack_size
}

fn push_generic(ctx: &mut Ctx, args: &[Bytes], end: End, only_existing: bool) -> CmdResult {
    let key = &args[1];
    let items: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
    let fill = fill(ctx);
    let len = if only_existing {
        match write::<ListValue>(ctx, key)? {
            None => {
                ctx.out.int(0);
                return Ok(());
            }
            Some(l) => {
                l.push(end, &items, fill);
                l.len()
            }
        }
    } else {
        let l = write_or_create(ctx, key, ListValue::default)?;
        l.push(end, &items, fill);
        l.len()
    };
    ctx.modified(key);
    ctx.dirty(items.len() as u64);
    // Redis replies before it fires the push event.
    ctx.out.int(len as i64);
    ctx.notify(notify::LIST, push_event(end), key);
    Ok(())
}

fn lpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Head, false)
}

fn rpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Head, true)
}

fn rpushx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Tail, true)
}

/// The keyspace event of a push at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// Fires the events of a pop from `end` of `key`: `lpop`/`rpop`, then
/// `del` if the pop emptied (and so deleted) the list.
fn notify_pop(ctx: &mut Ctx, key: &[u8], end: End, emptied: bool) {
    let event = match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    };
    ctx.notify(notify::LIST, event, key);
    if emptied {
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// Pops up to `count` elements from `end` of the list at `key` (which must
/// exist and be a list), deleting the key if it empties. Returns the
/// elements and whether the key was deleted; the caller fires the events
/// ([`notify_pop`]), whose place differs between commands.
fn pop_from(ctx: &mut Ctx, key: &[u8], end: End, count: usize) -> (Vec<Vec<u8>>, bool) {
    let fill = fill(ctx);
    let Ok(Some(l)) = write::<ListValue>(ctx, key) else {
        return (Vec::new(), false);
    };
    let v = l.pop(end, count, fill);
    let empty = l.is_empty();
    drop_if_empty(ctx, key, empty);
    ctx.modified(key);
    ctx.dirty(v.len() as u64);
    (v, empty)
}

/// [`pop_from`], the reply `reply` writes with the elements, then the
/// events (Redis fires a pop's events after its reply).
fn pop_reply(
    ctx: &mut Ctx,
    key: &[u8],
    end: End,
    count: usize,
    reply: impl FnOnce(&mut Ctx, &[Vec<u8>]),
) {
    let (v, emptied) = pop_from(ctx, key, end, count);
    reply(ctx, &v);
    notify_pop(ctx, key, end, emptied);
}

fn pop_generic(ctx: &mut Ctx, args: &[Bytes], end: End) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::msg(format!(
            "ERR wrong number of arguments for '{}' command",
            ctx.cmd.name
        )));
    }
    let count = match args.get(2) {
        Some(a) => Some(
            arg_i64(a)
                .ok()
                .filter(|&c| c >= 0)
                .ok_or(CmdError::msg("ERR value is out of range, must be positive"))?
                as usize,
        ),
        None => None,
    };
    let key = &args[1];
    let len = match read_len(ctx, key)? {
        None => {
            match count {
                Some(_) => ctx.out.null_array(),
                None => ctx.out.null(),
            }
            return Ok(());
        }
        Some(n) => n,
    };
    debug_assert!(len > 0);
    match count {
        None => pop_reply(ctx, key, end, 1, |ctx, v| ctx.out.bulk(&v[0])),
        Some(0) => ctx.out.array(0),
        Some(c) => pop_reply(ctx, key, end, c, |ctx, v| {
            ctx.out.array(v.len());
            for e in v {
                ctx.out.bulk(e);
            }
        }),
    }
    Ok(())
}

/// The length of the list at `key` looked up for writing: `None` if
/// missing, WRONGTYPE if not a list.
fn read_len(ctx: &mut Ctx, key: &[u8]) -> Result<Option<usize>, CmdError> {
    Ok(write::<ListValue>(ctx, key)?.map(|l| l.len()))
}

fn lpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, End::Head)
}

fn rpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, End::Tail)
}

fn llen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read::<ListValue>(ctx, &args[1])?.map_or(0, |l| l.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// Redis's range clamping: negative indexes count from the end; returns
/// the inclusive range, or `None` if it is empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    if s < 0 {
        s = 0;
    }
    if s > e || s >= len {
        return None;
    }
    if e >= len {
        e = len - 1;
    }
    Some((s as usize, e as usize))
}

fn lrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    if read::<ListValue>(ctx, &args[1])?.is_none() {
        ctx.out.array(0);
        return Ok(());
    }
    // Looked up again without the stats, so the reply can be written
    // while the list is borrowed.
    let Some(Value::List(l)) = ctx.st.ks.db(ctx.db).loaded(&args[1]).map(|e| &e.value) else {
        return Ok(());
    };
    let Some((s, e)) = clamp_range(start, end, l.len()) else {
        ctx.out.array(0);
        return Ok(());
    };
    let out = &mut *ctx.out;
    out.array(e - s + 1);
    for item in l.iter_from(s).take(e - s + 1) {
        out.bulk(item);
    }
    Ok(())
}

/// Resolves a possibly negative index against `len`.
fn index_of(idx: i64, len: usize) -> Option<usize> {
    let i = if idx < 0 { len as i64 + idx } else { idx };
    (i >= 0 && i < len as i64).then_some(i as usize)
}

fn lindex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let Some(l) = read::<ListValue>(ctx, &args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    let idx = arg_i64(&args[2])?;
    match index_of(idx, l.len()).and_then(|i| l.get(i)) {
        Some(e) => {
            let e = e.to_vec();
            ctx.out.bulk(&e);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn lset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let fill = fill(ctx);
    let Some(l) = write::<ListValue>(ctx, key)? else {
        return Err(CmdError::NO_SUCH_KEY);
    };
    let idx = arg_i64(&args[2])?;
    let i = index_of(idx, l.len()).ok_or(CmdError::msg("ERR index out of range"))?;
    l.set(i, &args[3], fill);
    ctx.modified(key);
    ctx.dirty(1);
    ctx.out.ok();
    ctx.notify(notify::LIST, "lset", key);
    Ok(())
}

fn linsert(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let after = match lower(&args[2]).as_str() {
        "after" => true,
        "before" => false,
        _ => return Err(CmdError::SYNTAX),
    };
    let fill = fill(ctx);
    let Some(l) = write::<ListValue>(ctx, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let Some(pos) = l.iter().position(|e| e == &args[3][..]) else {
        ctx.out.int(-1);
        return Ok(());
    };
    l.insert(pos, &args[4], after, fill);
    let len = l.len();
    ctx.modified(key);
    ctx.notify(notify::LIST, "linsert", key);
    ctx.dirty(1);
    ctx.out.int(len as i64);
    Ok(())
}

fn lrem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let count = arg_i64(&args[2])?;
    let item = &args[3][..];
    let fill = fill(ctx);
    let Some(l) = write::<ListValue>(ctx, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs().min(usize::MAX as u64) as usize
    };
    let mut hits: Vec<usize> = if count < 0 {
        l.iter_rev()
            .filter(|(_, e)| *e == item)
            .map(|(i, _)| i)
            .take(limit)
            .collect()
    } else {
        l.iter()
            .enumerate()
            .filter(|(_, e)| *e == item)
            .map(|(i, _)| i)
            .take(limit)
            .collect()
    };
    let removed = hits.len();
    if removed > 0 {
        hits.sort_unstable();
        let mut next = 0;
        l.retain(
            |i, _| {
                if next < hits.len() && hits[next] == i {
                    next += 1;
                    false
                } else {
                    true
                }
            },
            fill,
        );
        let empty = l.is_empty();
        drop_if_empty(ctx, key, empty);
        ctx.modified(key);
        ctx.dirty(removed as u64);
        ctx.notify(notify::LIST, "lrem", key);
        if empty {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(removed as i64);
    Ok(())
}

fn ltrim(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    let fill = fill(ctx);
    let Some(l) = write::<ListValue>(ctx, key)? else {
        ctx.out.ok();
        return Ok(());
    };
    let len = l.len();
    let (removed, emptied) = match clamp_range(start, end, len) {
        None => {
            drop_if_empty(ctx, key, true);
            (len, true)
        }
        Some((s, e)) => {
            l.trim(s, e, fill);
            (len - (e - s + 1), false)
        }
    };
    ctx.modified(key);
    ctx.dirty(removed as u64);
    // Fired even when nothing was trimmed, as Redis does.
    ctx.notify(notify::LIST, "ltrim", key);
    if emptied {
        ctx.notify(notify::GENERIC, "del", key);
    }
    ctx.out.ok();
    Ok(())
}

fn lpos(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let item = &args[2][..];
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut i = 3;
    while i < args.len() {
        let opt = lower(&args[i]);
        let Some(v) = args.get(i + 1) else {
            return Err(CmdError::SYNTAX);
        };
        match opt.as_str() {
            "rank" => {
                rank = arg_i64(v)?;
                if rank == 0 {
                    return Err(CmdError::msg(
                        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                    ));
                }
            }
            "count" => {
                // Not a number gets the same error as a negative one.
                let c = arg_i64(v)
                    .ok()
                    .filter(|&c| c >= 0)
                    .ok_or(CmdError::msg("ERR COUNT can't be negative"))?;
                count = Some(c);
            }
            "maxlen" => {
                maxlen = arg_i64(v)
                    .ok()
                    .filter(|&m| m >= 0)
                    .ok_or(CmdError::msg("ERR MAXLEN can't be negative"))?;
            }
            _ => return Err(CmdError::SYNTAX),
        }
        i += 2;
    }
    let Some(l) = read::<ListValue>(ctx, &args[1])? else {
        match count {
            Some(_) => ctx.out.array(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    // A negative rank searches from the tail. Redis 7.0 negates it in
    // C arithmetic, so the most negative value stays negative and then
    // matches from the first candidate on; wrapping keeps that answer.
    let from_tail = rank < 0;
    let rank = if from_tail { rank.wrapping_neg() } else { rank };
    let scan_limit = if maxlen == 0 {
        usize::MAX
    } else {
        maxlen as usize
    };
    let matches_iter: Box<dyn Iterator<Item = usize>> = if from_tail {
        Box::new(
            l.iter_rev()
                .take(scan_limit)
                .filter(|(_, e)| *e == item)
                .map(|(i, _)| i),
        )
    } else {
        Box::new(
            l.iter()
                .take(scan_limit)
                .enumerate()
                .filter(|(_, e)| *e == item)
                .map(|(i, _)| i),
        )
    };
    let mut found = Vec::new();
    let mut matches: i64 = 0;
    for idx in matches_iter {
        matches += 1;
        if matches >= rank {
            found.push(idx);
            match count {
                None => break,
                Some(c) if c > 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c => break,
                _ => {}
            }
        }
    }
    match count {
        None => match found.first() {
            Some(&i) => ctx.out.int(i as i64),
            None => ctx.out.null(),
        },
        Some(_) => {
            ctx.out.array(found.len());
            for i in found {
                ctx.out.int(i as i64);
            }
        }
    }
    Ok(())
}

fn end_arg(a: &[u8]) -> Result<End, CmdError> {
    match lower(a).as_str() {
        "left" => Ok(End::Head),
        "right" => Ok(End::Tail),
        _ => Err(CmdError::SYNTAX),
    }
}

/// The LMOVE step, with the source known to be a non-empty list: pops from
/// `from` of `src`, pushes at `to` of `dst` and replies with the element.
/// `dst` must have been checked to be a list or missing. The events are
/// Redis's: the push's (`new`, `lpush`/`rpush` on `dst`) first, then the
/// pop's (`lpop`/`rpop`, and `del` if `src` emptied).
fn move_element(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) {
    let fill = fill(ctx);
    if src == dst {
        // A rotation: the list never empties, so it keeps its expiry.
        if let Ok(Some(l)) = write::<ListValue>(ctx, src) {
            if let Some(item) = l.pop(from, 1, fill).pop() {
                l.push(to, &[&item], fill);
                ctx.modified(src);
                ctx.dirty(1);
                ctx.notify(notify::LIST, push_event(to), src);
                ctx.out.bulk(&item);
                notify_pop(ctx, src, from, false);
            }
        }
        return;
    }
    let (v, emptied) = pop_from(ctx, src, from, 1);
    let Some(item) = v.into_iter().next() else {
        return;
    };
    // The pop's dirty count stands for the whole move.
    if let Ok(l) = write_or_create(ctx, dst, ListValue::default) {
        l.push(to, &[&item], fill);
    }
    ctx.modified(dst);
    ctx.notify(notify::LIST, push_event(to), dst);
    ctx.out.bulk(&item);
    notify_pop(ctx, src, from, emptied);
}

/// LMOVE/RPOPLPUSH: `Ok(false)` if the source is missing (nothing done,
/// nothing replied).
fn try_move(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> Result<bool, CmdError> {
    if read_len(ctx, src)?.is_none() {
        return Ok(false);
    }
    // WRONGTYPE on the destination before anything moves.
    write::<ListValue>(ctx, dst)?;
    move_element(ctx, src, dst, from, to);
    Ok(true)
}

fn lmove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let from = end_arg(&args[3])?;
    let to = end_arg(&args[4])?;
    if !try_move(ctx, &args[1], &args[2], from, to)? {
        ctx.out.null();
    }
    Ok(())
}

fn rpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if !try_move(ctx, &args[1], &args[2], End::Tail, End::Head)? {
        ctx.out.null();
    }
    Ok(())
}

/// Parsed `numkeys key... LEFT|RIGHT [COUNT n]` of LMPOP/BLMPOP, starting
/// at `args[at]`.
struct MPop<'a> {
    keys: &'a [Bytes],
    end: End,
    count: usize,
}

fn parse_mpop(args: &[Bytes], at: usize) -> Result<MPop<'_>, CmdError> {
    let numkeys = arg_i64(&args[at])
        .ok()
        .filter(|&n| n > 0)
        .ok_or(CmdError::msg("ERR numkeys should be greater than 0"))?;
    let first = at + 1;
    if numkeys as u64 > (args.len() - first) as u64 {
        return Err(CmdError::SYNTAX);
    }
    let after = first + numkeys as usize;
    let Some(dir) = args.get(after) else {
        return Err(CmdError::SYNTAX);
    };
    let end = end_arg(dir)?;
    let mut count = None;
    let mut i = after + 1;
    while i < args.len() {
        if lower(&args[i]) == "count" && count.is_none() && i + 1 < args.len() {
            let c = arg_i64(&args[i + 1])
                .ok()
                .filter(|&c| c > 0)
                .ok_or(CmdError::msg("ERR count should be greater than 0"))?;
            count = Some(c as usize);
            i += 2;
        } else {
            return Err(CmdError::SYNTAX);
        }
    }
    Ok(MPop {
        keys: &args[first..after],
        end,
        count: count.unwrap_or(1),
    })
}

/// Pops from the first non-empty list of `keys` and replies
/// `[key, [elements]]`; `Ok(false)` (no reply) if all are missing.
fn mpop_first(ctx: &mut Ctx, keys: &[Bytes], end: End, count: usize) -> Result<bool, CmdError> {
    for k in keys {
        if read_len(ctx, k)?.is_some() {
            reply_mpop(ctx, k, end, count);
            return Ok(true);
        }
    }
    Ok(false)
}

/// LMPOP/BLMPOP: pops up to `count` from `key` and replies. Logged as
/// `LPOP|RPOP key n`, n what it popped, as Redis 7.0 does: the key it
/// chose and the count it got are fixed whenever the log replays.
fn reply_mpop(ctx: &mut Ctx, key: &[u8], end: End, count: usize) {
    let mut popped = 0;
    pop_reply(ctx, key, end, count, |ctx, v| {
        popped = v.len();
        ctx.out.array(2);
        ctx.out.bulk(key);
        ctx.out.array(v.len());
        for e in v {
            ctx.out.bulk(e);
        }
    });
    if popped > 0 {
        ctx.propagate_one(&[
            Prop::Word(pop_name(end)),
            Prop::Arg(key),
            Prop::Int(popped as i64),
        ]);
    }
}

/// The single-list pop command that pops at `end`.
fn pop_name(end: End) -> &'static str {
    match end {
        End::Head => "LPOP",
        End::Tail => "RPOP",
    }
}

fn lmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let m = parse_mpop(args, 1)?;
    if !mpop_first(ctx, m.keys, m.end, m.count)? {
        ctx.out.null_array();
    }
    Ok(())
}

// The blocking forms. Each checks its arguments in Redis's order, then, in a
// re-run for a ready key (see `crate::blocking`), serves only that key, or
// else tries its keys in order and blocks if all are missing.

fn bpop(ctx: &mut Ctx, args: &[Bytes], end: End) -> CmdResult {
    let deadline = blocking::parse_timeout(&args[args.len() - 1], ctx.now_ms)?;
    let keys = &args[1..args.len() - 1];
    let reply = |ctx: &mut Ctx, key: &[u8]| {
        pop_reply(ctx, key, end, 1, |ctx, v| {
            ctx.out.array(2);
            ctx.out.bulk(key);
            ctx.out.bulk(&v[0]);
        });
        // Logged as the pop it did, on the key it served (Redis 7.0).
        ctx.propagate_one(&[Prop::Word(pop_name(end)), Prop::Arg(key)]);
    };
    if let Some(key) = blocking::serving(ctx) {
        if let Ok(Some(_)) = read_len(ctx, &key) {
            reply(ctx, &key);
        }
        return Ok(());
    }
    for k in keys {
        if read_len(ctx, k)?.is_some() {
            reply(ctx, k);
            return Ok(());
        }
    }
    blocking::block(ctx, keys, deadline, false)
}

fn blpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bpop(ctx, args, End::Head)
}

fn brpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bpop(ctx, args, End::Tail)
}

/// BLMOVE/BRPOPLPUSH. A move that happened is logged as the
/// non-blocking command (`LMOVE src dst FROM TO`, `RPOPLPUSH src dst`),
/// as Redis 7.0 does: replayed, a blocking command finding nothing would
/// wait.
fn bmove(ctx: &mut Ctx, args: &[Bytes], from: End, to: End, timeout: &[u8]) -> CmdResult {
    let deadline = blocking::parse_timeout(timeout, ctx.now_ms)?;
    let (src, dst) = (&args[1], &args[2]);
    let served = blocking::serving(ctx);
    let moved = if let Some(key) = &served {
        // A destination of another type is the served client's error.
        matches!(read_len(ctx, key), Ok(Some(_))) && try_move(ctx, src, dst, from, to)?
    } else if try_move(ctx, src, dst, from, to)? {
        true
    } else {
        return blocking::block(ctx, std::slice::from_ref(src), deadline, true);
    };
    let served = served.is_some();
    if moved && ctx.propagating() {
        if ctx.cmd.name == "brpoplpush" {
            ctx.propagate_one(&[Prop::Word("RPOPLPUSH"), Prop::Arg(src), Prop::Arg(dst)]);
        } else if served {
            // Redis 7.0 spells the sides of a served move in lower case,
            // and those of an immediate one as the client did.
            let side = |e: End| match e {
                End::Head => Prop::Word("left"),
                End::Tail => Prop::Word("right"),
            };
            ctx.propagate_one(&[
                Prop::Word("LMOVE"),
                Prop::Arg(src),
                Prop::Arg(dst),
                side(from),
                side(to),
            ]);
        } else {
            ctx.propagate_one(&[
                Prop::Word("LMOVE"),
                Prop::Arg(src),
                Prop::Arg(dst),
                Prop::Arg(&args[3]),
                Prop::Arg(&args[4]),
            ]);
        }
    }
    Ok(())
}

fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let from = end_arg(&args[3])?;
    let to = end_arg(&args[4])?;
    bmove(ctx, args, from, to, &args[5])
}

fn brpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bmove(ctx, args, End::Tail, End::Head, &args[3])
}

fn blmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // The pop arguments are checked before the timeout.
    let m = parse_mpop(args, 2)?;
    let deadline = blocking::parse_timeout(&args[1], ctx.now_ms)?;
    if let Some(key) = blocking::serving(ctx) {
        if let Ok(Some(_)) = read_len(ctx, &key) {
            reply_mpop(ctx, &key, m.end, m.count);
        }
        return Ok(());
    }
    if mpop_first(ctx, m.keys, m.end, m.count)? {
        return Ok(());
    }
    blocking::block(ctx, m.keys, deadline, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_clamp_like_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(index_of(-1, 3), Some(2));
        assert_eq!(index_of(-4, 3), None);
        assert_eq!(index_of(i64::MIN, 3), None);
    }
}
