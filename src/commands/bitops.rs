//! Bit commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP
//! (BITFIELD lives in `string_bitfield`). Bit 0 is the most significant
//! bit of the first byte, as in Redis.

use bytes::Bytes;

use super::string::{cstr, is_opt, is_str, put, read_split};
use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx};
use crate::notify;
use tiering::StrValue;

const BITS: u32 = C_BITMAP;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "setbit",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: BITS,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1)],
        group: "bitmap",
        since: "2.2.0",
        summary: "Sets or clears one bit of a string, growing or creating it as needed.",
        complexity: "O(1)",
        handler: Some(setbit),
        ..BASE
    },
    CommandDef {
        name: "getbit",
        arity: 3,
        flags: READONLY | FAST,
        acl: BITS,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "bitmap",
        since: "2.2.0",
        summary: "Returns the bit at an offset of a string.",
        complexity: "O(1)",
        handler: Some(getbit),
        ..BASE
    },
    CommandDef {
        name: "bitcount",
        arity: -2,
        flags: READONLY,
        acl: BITS,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "bitmap",
        since: "2.6.0",
        summary: "Counts the set bits of a string, or of a byte or bit range of it.",
        complexity: "O(N) with N the length of the strings.",
        handler: Some(bitcount),
        ..BASE
    },
    CommandDef {
        name: "bitpos",
        arity: -3,
        flags: READONLY,
        acl: BITS,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 0, 1)],
        group: "bitmap",
        since: "2.8.7",
        summary: "Finds the first set or clear bit of a string, optionally within a range.",
        complexity: "O(N) with N the length of the strings.",
        handler: Some(bitpos),
        ..BASE
    },
    CommandDef {
        name: "bitop",
        arity: -4,
        flags: WRITE | DENYOOM,
        acl: BITS,
        first_key: 2,
        last_key: -1,
        key_step: 1,
        key_specs: &[
            ks(KS_OW | KS_UPDATE, 2, 0, 1),
            ks(KS_RO | KS_ACCESS, 3, -1, 1),
        ],
        group: "bitmap",
        since: "2.6.0",
        summary: "Stores the AND, OR, XOR or NOT of strings at a destination key.",
        complexity: "O(N) with N the length of the strings.",
        handler: Some(bitop),
        ..BASE
    },
];

const BIT_OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";

/// Parses a bit offset as Redis's `getBitOffsetFromArgument`: an integer,
/// or with `hash` (BITFIELD) `#N` meaning `N * bits`; negative offsets and
/// offsets past `proto-max-bulk-len` bytes are errors.
pub(crate) fn bit_offset(ctx: &Ctx, a: &[u8], hash: bool, bits: i64) -> Result<u64, CmdError> {
    let err = || CmdError::msg(BIT_OFFSET_ERR);
    let use_hash = hash && bits > 0 && a.first() == Some(&b'#');
    let digits = if use_hash { &a[1..] } else { a };
    let mut off = tiering::value::parse_strict_i64(digits).ok_or_else(err)?;
    if use_hash {
        // C multiplies without an overflow check; a wrapped product is
        // then rejected or accepted by the range check like any value.
        off = off.wrapping_mul(bits);
    }
    if off < 0 || (off >> 3) >= ctx.st.config.tun.proto_max_bulk_len {
        return Err(err());
    }
    Ok(off as u64)
}

/// The string at `key`, created or zero-padded so that bit `max_bit` is
/// addressable, turned `raw` for modification (Redis's
/// `lookupStringForBitCommand`). The flag tells whether the key was
/// created or grown, which counts as a change even if no bit flips.
pub(crate) fn bits_for_write<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
    max_bit: u64,
) -> Result<(&'a mut Vec<u8>, bool), CmdError> {
    let need = (max_bit >> 3) as usize + 1;
    let exists = match ctx.write(key) {
        None => false,
        Some(e) if !is_str(&e.value) => return Err(CmdError::WRONGTYPE),
        Some(_) => true,
    };
    if !exists {
        put(ctx, key, StrValue::Raw(vec![0; need]), false);
        ctx.notify_new(key);
    }
    match ctx.write(key).map(|e| &mut e.value) {
        Some(tiering::Value::Str(s)) => {
            let buf = s.make_raw();
            let grown = !exists || buf.len() < need;
            if buf.len() < need {
                buf.resize(need, 0);
            }
            Ok((buf, grown))
        }
        _ => Err(CmdError::WRONGTYPE),
    }
}

fn setbit(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let offset = bit_offset(ctx, &args[2], false, 0)?;
    let bit_err = || CmdError::msg("ERR bit is not an integer or out of range");
    let on = arg_i64(&args[3]).map_err(|_| bit_err())?;
    if on & !1 != 0 {
        return Err(bit_err());
    }
    let (buf, grown) = bits_for_write(ctx, &args[1], offset)?;
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let old = buf[byte] & mask != 0;
    if on == 1 {
        buf[byte] |= mask;
    } else {
        buf[byte] &= !mask;
    }
    if grown || old != (on == 1) {
        ctx.modified(&args[1]);
        ctx.notify(notify::STRING, "setbit", &args[1]);
        ctx.dirty(1);
    }
    ctx.out.int(i64::from(old));
    Ok(())
}

fn getbit(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let offset = bit_offset(ctx, &args[2], false, 0)?;
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let bit = match read_split(ctx, &args[1])? {
        Some((s, _)) => s.with_bytes(|b| b.get(byte).is_some_and(|&v| v & mask != 0)),
        None => false,
    };
    ctx.out.int(i64::from(bit));
    Ok(())
}

/// `BIT` or `BYTE` (case-insensitive): true for bits.
fn parse_unit(a: &[u8]) -> Result<bool, CmdError> {
    if is_opt(a, "bit") {
        Ok(true)
    } else if is_opt(a, "byte") {
        Ok(false)
    } else {
        Err(CmdError::SYNTAX)
    }
}

/// Converts a Redis index range over `total` units (negative from the
/// end), clamping; `None` if empty.
fn units_range(start: i64, end: i64, total: i64) -> Option<(i64, i64)> {
    let mut start = if start < 0 { total + start } else { start };
    let mut end = if end < 0 { total + end } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start <= end).then_some((start, end))
}

/// Set bits of `b` from bit `from` to bit `to`, inclusive.
fn count_bits(b: &[u8], from: u64, to: u64) -> u64 {
    let (fb, lb) = ((from >> 3) as usize, (to >> 3) as usize);
    let head_mask = 0xffu8 >> (from & 7);
    let tail_mask = 0xffu8 << (7 - (to & 7));
    if fb == lb {
        return (b[fb] & head_mask & tail_mask).count_ones() as u64;
    }
    let mut n = (b[fb] & head_mask).count_ones() as u64 + (b[lb] & tail_mask).count_ones() as u64;
    let mid = &b[fb + 1..lb];
    let mut chunks = mid.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from_ne_bytes(w).count_ones() as u64;
    }
    n + chunks
        .remainder()
        .iter()
        .map(|x| x.count_ones() as u64)
        .sum::<u64>()
}

fn bitcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Redis 7.0 looks the key up first: a missing key answers 0 whatever
    // the other arguments are.
    let Some((s, _)) = read_split(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let n = s.with_bytes(|b| -> Result<u64, CmdError> {
        let len = b.len() as i64;
        let (start, end, isbit) = match args.len() {
            4 | 5 => {
                let start = arg_i64(&args[2])?;
                let end = arg_i64(&args[3])?;
                if start < 0 && end < 0 && start > end {
                    return Ok(0);
                }
                let isbit = args.len() == 5 && parse_unit(&args[4])?;
                (start, end, isbit)
            }
            2 => (0, -1, false),
            _ => return Err(CmdError::SYNTAX),
        };
        let total = if isbit { len << 3 } else { len };
        Ok(match units_range(start, end, total) {
            None => 0,
            Some((s, e)) if isbit => count_bits(b, s as u64, e as u64),
            Some((s, e)) => count_bits(b, (s as u64) << 3, ((e as u64) << 3) + 7),
        })
    })?;
    ctx.out.int(n as i64);
    Ok(())
}

/// The first bit equal to `bit` from bit `from` to bit `to` (inclusive).
fn find_bit(b: &[u8], bit: bool, from: u64, to: u64) -> Option<u64> {
    let (fb, lb) = ((from >> 3) as usize, (to >> 3) as usize);
    let flip = if bit { 0 } else { 0xff };
    let head_mask = 0xffu8 >> (from & 7);
    let tail_mask = 0xffu8 << (7 - (to & 7));
    let hit = |i: usize, mask: u8| -> Option<u64> {
        let v = (b[i] ^ flip) & mask;
        (v != 0).then(|| ((i as u64) << 3) + v.leading_zeros() as u64)
    };
    if fb == lb {
        return hit(fb, head_mask & tail_mask);
    }
    if let Some(p) = hit(fb, head_mask) {
        return Some(p);
    }
    if let Some(i) = b[fb + 1..lb].iter().position(|&x| x != flip) {
        return hit(fb + 1 + i, 0xff);
    }
    hit(lb, tail_mask)
}

fn bitpos(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let bit = arg_i64(&args[2])?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::msg("ERR The bit argument must be 1 or 0."));
    }
    // A missing key is an infinite run of zeros.
    let Some((s, _)) = read_split(ctx, &args[1])? else {
        ctx.out.int(if bit == 1 { -1 } else { 0 });
        return Ok(());
    };
    let pos = s.with_bytes(|b| -> Result<i64, CmdError> {
        let len = b.len() as i64;
        let (start, end, isbit, end_given) = match args.len() {
            4..=6 => {
                let start = arg_i64(&args[3])?;
                let isbit = args.len() == 6 && parse_unit(&args[5])?;
                let end = if args.len() >= 5 {
                    arg_i64(&args[4])?
                } else {
                    len - 1
                };
                (start, end, isbit, args.len() >= 5)
            }
            3 => (0, len - 1, false, false),
            _ => return Err(CmdError::SYNTAX),
        };
        let total = if isbit { len << 3 } else { len };
        let Some((s, e)) = units_range(start, end, total) else {
            return Ok(-1);
        };
        let (from, to) = if isbit {
            (s as u64, e as u64)
        } else {
            ((s as u64) << 3, ((e as u64) << 3) + 7)
        };
        Ok(match find_bit(b, bit == 1, from, to) {
            Some(p) => p as i64,
            // Looking for a clear bit without an explicit end: the string
            // continues with zeros past its end.
            None if bit == 0 && !end_given => (e + 1) << 3,
            None => -1,
        })
    })?;
    ctx.out.int(pos);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let name = cstr(&args[1]);
    let op = if name.eq_ignore_ascii_case(b"and") {
        Op::And
    } else if name.eq_ignore_ascii_case(b"or") {
        Op::Or
    } else if name.eq_ignore_ascii_case(b"xor") {
        Op::Xor
    } else if name.eq_ignore_ascii_case(b"not") {
        Op::Not
    } else {
        return Err(CmdError::SYNTAX);
    };
    if op == Op::Not && args.len() != 4 {
        return Err(CmdError::msg(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    // Look every source up (counting hits and misses) and check types
    // before reading any of them.
    for k in &args[3..] {
        if let Some(e) = ctx.read(k) {
            if !is_str(&e.value) {
                return Err(CmdError::WRONGTYPE);
            }
        }
    }
    let db = ctx.db;
    let st = &*ctx.st;
    let srcs: Vec<std::borrow::Cow<'_, [u8]>> = args[3..]
        .iter()
        .map(|k| match st.ks.db(db).loaded(k).map(|e| &e.value) {
            Some(tiering::Value::Str(s)) => s.as_bytes(),
            _ => std::borrow::Cow::Borrowed(&[][..]),
        })
        .collect();
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    if maxlen > 0 {
        let byte_at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
        match op {
            Op::Not => {
                // One source, so it is the longest.
                for (r, x) in res.iter_mut().zip(srcs[0].iter()) {
                    *r = !x;
                }
            }
            Op::And | Op::Or | Op::Xor => {
                res[..srcs[0].len()].copy_from_slice(&srcs[0]);
                for s in &srcs[1..] {
                    for (i, r) in res.iter_mut().enumerate() {
                        let x = byte_at(s, i);
                        match op {
                            Op::And => *r &= x,
                            Op::Or => *r |= x,
                            _ => *r ^= x,
                        }
                    }
                }
            }
        }
    }
    let target = &args[2];
    let n = res.len();
    if n > 0 {
        let found = ctx.write(target).is_some();
        put(ctx, target, StrValue::Raw(res), false);
        ctx.modified(target);
        if !found {
            ctx.notify_new(target);
        }
        ctx.notify(notify::STRING, "set", target);
        ctx.dirty(1);
    } else if ctx.st.ks.delete_any(db, target).is_some() {
        ctx.modified(target);
        ctx.notify(notify::GENERIC, "del", target);
        ctx.dirty(1);
    }
    ctx.out.int(n as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::string_testkit::Harness;
    use super::{count_bits, find_bit};

    #[test]
    fn bit_helpers() {
        let b = [0b0110_0110u8, 0xff, 0, 0b0000_0001];
        assert_eq!(count_bits(&b, 0, 31), 4 + 8 + 1);
        assert_eq!(count_bits(&b, 1, 1), 1);
        assert_eq!(count_bits(&b, 3, 4), 0);
        assert_eq!(find_bit(&b, true, 0, 31), Some(1));
        assert_eq!(find_bit(&b, true, 16, 30), None);
        assert_eq!(find_bit(&b, true, 16, 31), Some(31));
        assert_eq!(find_bit(&b, false, 8, 15), None);
        assert_eq!(find_bit(&b, false, 8, 16), Some(16));
        let long = [0u8; 40];
        assert_eq!(find_bit(&long, true, 3, 319), None);
        assert_eq!(count_bits(&[0xff; 40], 3, 318), 316);
    }

    #[test]
    fn setbit_getbit() {
        let mut h = Harness::new();
        h.run(&["set", "k", "12"]);
        assert_eq!(h.run(&["getbit", "k", "2"]), ":1");
        assert_eq!(h.run(&["setbit", "k", "0", "1"]), ":0");
        assert_eq!(h.encoding("k"), "raw");
        assert_eq!(h.run(&["setbit", "k", "23", "1"]), ":0");
        assert_eq!(h.run(&["strlen", "k"]), ":3");
        assert_eq!(
            h.run(&["setbit", "k", "1", "2"]),
            "-ERR bit is not an integer or out of range"
        );
        assert_eq!(
            h.run(&["setbit", "k", "-1", "1"]),
            "-ERR bit offset is not an integer or out of range"
        );
        assert_eq!(
            h.run(&["getbit", "k", "4294967296"]),
            "-ERR bit offset is not an integer or out of range"
        );
        assert_eq!(h.run(&["getbit", "k", "4294967295"]), ":0");
    }

    #[test]
    fn bitcount_bitpos_bitop() {
        let mut h = Harness::new();
        h.run(&["set", "s", "foobar"]);
        assert_eq!(h.run(&["bitcount", "s"]), ":26");
        assert_eq!(h.run(&["bitcount", "s", "1", "1"]), ":6");
        assert_eq!(h.run(&["bitcount", "s", "5", "30", "bit"]), ":17");
        assert_eq!(h.run(&["bitcount", "s", "1"]), "-ERR syntax error");
        assert_eq!(h.run(&["bitcount", "nokey", "x"]), ":0");
        assert_eq!(h.run(&["bitpos", "s", "1", "1", "2", "bit"]), ":1");
        assert_eq!(h.run(&["bitpos", "s", "0", "2"]), ":16");
        assert_eq!(h.run(&["bitpos", "nokey", "0"]), ":0");
        assert_eq!(
            h.run(&["bitpos", "s", "2"]),
            "-ERR The bit argument must be 1 or 0."
        );
        h.run(&["set", "ones", "\u{7f}"]);
        assert_eq!(h.run(&["bitpos", "ones", "0", "0"]), ":0");
        assert_eq!(h.run(&["bitpos", "ones", "0", "1", "7", "bit"]), ":-1");
        assert_eq!(h.run(&["bitop", "not", "d", "s"]), ":6");
        assert_eq!(h.encoding("d"), "raw");
        assert_eq!(h.run(&["bitop", "and", "d", "nokey"]), ":0");
        assert_eq!(h.encoding("d"), "none");
    }
}
