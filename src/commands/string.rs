//! String commands that get and set whole values: GET, SET, SETNX, SETEX,
//! PSETEX, GETEX, GETDEL, GETSET, MGET, MSET, MSETNX. Also the helpers the
//! other string and bit command files share (lookups, option matching,
//! length limits).
//!
//! Values keep Redis's encodings: anything stored whole goes through
//! [`StrValue::from_bytes`] (`int`, `embstr` or `raw`, like Redis's
//! `tryObjectEncoding`).

use bytes::Bytes;

use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx, Prop};
use crate::notify;
use crate::reply::Reply;
use tiering::{StrValue, Value};

const STR: u32 = C_STRING;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "get",
        arity: 2,
        flags: READONLY | FAST,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "string",
        summary: "Gets the value stored at a key.",
        complexity: "O(1)",
        handler: Some(get),
        ..BASE
    },
    CommandDef {
        name: "set",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, 1, 0, 1)],
        group: "string",
        summary: "Stores a string at a key, optionally only if it exists or not, with an expiry, or returning the old value.",
        complexity: "O(1)",
        handler: Some(set),
        key_flags: Some(set_key_flags),
        ..BASE
    },
    CommandDef {
        name: "setnx",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_OW | KS_INSERT, 1, 0, 1)],
        group: "string",
        summary: "Stores a string only if the key does not exist yet.",
        complexity: "O(1)",
        handler: Some(setnx),
        ..BASE
    },
    CommandDef {
        name: "setex",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_OW | KS_UPDATE, 1, 0, 1)],
        group: "string",
        since: "2.0.0",
        summary: "Stores a string with a time to live in seconds.",
        complexity: "O(1)",
        handler: Some(setex),
        ..BASE
    },
    CommandDef {
        name: "psetex",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_OW | KS_UPDATE, 1, 0, 1)],
        group: "string",
        since: "2.6.0",
        summary: "Stores a string with a time to live in milliseconds.",
        complexity: "O(1)",
        handler: Some(psetex),
        ..BASE
    },
    CommandDef {
        name: "getex",
        arity: -2,
        flags: WRITE | FAST,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1)],
        group: "string",
        since: "6.2.0",
        summary: "Gets a string and optionally sets or removes its expiry.",
        complexity: "O(1)",
        handler: Some(getex),
        ..BASE
    },
    CommandDef {
        name: "getdel",
        arity: 2,
        flags: WRITE | FAST,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1)],
        group: "string",
        since: "6.2.0",
        summary: "Gets a string and deletes its key.",
        complexity: "O(1)",
        handler: Some(getdel),
        ..BASE
    },
    CommandDef {
        name: "getset",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1)],
        group: "string",
        summary: "Stores a new string and returns the old one.",
        complexity: "O(1)",
        handler: Some(getset),
        ..BASE
    },
    CommandDef {
        name: "mget",
        arity: -2,
        flags: READONLY | FAST,
        acl: STR,
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, -1, 1)],
        tips: &["request_policy:multi_shard"],
        group: "string",
        summary: "Gets the strings stored at several keys.",
        complexity: "O(N) with N the number of keys.",
        handler: Some(mget),
        ..BASE
    },
    CommandDef {
        name: "mset",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: STR,
        first_key: 1,
        last_key: -1,
        key_step: 2,
        key_specs: &[ks(KS_OW | KS_UPDATE, 1, -1, 2)],
        tips: &["request_policy:multi_shard", "response_policy:all_succeeded"],
        group: "string",
        since: "1.0.1",
        summary: "Stores several key/string pairs.",
        complexity: "O(N) with N the number of keys.",
        handler: Some(mset),
        ..BASE
    },
    CommandDef {
        name: "msetnx",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: STR,
        first_key: 1,
        last_key: -1,
        key_step: 2,
        key_specs: &[ks(KS_OW | KS_INSERT, 1, -1, 2)],
        tips: &["request_policy:multi_shard", "response_policy:agg_min"],
        group: "string",
        since: "1.0.1",
        summary: "Stores several key/string pairs, only if none of the keys exists.",
        complexity: "O(N) with N the number of keys.",
        handler: Some(msetnx),
        ..BASE
    },
];

// ---------------------------------------------------------------------------
// Helpers shared by the string and bit command files.

/// True if `v` is a string (other types answer WRONGTYPE).
pub(crate) fn is_str(v: &Value) -> bool {
    matches!(v, Value::Str(_))
}

/// The string at `key` for reading (lazy expiry, hit/miss stats):
/// `Ok(None)` if missing, WRONGTYPE if another type.
pub fn read_str<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut StrValue>, CmdError> {
    as_str(ctx.read(key))
}

/// The string in a looked-up entry: `Ok(None)` if there is no entry,
/// WRONGTYPE if it holds another type.
fn as_str(e: Option<&mut tiering::Entry>) -> Result<Option<&mut StrValue>, CmdError> {
    match e {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Str(s) => Ok(Some(s)),
            #[allow(unreachable_patterns)]
            _ => Err(CmdError::WRONGTYPE),
        },
    }
}

/// The string at `key` for writing (lazy expiry, no stats): `Ok(None)` if
/// missing, WRONGTYPE if another type.
pub(crate) fn write_str<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
) -> Result<Option<&'a mut StrValue>, CmdError> {
    as_str(ctx.write(key))
}

/// The string at `key` as stored (no expiry, no stats) together with the
/// reply writer, so it can be replied without a copy. Use after a lookup
/// through [`Ctx::read`]/[`Ctx::write`] has done the accounting.
pub(crate) fn peek_split<'a>(
    ctx: &'a mut Ctx<'_>,
    key: &[u8],
) -> Option<(&'a StrValue, &'a mut Reply)> {
    let db = ctx.db;
    let st: &'a crate::server::State = &*ctx.st;
    let out: &'a mut Reply = &mut *ctx.out;
    match &st.ks.db(db).loaded(key)?.value {
        Value::Str(s) => Some((s, out)),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// [`read_str`], but returning the reply writer alongside the value (see
/// [`peek_split`]).
pub(crate) fn read_split<'a>(
    ctx: &'a mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<(&'a StrValue, &'a mut Reply)>, CmdError> {
    match ctx.read(key) {
        None => return Ok(None),
        Some(e) if !is_str(&e.value) => return Err(CmdError::WRONGTYPE),
        Some(_) => {}
    }
    Ok(peek_split(ctx, key))
}

/// Replies a string value as a bulk string.
pub(crate) fn reply_str(out: &mut Reply, s: &StrValue) {
    s.with_bytes(|b| out.bulk(b));
}

/// Stores `value` at `key` (after the caller's write lookup), clearing the
/// TTL unless `keep_ttl`.
pub(crate) fn put(ctx: &mut Ctx, key: &[u8], value: StrValue, keep_ttl: bool) {
    let (db, now) = (ctx.db, ctx.now_ms);
    ctx.st.ks.set(db, key, Value::Str(value), keep_ttl, now);
}

/// An argument as C code sees it: up to the first NUL byte. Redis matches
/// option names with `strcasecmp`, so `NX\0junk` is `NX`.
pub(crate) fn cstr(a: &[u8]) -> &[u8] {
    match a.iter().position(|&b| b == 0) {
        Some(p) => &a[..p],
        None => a,
    }
}

/// Case-insensitive option match, C-string style (see [`cstr`]).
pub(crate) fn is_opt(a: &[u8], name: &str) -> bool {
    cstr(a).eq_ignore_ascii_case(name.as_bytes())
}

/// Fails with Redis's error if a string of `size` bytes would exceed
/// `proto-max-bulk-len`.
pub(crate) fn check_string_length(ctx: &Ctx, size: u128) -> CmdResult {
    string_length_ok(ctx.st.config.tun.proto_max_bulk_len, size)
}

/// [`check_string_length`] against a limit read beforehand (for use while
/// a value is borrowed).
pub(crate) fn string_length_ok(max_bulk_len: i64, size: u128) -> CmdResult {
    if size > max_bulk_len.max(0) as u128 {
        return Err(CmdError::msg(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

/// `ERR wrong number of arguments for '<cmd>' command`, for commands that
/// check their argument count beyond the declared arity.
pub(crate) fn arity_error(ctx: &Ctx) -> CmdError {
    CmdError::msg(format!(
        "ERR wrong number of arguments for '{}' command",
        ctx.cmd.name
    ))
}

// ---------------------------------------------------------------------------
// SET / GETEX options.

const F_NX: u32 = 1 << 0;
const F_XX: u32 = 1 << 1;
const F_EX: u32 = 1 << 2;
const F_PX: u32 = 1 << 3;
const F_KEEPTTL: u32 = 1 << 4;
const F_GET: u32 = 1 << 5;
const F_EXAT: u32 = 1 << 6;
const F_PXAT: u32 = 1 << 7;
const F_PERSIST: u32 = 1 << 8;

/// Parsed SET/GETEX options: flag bits and the expire argument.
struct StrOpts<'a> {
    flags: u32,
    expire: Option<&'a [u8]>,
}

/// Parses SET options (`for_set`) or GETEX options from `args[from..]`,
/// with Redis's rules: contradicting options are a syntax error, but a
/// repeated one is not (the last expire wins).
fn parse_str_opts(args: &[Bytes], from: usize, for_set: bool) -> Result<StrOpts<'_>, CmdError> {
    let mut f = 0u32;
    let mut expire = None;
    let mut j = from;
    while j < args.len() {
        let a = &args[j][..];
        let next = j + 1 < args.len();
        let set = for_set;
        let get = !for_set;
        let bit = if is_opt(a, "nx") && f & F_XX == 0 && set {
            F_NX
        } else if is_opt(a, "xx") && f & F_NX == 0 && set {
            F_XX
        } else if is_opt(a, "get") && set {
            F_GET
        } else if is_opt(a, "keepttl")
            && f & (F_PERSIST | F_EX | F_EXAT | F_PX | F_PXAT) == 0
            && set
        {
            F_KEEPTTL
        } else if is_opt(a, "persist")
            && get
            && f & (F_EX | F_EXAT | F_PX | F_PXAT | F_KEEPTTL) == 0
        {
            F_PERSIST
        } else if is_opt(a, "ex")
            && f & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT) == 0
            && next
        {
            F_EX
        } else if is_opt(a, "px")
            && f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT) == 0
            && next
        {
            F_PX
        } else if is_opt(a, "exat")
            && f & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT) == 0
            && next
        {
            F_EXAT
        } else if is_opt(a, "pxat")
            && f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX) == 0
            && next
        {
            F_PXAT
        } else {
            return Err(CmdError::SYNTAX);
        };
        f |= bit;
        if bit & (F_EX | F_PX | F_EXAT | F_PXAT) != 0 {
            expire = Some(&args[j + 1][..]);
            j += 1;
        }
        j += 1;
    }
    Ok(StrOpts { flags: f, expire })
}

/// The absolute expiry (Unix ms) an EX/PX/EXAT/PXAT argument asks for,
/// with Redis's checks and error (`invalid expire time in '<cmd>'
/// command`).
fn expire_at_ms(ctx: &Ctx, v: &[u8], flags: u32) -> Result<i64, CmdError> {
    let invalid = || {
        CmdError::msg(format!(
            "ERR invalid expire time in '{}' command",
            ctx.cmd.name
        ))
    };
    let mut ms = arg_i64(v)?;
    let seconds = flags & (F_PX | F_PXAT) == 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        return Err(invalid());
    }
    if seconds {
        ms *= 1000;
    }
    if flags & (F_EX | F_PX) != 0 {
        // Redis adds in signed arithmetic and checks for a wrap below.
        ms = ms.wrapping_add(ctx.now_ms);
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// What a SET-family command replies when it sets (`+OK` or `:1`) or
/// does not (`nil` or `:0`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetReply {
    OkNil,
    OneZero,
}

/// A store with an expiry (SET EX/PX/EXAT/PXAT, SETEX, PSETEX) is logged
/// as `SET key value PXAT <ms>`, as Redis 7.0 does: the absolute time
/// replays the same whenever it runs, and only the store happened, so
/// NX, XX and GET are dropped.
fn log_set_pxat(ctx: &mut Ctx, key: &[u8], val: &[u8], when: i64) {
    ctx.propagate_one(&[
        Prop::Word("SET"),
        Prop::Arg(key),
        Prop::Arg(val),
        Prop::Word("PXAT"),
        Prop::Int(when),
    ]);
}

/// Redis's `setGenericCommand`.
fn set_generic(
    ctx: &mut Ctx,
    flags: u32,
    key: &[u8],
    val: &[u8],
    expire: Option<&[u8]>,
    replies: SetReply,
) -> CmdResult {
    let when = match expire {
        Some(v) => Some(expire_at_ms(ctx, v, flags)?),
        None => None,
    };
    let get = flags & F_GET != 0;
    if get {
        match read_split(ctx, key)? {
            Some((s, out)) => reply_str(out, s),
            None => ctx.out.null(),
        }
    }
    if flags & (F_NX | F_XX) == 0 && !get {
        // Plain SET: look up and store in one walk of the table.
        let adds = ctx.adds_key(key);
        let (db, now) = (ctx.db, ctx.now_ms);
        let value = Value::Str(StrValue::from_bytes(val));
        ctx.st
            .ks
            .overwrite(db, key, value, flags & F_KEEPTTL != 0, now);
        ctx.modified(key);
        ctx.dirty(1);
        if adds {
            ctx.notify_new(key);
        }
        ctx.notify(notify::STRING, "set", key);
        if let Some(when) = when {
            ctx.st.ks.set_expire(db, key, when);
            ctx.notify(notify::GENERIC, "expire", key);
            log_set_pxat(ctx, key, val, when);
        }
        match replies {
            SetReply::OkNil => ctx.out.ok(),
            SetReply::OneZero => ctx.out.int(1),
        }
        return Ok(());
    }
    let found = ctx.write(key).is_some();
    if (flags & F_NX != 0 && found) || (flags & F_XX != 0 && !found) {
        if !get {
            match replies {
                SetReply::OkNil => ctx.out.null(),
                SetReply::OneZero => ctx.out.int(0),
            }
        }
        return Ok(());
    }
    put(ctx, key, StrValue::from_bytes(val), flags & F_KEEPTTL != 0);
    ctx.modified(key);
    ctx.dirty(1);
    if !found {
        ctx.notify_new(key);
    }
    ctx.notify(notify::STRING, "set", key);
    if let Some(when) = when {
        let db = ctx.db;
        ctx.st.ks.set_expire(db, key, when);
        ctx.notify(notify::GENERIC, "expire", key);
        log_set_pxat(ctx, key, val, when);
    }
    if !get {
        match replies {
            SetReply::OkNil => ctx.out.ok(),
            SetReply::OneZero => ctx.out.int(1),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Handlers.

fn get(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match read_split(ctx, &args[1])? {
        Some((s, out)) => reply_str(out, s),
        None => ctx.out.null(),
    }
    Ok(())
}

/// SET overwrites blindly unless it has `GET`, which reads the old value.
fn set_key_flags(args: &[Bytes]) -> u32 {
    if args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
        KS_RW | KS_ACCESS | KS_UPDATE
    } else {
        KS_OW | KS_UPDATE
    }
}

fn set(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let o = parse_str_opts(args, 3, true)?;
    let changes = ctx.st.changes;
    set_generic(ctx, o.flags, &args[1], &args[2], o.expire, SetReply::OkNil)?;
    if o.flags & F_GET != 0 && o.expire.is_none() && ctx.st.changes != changes && ctx.propagating()
    {
        // Logged without GET, as Redis 7.0 does: reading the old value
        // changed nothing. (With an expiry the whole command is
        // rewritten, in `set_generic`.)
        let logged = args
            .iter()
            .enumerate()
            .filter(|&(i, a)| i < 3 || !is_opt(a, "get"))
            .map(|(_, a)| a.clone())
            .collect();
        ctx.propagate_as(vec![logged]);
    }
    Ok(())
}

fn setnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_generic(ctx, F_NX, &args[1], &args[2], None, SetReply::OneZero)
}

fn setex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_generic(
        ctx,
        F_EX,
        &args[1],
        &args[3],
        Some(&args[2]),
        SetReply::OkNil,
    )
}

fn psetex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_generic(
        ctx,
        F_PX,
        &args[1],
        &args[3],
        Some(&args[2]),
        SetReply::OkNil,
    )
}

fn getex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let o = parse_str_opts(args, 2, false)?;
    let key = &args[1];
    if read_split(ctx, key)?.is_none() {
        ctx.out.null();
        return Ok(());
    }
    // The expire is validated only once the key is known to exist.
    let when = match o.expire {
        Some(v) => Some(expire_at_ms(ctx, v, o.flags)?),
        None => None,
    };
    if let Some((s, out)) = peek_split(ctx, key) {
        reply_str(out, s);
    }
    let (db, now) = (ctx.db, ctx.now_ms);
    match when {
        Some(when)
            if o.flags & (F_EXAT | F_PXAT) != 0 && when <= now && !ctx.st.ks.expiry_paused() =>
        {
            ctx.st.ks.delete(db, key, now);
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "del", key);
            ctx.dirty(1);
            ctx.propagate_one(&[Prop::Word("DEL"), Prop::Arg(key)]);
        }
        Some(when) => {
            ctx.st.ks.set_expire(db, key, when);
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "expire", key);
            ctx.dirty(1);
            ctx.propagate_one(&[Prop::Word("PEXPIREAT"), Prop::Arg(key), Prop::Int(when)]);
        }
        None if o.flags & F_PERSIST != 0 => {
            let removed = ctx.st.ks.persist(db, key);
            if removed {
                ctx.modified(key);
                ctx.notify(notify::GENERIC, "persist", key);
                ctx.propagate_one(&[Prop::Word("PERSIST"), Prop::Arg(key)]);
            }
            ctx.dirty(u64::from(removed));
        }
        None => {}
    }
    Ok(())
}

fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    match read_split(ctx, key)? {
        Some((s, out)) => reply_str(out, s),
        None => {
            ctx.out.null();
            return Ok(());
        }
    }
    let (db, now) = (ctx.db, ctx.now_ms);
    if ctx.st.ks.delete(db, key, now).is_some() {
        ctx.modified(key);
        ctx.notify(notify::GENERIC, "del", key);
        ctx.dirty(1);
        // Logged as the deletion it was, as Redis does.
        ctx.propagate_one(&[Prop::Word("DEL"), Prop::Arg(key)]);
    }
    Ok(())
}

fn getset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    match read_split(ctx, key)? {
        Some((s, out)) => reply_str(out, s),
        None => ctx.out.null(),
    }
    let found = ctx.write(key).is_some();
    put(ctx, key, StrValue::from_bytes(&args[2]), false);
    ctx.modified(key);
    ctx.dirty(1);
    if !found {
        ctx.notify_new(key);
    }
    ctx.notify(notify::STRING, "set", key);
    // Logged as the store it was, as Redis 7.0 does.
    ctx.propagate_one(&[Prop::Word("SET"), Prop::Arg(key), Prop::Arg(&args[2])]);
    Ok(())
}

fn mget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out.array(args.len() - 1);
    for key in &args[1..] {
        // Keys of other types read as nil, not as an error.
        match read_split(ctx, key) {
            Ok(Some((s, out))) => reply_str(out, s),
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

fn mset_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> CmdResult {
    if args.len() % 2 == 0 {
        return Err(arity_error(ctx));
    }
    if nx {
        for pair in args[1..].chunks_exact(2) {
            if ctx.write(&pair[0]).is_some() {
                ctx.out.int(0);
                return Ok(());
            }
        }
    }
    for pair in args[1..].chunks_exact(2) {
        let found = ctx.write(&pair[0]).is_some();
        put(ctx, &pair[0], StrValue::from_bytes(&pair[1]), false);
        ctx.modified(&pair[0]);
        if !found {
            ctx.notify_new(&pair[0]);
        }
        ctx.notify(notify::STRING, "set", &pair[0]);
    }
    ctx.dirty((args.len() as u64 - 1) / 2);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn mset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    mset_generic(ctx, args, false)
}

fn msetnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    mset_generic(ctx, args, true)
}

#[cfg(test)]
mod tests {
    use super::super::string_testkit::Harness;

    #[test]
    fn set_options_follow_redis_7() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["set", "k", "v", "nx", "xx"]), "-ERR syntax error");
        assert_eq!(
            h.run(&["set", "k", "v", "ex", "10", "px", "5"]),
            "-ERR syntax error"
        );
        assert_eq!(
            h.run(&["set", "k", "v", "keepttl", "ex", "5"]),
            "-ERR syntax error"
        );
        assert_eq!(h.run(&["set", "k", "v", "ex"]), "-ERR syntax error");
        // A repeated option is accepted; the last expire wins.
        assert_eq!(h.run(&["set", "k", "v", "ex", "10", "ex", "20"]), "+OK");
        assert!((19_000..=20_000).contains(&h.ttl_ms("k")));
        // Syntax is checked before the expire value.
        assert_eq!(
            h.run(&["set", "k", "v", "ex", "x", "nx", "xx"]),
            "-ERR syntax error"
        );
        assert_eq!(
            h.run(&["set", "k", "v", "ex", "x"]),
            "-ERR value is not an integer or out of range"
        );
        assert_eq!(
            h.run(&["set", "k", "v", "px", "0"]),
            "-ERR invalid expire time in 'set' command"
        );
        assert_eq!(
            h.run(&["set", "k", "v", "ex", "9223372036854775"]),
            "-ERR invalid expire time in 'set' command"
        );
        // NX with GET (allowed since 7.0) replies the old value.
        assert_eq!(h.run(&["set", "k", "old"]), "+OK");
        assert_eq!(h.run(&["set", "k", "new", "nx", "get"]), "$old");
        assert_eq!(h.run(&["set", "k2", "new", "nx", "get"]), "$nil");
        assert_eq!(h.run(&["get", "k2"]), "$new");
        // KEEPTTL keeps, a plain SET clears.
        assert_eq!(h.run(&["set", "k", "v", "px", "100000"]), "+OK");
        assert_eq!(h.run(&["set", "k", "w", "keepttl"]), "+OK");
        assert!(h.ttl_ms("k") > 0);
        assert_eq!(h.run(&["set", "k", "x"]), "+OK");
        assert_eq!(h.ttl_ms("k"), -1);
        // Option names are matched like C strings.
        assert_eq!(h.run(&["set", "k", "y", "XX\0junk"]), "+OK");
        assert_eq!(h.run(&["set", "k", "v", "exat", "1"]), "+OK");
        assert_eq!(h.run(&["get", "k"]), "$nil");
    }

    #[test]
    fn encodings_follow_redis() {
        let mut h = Harness::new();
        h.run(&["set", "a", "12345"]);
        assert_eq!(h.encoding("a"), "int");
        h.run(&["set", "a", "012"]);
        assert_eq!(h.encoding("a"), "embstr");
        h.run(&["mset", "a", &"x".repeat(45), "b", "-7"]);
        assert_eq!(h.encoding("a"), "raw");
        assert_eq!(h.encoding("b"), "int");
        h.run(&["getset", "b", "abc"]);
        assert_eq!(h.encoding("b"), "embstr");
        h.run(&["setex", "c", "100", "99"]);
        assert_eq!(h.encoding("c"), "int");
    }

    #[test]
    fn getex_and_getdel() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["getex", "nokey", "ex", "abc"]), "$nil");
        assert_eq!(h.run(&["getex", "nokey", "keepttl"]), "-ERR syntax error");
        h.run(&["set", "k", "v"]);
        assert_eq!(
            h.run(&["getex", "k", "ex", "0"]),
            "-ERR invalid expire time in 'getex' command"
        );
        assert_eq!(h.run(&["getex", "k", "px", "50000"]), "$v");
        assert!(h.ttl_ms("k") > 0);
        assert_eq!(h.run(&["getex", "k", "persist"]), "$v");
        assert_eq!(h.ttl_ms("k"), -1);
        assert_eq!(h.run(&["getex", "k", "pxat", "1"]), "$v");
        assert_eq!(h.run(&["get", "k"]), "$nil");
        h.run(&["set", "k", "v"]);
        assert_eq!(h.run(&["getdel", "k"]), "$v");
        assert_eq!(h.run(&["getdel", "k"]), "$nil");
    }

    #[test]
    fn mset_family() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&["mset", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'mset' command"
        );
        assert_eq!(h.run(&["msetnx", "a", "1", "b", "2"]), ":1");
        assert_eq!(h.run(&["msetnx", "c", "1", "b", "2"]), ":0");
        assert_eq!(h.run(&["mget", "a", "c", "b"]), "*3 $1 $nil $2");
        assert_eq!(h.run(&["setnx", "a", "x"]), ":0");
        assert_eq!(h.run(&["setnx", "z", "x"]), ":1");
    }
}
