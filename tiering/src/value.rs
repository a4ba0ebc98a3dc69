//! Values stored under keys. Each type keeps the representation Redis
//! reports through `OBJECT ENCODING`, because clients and tools read it.

use std::borrow::Cow;

use crate::{HashValue, ListValue, SetValue, ZSetValue};

/// The longest string Redis stores as `embstr` (one allocation with its
/// object header); longer ones are `raw`.
pub const EMBSTR_MAX: usize = 44;

/// A string value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrValue {
    /// A string that is the canonical decimal form of an `i64` (`int`).
    Int(i64),
    /// A short string created whole (`embstr`); immutable: a modification
    /// turns it into `Raw`, as in Redis.
    Emb(Box<[u8]>),
    /// Any other string (`raw`).
    Raw(Vec<u8>),
}

/// Parses `s` as Redis's `string2ll` does: optional `-`, no leading zeros,
/// no `+`, no spaces, within `i64`.
pub fn parse_strict_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

impl StrValue {
    /// A string as `SET` stores it: `int` if it is a canonical integer,
    /// `embstr` if short, else `raw`.
    pub fn from_bytes(b: &[u8]) -> StrValue {
        if b.len() <= 20 {
            if let Some(i) = parse_strict_i64(b) {
                return StrValue::Int(i);
            }
        }
        if b.len() <= EMBSTR_MAX {
            StrValue::Emb(b.into())
        } else {
            StrValue::Raw(b.to_vec())
        }
    }

    /// Like [`from_bytes`](Self::from_bytes) but takes ownership (no copy for
    /// long values).
    pub fn from_vec(b: Vec<u8>) -> StrValue {
        if b.len() <= EMBSTR_MAX {
            return Self::from_bytes(&b);
        }
        StrValue::Raw(b)
    }

    /// A string that is never integer-encoded (results of INCRBYFLOAT,
    /// GETRANGE-like derived strings): `embstr` or `raw` by length.
    pub fn from_bytes_no_int(b: &[u8]) -> StrValue {
        if b.len() <= EMBSTR_MAX {
            StrValue::Emb(b.into())
        } else {
            StrValue::Raw(b.to_vec())
        }
    }

    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            StrValue::Int(i) => Cow::Owned(i.to_string().into_bytes()),
            StrValue::Emb(b) => Cow::Borrowed(b),
            StrValue::Raw(v) => Cow::Borrowed(v),
        }
    }

    /// Calls `f` with the bytes of the value; an `int` is formatted on the
    /// stack, so no allocation happens.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            StrValue::Int(i) => f(format_i64(*i, &mut [0; 20])),
            StrValue::Emb(b) => f(b),
            StrValue::Raw(v) => f(v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(i) => int_len(*i),
            StrValue::Emb(b) => b.len(),
            StrValue::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Emb(_) => "embstr",
            StrValue::Raw(_) => "raw",
        }
    }

    /// The value as an integer, if it parses as one (for INCR and friends).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StrValue::Int(i) => Some(*i),
            StrValue::Emb(b) => parse_strict_i64(b),
            StrValue::Raw(v) => parse_strict_i64(v),
        }
    }

    /// Converts to `raw` for in-place modification (APPEND, SETRANGE,
    /// SETBIT...) and returns the buffer.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Raw(_)) {
            let v = self.as_bytes().into_owned();
            *self = StrValue::Raw(v);
        }
        match self {
            StrValue::Raw(v) => v,
            _ => unreachable!("converted to raw above"),
        }
    }

    /// Bytes of heap this value owns (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            StrValue::Int(_) => 0,
            StrValue::Emb(b) => b.len(),
            StrValue::Raw(v) => v.capacity(),
        }
    }
}

/// Writes the decimal form of `i` into `buf` (no allocation) and returns
/// it.
pub fn format_i64(i: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut pos = buf.len();
    let mut v = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if i < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

fn int_len(i: i64) -> usize {
    let mut n = if i < 0 { 2 } else { 1 };
    let mut v = i.unsigned_abs();
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// A value of any type. Collections are boxed so that the enum, and with
/// it every hash-table node, stays as small as a string needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrValue),
    List(Box<ListValue>),
    Hash(Box<HashValue>),
    Set(Box<SetValue>),
    ZSet(Box<ZSetValue>),
    /// A value in the cold tier: RAM keeps only this reference (see
    /// `cold.rs`). The keyspace loads it back before a command sees it.
    Cold(crate::cold::ColdRef),
}

impl Value {
    /// The name `TYPE` reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Cold(c) => c.repr.type_name(),
        }
    }

    /// The encoding `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Cold(c) => c.repr.encoding(),
        }
    }

    /// Bytes of heap the value owns (for memory accounting and the lazy-free
    /// decision).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
            Value::List(l) => std::mem::size_of::<ListValue>() + l.heap_size(),
            Value::Hash(h) => std::mem::size_of::<HashValue>() + h.heap_size(),
            Value::Set(s) => std::mem::size_of::<SetValue>() + s.heap_size(),
            Value::ZSet(z) => std::mem::size_of::<ZSetValue>() + z.heap_size(),
            Value::Cold(_) => 0,
        }
    }

    pub fn is_cold(&self) -> bool {
        matches!(self, Value::Cold(_))
    }
}

/// C's `%.{prec}g`.
pub fn format_g(d: f64, prec: usize) -> String {
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let prec = prec.max(1);
    // Exponent as %e would print it after rounding to `prec` digits.
    let e_repr = format!("{:.*e}", prec - 1, d);
    let (mantissa, exp) = e_repr.split_once('e').unwrap_or((&e_repr, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let m = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_fraction(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_as_small_as_a_string() {
        // The hash-table node (key, entry, link) must stay in the 64-byte
        // class: collections are boxed for that.
        assert_eq!(
            std::mem::size_of::<Value>(),
            std::mem::size_of::<StrValue>()
        );
    }

    #[test]
    fn strict_integers() {
        assert_eq!(parse_strict_i64(b"0"), Some(0));
        assert_eq!(parse_strict_i64(b"-1"), Some(-1));
        assert_eq!(parse_strict_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_strict_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-",
            b"1a",
        ] {
            assert_eq!(parse_strict_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(StrValue::from_bytes(b"123").encoding(), "int");
        assert_eq!(StrValue::from_bytes(b"0123").encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut v = StrValue::from_bytes(b"12");
        v.make_raw().push(b'3');
        assert_eq!(v.encoding(), "raw");
        assert_eq!(v.as_bytes().as_ref(), b"123");
        assert_eq!(StrValue::Int(-120).len(), 4);
        assert_eq!(StrValue::Int(i64::MIN).len(), 20);
    }

    #[test]
    fn formats_integers_without_allocating() {
        for i in [0, 7, -7, 10, 12345, i64::MAX, i64::MIN] {
            assert_eq!(format_i64(i, &mut [0; 20]), i.to_string().as_bytes());
            StrValue::Int(i).with_bytes(|b| assert_eq!(b, i.to_string().as_bytes()));
        }
        StrValue::from_bytes(b"abc").with_bytes(|b| assert_eq!(b, b"abc"));
    }
}
