//! BITFIELD and BITFIELD_RO: signed (`i1`..`i64`) and unsigned
//! (`u1`..`u63`) integers at arbitrary bit offsets of a string, with
//! WRAP/SAT/FAIL overflow handling.

use bytes::Bytes;

use super::bitops::{bit_offset, bits_for_write};
use super::string::{cstr, is_opt, is_str};
use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx};
use crate::notify;

const BITS: u32 = C_BITMAP;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "bitfield",
        arity: -2,
        flags: WRITE | DENYOOM,
        acl: BITS,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(
            KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS,
            1,
            0,
            1,
        )],
        group: "bitmap",
        since: "3.2.0",
        summary: "Reads, writes and increments integers of any width at bit offsets of a string.",
        complexity: "O(1) per subcommand.",
        handler: Some(bitfield),
        key_flags: Some(bitfield_key_flags),
        ..BASE
    },
    CommandDef {
        name: "bitfield_ro",
        arity: -2,
        flags: READONLY | FAST,
        acl: BITS,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "bitmap",
        since: "6.0.0",
        summary: "Reads integers of any width at bit offsets of a string.",
        complexity: "O(1) per subcommand.",
        handler: Some(bitfield_ro),
        ..BASE
    },
];

/// BITFIELD only reads when it has no SET or INCRBY operation.
fn bitfield_key_flags(args: &[Bytes]) -> u32 {
    let writes = args
        .iter()
        .skip(2)
        .any(|a| a.eq_ignore_ascii_case(b"set") || a.eq_ignore_ascii_case(b"incrby"));
    if writes {
        KS_RW | KS_ACCESS | KS_UPDATE
    } else {
        KS_RO | KS_ACCESS
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum OpKind {
    Get,
    Set,
    Incrby,
}

#[derive(Clone, Copy, Debug)]
struct Op {
    kind: OpKind,
    offset: u64,
    value: i64,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

/// Parses `i<bits>` (1..=64) or `u<bits>` (1..=63). The sign letter is
/// case-sensitive, as in Redis.
fn parse_type(a: &[u8]) -> Result<(bool, u32), CmdError> {
    let err = || {
        CmdError::msg(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match a.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err()),
    };
    let bits = tiering::value::parse_strict_i64(cstr(&a[1..])).ok_or_else(err)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(err());
    }
    Ok((signed, bits as u32))
}

/// Reads `bits` bits at bit `offset` as an unsigned integer; bytes past
/// the end of `p` read as zeros.
fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for j in 0..bits as u64 {
        let pos = offset + j;
        let byte = p.get((pos >> 3) as usize).copied().unwrap_or(0);
        v = (v << 1) | u64::from((byte >> (7 - (pos & 7))) & 1);
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(p, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Writes the low `bits` bits of `v` at bit `offset` (the buffer is long
/// enough: it was grown for the highest write).
fn set_unsigned(p: &mut [u8], offset: u64, bits: u32, v: u64) {
    for j in 0..bits as u64 {
        let pos = offset + j;
        let bit = (v >> (bits as u64 - 1 - j)) & 1;
        let mask = 1u8 << (7 - (pos & 7));
        if let Some(byte) = p.get_mut((pos >> 3) as usize) {
            if bit == 1 {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: whether `value + incr`
/// overflows `bits` bits, and the value to store instead (WRAP, SAT).
fn check_unsigned(value: u64, incr: i64, bits: u32, ow: Overflow) -> (bool, u64) {
    let max: u64 = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = (value as i64).wrapping_neg();
    let wrap = || value.wrapping_add(incr as u64) & !(u64::MAX.checked_shl(bits).unwrap_or(0));
    if value > max || (incr > 0 && incr > maxincr) {
        (true, if ow == Overflow::Sat { max } else { wrap() })
    } else if incr < 0 && incr < minincr {
        (true, if ow == Overflow::Sat { 0 } else { wrap() })
    } else {
        (false, 0)
    }
}

/// Redis's `checkSignedBitfieldOverflow`.
fn check_signed(value: i64, incr: i64, bits: u32, ow: Overflow) -> (bool, i64) {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        (true, if ow == Overflow::Sat { max } else { wrap() })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        (true, if ow == Overflow::Sat { min } else { wrap() })
    } else {
        (false, 0)
    }
}

/// Parses the subcommands; returns them and the highest bit any write
/// reaches (`None` if there are only GETs).
fn parse_ops(ctx: &Ctx, args: &[Bytes]) -> Result<(Vec<Op>, Option<u64>), CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut highest: Option<u64> = None;
    let mut j = 2;
    while j < args.len() {
        let rem = args.len() - j - 1;
        let sub = &args[j][..];
        let kind = if is_opt(sub, "get") && rem >= 2 {
            OpKind::Get
        } else if is_opt(sub, "set") && rem >= 3 {
            OpKind::Set
        } else if is_opt(sub, "incrby") && rem >= 3 {
            OpKind::Incrby
        } else if is_opt(sub, "overflow") && rem >= 1 {
            let t = &args[j + 1][..];
            overflow = if is_opt(t, "wrap") {
                Overflow::Wrap
            } else if is_opt(t, "sat") {
                Overflow::Sat
            } else if is_opt(t, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::msg("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::SYNTAX);
        };
        let (signed, bits) = parse_type(&args[j + 1])?;
        let offset = bit_offset(ctx, &args[j + 2], true, bits as i64)?;
        let mut value = 0;
        if kind != OpKind::Get {
            let last = offset + bits as u64 - 1;
            highest = Some(highest.map_or(last, |h| h.max(last)));
            value = arg_i64(&args[j + 3])?;
        }
        ops.push(Op {
            kind,
            offset,
            value,
            overflow,
            bits,
            signed,
        });
        j += if kind == OpKind::Get { 3 } else { 4 };
    }
    Ok((ops, highest))
}

fn bitfield_generic(ctx: &mut Ctx, args: &[Bytes], read_only_cmd: bool) -> CmdResult {
    let (ops, highest) = parse_ops(ctx, args)?;
    let key = &args[1];
    let Some(highest) = highest else {
        // Only reads: a missing key reads as zeros.
        if let Some(e) = ctx.read(key) {
            if !is_str(&e.value) {
                return Err(CmdError::WRONGTYPE);
            }
        }
        let db = ctx.db;
        let (st, out) = (&*ctx.st, &mut *ctx.out);
        let value = st.ks.db(db).loaded(key).and_then(|e| match &e.value {
            tiering::Value::Str(s) => Some(s),
            #[allow(unreachable_patterns)]
            _ => None,
        });
        let reply_gets = |p: &[u8], out: &mut crate::reply::Reply| {
            out.array(ops.len());
            for op in &ops {
                if op.signed {
                    out.int(get_signed(p, op.offset, op.bits));
                } else {
                    out.int(get_unsigned(p, op.offset, op.bits) as i64);
                }
            }
        };
        match value {
            Some(s) => s.with_bytes(|p| reply_gets(p, out)),
            None => reply_gets(&[], out),
        }
        return Ok(());
    };
    if read_only_cmd {
        return Err(CmdError::msg(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let mut replies: Vec<Option<i64>> = Vec::with_capacity(ops.len());
    let mut changes = 0;
    let (buf, grown) = bits_for_write(ctx, key, highest)?;
    for op in &ops {
        let r = match (op.kind, op.signed) {
            (OpKind::Get, true) => Some(get_signed(buf, op.offset, op.bits)),
            (OpKind::Get, false) => Some(get_unsigned(buf, op.offset, op.bits) as i64),
            (kind, true) => {
                let old = get_signed(buf, op.offset, op.bits);
                let (overflow, new, ret) = if kind == OpKind::Incrby {
                    let (of, w) = check_signed(old, op.value, op.bits, op.overflow);
                    let new = if of { w } else { old.wrapping_add(op.value) };
                    (of, new, new)
                } else {
                    let (of, w) = check_signed(op.value, 0, op.bits, op.overflow);
                    (of, if of { w } else { op.value }, old)
                };
                if overflow && op.overflow == Overflow::Fail {
                    None
                } else {
                    set_unsigned(buf, op.offset, op.bits, new as u64);
                    changes += u64::from(grown || old != new);
                    Some(ret)
                }
            }
            (kind, false) => {
                let old = get_unsigned(buf, op.offset, op.bits);
                let (overflow, new, ret) = if kind == OpKind::Incrby {
                    let (of, w) = check_unsigned(old, op.value, op.bits, op.overflow);
                    let new = if of {
                        w
                    } else {
                        old.wrapping_add(op.value as u64)
                    };
                    (of, new, new)
                } else {
                    let v = op.value as u64;
                    let (of, w) = check_unsigned(v, 0, op.bits, op.overflow);
                    (of, if of { w } else { v }, old)
                };
                if overflow && op.overflow == Overflow::Fail {
                    None
                } else {
                    set_unsigned(buf, op.offset, op.bits, new);
                    changes += u64::from(grown || old != new);
                    Some(ret as i64)
                }
            }
        };
        replies.push(r);
    }
    ctx.out.array(replies.len());
    for r in replies {
        match r {
            Some(v) => ctx.out.int(v),
            None => ctx.out.null(),
        }
    }
    // After the reply, as Redis fires it.
    if changes > 0 {
        ctx.modified(&args[1]);
        ctx.notify(notify::STRING, "setbit", &args[1]);
    }
    ctx.dirty(changes);
    Ok(())
}

fn bitfield(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bitfield_generic(ctx, args, true)
}

#[cfg(test)]
mod tests {
    use super::super::string_testkit::Harness;
    use super::*;

    #[test]
    fn overflow_checks() {
        assert_eq!(check_unsigned(3, 1, 2, Overflow::Wrap), (true, 0));
        assert_eq!(check_unsigned(3, 1, 2, Overflow::Sat), (true, 3));
        assert_eq!(check_unsigned(1, -2, 2, Overflow::Sat), (true, 0));
        assert_eq!(check_unsigned(1, -2, 2, Overflow::Wrap), (true, 3));
        assert_eq!(check_unsigned(1, 1, 2, Overflow::Wrap), (false, 0));
        assert_eq!(check_signed(127, 1, 8, Overflow::Wrap), (true, -128));
        assert_eq!(check_signed(127, 1, 8, Overflow::Sat), (true, 127));
        assert_eq!(check_signed(-128, -1, 8, Overflow::Sat), (true, -128));
        assert_eq!(
            check_signed(i64::MAX, 1, 64, Overflow::Wrap),
            (true, i64::MIN)
        );
        assert_eq!(
            check_signed(i64::MIN, -1, 64, Overflow::Sat),
            (true, i64::MIN)
        );
        assert_eq!(check_signed(200, 0, 8, Overflow::Wrap), (true, -56));
    }

    #[test]
    fn bit_access() {
        let mut b = vec![0u8; 3];
        set_unsigned(&mut b, 5, 8, 0xab);
        assert_eq!(get_unsigned(&b, 5, 8), 0xab);
        assert_eq!(get_signed(&b, 5, 8), 0xab_u8 as i8 as i64);
        assert_eq!(get_unsigned(&b, 20, 20), 0);
    }

    #[test]
    fn commands() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&["bitfield", "k", "set", "u8", "#1", "255", "get", "i8", "8"]),
            "*2 :0 :-1"
        );
        assert_eq!(h.encoding("k"), "raw");
        assert_eq!(
            h.run(&[
                "bitfield", "k", "overflow", "fail", "incrby", "u8", "8", "1", "overflow", "sat",
                "incrby", "u8", "8", "1"
            ]),
            "*2 $nil :255"
        );
        assert_eq!(h.run(&["bitfield_ro", "k", "get", "u4", "8"]), "*1 :15");
        assert_eq!(
            h.run(&["bitfield_ro", "k", "set", "u4", "8", "1"]),
            "-ERR BITFIELD_RO only supports the GET subcommand"
        );
        assert_eq!(h.run(&["bitfield", "nokey", "get", "i64", "100"]), "*1 :0");
        assert_eq!(h.encoding("nokey"), "none");
        assert_eq!(h.run(&["bitfield", "k"]), "*0");
        assert_eq!(
            h.run(&["bitfield", "k", "get", "u64", "0"]).chars().next(),
            Some('-')
        );
        assert_eq!(
            h.run(&["bitfield", "k", "overflow", "x"]),
            "-ERR Invalid OVERFLOW type specified"
        );
    }
}
