//! Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX, XX, GT,
//! LT), TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
//!
//! Times are absolute Unix milliseconds inside; a key without expiry has
//! [`NO_EXPIRE`] (-1), which the GT/LT rules treat as infinite.

use bytes::Bytes;

use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx, Prop};
use crate::notify;
use tiering::NO_EXPIRE;

const SETTER_KEYS: &[KeySpec] = &[ks(KS_RW | KS_UPDATE, 1, 0, 1)];
const GETTER_KEYS: &[KeySpec] = &[ks(KS_RO | KS_ACCESS, 1, 0, 1)];

/// Flags, arity and key spec shared by the four setters.
const fn setter(
    name: &'static str,
    since: &'static str,
    summary: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity: -3,
        flags: WRITE | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: SETTER_KEYS,
        group: "generic",
        since,
        summary,
        complexity: "O(1)",
        handler: Some(handler),
        ..BASE
    }
}

/// Flags, arity and key spec shared by the four getters.
const fn getter(
    name: &'static str,
    since: &'static str,
    summary: &'static str,
    tips: &'static [&'static str],
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity: 2,
        flags: READONLY | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: GETTER_KEYS,
        group: "generic",
        since,
        summary,
        complexity: "O(1)",
        tips,
        handler: Some(handler),
        ..BASE
    }
}

const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];

pub static COMMANDS: &[CommandDef] = &[
    setter(
        "expire",
        "1.0.0",
        "Makes a key expire after a number of seconds.",
        expire,
    ),
    setter(
        "pexpire",
        "2.6.0",
        "Makes a key expire after a number of milliseconds.",
        pexpire,
    ),
    setter(
        "expireat",
        "1.2.0",
        "Makes a key expire at a Unix time given in seconds.",
        expireat,
    ),
    setter(
        "pexpireat",
        "2.6.0",
        "Makes a key expire at a Unix time given in milliseconds.",
        pexpireat,
    ),
    getter(
        "ttl",
        "1.0.0",
        "Returns the seconds a key has left to live.",
        NONDETERMINISTIC,
        ttl,
    ),
    getter(
        "pttl",
        "2.6.0",
        "Returns the milliseconds a key has left to live.",
        NONDETERMINISTIC,
        pttl,
    ),
    getter(
        "expiretime",
        "7.0.0",
        "Returns the Unix time, in seconds, at which a key expires.",
        &[],
        expiretime,
    ),
    getter(
        "pexpiretime",
        "7.0.0",
        "Returns the Unix time, in milliseconds, at which a key expires.",
        &[],
        pexpiretime,
    ),
    CommandDef {
        name: "persist",
        arity: 2,
        flags: WRITE | FAST,
        acl: C_KEYSPACE,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_UPDATE, 1, 0, 1)],
        group: "generic",
        since: "2.2.0",
        summary: "Removes a key's expiry, so that it lives until deleted.",
        complexity: "O(1)",
        handler: Some(persist),
        ..BASE
    },
];

fn expire(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now_ms;
    expire_generic(ctx, args, now, false)
}

fn pexpire(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now_ms;
    expire_generic(ctx, args, now, true)
}

fn expireat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, 0, false)
}

fn pexpireat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, 0, true)
}

/// The condition options of the EXPIRE family.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cond {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

impl Cond {
    /// Parses `NX|XX|GT|LT` options with Redis's errors: any unknown option
    /// first, then the incompatible combinations.
    pub fn parse(opts: &[Bytes]) -> Result<Cond, CmdError> {
        let mut c = Cond::default();
        for o in opts {
            match o.to_ascii_lowercase().as_slice() {
                b"nx" => c.nx = true,
                b"xx" => c.xx = true,
                b"gt" => c.gt = true,
                b"lt" => c.lt = true,
                _ => {
                    // Redis prints the option as a C string.
                    let shown = o.split(|&b| b == 0).next().unwrap_or(&[]);
                    return Err(CmdError::msg(format!(
                        "ERR Unsupported option {}",
                        String::from_utf8_lossy(shown)
                    )));
                }
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(CmdError::msg(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if c.gt && c.lt {
            return Err(CmdError::msg(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(c)
    }

    /// Whether a key whose current expiry is `current` ([`NO_EXPIRE`] for
    /// none, which counts as infinite) may get the expiry `when`.
    pub fn allows(self, current: i64, when: i64) -> bool {
        let has = current != NO_EXPIRE;
        !((self.nx && has)
            || (self.xx && !has)
            || (self.gt && (!has || when <= current))
            || (self.lt && has && when >= current))
    }
}

/// Converts the time argument to absolute ms: seconds are scaled, and
/// `base` (now for relative forms, 0 for absolute ones) added. Negative
/// values are allowed; overflow is an error naming the command.
pub fn expire_time(name: &str, arg: &[u8], base: i64, unit_ms: bool) -> Result<i64, CmdError> {
    let invalid = || CmdError::msg(format!("ERR invalid expire time in '{name}' command"));
    let mut when = arg_i64(arg)?;
    if !unit_ms {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    when.checked_add(base).ok_or_else(invalid)
}

fn expire_generic(ctx: &mut Ctx, args: &[Bytes], base: i64, unit_ms: bool) -> CmdResult {
    let cond = Cond::parse(&args[3..])?;
    let when = expire_time(ctx.cmd.name, &args[2], base, unit_ms)?;
    let key = &args[1];
    if ctx.write_meta(key).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let current = ctx.st.ks.get_expire(ctx.db, key);
    if !cond.allows(current, when) {
        ctx.out.int(0);
        return Ok(());
    }
    let (db, now) = (ctx.db, ctx.now_ms);
    // A time already past deletes the key, except on a replica, which
    // waits for its primary's DEL.
    if when <= now && !ctx.st.ks.hide_expired_only && !ctx.st.ks.expiry_paused() {
        ctx.st.ks.delete(db, key, now);
        ctx.modified(key);
        ctx.notify(notify::GENERIC, "del", key);
        ctx.out.int(1);
        ctx.propagate_one(&[Prop::Word("DEL"), Prop::Arg(key)]);
    } else {
        ctx.st.ks.set_expire(db, key, when);
        // Redis replies before it fires `expire` (but after `del`).
        ctx.out.int(1);
        ctx.modified(key);
        ctx.notify(notify::GENERIC, "expire", key);
        if ctx.cmd.name != "pexpireat" && ctx.propagating() {
            // The absolute time replays the same whenever it runs; the
            // options stay (Redis 7.0 rewrites only the name and time).
            let mut logged = args.to_vec();
            logged[0] = Bytes::from_static(b"PEXPIREAT");
            logged[2] = Bytes::from(when.to_string());
            ctx.propagate_as(vec![logged]);
        }
    }
    ctx.dirty(1);
    Ok(())
}

fn ttl(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, args, false, false)
}

fn pttl(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, args, true, false)
}

fn expiretime(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, args, false, true)
}

fn pexpiretime(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, args, true, true)
}

/// -2 for a missing key, -1 for one without expiry, else the time left
/// (or the expiry itself when `absolute`), in seconds rounded to the
/// nearest or in milliseconds.
fn ttl_generic(ctx: &mut Ctx, args: &[Bytes], ms: bool, absolute: bool) -> CmdResult {
    let (db, now) = (ctx.db, ctx.now_ms);
    if !ctx.inspect(&args[1], false) {
        ctx.out.int(-2);
        return Ok(());
    }
    let expire = ctx.st.ks.get_expire(db, &args[1]);
    if expire == NO_EXPIRE {
        ctx.out.int(-1);
        return Ok(());
    }
    let t = if absolute {
        expire
    } else {
        expire.saturating_sub(now)
    }
    .max(0);
    let reply = if ms {
        t
    } else {
        ((i128::from(t) + 500) / 1000) as i64
    };
    ctx.out.int(reply);
    Ok(())
}

fn persist(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    if ctx.write_meta(key).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let db = ctx.db;
    if ctx.st.ks.persist(db, key) {
        ctx.modified(key);
        ctx.notify(notify::GENERIC, "persist", key);
        ctx.dirty(1);
        ctx.out.int(1);
    } else {
        ctx.out.int(0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: &[&str]) -> Vec<Bytes> {
        v.iter().map(|s| Bytes::from(s.to_string())).collect()
    }

    #[test]
    fn condition_rules() {
        let c = |v: &[&str]| Cond::parse(&opts(v));
        assert!(c(&["nx", "xx"]).is_err());
        assert!(c(&["NX", "gt"]).is_err());
        assert_eq!(
            c(&["gt", "lt"]).map_err(|e| e.0.into_owned()),
            Err("ERR GT and LT options at the same time are not compatible".into())
        );
        assert_eq!(
            c(&["xx", "bogus", "nx"]).map_err(|e| e.0.into_owned()),
            Err("ERR Unsupported option bogus".into())
        );
        let gt = c(&["gt"]).unwrap_or_default();
        assert!(!gt.allows(NO_EXPIRE, 5));
        assert!(gt.allows(4, 5));
        assert!(!gt.allows(5, 5));
        let lt = c(&["lt"]).unwrap_or_default();
        assert!(lt.allows(NO_EXPIRE, 5));
        assert!(lt.allows(6, 5));
        assert!(!lt.allows(5, 5));
        let nx = c(&["nx"]).unwrap_or_default();
        assert!(nx.allows(NO_EXPIRE, 5) && !nx.allows(1, 5));
        let xx = c(&["xx"]).unwrap_or_default();
        assert!(!xx.allows(NO_EXPIRE, 5) && xx.allows(1, 5));
    }

    #[test]
    fn expire_time_overflow() {
        let e = |a: &str, base, ms| expire_time("expire", a.as_bytes(), base, ms);
        assert_eq!(e("10", 1000, false), Ok(11_000));
        assert_eq!(e("-10", 1000, true), Ok(990));
        assert!(e("9223372036854775", 0, false).is_ok());
        assert!(e("9223372036854775", 807, false).is_ok());
        assert!(e("9223372036854775", 808, false).is_err());
        assert!(e("9223372036854776", 0, false).is_err());
        assert!(e("-9223372036854776", 0, false).is_err());
        assert!(e("9223372036854775807", 1, true).is_err());
        assert_eq!(e("x", 0, true), Err(CmdError::NOT_INTEGER));
        assert_eq!(
            e("9223372036854776", 0, false).map_err(|e| e.0.into_owned()),
            Err("ERR invalid expire time in 'expire' command".into())
        );
    }
}
