//! Commands on parts of strings: APPEND, STRLEN, GETRANGE, SUBSTR,
//! SETRANGE, LCS.
//!
//! In-place modifications turn the value `raw`, as Redis does.

use bytes::Bytes;

use super::string::{
    check_string_length, is_opt, is_str, peek_split, put, read_split, string_length_ok, write_str,
};
use super::*;
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx};
use crate::notify;
use tiering::StrValue;

const STR: u32 = C_STRING;
const KEY_RO: &[KeySpec] = &[ks(KS_RO | KS_ACCESS, 1, 0, 1)];

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "append",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_INSERT, 1, 0, 1)],
        group: "string",
        since: "2.0.0",
        summary: "Appends bytes to a string, creating the key if needed.",
        complexity: "O(1) amortized, plus copying the appended bytes.",
        handler: Some(append),
        ..BASE
    },
    CommandDef {
        name: "strlen",
        arity: 2,
        flags: READONLY | FAST,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RO, 1, 0, 1)],
        group: "string",
        since: "2.2.0",
        summary: "Returns the length in bytes of a string.",
        complexity: "O(1)",
        handler: Some(strlen),
        ..BASE
    },
    CommandDef {
        name: "getrange",
        arity: 4,
        flags: READONLY,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: KEY_RO,
        group: "string",
        since: "2.4.0",
        summary: "Returns the bytes of a string between two offsets.",
        complexity: "O(N) with N the length of the result.",
        handler: Some(getrange),
        ..BASE
    },
    CommandDef {
        name: "substr",
        arity: 4,
        flags: READONLY,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: KEY_RO,
        group: "string",
        summary: "Returns the bytes of a string between two offsets (old name of GETRANGE).",
        complexity: "O(N) with N the length of the result.",
        handler: Some(getrange),
        ..BASE
    },
    CommandDef {
        name: "setrange",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: STR,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[ks(KS_RW | KS_UPDATE, 1, 0, 1)],
        group: "string",
        since: "2.2.0",
        summary:
            "Overwrites part of a string at an offset, zero-padding and creating it as needed.",
        complexity: "O(M) with M the length of the value written, plus any zero padding.",
        handler: Some(setrange),
        ..BASE
    },
    CommandDef {
        name: "lcs",
        arity: -3,
        flags: READONLY,
        acl: STR,
        first_key: 1,
        last_key: 2,
        key_step: 1,
        key_specs: &[ks(KS_RO | KS_ACCESS, 1, 1, 1)],
        group: "string",
        since: "7.0.0",
        summary: "Computes the longest common subsequence of two strings.",
        complexity: "O(N*M) with N and M the lengths of the two strings.",
        handler: Some(lcs),
        ..BASE
    },
];

fn append(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (key, tail) = (&args[1], &args[2]);
    let max = ctx.st.config.tun.proto_max_bulk_len;
    let (total, created) = match write_str(ctx, key)? {
        None => {
            // A new key is stored as SET would store the argument.
            put(ctx, key, StrValue::from_bytes(tail), false);
            (tail.len(), true)
        }
        Some(s) => {
            string_length_ok(max, s.len() as u128 + tail.len() as u128)?;
            let buf = s.make_raw();
            buf.extend_from_slice(tail);
            (buf.len(), false)
        }
    };
    ctx.modified(key);
    ctx.dirty(1);
    if created {
        ctx.notify_new(key);
    }
    ctx.notify(notify::STRING, "append", key);
    ctx.out.int(total as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = match read_split(ctx, &args[1])? {
        Some((s, _)) => s.len(),
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// Resolves a Redis `start..=end` range (negative from the end) over
/// `len` items, or `None` if empty. Redis answers empty for two negative
/// indexes in the wrong order before clamping.
pub(crate) fn clamp_range(start: i64, end: i64, len: i64) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    match read_split(ctx, &args[1])? {
        None => ctx.out.bulk(b""),
        Some((s, out)) => s.with_bytes(|b| match clamp_range(start, end, b.len() as i64) {
            Some((from, to)) => out.bulk(&b[from..=to]),
            None => out.bulk(b""),
        }),
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (key, value) = (&args[1], &args[3]);
    let offset = arg_i64(&args[2])?;
    if offset < 0 {
        return Err(CmdError::msg("ERR offset is out of range"));
    }
    let end = offset as u128 + value.len() as u128;
    let exists = match ctx.write(key) {
        None => false,
        Some(e) if !is_str(&e.value) => return Err(CmdError::WRONGTYPE),
        Some(_) => true,
    };
    if !exists {
        if value.is_empty() {
            ctx.out.int(0);
            return Ok(());
        }
        check_string_length(ctx, end)?;
        let mut buf = vec![0u8; end as usize];
        buf[offset as usize..].copy_from_slice(value);
        put(ctx, key, StrValue::Raw(buf), false);
        ctx.modified(key);
        ctx.dirty(1);
        ctx.notify_new(key);
        ctx.notify(notify::STRING, "setrange", key);
        ctx.out.int(end as i64);
        return Ok(());
    }
    if value.is_empty() {
        let n = peek_split(ctx, key).map_or(0, |(s, _)| s.len());
        ctx.out.int(n as i64);
        return Ok(());
    }
    check_string_length(ctx, end)?;
    let Some(s) = write_str(ctx, key)? else {
        return Ok(());
    };
    let buf = s.make_raw();
    let end = end as usize;
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[offset as usize..end].copy_from_slice(value);
    let n = buf.len();
    ctx.modified(key);
    ctx.dirty(1);
    ctx.notify(notify::STRING, "setrange", key);
    ctx.out.int(n as i64);
    Ok(())
}

/// One matching range of LCS IDX: positions in the first and second
/// string, and its length.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
    len: usize,
}

fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Both keys are looked up (and counted) before anything is checked.
    let ta = ctx.read(&args[1]).map(|e| is_str(&e.value));
    let tb = ctx.read(&args[2]).map(|e| is_str(&e.value));
    if ta == Some(false) || tb == Some(false) {
        return Err(CmdError::msg(
            "ERR The specified keys must contain string values",
        ));
    }
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let a = &args[j][..];
        let more = j + 1 < args.len();
        if is_opt(a, "idx") {
            getidx = true;
        } else if is_opt(a, "len") {
            getlen = true;
        } else if is_opt(a, "withmatchlen") {
            withmatchlen = true;
        } else if is_opt(a, "minmatchlen") && more {
            minmatchlen = arg_i64(&args[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    if getlen && getidx {
        return Err(CmdError::msg(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let db = ctx.db;
    let max_transient = ctx.st.config.tun.proto_max_bulk_len;
    let st = &*ctx.st;
    let get = |k: &[u8]| -> Vec<u8> {
        match st.ks.db(db).loaded(k).map(|e| &e.value) {
            Some(tiering::Value::Str(s)) => s.as_bytes().into_owned(),
            _ => Vec::new(),
        }
    };
    let (a, b) = (get(&args[1]), get(&args[2]));
    let (alen, blen) = (a.len(), b.len());
    if alen as u64 >= u32::MAX as u64 - 1 || blen as u64 >= u32::MAX as u64 - 1 {
        return Err(CmdError::msg("ERR String too long for LCS"));
    }
    let cells = (alen as u128 + 1) * (blen as u128 + 1);
    if cells * 4 > max_transient.max(0) as u128 {
        return Err(CmdError::msg(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        return Err(CmdError::msg(
            "ERR Insufficient memory, failed allocating transient memory for LCS",
        ));
    }
    table.resize(cells as usize, 0);
    let w = blen + 1;
    for i in 1..=alen {
        for j in 1..=blen {
            table[i * w + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * w + j - 1] + 1
            } else {
                table[(i - 1) * w + j].max(table[i * w + j - 1])
            };
        }
    }
    let total = table[alen * w + blen] as usize;
    if getlen && !getidx {
        ctx.out.int(total as i64);
        return Ok(());
    }
    // Walk back from the end, collecting the common string and the
    // ranges of contiguous matches, as Redis does.
    let mut result = vec![0u8; total];
    let mut idx = total;
    let mut matches: Vec<Match> = Vec::new();
    let (mut i, mut j) = (alen, blen);
    let mut cur: Option<Match> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            match &mut cur {
                None => {
                    cur = Some(Match {
                        a: (i - 1, i - 1),
                        b: (j - 1, j - 1),
                        len: 1,
                    })
                }
                Some(m) if m.a.0 == i && m.b.0 == j => {
                    m.a.0 -= 1;
                    m.b.0 -= 1;
                    m.len += 1;
                }
                Some(_) => emit = true,
            }
            if let Some(m) = &cur {
                if m.a.0 == 0 || m.b.0 == 0 {
                    emit = true;
                }
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * w + j] > table[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if cur.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some(m) = cur.take() {
                if minmatchlen == 0 || m.len as i64 >= minmatchlen {
                    matches.push(m);
                }
            }
        }
    }
    if !getidx {
        ctx.out.bulk(&result);
        return Ok(());
    }
    let out = &mut *ctx.out;
    out.map(2);
    out.bulk_str("matches");
    out.array(matches.len());
    for m in &matches {
        out.array(2 + usize::from(withmatchlen));
        out.array(2);
        out.int(m.a.0 as i64);
        out.int(m.a.1 as i64);
        out.array(2);
        out.int(m.b.0 as i64);
        out.int(m.b.1 as i64);
        if withmatchlen {
            out.int(m.len as i64);
        }
    }
    out.bulk_str("len");
    out.int(total as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::string_testkit::Harness;
    use super::clamp_range;

    #[test]
    fn ranges_clamp_like_redis() {
        assert_eq!(clamp_range(0, -1, 6), Some((0, 5)));
        assert_eq!(clamp_range(-100, -200, 6), None);
        assert_eq!(clamp_range(-200, -100, 6), Some((0, 0)));
        assert_eq!(clamp_range(3, 100, 6), Some((3, 5)));
        assert_eq!(clamp_range(7, 100, 6), None);
        assert_eq!(clamp_range(0, 0, 0), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 6), Some((0, 5)));
    }

    #[test]
    fn append_setrange_getrange() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["append", "k", "12"]), ":2");
        assert_eq!(h.encoding("k"), "int");
        assert_eq!(h.run(&["append", "k", "ab"]), ":4");
        assert_eq!(h.encoding("k"), "raw");
        assert_eq!(h.run(&["getrange", "k", "1", "-2"]), "$2a");
        assert_eq!(h.run(&["substr", "k", "-1", "10"]), "$b");
        assert_eq!(h.run(&["setrange", "k", "6", "xy"]), ":8");
        assert_eq!(h.run(&["get", "k"]), "$12ab\0\0xy");
        assert_eq!(h.run(&["setrange", "new", "0", ""]), ":0");
        assert_eq!(h.run(&["setrange", "new", "1", "a"]), ":2");
        assert_eq!(h.encoding("new"), "raw");
        assert_eq!(
            h.run(&["setrange", "k", "-1", "a"]),
            "-ERR offset is out of range"
        );
        h.set_max_bulk(10);
        assert_eq!(
            h.run(&["setrange", "k", "9", "ab"]),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"
        );
        assert_eq!(
            h.run(&["append", "k", "abc"]),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"
        );
        assert_eq!(h.run(&["setrange", "k", "9223372036854775807", ""]), ":8");
    }

    #[test]
    fn lcs_variants() {
        let mut h = Harness::new();
        h.run(&["mset", "a", "ohmytext", "b", "mynewtext"]);
        assert_eq!(h.run(&["lcs", "a", "b"]), "$mytext");
        assert_eq!(h.run(&["lcs", "a", "b", "len"]), ":6");
        assert_eq!(
            h.run(&["lcs", "a", "b", "idx", "minmatchlen", "4", "withmatchlen"]),
            "*4 $matches *1 *3 *2 :4 :7 *2 :5 :8 :4 $len :6"
        );
        assert_eq!(
            h.run(&["lcs", "a", "b", "idx"]),
            "*4 $matches *2 *2 *2 :4 :7 *2 :5 :8 *2 *2 :2 :3 *2 :0 :1 $len :6"
        );
        assert_eq!(
            h.run(&["lcs", "a", "b", "len", "idx"]),
            "-ERR If you want both the length and indexes, please just use IDX."
        );
        assert_eq!(
            h.run(&["lcs", "a", "b", "minmatchlen"]),
            "-ERR syntax error"
        );
        assert_eq!(h.run(&["lcs", "a", "nokey"]), "$");
        h.set_max_bulk(20);
        assert_eq!(
            h.run(&["lcs", "a", "b"]),
            "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
        );
    }
}
