//! Counters on strings: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
//!
//! Integer results are stored `int`-encoded, INCRBYFLOAT results as text
//! (`embstr`/`raw`), as in Redis. Both keep the key's TTL.

use bytes::Bytes;

use super::string::{put, write_str};
use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx, Prop};
use crate::ldouble::{self, LongDouble};
use crate::notify;
use tiering::StrValue;

const STR: u32 = C_STRING;
const KEY_RW: &[KeySpec] = &[ks(KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1)];

/// A counter command: `name`, `arity`, `since`, `summary`, `handler`.
const fn counter(
    name: &'static str,
    arity: i32,
    since: &'static str,
    summary: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags: WRITE | DENYOOM | FAST,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: KEY_RW,
        group: "string",
        since,
        summary,
        complexity: "O(1)",
        handler: Some(handler),
        ..BASE
    }
}

pub static COMMANDS: &[CommandDef] = &[
    counter(
        "incr",
        2,
        "1.0.0",
        "Adds one to the integer at a key (a missing key counts as 0).",
        incr,
    ),
    counter(
        "decr",
        2,
        "1.0.0",
        "Subtracts one from the integer at a key (a missing key counts as 0).",
        decr,
    ),
    counter(
        "incrby",
        3,
        "1.0.0",
        "Adds an integer to the integer at a key (a missing key counts as 0).",
        incrby,
    ),
    counter(
        "decrby",
        3,
        "1.0.0",
        "Subtracts an integer from the integer at a key (a missing key counts as 0).",
        decrby,
    ),
    counter(
        "incrbyfloat",
        3,
        "2.6.0",
        "Adds a decimal number to the number at a key (a missing key counts as 0).",
        incrbyfloat,
    ),
];

/// Redis's `incrDecrCommand`.
fn incr_decr(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let (new, created) = match write_str(ctx, key)? {
        Some(s) => {
            let old = s.as_i64().ok_or(CmdError::NOT_INTEGER)?;
            let new = old.checked_add(by).ok_or(CmdError::OVERFLOW)?;
            // In place: keeps the TTL, no allocation.
            *s = StrValue::Int(new);
            (new, false)
        }
        None => {
            put(ctx, key, StrValue::Int(by), false);
            (by, true)
        }
    };
    ctx.modified(key);
    ctx.dirty(1);
    if created {
        ctx.notify_new(key);
    }
    ctx.notify(notify::STRING, "incrby", key);
    ctx.out.int(new);
    Ok(())
}

fn incr(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    incr_decr(ctx, &args[1], 1)
}

fn decr(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    incr_decr(ctx, &args[1], -1)
}

fn incrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let by = arg_i64(&args[2])?;
    incr_decr(ctx, &args[1], by)
}

fn decrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let by = arg_i64(&args[2])?;
    if by == i64::MIN {
        return Err(CmdError::msg("ERR decrement would overflow"));
    }
    incr_decr(ctx, &args[1], -by)
}

fn incrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let parse_incr = || LongDouble::parse(&args[2]).ok_or(CmdError::NOT_FLOAT);
    let nan_or_inf = || CmdError::msg("ERR increment would produce NaN or Infinity");
    let (text, created) = match write_str(ctx, key)? {
        Some(s) => {
            let cur = match &*s {
                StrValue::Int(i) => LongDouble::from_i64(*i),
                other => other
                    .with_bytes(LongDouble::parse)
                    .ok_or(CmdError::NOT_FLOAT)?,
            };
            let text = ldouble::incr_by(cur, parse_incr()?).map_err(|_| nan_or_inf())?;
            *s = StrValue::from_bytes_no_int(text.as_bytes());
            (text, false)
        }
        None => {
            let text =
                ldouble::incr_by(LongDouble::ZERO, parse_incr()?).map_err(|_| nan_or_inf())?;
            put(
                ctx,
                key,
                StrValue::from_bytes_no_int(text.as_bytes()),
                false,
            );
            (text, true)
        }
    };
    ctx.modified(key);
    ctx.dirty(1);
    if created {
        ctx.notify_new(key);
    }
    ctx.notify(notify::STRING, "incrbyfloat", key);
    // Logged as the value it stored, as Redis does: float arithmetic and
    // formatting stay out of the replay.
    ctx.propagate_one(&[
        Prop::Word("SET"),
        Prop::Arg(key),
        Prop::Arg(text.as_bytes()),
        Prop::Word("KEEPTTL"),
    ]);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::string_testkit::Harness;

    #[test]
    fn integer_counters() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["incr", "n"]), ":1");
        assert_eq!(h.run(&["incrby", "n", "-11"]), ":-10");
        assert_eq!(h.run(&["decrby", "n", "5"]), ":-15");
        assert_eq!(h.run(&["decr", "n"]), ":-16");
        assert_eq!(h.encoding("n"), "int");
        assert_eq!(
            h.run(&["decrby", "n", "-9223372036854775808"]),
            "-ERR decrement would overflow"
        );
        h.run(&["set", "n", "9223372036854775807"]);
        assert_eq!(
            h.run(&["incr", "n"]),
            "-ERR increment or decrement would overflow"
        );
        h.run(&["set", "n", " 1"]);
        assert_eq!(
            h.run(&["incr", "n"]),
            "-ERR value is not an integer or out of range"
        );
        assert_eq!(
            h.run(&["incrby", "n", "1.5"]),
            "-ERR value is not an integer or out of range"
        );
        // Raw strings holding integers count too, and become int.
        h.run(&["set", "r", "1"]);
        h.run(&["append", "r", "0"]);
        assert_eq!(h.encoding("r"), "raw");
        assert_eq!(h.run(&["incr", "r"]), ":11");
        assert_eq!(h.encoding("r"), "int");
        // The TTL is kept.
        h.run(&["set", "t", "5", "px", "100000"]);
        h.run(&["incr", "t"]);
        assert!(h.ttl_ms("t") > 0);
    }

    #[test]
    fn float_counter() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["incrbyfloat", "f", "0.1"]), "$0.1");
        assert_eq!(h.run(&["incrbyfloat", "f", "0.2"]), "$0.3");
        assert_eq!(h.encoding("f"), "embstr");
        assert_eq!(
            h.run(&["incrbyfloat", "f", "inf"]),
            "-ERR increment would produce NaN or Infinity"
        );
        assert_eq!(
            h.run(&["incrbyfloat", "f", "x"]),
            "-ERR value is not a valid float"
        );
        h.run(&["set", "i", "10"]);
        assert_eq!(
            h.run(&["incrbyfloat", "i", "1e30"]),
            "$1000000000000000000024696061952"
        );
        assert_eq!(h.encoding("i"), "embstr");
        assert_eq!(h.run(&["incrbyfloat", "i", "1e50"]), h.run(&["get", "i"]));
        assert_eq!(h.encoding("i"), "raw");
        h.run(&["set", "t", "1.5", "px", "100000"]);
        assert_eq!(h.run(&["incrbyfloat", "t", "1"]), "$2.5");
        assert!(h.ttl_ms("t") > 0);
    }
}
