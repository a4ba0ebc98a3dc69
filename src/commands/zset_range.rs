//! Sorted-set range commands: ZRANGE in all its forms (by rank, score or
//! lex, reversed, with LIMIT and WITHSCORES), its legacy spellings
//! (ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX), ZRANGESTORE, ZCOUNT,
//! ZLEXCOUNT and ZREMRANGEBYRANK/SCORE/LEX.
//!
//! Every range becomes a pair of ranks `start..end` in the zset's order:
//! a score or lex bound is the number of members before it (a binary
//! search in the large representation), so all of them share one path.

use bytes::Bytes;

use super::access::{drop_if_empty, read, write};
use super::zset::{is_c_space, limits, reply_pairs};
use crate::exec::{arg_i64, CmdError, CmdResult, Ctx};
use crate::notify;
use tiering::ZSetValue;

const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// A score bound: value and exclusivity.
#[derive(Clone, Copy)]
struct ScoreBound {
    v: f64,
    ex: bool,
}

/// A score bound as Redis's range parser reads it: an optional `(`, then
/// strtod's syntax up to the first NUL byte (leading spaces allowed, an
/// empty string is 0, overflow is ±inf, NaN refused).
fn parse_score_bound(a: &[u8]) -> Option<ScoreBound> {
    let (ex, rest) = match a.first() {
        Some(b'(') => (true, &a[1..]),
        _ => (false, a),
    };
    let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
    if rest.is_empty() {
        return Some(ScoreBound { v: 0.0, ex });
    }
    let start = rest.iter().position(|&b| !is_c_space(b))?;
    let s = std::str::from_utf8(&rest[start..]).ok()?;
    let l = s.to_ascii_lowercase();
    let body = l.trim_start_matches(['+', '-']);
    if l.len() - body.len() > 1 || body.contains("nan") {
        return None;
    }
    let v = if body == "inf" || body == "infinity" {
        if l.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    } else if body.starts_with("inf") {
        return None;
    } else if let Some(hex) = body.strip_prefix("0x") {
        let v = super::zset::parse_hex_float(hex)?;
        if l.starts_with('-') {
            -v
        } else {
            v
        }
    } else {
        s.parse::<f64>().ok()?
    };
    Some(ScoreBound { v, ex })
}

fn score_range(min: &[u8], max: &[u8]) -> Result<(ScoreBound, ScoreBound), CmdError> {
    match (parse_score_bound(min), parse_score_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(CmdError::msg(NOT_FLOAT_RANGE)),
    }
}

/// Ranks `start..end` of the members within a score range.
fn score_ranks(z: &ZSetValue, min: ScoreBound, max: ScoreBound) -> (usize, usize) {
    if min.v > max.v || (min.v == max.v && (min.ex || max.ex)) {
        return (0, 0);
    }
    let start = z.count_before(|s, _| if min.ex { s <= min.v } else { s < min.v });
    let end = z.count_before(|s, _| if max.ex { s < max.v } else { s <= max.v });
    (start, end.max(start))
}

/// A lex bound: `-`, `+`, `[x` or `(x`.
#[derive(Clone)]
enum LexBound {
    Min,
    Max,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

fn parse_lex_bound(a: &[u8]) -> Option<LexBound> {
    match a.first()? {
        b'+' if a.len() == 1 || a[1] == 0 => Some(LexBound::Max),
        b'-' if a.len() == 1 || a[1] == 0 => Some(LexBound::Min),
        b'[' => Some(LexBound::Incl(a[1..].to_vec())),
        b'(' => Some(LexBound::Excl(a[1..].to_vec())),
        _ => None,
    }
}

fn lex_range(min: &[u8], max: &[u8]) -> Result<(LexBound, LexBound), CmdError> {
    match (parse_lex_bound(min), parse_lex_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(CmdError::msg(NOT_LEX_RANGE)),
    }
}

/// Ranks `start..end` of the members within a lex range. Lex ranges are
/// meant for zsets whose members share one score (then the members are in
/// byte order and this is two binary searches). On a compact zset with
/// mixed scores Redis's answer is still deterministic: from the first
/// member at or above `min`, scanning from the head (from the last member
/// at or below `max`, scanning from the tail, when `rev`), while the
/// members stay in range; that is reproduced here.
fn lex_ranks(z: &ZSetValue, min: &LexBound, max: &LexBound, rev: bool) -> (usize, usize) {
    use LexBound::*;
    let empty = match (min, max) {
        (Max, _) | (_, Min) => true,
        (Incl(a) | Excl(a), Incl(b) | Excl(b)) => {
            a > b || (a == b && (matches!(min, Excl(_)) || matches!(max, Excl(_))))
        }
        _ => false,
    };
    if empty || z.is_empty() {
        return (0, 0);
    }
    let gte_min = |m: &[u8]| match min {
        Min => true,
        Max => false,
        Incl(a) => m >= &a[..],
        Excl(a) => m > &a[..],
    };
    let lte_max = |m: &[u8]| match max {
        Max => true,
        Min => false,
        Incl(b) => m <= &b[..],
        Excl(b) => m < &b[..],
    };
    if let ZSetValue::Pack(_) = z {
        let members: Vec<Vec<u8>> = z.range(0, z.len()).into_iter().map(|(m, _)| m).collect();
        let n = members.len();
        if !gte_min(&members[n - 1]) || !lte_max(&members[0]) {
            return (0, 0);
        }
        if rev {
            let Some(last) = (0..n).rev().find(|&i| lte_max(&members[i])) else {
                return (0, 0);
            };
            if !gte_min(&members[last]) {
                return (0, 0);
            }
            let mut first = last;
            while first > 0 && gte_min(&members[first - 1]) {
                first -= 1;
            }
            return (first, last + 1);
        }
        let Some(first) = (0..n).find(|&i| gte_min(&members[i])) else {
            return (0, 0);
        };
        if !lte_max(&members[first]) {
            return (0, 0);
        }
        let mut end = first + 1;
        while end < n && lte_max(&members[end]) {
            end += 1;
        }
        return (first, end);
    }
    let start = z.count_before(|_, m| !gte_min(m));
    let end = z.count_before(|_, m| lte_max(m));
    (start, end.max(start))
}

/// Rank bounds as Redis normalises them: negative from the end, clamped;
/// `None` for an empty range.
fn rank_ranks(len: usize, start: i64, stop: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut stop = if stop < 0 { len + stop } else { stop };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= len {
        return None;
    }
    if stop >= len {
        stop = len - 1;
    }
    Some((start as usize, stop as usize + 1))
}

pub fn zcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (min, max) = score_range(&args[2], &args[3])?;
    let n = read::<ZSetValue>(ctx, &args[1])?.map_or(0, |z| {
        let (a, b) = score_ranks(z, min, max);
        b - a
    });
    ctx.out.int(n as i64);
    Ok(())
}

pub fn zlexcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (min, max) = lex_range(&args[2], &args[3])?;
    let n = read::<ZSetValue>(ctx, &args[1])?.map_or(0, |z| {
        let (a, b) = lex_ranks(z, &min, &max, false);
        b - a
    });
    ctx.out.int(n as i64);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// One ZRANGE-like call: `first` is the index of the source key; `by` and
/// `rev` are preset by the legacy spellings (`None`: options may set them).
fn zrange_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    dst: Option<&Bytes>,
    first: usize,
    preset_by: By,
    preset_rev: Option<bool>,
) -> CmdResult {
    let key = &args[first];
    let (mut minidx, mut maxidx) = (first + 1, first + 2);
    let mut by = preset_by;
    let mut rev = preset_rev;
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = first + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if dst.is_none() && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            offset = arg_i64(&args[j + 1])?;
            limit = arg_i64(&args[j + 2])?;
            j += 2;
        } else if rev.is_none() && a.eq_ignore_ascii_case(b"rev") {
            rev = Some(true);
        } else if by == By::Auto && a.eq_ignore_ascii_case(b"bylex") {
            by = By::Lex;
        } else if by == By::Auto && a.eq_ignore_ascii_case(b"byscore") {
            by = By::Score;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit != -1 && by == By::Rank {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::msg(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if rev && by != By::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    enum R {
        Rank(i64, i64),
        Score(ScoreBound, ScoreBound),
        Lex(LexBound, LexBound),
    }
    let range = match by {
        By::Score => {
            let (a, b) = score_range(&args[minidx], &args[maxidx])?;
            R::Score(a, b)
        }
        By::Lex => {
            let (a, b) = lex_range(&args[minidx], &args[maxidx])?;
            R::Lex(a, b)
        }
        _ => R::Rank(arg_i64(&args[minidx])?, arg_i64(&args[maxidx])?),
    };
    // A read lookup with a destination too (a miss fires `keymiss`).
    let src = read::<ZSetValue>(ctx, key)?;
    let items = match src {
        None => Vec::new(),
        Some(z) => {
            let (start, end) = match &range {
                R::Rank(a, b) => {
                    // Ranks count from the end when reversed.
                    match rank_ranks(z.len(), *a, *b) {
                        Some((s, e)) if rev => (z.len() - e, z.len() - s),
                        Some(r) => r,
                        None => (0, 0),
                    }
                }
                R::Score(a, b) => score_ranks(z, *a, *b),
                R::Lex(a, b) => lex_ranks(z, a, b, rev),
            };
            let (start, end) = if matches!(range, R::Rank(..)) {
                (start, end)
            } else {
                apply_limit(start, end, offset, limit, rev)
            };
            let mut v = z.range(start, end);
            if rev {
                v.reverse();
            }
            v
        }
    };
    match dst {
        None => reply_pairs(ctx, &items, withscores),
        Some(dst) => {
            store(ctx, dst, items, "zrangestore", true);
        }
    }
    Ok(())
}

/// The part of ranks `start..end` that LIMIT keeps: skip `offset` members
/// from the range's first end (its top when reversed), then keep `limit`
/// (negative: all). A negative offset leaves nothing, as in Redis.
fn apply_limit(start: usize, end: usize, offset: i64, limit: i64, rev: bool) -> (usize, usize) {
    if offset < 0 {
        return (0, 0);
    }
    let n = end - start;
    let off = usize::try_from(offset).unwrap_or(usize::MAX).min(n);
    let keep = if limit < 0 {
        n - off
    } else {
        usize::try_from(limit).unwrap_or(usize::MAX).min(n - off)
    };
    if rev {
        (end - off - keep, end - off)
    } else {
        (start + off, start + off + keep)
    }
}

/// Stores a result at `dst` (deleting `dst` when it is empty), as the
/// `*STORE` commands do: the new value replaces whatever `dst` held.
/// Replies with the result's size. Fires `event` (after `new` if `dst`
/// did not exist), or `del` when an empty result deleted `dst`. Redis's
/// order: with `reply_first` (ZUNIONSTORE & co., ZRANGESTORE) `new`, the
/// reply, then `event` or `del`; else (the GEO stores) the events, then
/// the reply.
pub fn store(
    ctx: &mut Ctx,
    dst: &[u8],
    mut items: Vec<(Vec<u8>, f64)>,
    event: &str,
    reply_first: bool,
) {
    let n = items.len() as i64;
    let (db, now) = (ctx.db, ctx.now_ms);
    if items.is_empty() {
        if reply_first {
            ctx.out.int(0);
        }
        if ctx.st.ks.delete_any(db, dst).is_some() {
            ctx.modified(dst);
            ctx.notify(notify::GENERIC, "del", dst);
            ctx.dirty(1);
        }
        if !reply_first {
            ctx.out.int(0);
        }
        return;
    }
    // Results may come in reverse order (REV); the value wants its own.
    items.sort_by(|a, b| tiering::zset::cmp_entry(a.1, &a.0, b.1, &b.0));
    let lim = limits(ctx);
    let v = ZSetValue::from_sorted(items, &lim);
    let found = ctx.st.ks.delete(db, dst, now).is_some();
    ctx.st
        .ks
        .insert_new(db, dst, tiering::Value::ZSet(Box::new(v)), now);
    ctx.modified(dst);
    ctx.dirty(1);
    if !found {
        ctx.notify_new(dst);
    }
    if reply_first {
        ctx.out.int(n);
    }
    ctx.notify(notify::ZSET, event, dst);
    if !reply_first {
        ctx.out.int(n);
    }
}

pub fn zrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, None, 1, By::Auto, None)
}

pub fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, Some(&args[1]), 2, By::Auto, None)
}

pub fn zrevrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, None, 1, By::Rank, Some(true))
}

pub fn zrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, None, 1, By::Score, Some(false))
}

pub fn zrevrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, None, 1, By::Score, Some(true))
}

pub fn zrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, None, 1, By::Lex, Some(false))
}

pub fn zrevrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, None, 1, By::Lex, Some(true))
}

/// ZREMRANGEBY*: the range is checked before the key is looked up.
fn zremrange(ctx: &mut Ctx, args: &[Bytes], by: By) -> CmdResult {
    enum R {
        Rank(i64, i64),
        Score(ScoreBound, ScoreBound),
        Lex(LexBound, LexBound),
    }
    let range = match by {
        By::Score => {
            let (a, b) = score_range(&args[2], &args[3])?;
            R::Score(a, b)
        }
        By::Lex => {
            let (a, b) = lex_range(&args[2], &args[3])?;
            R::Lex(a, b)
        }
        _ => R::Rank(arg_i64(&args[2])?, arg_i64(&args[3])?),
    };
    let key = &args[1];
    let Some(z) = write::<ZSetValue>(ctx, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let (start, end) = match &range {
        R::Rank(a, b) => rank_ranks(z.len(), *a, *b).unwrap_or((0, 0)),
        R::Score(a, b) => score_ranks(z, *a, *b),
        R::Lex(a, b) => lex_ranks(z, a, b, false),
    };
    let n = z.remove_range(start, end);
    let empty = z.is_empty();
    drop_if_empty(ctx, key, empty);
    if n > 0 {
        ctx.modified(key);
        let event = match by {
            By::Score => "zremrangebyscore",
            By::Lex => "zremrangebylex",
            _ => "zremrangebyrank",
        };
        ctx.notify(notify::ZSET, event, key);
        if empty {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.dirty(n as u64);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn zremrangebyrank(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zremrange(ctx, args, By::Rank)
}

pub fn zremrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zremrange(ctx, args, By::Score)
}

pub fn zremrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zremrange(ctx, args, By::Lex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_bounds_parse_like_strtod() {
        assert_eq!(
            parse_score_bound(b"").map(|b| (b.v, b.ex)),
            Some((0.0, false))
        );
        assert_eq!(
            parse_score_bound(b"(").map(|b| (b.v, b.ex)),
            Some((0.0, true))
        );
        assert_eq!(parse_score_bound(b" 1").map(|b| b.v), Some(1.0));
        assert_eq!(
            parse_score_bound(b"1e400").map(|b| b.v),
            Some(f64::INFINITY)
        );
        assert_eq!(
            parse_score_bound(b"-inf").map(|b| b.v),
            Some(f64::NEG_INFINITY)
        );
        assert!(parse_score_bound(b"nan").is_none());
        assert!(parse_score_bound(b"1 ").is_none());
        assert!(parse_score_bound(b"x").is_none());
    }

    #[test]
    fn limit_from_either_end() {
        assert_eq!(apply_limit(2, 10, 1, 3, false), (3, 6));
        assert_eq!(apply_limit(2, 10, 1, 3, true), (6, 9));
        assert_eq!(apply_limit(2, 10, 100, -1, false), (10, 10));
        assert_eq!(apply_limit(2, 10, -1, 3, false), (0, 0));
    }
}
