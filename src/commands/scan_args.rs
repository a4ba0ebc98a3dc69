//! What the SCAN family (SCAN, HSCAN, SSCAN, ZSCAN) has in common: the
//! cursor, the `MATCH`/`COUNT` options with the per-command extras
//! (`TYPE` for SCAN, `NOVALUES` for HSCAN), and the bounded walk over a
//! hash table that one call performs.
//!
//! A command parses its cursor with [`cursor`] first (a bad cursor is an
//! error even for a missing key), looks its key up, and only then parses
//! the options with [`ScanArgs::parse`]: Redis answers an empty scan for a
//! missing key without reading the options, so an option error shows only
//! on an existing key. Errors are Redis's, byte for byte.

use bytes::Bytes;

use crate::exec::{arg_i64, CmdError};
use tiering::glob;

/// Parses a SCAN cursor as Redis does with `strtoul`: the argument is read
/// as a C string (up to a NUL byte); no leading space; an optional sign (a
/// negative value wraps around); digits only; no overflow. The empty
/// string is cursor 0.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let s = match arg.iter().position(|&b| b == 0) {
        Some(p) => &arg[..p],
        None => arg,
    };
    let Some(&first) = s.first() else {
        return Some(0);
    };
    if matches!(first, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        return None;
    }
    let (neg, digits) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The cursor argument, or Redis's "invalid cursor" error.
pub fn cursor(arg: &[u8]) -> Result<u64, CmdError> {
    parse_cursor(arg).ok_or(CmdError::msg("ERR invalid cursor"))
}

/// Which options beyond `MATCH` and `COUNT` a command accepts; any other
/// word is a syntax error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accept {
    /// `TYPE name` (SCAN only).
    pub type_filter: bool,
    /// `NOVALUES` (HSCAN only, Redis 7.4).
    pub no_values: bool,
    /// `NOSCORES` (ZSCAN only, Valkey 8).
    pub no_scores: bool,
}

impl Accept {
    /// `MATCH` and `COUNT` only (SSCAN, ZSCAN).
    pub const PLAIN: Accept = Accept {
        type_filter: false,
        no_values: false,
        no_scores: false,
    };
    /// SCAN.
    pub const TYPE: Accept = Accept {
        type_filter: true,
        no_values: false,
        no_scores: false,
    };
    /// HSCAN.
    pub const NOVALUES: Accept = Accept {
        type_filter: false,
        no_values: true,
        no_scores: false,
    };
    /// ZSCAN.
    pub const NOSCORES: Accept = Accept {
        type_filter: false,
        no_values: false,
        no_scores: true,
    };
}

/// The parsed options of one SCAN-family call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanArgs<'a> {
    /// The `MATCH` pattern; `None` if absent or `*` (which matches
    /// everything, so no item needs testing).
    pub pattern: Option<&'a [u8]>,
    /// `COUNT` (default 10): how many items a call aims to return.
    pub count: usize,
    /// `TYPE` (SCAN): the type name asked for, as given.
    pub type_name: Option<&'a [u8]>,
    /// `NOVALUES` (HSCAN): fields without their values.
    pub no_values: bool,
    /// `NOSCORES` (ZSCAN): members without their scores.
    pub no_scores: bool,
}

impl<'a> ScanArgs<'a> {
    /// Parses the options in `args[from..]`. Each option may repeat (the
    /// last one wins); an option missing its argument, an unknown word,
    /// an option this command does not take, and `COUNT` below 1 are
    /// syntax errors; a non-integer `COUNT` is the usual integer error.
    pub fn parse(args: &'a [Bytes], from: usize, accept: Accept) -> Result<Self, CmdError> {
        let mut o = ScanArgs {
            pattern: None,
            count: 10,
            type_name: None,
            no_values: false,
            no_scores: false,
        };
        let mut i = from;
        while i < args.len() {
            let has_arg = args.len() - i >= 2;
            let opt = &args[i];
            if opt.eq_ignore_ascii_case(b"count") && has_arg {
                let n = arg_i64(&args[i + 1])?;
                if n < 1 {
                    return Err(CmdError::SYNTAX);
                }
                o.count = usize::try_from(n).unwrap_or(usize::MAX);
                i += 2;
            } else if opt.eq_ignore_ascii_case(b"match") && has_arg {
                o.pattern = Some(&args[i + 1][..]).filter(|p| *p != b"*");
                i += 2;
            } else if accept.type_filter && opt.eq_ignore_ascii_case(b"type") && has_arg {
                o.type_name = Some(&args[i + 1][..]);
                i += 2;
            } else if accept.no_values && opt.eq_ignore_ascii_case(b"novalues") {
                o.no_values = true;
                i += 1;
            } else if accept.no_scores && opt.eq_ignore_ascii_case(b"noscores") {
                o.no_scores = true;
                i += 1;
            } else {
                return Err(CmdError::SYNTAX);
            }
        }
        Ok(o)
    }

    /// Whether `item` passes the `MATCH` filter (always, without one).
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob::matches(p, item, false))
    }
}

/// One call's walk over a hash table, as Redis bounds it: `step` visits
/// the bucket(s) `cursor` names and returns the next cursor and how many
/// items have been gathered so far. The walk stops when the iteration is
/// complete (cursor 0), when `count` items are gathered, or after
/// `10 * count` further steps, so that a sparse table (many empty buckets
/// after deletions) cannot stall the server. Returns the cursor to hand
/// back to the client. The `MATCH` filter applies afterwards, so a call
/// may return nothing with a cursor that is not 0.
pub fn walk(cursor: u64, count: usize, mut step: impl FnMut(u64) -> (u64, usize)) -> u64 {
    let mut budget = count.saturating_mul(10);
    let mut next = cursor;
    loop {
        let (n, gathered) = step(next);
        next = n;
        if next == 0 || budget == 0 || gathered >= count {
            return next;
        }
        budget -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"12\0junk"), Some(12));
        for bad in [
            &b" 1"[..],
            b"1 ",
            b"x",
            b"0x1",
            b"-",
            b"+",
            b"+-1",
            b"18446744073709551616",
            b"-18446744073709551616",
        ] {
            assert_eq!(parse_cursor(bad), None, "{:?}", bad);
        }
    }

    fn args(v: &[&str]) -> Vec<Bytes> {
        v.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn options() {
        let a = args(&["sscan", "k", "0", "MATCH", "a*", "count", "5", "match", "*"]);
        let o = ScanArgs::parse(&a, 3, Accept::PLAIN).expect("valid");
        assert_eq!((o.pattern, o.count), (None, 5));
        let a = args(&["scan", "0", "type", "set", "MATCH", "x"]);
        let o = ScanArgs::parse(&a, 2, Accept::TYPE).expect("valid");
        assert_eq!(o.type_name, Some(&b"set"[..]));
        assert!(o.matches(b"x") && !o.matches(b"y"));
        let a = args(&["hscan", "k", "0", "NOVALUES"]);
        assert!(
            ScanArgs::parse(&a, 3, Accept::NOVALUES)
                .expect("valid")
                .no_values
        );
        for bad in [
            &["sscan", "k", "0", "TYPE", "set"][..],
            &["sscan", "k", "0", "NOVALUES"],
            &["sscan", "k", "0", "COUNT", "0"],
            &["sscan", "k", "0", "COUNT"],
            &["sscan", "k", "0", "MATCH"],
            &["sscan", "k", "0", "junk", "1"],
        ] {
            let a = args(bad);
            assert!(ScanArgs::parse(&a, 3, Accept::PLAIN).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn walk_is_bounded() {
        // A table of empty buckets: 10 * COUNT steps after the first.
        let mut steps = 0;
        let next = walk(0, 3, |c| {
            steps += 1;
            (c + 1, 0)
        });
        assert_eq!((steps, next), (31, 31));
        // Enough items: stops at once.
        assert_eq!(walk(5, 3, |c| (c + 1, 3)), 6);
        // The end of the iteration.
        assert_eq!(walk(5, 3, |_| (0, 0)), 0);
    }
}
