//! C `long double` arithmetic as Redis performs it on x86-64 Linux, for
//! INCRBYFLOAT and HINCRBYFLOAT.
//!
//! There `long double` is the x87 80-bit extended format: a 64-bit
//! mantissa (explicit leading bit), exponents down to 2^-16382 for normal
//! numbers and subnormals down to 2^-16445. Redis parses operands with
//! glibc's `strtold` (correctly rounded), adds them in that format (round
//! to nearest, ties to even) and prints the result with `%.17Lf` before
//! trimming trailing zeros. An `f64` computation gives visibly different
//! results (`0.1 + 0.2` is `0.3` in Redis), so this module reproduces the
//! format exactly, with big integers where needed.
//!
//! The API: [`LongDouble::parse`] (Redis's `string2ld`),
//! [`LongDouble::from_i64`], `+`, [`LongDouble::is_finite`]
//! and [`LongDouble::to_human`] (Redis's `ld2string` human mode), plus
//! [`incr_by`] which combines them as both INCRBYFLOAT commands do.

use std::cmp::Ordering;

use num_bigint::BigUint;

/// Exponent of the lowest mantissa bit of the smallest subnormal.
const MIN_EXP: i64 = -16445;
/// Largest exponent of a finite value's leading bit.
const MAX_LEAD: i64 = 16383;
/// Redis's `MAX_LONG_DOUBLE_CHARS`: longer inputs are rejected.
const MAX_CHARS: usize = 5 * 1024;
/// Decimal exponents beyond which a parsed value certainly overflows or
/// underflows to zero (`LDBL_MAX` is about 1.19e4932, the smallest
/// subnormal about 3.65e-4951).
const DEC_OVERFLOW: i64 = 4933;
const DEC_UNDERFLOW: i64 = -4952;
const TEN_POW_17: u128 = 100_000_000_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Zero,
    /// `mant * 2^exp`, `mant != 0`.
    Finite {
        mant: u64,
        exp: i64,
    },
    Inf,
    NaN,
}

/// A value of the x87 extended-precision format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    kind: Kind,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble {
        neg: false,
        kind: Kind::Zero,
    };

    fn zero(neg: bool) -> LongDouble {
        LongDouble {
            neg,
            kind: Kind::Zero,
        }
    }

    fn inf(neg: bool) -> LongDouble {
        LongDouble {
            neg,
            kind: Kind::Inf,
        }
    }

    const NAN: LongDouble = LongDouble {
        neg: false,
        kind: Kind::NaN,
    };

    /// An integer (always exact: the mantissa has 64 bits).
    pub fn from_i64(i: i64) -> LongDouble {
        if i == 0 {
            return LongDouble::ZERO;
        }
        LongDouble {
            neg: i < 0,
            kind: Kind::Finite {
                mant: i.unsigned_abs(),
                exp: 0,
            },
        }
    }

    /// Parses `s` as Redis's `string2ld` does: the whole input must be a
    /// number `strtold` accepts (decimal or `0x` hexadecimal, optional
    /// sign and exponent, `inf`/`infinity`), with no leading space and at
    /// most 5119 bytes. NaN is rejected, and so is a finite input that
    /// overflows to infinity or underflows to zero.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        let (neg, rest) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::inf(neg));
        }
        let (v, exact_zero) = if rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
            parse_hex(&rest[2..], neg)?
        } else {
            parse_dec(rest, neg)?
        };
        // strtold reports ERANGE for overflow and for a nonzero input
        // that underflows to zero; Redis rejects both.
        match v.kind {
            Kind::Inf | Kind::NaN => None,
            Kind::Zero if !exact_zero => None,
            _ => Some(v),
        }
    }

    /// `self + other`, rounded to nearest (ties to even) as the FPU does.
    fn sum(self, other: LongDouble) -> LongDouble {
        use Kind::*;
        match (self.kind, other.kind) {
            (NaN, _) | (_, NaN) => LongDouble::NAN,
            (Inf, Inf) if self.neg != other.neg => LongDouble::NAN,
            (Inf, _) => self,
            (_, Inf) => other,
            (Zero, Zero) => LongDouble::zero(self.neg && other.neg),
            (Zero, _) => other,
            (_, Zero) => self,
            (Finite { mant: ma, exp: ea }, Finite { mant: mb, exp: eb }) => {
                let e = ea.min(eb);
                let (da, db) = ((ea - e) as u64, (eb - e) as u64);
                if da < 64 && db < 64 {
                    // Both fit in 128 bits once aligned.
                    let a = (ma as u128) << da;
                    let b = (mb as u128) << db;
                    if self.neg == other.neg {
                        // The sum may need a 129th bit: halve it, keeping
                        // the lost bit as sticky.
                        match a.checked_add(b) {
                            Some(s) => round_u128(s, e, false, self.neg),
                            None => {
                                let s = (a >> 1) + (b >> 1) + (a & b & 1);
                                let lost = (a ^ b) & 1 == 1;
                                round_u128(s, e + 1, lost, self.neg)
                            }
                        }
                    } else {
                        match a.cmp(&b) {
                            Ordering::Equal => LongDouble::ZERO,
                            Ordering::Greater => round_u128(a - b, e, false, self.neg),
                            Ordering::Less => round_u128(b - a, e, false, other.neg),
                        }
                    }
                } else {
                    let a = BigUint::from(ma) << da;
                    let b = BigUint::from(mb) << db;
                    if self.neg == other.neg {
                        round_big(&(a + b), e, false, self.neg)
                    } else {
                        match a.cmp(&b) {
                            Ordering::Equal => LongDouble::ZERO,
                            Ordering::Greater => round_big(&(a - b), e, false, self.neg),
                            Ordering::Less => round_big(&(b - a), e, false, other.neg),
                        }
                    }
                }
            }
        }
    }

    /// Neither infinite nor NaN.
    pub fn is_finite(&self) -> bool {
        matches!(self.kind, Kind::Zero | Kind::Finite { .. })
    }

    /// The text Redis stores and replies for a long double
    /// (`ld2string` in human mode): `%.17Lf` with trailing zeros and a
    /// trailing point removed, `-0` shown as `0`, infinities as
    /// `inf`/`-inf`.
    pub fn to_human(&self) -> String {
        let (mant, exp) = match self.kind {
            Kind::Zero => return "0".into(),
            Kind::Inf => return if self.neg { "-inf" } else { "inf" }.into(),
            Kind::NaN => return "nan".into(),
            Kind::Finite { mant, exp } => (mant, exp),
        };
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        let frac: u64 = if exp >= 0 {
            if exp < 64 {
                out.push_str(&((mant as u128) << exp).to_string());
            } else {
                out.push_str(&(BigUint::from(mant) << exp as u64).to_string());
            }
            0
        } else {
            let k = (-exp) as u32;
            // mant * 10^17 < 2^121: if k > 121 the value prints as 0.
            let q = if k > 121 {
                0
            } else {
                let scaled = (mant as u128) * TEN_POW_17;
                let kept = scaled >> k;
                let rem = scaled & ((1u128 << k) - 1);
                let half = 1u128 << (k - 1);
                kept + u128::from(rem > half || (rem == half && kept & 1 == 1))
            };
            out.push_str(&(q / TEN_POW_17).to_string());
            (q % TEN_POW_17) as u64
        };
        if frac != 0 {
            let digits = format!("{frac:017}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        if out == "-0" {
            out.remove(0);
        }
        out
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;
    fn add(self, other: LongDouble) -> LongDouble {
        self.sum(other)
    }
}

/// Why an increment failed, so callers can word the error as their
/// command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrError {
    /// The result is NaN or infinite (`increment would produce NaN or
    /// Infinity`).
    NanOrInfinity,
}

/// `current + incr` as INCRBYFLOAT/HINCRBYFLOAT compute and store it: the
/// text of the sum, or an error if it is not finite.
pub fn incr_by(current: LongDouble, incr: LongDouble) -> Result<String, IncrError> {
    let v = current + incr;
    if !v.is_finite() {
        return Err(IncrError::NanOrInfinity);
    }
    Ok(v.to_human())
}

/// Rounds `n * 2^e2` (plus a fraction of a unit at 2^e2 if `sticky`) to
/// the format.
fn round_u128(n: u128, e2: i64, sticky: bool, neg: bool) -> LongDouble {
    if n == 0 {
        return LongDouble::zero(neg);
    }
    let l = 128 - n.leading_zeros() as i64;
    let lead = l - 1 + e2;
    if lead > MAX_LEAD {
        return LongDouble::inf(neg);
    }
    let ulp = (lead - 63).max(MIN_EXP);
    let drop = ulp - e2;
    let (mut mant, mut exp) = (0u128, ulp);
    if drop <= 0 {
        mant = n << (-drop);
    } else if drop <= l {
        let (kept, rem) = if drop >= 128 {
            (0, n)
        } else {
            (n >> drop, n & ((1u128 << drop) - 1))
        };
        let half = 1u128 << (drop - 1);
        let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
        mant = kept + u128::from(up);
        if mant == 1u128 << 64 {
            mant >>= 1;
            exp += 1;
        }
    }
    // drop > l: below half the smallest unit, rounds to zero.
    if mant == 0 {
        return LongDouble::zero(neg);
    }
    if 127 - mant.leading_zeros() as i64 + exp > MAX_LEAD {
        return LongDouble::inf(neg);
    }
    LongDouble {
        neg,
        kind: Kind::Finite {
            mant: mant as u64,
            exp,
        },
    }
}

/// [`round_u128`] for big integers: shifts all but two bits below the
/// rounding point into the sticky flag first.
fn round_big(n: &BigUint, e2: i64, sticky: bool, neg: bool) -> LongDouble {
    let l = n.bits() as i64;
    if l <= 128 {
        let v = n.iter_u64_digits().fold((0u128, 0u32), |(acc, sh), d| {
            (acc | (d as u128) << sh, sh + 64)
        });
        return round_u128(v.0, e2, sticky, neg);
    }
    let lead = l - 1 + e2;
    if lead > MAX_LEAD {
        return LongDouble::inf(neg);
    }
    let ulp = (lead - 63).max(MIN_EXP);
    let drop = ulp - e2;
    if drop > l {
        return LongDouble::zero(neg);
    }
    // l > 128 and at most 64 bits are kept, so drop > 64.
    let s = (drop - 2) as u64;
    let low_bits_set = n.trailing_zeros().is_some_and(|tz| tz < s);
    let shifted: BigUint = n >> s;
    let v = shifted
        .iter_u64_digits()
        .fold((0u128, 0u32), |(acc, sh), d| {
            (acc | (d as u128) << sh, sh + 64)
        });
    round_u128(v.0, e2 + s as i64, sticky || low_bits_set, neg)
}

/// Parses decimal exponent digits (after `e`/`p`), saturating: huge
/// exponents only matter as "overflow" or "underflow".
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = (v * 10 + (d - b'0') as i64).min(1_000_000_000);
    }
    Some(if neg { -v } else { v })
}

/// Splits `digits[.digits][<marker>exponent]` into the mantissa digits
/// (point removed), the count of digits after the point and the exponent.
fn split_number(s: &[u8], is_digit: fn(&u8) -> bool, marker: u8) -> Option<(Vec<u8>, i64, i64)> {
    let mut i = 0;
    let mut digits = Vec::with_capacity(s.len());
    let mut frac = 0i64;
    while i < s.len() && is_digit(&s[i]) {
        digits.push(s[i]);
        i += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && is_digit(&s[i]) {
            digits.push(s[i]);
            frac += 1;
            i += 1;
        }
    }
    if digits.is_empty() {
        return None;
    }
    let exp = if i < s.len() {
        if s[i] | 0x20 != marker {
            return None;
        }
        parse_exponent(&s[i + 1..])?
    } else {
        0
    };
    Some((digits, frac, exp))
}

/// The value and whether the input was an exact zero.
fn parse_dec(s: &[u8], neg: bool) -> Option<(LongDouble, bool)> {
    let (digits, frac, exp) = split_number(s, u8::is_ascii_digit, b'e')?;
    let first = digits.iter().position(|&d| d != b'0');
    let Some(first) = first else {
        return Some((LongDouble::zero(neg), true));
    };
    let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first);
    let sig = &digits[first..=last];
    // value = sig * 10^e10
    let e10 = exp - frac + (digits.len() - 1 - last) as i64;
    let nd = sig.len() as i64;
    if nd - 1 + e10 >= DEC_OVERFLOW {
        return Some((LongDouble::inf(neg), false));
    }
    if nd + e10 < DEC_UNDERFLOW {
        return Some((LongDouble::zero(neg), false));
    }
    let d = BigUint::parse_bytes(sig, 10)?;
    if e10 >= 0 {
        let n = d * BigUint::from(10u8).pow(e10 as u32);
        return Some((round_big(&n, 0, false, neg), false));
    }
    let den = BigUint::from(10u8).pow((-e10) as u32);
    let s = (den.bits() as i64 - d.bits() as i64 + 66).max(0) as u64;
    let num = d << s;
    let q = &num / &den;
    let sticky = &q * &den != num;
    Some((round_big(&q, -(s as i64), sticky, neg), false))
}

fn parse_hex(s: &[u8], neg: bool) -> Option<(LongDouble, bool)> {
    let (digits, frac, exp) = split_number(s, u8::is_ascii_hexdigit, b'p')?;
    let h = BigUint::parse_bytes(&digits, 16)?;
    if h.bits() == 0 {
        return Some((LongDouble::zero(neg), true));
    }
    let e2 = exp - 4 * frac;
    let lead = h.bits() as i64 - 1 + e2;
    if lead > MAX_LEAD {
        return Some((LongDouble::inf(neg), false));
    }
    if lead < MIN_EXP - 2 {
        return Some((LongDouble::zero(neg), false));
    }
    Some((round_big(&h, e2, false, neg), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> LongDouble {
        LongDouble::parse(s.as_bytes()).unwrap_or_else(|| panic!("parse {s}"))
    }

    /// `INCRBYFLOAT` of `cur` (None: missing key) by `incr`.
    fn incr(cur: Option<&str>, incr: &str) -> Result<String, &'static str> {
        let c = match cur {
            None => LongDouble::ZERO,
            Some(s) => LongDouble::parse(s.as_bytes()).ok_or("notfloat")?,
        };
        let i = LongDouble::parse(incr.as_bytes()).ok_or("notfloat")?;
        incr_by(c, i).map_err(|_| "naninf")
    }

    // Expected values were produced by redis-server 7.0.15 on x86-64.
    #[test]
    fn matches_redis_incrbyfloat() {
        let ok = |cur: Option<&str>, i: &str, want: &str| {
            assert_eq!(incr(cur, i).as_deref(), Ok(want), "{cur:?} + {i}");
        };
        ok(None, "0.1", "0.1");
        ok(Some("0.1"), "0.2", "0.3");
        ok(Some("10.5"), "0.1", "10.6");
        ok(None, "1e30", "1000000000000000000024696061952");
        ok(None, "3.0e3", "3000");
        ok(None, "-5", "-5");
        ok(Some("1"), "-5", "-4");
        ok(Some("0.3333333333333333333333"), "0", "0.33333333333333333");
        ok(Some("0.000003814697265625"), "0", "0.00000381469726562");
        ok(Some("5.0e17"), "1", "500000000000000001");
        ok(None, "1e-4950", "0");
        ok(None, "0x10", "16");
        ok(None, "0x1p-3", "0.125");
        ok(None, ".5", "0.5");
        ok(None, "5.", "5");
        ok(None, "+3", "3");
        ok(None, "-0", "0");
        ok(Some("-0"), "-0", "0");
        ok(Some("-0.0"), "0", "0");
        ok(None, "-1e-20", "0");
        ok(Some("1.5"), "-1.5", "0");
        ok(
            Some("123456789012345678901234567890"),
            "1",
            "123456789012345678899921813504",
        );
        ok(Some("9223372036854775807"), "1", "9223372036854775808");
        ok(Some("-9223372036854775808"), "-1", "-9223372036854775809");
        ok(Some("0.1"), "0.1", "0.2");
        ok(Some("1.1"), "2.2", "3.3");
        ok(Some("3"), "1.1", "4.1");
        ok(Some("1e-17"), "0", "0.00000000000000001");
        ok(Some("5e-18"), "0", "0");
        ok(Some("1.5e-17"), "0", "0.00000000000000002");
        ok(Some("2.5e-17"), "0", "0.00000000000000002");
        ok(
            Some("99999999999999999999.99999999999999"),
            "0",
            "100000000000000000000",
        );
        ok(None, "1e308", "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048");
        ok(None, "1.7976931348623157e309", "1797693134862315700037172979832244333126691528546293291340154022512526345446187215204722275610002264464012854721311288966889522964362629899046646139186400923107613675233385175712431854540107728588261691716826703993516570594322538258751668119392697527887003733971267841814703087626434079640422653388568708251648");
        ok(None, "0.00000000000000001", "0.00000000000000001");
        ok(None, "1E2", "100");
        ok(None, "1e0002", "100");
        ok(None, "00012.500", "12.5");
    }

    #[test]
    fn huge_values_print_every_digit() {
        let v = incr(Some("1.18e4932"), "0").expect("finite");
        assert_eq!(v.len(), 4933);
        assert!(v.starts_with("1180000000000000000000652812918093699202690437"));
        assert!(v.ends_with("2606896512585853888628785152"));
        let v = incr(Some("1e4931"), "0").expect("finite");
        assert!(v.starts_with("100000000000000000000601894938796389132383777"));
        assert!(v.ends_with("1379188662272"));
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(incr(Some("1e4932"), "1e4932"), Err("naninf"));
        for bad in [
            "1.19e4932",
            "1e-4952",
            "1e-5000",
            "nan",
            "abc",
            " 1",
            "1 ",
            "0x",
            "1e",
            "1e+",
            ".",
            "",
            "--1",
            "1..2",
            "0x1p",
            "1e5x",
            "1\u{0}",
            "infinit",
        ] {
            assert_eq!(incr(None, bad), Err("notfloat"), "{bad:?}");
        }
        for inf in ["inf", "-inf", "infinity", "+INF", "-Infinity"] {
            assert_eq!(incr(None, inf), Err("naninf"), "{inf}");
        }
        assert_eq!(incr(Some("inf"), "-inf"), Err("naninf"));
        assert!(LongDouble::parse(&vec![b'1'; MAX_CHARS]).is_none());
        assert!(LongDouble::parse(&vec![b'1'; 4000]).is_some());
    }

    #[test]
    fn rounding_is_to_nearest_even() {
        // 2^64 + 1 is halfway between 2^64 and 2^64 + 2: ties to even.
        assert_eq!(p("18446744073709551617").to_human(), "18446744073709551616");
        assert_eq!(p("18446744073709551619").to_human(), "18446744073709551620");
        // Just above the halfway point rounds up.
        assert_eq!(
            p("18446744073709551617.000001").to_human(),
            "18446744073709551618"
        );
        // Carry into a new binade.
        assert_eq!(
            (p("18446744073709551615") + p("1")).to_human(),
            "18446744073709551616"
        );
        assert_eq!(
            (p("18446744073709551615") + p("18446744073709551615")).to_human(),
            "36893488147419103230"
        );
        // A tiny addend vanishes; a huge difference in exponents works.
        assert_eq!((p("1") + p("1e-4000")).to_human(), "1");
        assert_eq!((p("1e4000") + p("-1e4000")).to_human(), "0");
        assert_eq!((p("-1") + p("1e-30")).to_human(), "-1");
    }

    #[test]
    fn subnormals_and_limits() {
        // 2^-16445 is the smallest subnormal; half of it rounds to zero
        // (rejected), a bit more than half rounds up to it.
        assert!(LongDouble::parse(b"0x1p-16445").is_some());
        assert!(LongDouble::parse(b"0x1p-16446").is_none());
        assert!(LongDouble::parse(b"0x1.8p-16446").is_some());
        assert!(LongDouble::parse(b"1e-4951").is_none());
        assert!(LongDouble::parse(b"1.8e-4951").is_none());
        assert!(LongDouble::parse(b"1.9e-4951").is_some());
        assert!(LongDouble::parse(b"3.6e-4951").is_some());
        assert!(LongDouble::parse(b"0x1p16383").is_some());
        let top = p("0x1p16383").to_human();
        assert_eq!(top.len(), 4932);
        assert!(top.starts_with("594865747678615882542879663314003565381722343548255118736337"));
        assert!(top.ends_with("7839858684971576230223513645334982033408"));
        assert!(LongDouble::parse(b"0x1p16384").is_none());
        assert!(LongDouble::parse(b"0xffffffffffffffffp16320").is_some());
        // All-zero mantissas are zero whatever the exponent.
        assert_eq!(p("0e999999999999").to_human(), "0");
        assert_eq!(p("0x0p99999").to_human(), "0");
        assert_eq!(
            LongDouble::from_i64(i64::MIN).to_human(),
            "-9223372036854775808"
        );
        assert_eq!(LongDouble::from_i64(0).to_human(), "0");
    }
}
