//! Keyspace commands: commands on keys of any type (DEL, UNLINK, EXISTS,
//! TYPE, RENAME, RENAMENX, COPY, MOVE, TOUCH, OBJECT). Whole-database
//! commands are in [`super::keyspace_db`], expiry in [`super::expire`].
//!
//! Everything here is type-generic: values are cloned, named and described
//! through [`tiering::Value`], never matched on a particular type (except
//! where Redis itself special-cases one, as `OBJECT REFCOUNT` does for
//! shared integers).

use bytes::Bytes;

use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};
use crate::notify;
use tiering::{lfu, Access, StrValue, Value};

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "del",
        arity: -2,
        flags: WRITE,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: &[ks(KS_RM | KS_DELETE, 1, -1, 1)],
        group: "generic",
        summary: "Deletes one or more keys.",
        complexity: "O(N) where N is the number of keys that will be removed.",
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        handler: Some(del),
        ..BASE
    },
    CommandDef {
        name: "unlink",
        arity: -2,
        flags: WRITE | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: &[ks(KS_RM | KS_DELETE, 1, -1, 1)],
        group: "generic",
        since: "4.0.0",
        summary: "Deletes one or more keys, freeing big values in the background.",
        complexity: "O(1) for each key removed; freeing large values happens in another thread.",
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        handler: Some(unlink),
        ..BASE
    },
    CommandDef {
        name: "exists",
        arity: -2,
        flags: READONLY | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: &[ks(KS_RO, 1, -1, 1)],
        group: "generic",
        summary: "Counts how many of the given keys exist (a key named twice counts twice).",
        complexity: "O(N) where N is the number of keys to check.",
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        handler: Some(exists),
        ..BASE
    },
    CommandDef {
        name: "type",
        arity: 2,
        flags: READONLY | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO, 1, 0, 1)],
        group: "generic",
        summary: "Returns the type of the value at a key, or none.",
        complexity: "O(1)",
        handler: Some(type_cmd),
        ..BASE
    },
    CommandDef {
        name: "rename",
        arity: 3,
        flags: WRITE,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 2,
        key_step: 1,
        key_specs: &[
            ks(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1),
            ks(KS_OW | KS_UPDATE, 2, 0, 1),
        ],
        group: "generic",
        summary: "Gives a key a new name, replacing any key already under that name.",
        complexity: "O(1)",
        handler: Some(rename),
        ..BASE
    },
    CommandDef {
        name: "renamenx",
        arity: 3,
        flags: WRITE | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 2,
        key_step: 1,
        key_specs: &[
            ks(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1),
            ks(KS_OW | KS_INSERT, 2, 0, 1),
        ],
        group: "generic",
        summary: "Gives a key a new name, unless that name is already taken.",
        complexity: "O(1)",
        handler: Some(renamenx),
        ..BASE
    },
    CommandDef {
        name: "copy",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 2,
        key_step: 1,
        key_specs: &[
            ks(KS_RO | KS_ACCESS, 1, 0, 1),
            ks(KS_OW | KS_UPDATE, 2, 0, 1),
        ],
        group: "generic",
        since: "6.2.0",
        summary: "Duplicates a key's value and expiry under another name, optionally in another database.",
        complexity: "O(N) for collections, N being the number of nested items; O(1) for strings.",
        handler: Some(copy),
        ..BASE
    },
    CommandDef {
        name: "move",
        arity: 3,
        flags: WRITE | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1)],
        group: "generic",
        summary: "Transfers a key to another database, unless it exists there.",
        complexity: "O(1)",
        handler: Some(move_cmd),
        ..BASE
    },
    CommandDef {
        name: "touch",
        arity: -2,
        flags: READONLY | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: &[ks(KS_RO, 1, -1, 1)],
        group: "generic",
        since: "3.2.1",
        summary: "Marks keys as just accessed; returns how many of them exist.",
        complexity: "O(N) where N is the number of keys that will be touched.",
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        handler: Some(touch),
        ..BASE
    },
    CommandDef {
        name: "object",
        arity: -2,
        group: "generic",
        since: "2.2.3",
        summary: "A container for commands that inspect how a value is stored.",
        complexity: "Depends on subcommand.",
        subcommands: OBJECT_SUBCOMMANDS,
        ..BASE
    },
];

const OBJECT_KEY: &[KeySpec] = &[ks(KS_RO, 2, 0, 1)];

/// An `OBJECT <sub> <key>` subcommand.
const fn object_sub(
    name: &'static str,
    since: &'static str,
    summary: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity: 3,
        flags: READONLY,
        acl: C_KEYSPACE,
        first_key: 2,
        last_key: 2,
        key_step: 1,
        key_specs: OBJECT_KEY,
        tips: &["nondeterministic_output"],
        group: "generic",
        since,
        summary,
        complexity: "O(1)",
        handler: Some(handler),
        ..BASE
    }
}

static OBJECT_SUBCOMMANDS: &[CommandDef] = &[
    object_sub(
        "freq",
        "4.0.0",
        "Returns the logarithmic access-frequency counter of a key's value (LFU policies only).",
        object_freq,
    ),
    object_sub(
        "encoding",
        "2.2.3",
        "Returns the internal representation of a key's value.",
        object_encoding,
    ),
    object_sub(
        "idletime",
        "2.2.3",
        "Returns the seconds since a key's value was last accessed (not under LFU policies).",
        object_idletime,
    ),
    CommandDef {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: C_KEYSPACE,
        group: "generic",
        since: "6.2.0",
        summary: "Describes the OBJECT subcommands.",
        complexity: "O(1)",
        handler: Some(object_help),
        ..BASE
    },
    object_sub(
        "refcount",
        "2.2.3",
        "Returns how many references a key's value has.",
        object_refcount,
    ),
];

pub const SAME_OBJECT: CmdError = CmdError(std::borrow::Cow::Borrowed(
    "ERR source and destination objects are the same",
));

/// Parses an `int` argument as Redis's `getIntFromObjectOrReply`: `msg`,
/// if given, replaces both the not-an-integer and the out-of-range error.
pub fn arg_int(a: &[u8], msg: Option<&'static str>) -> Result<i32, CmdError> {
    let Some(v) = tiering::value::parse_strict_i64(a) else {
        return Err(msg.map_or(CmdError::NOT_INTEGER, CmdError::msg));
    };
    i32::try_from(v).map_err(|_| match msg {
        Some(m) => CmdError::msg(m),
        None => CmdError::msg(format!(
            "ERR value is out of range, value must between {} and {}",
            i32::MIN,
            i32::MAX
        )),
    })
}

/// A database index argument: an `int` that names an existing database.
pub fn arg_db(ctx: &Ctx, a: &[u8]) -> Result<usize, CmdError> {
    db_index(ctx, arg_int(a, None)?)
}

/// `id` as the index of an existing database, or "DB index is out of range".
pub fn db_index(ctx: &Ctx, id: i32) -> Result<usize, CmdError> {
    usize::try_from(id)
        .ok()
        .filter(|&i| i < ctx.st.ks.db_count())
        .ok_or(CmdError::DB_RANGE)
}

fn del(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (db, now) = (ctx.db, ctx.now_ms);
    let mut n = 0;
    for k in &args[1..] {
        if ctx.st.ks.delete(db, k, now).is_some() {
            ctx.st.signal_modified(db, k);
            ctx.notify(notify::GENERIC, "del", k);
            n += 1;
        }
    }
    ctx.dirty(n);
    ctx.out.int(n as i64);
    Ok(())
}

fn unlink(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (db, now) = (ctx.db, ctx.now_ms);
    let mut n = 0;
    for k in &args[1..] {
        if ctx.st.ks.unlink(db, k, now) {
            ctx.st.signal_modified(db, k);
            ctx.notify(notify::GENERIC, "del", k);
            n += 1;
        }
    }
    ctx.dirty(n);
    ctx.out.int(n as i64);
    Ok(())
}

/// Looks a key up the way introspection commands do: counts a hit or a
/// miss, leaves the LRU/LFU field alone. A miss fires `keymiss` unless
/// `quiet` (OBJECT's lookup does not notify).
fn inspect<'a>(ctx: &'a mut Ctx, key: &[u8], quiet: bool) -> Option<&'a mut tiering::Entry> {
    if !ctx.inspect(key, quiet) {
        return None;
    }
    let (db, now) = (ctx.db, ctx.now_ms);
    ctx.st.ks.lookup(db, key, now, Access::ReadNoTouch)
}

fn exists(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut n = 0;
    for k in &args[1..] {
        if inspect(ctx, k, false).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn type_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let name = inspect(ctx, &args[1], false).map_or("none", |e| e.value.type_name());
    ctx.out.simple(name);
    Ok(())
}

fn touch(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut n = 0;
    for k in &args[1..] {
        if ctx.read(k).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

fn rename(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, args, true)
}

fn rename_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    // Renaming a key onto itself changes nothing, but a missing key is
    // still an error.
    // The value moves with its entry: a cold one stays cold.
    if ctx.write_meta(src).is_none() {
        return Err(CmdError::NO_SUCH_KEY);
    }
    let reply = |ctx: &mut Ctx, done: bool| {
        if nx {
            ctx.out.int(done as i64);
        } else {
            ctx.out.ok();
        }
    };
    if src == dst {
        reply(ctx, false);
        return Ok(());
    }
    if nx && ctx.write_meta(dst).is_some() {
        reply(ctx, false);
        return Ok(());
    }
    let (db, now) = (ctx.db, ctx.now_ms);
    ctx.st.ks.relocate(db, src, db, dst, now);
    ctx.modified(src);
    ctx.modified(dst);
    ctx.dirty(1);
    // The destination is always added anew (an old value was deleted).
    ctx.notify_new(dst);
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    reply(ctx, true);
    Ok(())
}

fn copy(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (src_db, now) = (ctx.db, ctx.now_ms);
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        let more = args.len() - j - 1;
        if args[j].eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if args[j].eq_ignore_ascii_case(b"db") && more >= 1 {
            dst_db = arg_db(ctx, &args[j + 1])?;
            j += 1;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    let (src, dst) = (&args[1], &args[2]);
    if src_db == dst_db && src == dst {
        return Err(SAME_OBJECT);
    }
    if ctx.read(src).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    if ctx
        .st
        .ks
        .lookup(dst_db, dst, now, Access::WriteMeta)
        .is_some()
        && !replace
    {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.st.ks.copy_entry(src_db, src, dst_db, dst, now);
    ctx.st.signal_modified(dst_db, dst);
    ctx.dirty(1);
    ctx.notify_db(notify::NEW, "new", dst, dst_db);
    ctx.notify_db(notify::GENERIC, "copy_to", dst, dst_db);
    ctx.out.int(1);
    Ok(())
}

fn move_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (src_db, now) = (ctx.db, ctx.now_ms);
    let dst_db = arg_db(ctx, &args[2])?;
    if dst_db == src_db {
        return Err(SAME_OBJECT);
    }
    let key = &args[1];
    if ctx.write_meta(key).is_none()
        || ctx
            .st
            .ks
            .lookup(dst_db, key, now, Access::WriteMeta)
            .is_some()
    {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.st.ks.relocate(src_db, key, dst_db, key, now);
    ctx.st.signal_modified(src_db, key);
    ctx.st.signal_modified(dst_db, key);
    ctx.dirty(1);
    ctx.notify_db(notify::NEW, "new", key, dst_db);
    ctx.notify(notify::GENERIC, "move_from", key);
    ctx.notify_db(notify::GENERIC, "move_to", key, dst_db);
    ctx.out.int(1);
    Ok(())
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

fn object_help(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    help_reply(ctx, OBJECT_HELP)
}

/// What OBJECT reports about a key: found without touching it.
struct ObjectInfo {
    encoding: &'static str,
    lru: u32,
    shared_int: bool,
}

/// Looks the key up for OBJECT; replies nil and returns `None` if absent.
fn object_lookup(ctx: &mut Ctx, key: &[u8]) -> Option<ObjectInfo> {
    let info = inspect(ctx, key, true).map(|e| ObjectInfo {
        encoding: e.value.encoding(),
        lru: e.lru,
        shared_int: matches!(e.value, Value::Str(StrValue::Int(i)) if (0..SHARED_INTEGERS).contains(&i)),
    });
    if info.is_none() {
        ctx.out.null();
    }
    info
}

/// Redis keeps one shared object for each integer below this and stores
/// those values by reference, unless an LRU/LFU policy with a memory limit
/// needs per-key access fields.
const SHARED_INTEGERS: i64 = 10_000;
/// The refcount Redis reports for a shared object.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

fn object_encoding(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if let Some(o) = object_lookup(ctx, &args[2]) {
        ctx.out.bulk_str(o.encoding);
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let Some(o) = object_lookup(ctx, &args[2]) else {
        return Ok(());
    };
    let t = &ctx.st.config.tun;
    let per_key_lru = t.maxmemory != 0
        && (t.maxmemory_policy.ends_with("-lru") || t.maxmemory_policy.ends_with("-lfu"));
    let n = if o.shared_int && !per_key_lru {
        SHARED_REFCOUNT
    } else {
        1
    };
    ctx.out.int(n);
    Ok(())
}

fn object_idletime(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let Some(o) = object_lookup(ctx, &args[2]) else {
        return Ok(());
    };
    if ctx.st.ks.lfu_policy {
        return Err(CmdError::msg("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    let idle = lfu::idle_ms(o.lru, ctx.now_ms as u64) / 1000;
    ctx.out.int(idle as i64);
    Ok(())
}

fn object_freq(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let Some(o) = object_lookup(ctx, &args[2]) else {
        return Ok(());
    };
    if !ctx.st.ks.lfu_policy {
        return Err(CmdError::msg("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    let freq = lfu::decayed_counter(o.lru, ctx.st.ks.lfu, ctx.now_ms as u64);
    ctx.out.int(freq as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_arguments_like_get_int_from_object() {
        assert_eq!(arg_int(b"-5", None), Ok(-5));
        assert_eq!(arg_int(b"x", None), Err(CmdError::NOT_INTEGER));
        assert_eq!(
            arg_int(b"2147483648", None).map_err(|e| e.0.into_owned()),
            Err("ERR value is out of range, value must between -2147483648 and 2147483647".into())
        );
        assert_eq!(
            arg_int(b"2147483648", Some("ERR invalid first DB index")),
            Err(CmdError::msg("ERR invalid first DB index"))
        );
        assert_eq!(
            arg_int(b" 1", Some("ERR invalid first DB index")),
            Err(CmdError::msg("ERR invalid first DB index"))
        );
    }

    #[test]
    fn object_subcommands_are_declared() {
        let names: Vec<&str> = OBJECT_SUBCOMMANDS.iter().map(|c| c.name).collect();
        for n in ["encoding", "freq", "idletime", "refcount", "help"] {
            assert!(names.contains(&n), "{n}");
        }
        assert_eq!(OBJECT_HELP.len(), 15);
    }
}
