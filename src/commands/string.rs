//! String commands.

use bytes::Bytes;

use super::*;
use crate::exec::{arg_i64, lower, CmdError, CmdResult, Ctx};
use tiering::{StrValue, Value};

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "get",
        arity: 2,
        flags: READONLY | FAST,
        acl: C_STRING,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "string",
        summary: "Returns the string value of a key.",
        complexity: "O(1)",
        handler: Some(get),
        ..BASE
    },
    CommandDef {
        name: "set",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: C_STRING,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, 1, 0, 1)],
        group: "string",
        summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        complexity: "O(1)",
        handler: Some(set),
        ..BASE
    },
];

/// The string at `key` for reading: `Ok(None)` if missing, WRONGTYPE if
/// another type.
pub fn read_str<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut StrValue>, CmdError> {
    match ctx.read(key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Str(s) => Ok(Some(s)),
            #[allow(unreachable_patterns)]
            _ => Err(CmdError::WRONGTYPE),
        },
    }
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match read_str(ctx, &args[1])? {
        Some(s) => {
            let v = s.as_bytes().into_owned();
            ctx.out.bulk(&v);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// Expiry options shared by SET and GETEX.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExpireOpt {
    None,
    /// Absolute Unix time in ms.
    At(i64),
    KeepTtl,
    Persist,
}

/// Converts a relative or absolute expire argument to absolute ms,
/// with Redis's checks (`invalid expire time in '<cmd>' command`).
pub fn expire_arg(
    ctx: &Ctx,
    v: &[u8],
    unit_ms: bool,
    absolute: bool,
    cmd: &str,
) -> Result<i64, CmdError> {
    let n = arg_i64(v)?;
    let invalid = || CmdError::msg(format!("ERR invalid expire time in '{cmd}' command"));
    if n <= 0 {
        return Err(invalid());
    }
    let ms = if unit_ms {
        n
    } else {
        n.checked_mul(1000).ok_or_else(invalid)?
    };
    if absolute {
        Ok(ms)
    } else {
        ms.checked_add(ctx.now_ms).ok_or_else(invalid)
    }
}

fn set(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut nx = false;
    let mut xx = false;
    let mut get = false;
    let mut exp = ExpireOpt::None;
    let mut i = 3;
    while i < args.len() {
        let opt = lower(&args[i]);
        let has_next = i + 1 < args.len();
        match opt.as_str() {
            "nx" if !xx => nx = true,
            "xx" if !nx => xx = true,
            "get" => get = true,
            "keepttl" if exp == ExpireOpt::None => exp = ExpireOpt::KeepTtl,
            "ex" | "px" | "exat" | "pxat" if exp == ExpireOpt::None && has_next => {
                let unit_ms = opt.starts_with('p');
                let absolute = opt.ends_with("at");
                exp = ExpireOpt::At(expire_arg(ctx, &args[i + 1], unit_ms, absolute, "set")?);
                i += 1;
            }
            _ => return Err(CmdError::SYNTAX),
        }
        i += 1;
    }
    let key = &args[1];
    let old = if get {
        read_str(ctx, key)?.map(|s| s.as_bytes().into_owned())
    } else {
        None
    };
    let exists = if get {
        old.is_some()
    } else {
        ctx.st.ks.exists(ctx.db, key, ctx.now_ms)
    };
    if (nx && exists) || (xx && !exists) {
        if get {
            match old {
                Some(v) => ctx.out.bulk(&v),
                None => ctx.out.null(),
            }
        } else {
            ctx.out.null();
        }
        return Ok(());
    }
    let (db, now) = (ctx.db, ctx.now_ms);
    let value = Value::Str(StrValue::from_bytes(&args[2]));
    ctx.st
        .ks
        .set(db, key, value, exp == ExpireOpt::KeepTtl, now);
    if let ExpireOpt::At(when) = exp {
        ctx.st.ks.set_expire(db, key, when);
    }
    ctx.dirty(1);
    if get {
        match old {
            Some(v) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        }
    } else {
        ctx.out.ok();
    }
    Ok(())
}
