//! SORT and SORT_RO: sort the elements of a list, set or sorted set
//! numerically or lexically, by the elements themselves or by other keys
//! (`BY weight_*`, `BY obj_*->field`), return them or other keys' values
//! (`GET`), with `LIMIT`, `ASC|DESC`, `ALPHA`, and `STORE` into a list.
//!
//! The rules follow Redis exactly, because clients see them:
//! - a `BY` pattern without `*` means "do not sort": lists and sorted sets
//!   keep their own order (reversed by DESC, sliced by LIMIT), and a set is
//!   sorted lexically anyway when the result is stored, so that a replica
//!   or the AOF gets the same list; for the same reason, equal ALPHA
//!   weights of a set's elements are ordered by the elements when stored;
//! - numeric sorting parses with C's `strtod` (leading spaces, hex floats,
//!   `inf` are fine; trailing junk, NaN and out-of-range values fail the
//!   whole command), and equal numbers are ordered by the element bytes;
//! - ALPHA compares with the C library's collation (`strcoll`; this server
//!   runs with the C locale, so that is a byte comparison up to the first
//!   NUL), and with STORE with a plain byte comparison;
//! - a missing or wrong-typed `BY` or `GET` target sorts as "no weight" and
//!   reads as nil (an empty string when stored).

use std::cmp::Ordering;

use bytes::Bytes;
use tiering::{ListValue, Value};

use super::access::Typed;
use super::*;
use crate::exec::{CmdError, CmdResult, Ctx};
use crate::notify;

const SORT_ACL: u32 = C_SET | C_SORTEDSET | C_LIST | C_SLOW | C_DANGEROUS;

/// The key being sorted, and the keys BY and GET patterns name.
const SORTED_KEY: KeySpec = ks(KS_RO | KS_ACCESS, 1, 0, 1);
const PATTERN_KEYS: KeySpec = KeySpec {
    flags: KS_RO | KS_ACCESS,
    begin: Begin::Unknown,
    find: Find::Unknown,
};
const STORE_KEY: KeySpec = KeySpec {
    flags: KS_OW | KS_UPDATE,
    begin: Begin::Unknown,
    find: Find::Unknown,
};

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "sort",
        arity: -2,
        flags: WRITE | DENYOOM | MOVABLEKEYS,
        acl: SORT_ACL,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[SORTED_KEY, PATTERN_KEYS, STORE_KEY],
        group: "generic",
        summary: "Sorts the elements of a list, set or sorted set, optionally storing the result.",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        handler: Some(sort),
        get_keys: Some(sort_keys),
        ..BASE
    },
    CommandDef {
        name: "sort_ro",
        arity: -2,
        flags: READONLY | MOVABLEKEYS,
        acl: SORT_ACL,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        key_specs: &[SORTED_KEY, PATTERN_KEYS],
        group: "generic",
        since: "7.0.0",
        summary: "Sorts the elements of a list, set or sorted set (read-only variant of SORT).",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        handler: Some(sort_ro),
        get_keys: Some(sort_ro_keys),
        ..BASE
    },
];

/// SORT's keys: the sorted key and the last `STORE` destination, found
/// the way Redis's key finder walks the options (LIMIT takes two
/// arguments, GET and BY one, anything else none).
fn sort_keys(args: &[Bytes]) -> Vec<(usize, u32)> {
    let mut keys = vec![(1, KS_RO | KS_ACCESS)];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i][..];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    if let Some(p) = store {
        keys.push((p, KS_OW | KS_UPDATE));
    }
    keys
}

fn sort_ro_keys(_args: &[Bytes]) -> Vec<(usize, u32)> {
    vec![(1, KS_RO | KS_ACCESS)]
}

fn sort(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// The parsed options.
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    by: Option<&'a [u8]>,
    /// `BY` without `*`: keep the native order.
    dont_sort: bool,
    get: Vec<&'a [u8]>,
    store: Option<&'a [u8]>,
}

fn parse(args: &[Bytes], readonly: bool) -> Result<Opts<'_>, CmdError> {
    let mut o = Opts {
        desc: false,
        alpha: false,
        limit: None,
        by: None,
        dont_sort: false,
        get: Vec::new(),
        store: None,
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j][..];
        if a.eq_ignore_ascii_case(b"asc") {
            o.desc = false;
        } else if a.eq_ignore_ascii_case(b"desc") {
            o.desc = true;
        } else if a.eq_ignore_ascii_case(b"alpha") {
            o.alpha = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            let start = crate::exec::arg_i64(&args[j + 1])?;
            let count = crate::exec::arg_i64(&args[j + 2])?;
            o.limit = Some((start, count));
            j += 2;
        } else if !readonly && a.eq_ignore_ascii_case(b"store") && left >= 1 {
            o.store = Some(&args[j + 1]);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"by") && left >= 1 {
            let p = &args[j + 1][..];
            o.by = Some(p);
            o.dont_sort = !cstr(p).contains(&b'*');
            j += 1;
        } else if a.eq_ignore_ascii_case(b"get") && left >= 1 {
            o.get.push(&args[j + 1]);
            j += 1;
        } else {
            return Err(CmdError::SYNTAX);
        }
        j += 1;
    }
    Ok(o)
}

/// `s` up to its first NUL byte: patterns are C strings in Redis.
fn cstr(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |p| &s[..p])
}

/// What a pattern names for one element.
enum Target {
    /// `#`: the element itself.
    Element,
    /// A string key.
    Key(Vec<u8>),
    /// A hash field: `key->field`.
    Field(Vec<u8>, Vec<u8>),
    /// No `*` in the pattern: nothing.
    Nothing,
}

/// Substitutes `elem` for the first `*` of `pattern` and splits off a
/// `->field` suffix that follows the `*`, as Redis does.
fn resolve(pattern: &[u8], elem: &[u8]) -> Target {
    let c = cstr(pattern);
    if c == b"#" {
        return Target::Element;
    }
    let Some(star) = c.iter().position(|&b| b == b'*') else {
        return Target::Nothing;
    };
    // "->" after the star, followed by at least one (non-NUL) byte.
    let after = &c[star + 1..];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| star + 1 + p)
        .filter(|&p| p + 2 < c.len());
    let (key_end, field) = match arrow {
        Some(p) => (p, Some(pattern[p + 2..].to_vec())),
        None => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(key_end + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    match field {
        Some(f) => Target::Field(key, f),
        None => Target::Key(key),
    }
}

/// The value a pattern names for `elem`, read as a client read would
/// (counting hits and misses): a string key's value, or a hash field.
fn lookup(ctx: &mut Ctx, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    match resolve(pattern, elem) {
        Target::Element => Some(elem.to_vec()),
        Target::Nothing => None,
        Target::Key(k) => match ctx.read(&k).map(|e| &e.value) {
            Some(Value::Str(s)) => Some(s.as_bytes().into_owned()),
            _ => None,
        },
        Target::Field(k, f) => {
            let e = ctx.read(&k)?;
            let h = tiering::HashValue::of_ref(&e.value)?;
            crate::values::hash_field(h, &f)
        }
    }
}

/// A weight for numeric sorting: `Some` if the bytes parse (C `strtod`
/// up to the end or a NUL, not NaN, in range).
fn numeric_weight(b: &[u8]) -> Option<f64> {
    if let Some(i) = tiering::value::parse_strict_i64(b) {
        // Integer-encoded values are used as they are.
        return Some(i as f64);
    }
    let (v, used, erange) = c_strtod(b);
    let ends = used == b.len() || b[used] == 0;
    (ends && !erange && !v.is_nan()).then_some(v)
}

/// C's `strtod`: the value, the bytes consumed (0 if nothing parsed), and
/// whether the result is out of range (overflow, or underflow to zero or a
/// subnormal).
pub fn c_strtod(s: &[u8]) -> (f64, usize, bool) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let start = i;
    let neg = matches!(s.get(i), Some(b'-'));
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let rest = &s[i..];
    let sign = if neg { -1.0 } else { 1.0 };
    let lower: Vec<u8> = rest
        .iter()
        .take(8)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    if lower.starts_with(b"inf") {
        let n = if lower.starts_with(b"infinity") { 8 } else { 3 };
        return (sign * f64::INFINITY, i + n, false);
    }
    if lower.starts_with(b"nan") {
        let mut n = i + 3;
        if s.get(n) == Some(&b'(') {
            if let Some(close) = s[n..].iter().position(|&b| b == b')') {
                if s[n + 1..n + close]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                {
                    n += close + 1;
                }
            }
        }
        return (f64::NAN, n, false);
    }
    if (lower.starts_with(b"0x")) && rest.len() > 2 && hex_digit_follows(&rest[2..]) {
        let (v, n) = hex_float(&rest[2..]);
        let v = sign * v;
        return (
            v,
            i + 2 + n,
            v.is_infinite() || (v != 0.0 && v.abs() < f64::MIN_POSITIVE),
        );
    }
    // Decimal: digits [. digits] [e [sign] digits], at least one digit.
    let mut j = i;
    let digits = |s: &[u8], mut j: usize| {
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let int_end = digits(s, j);
    let mut mant_digits = int_end - j;
    j = int_end;
    if s.get(j) == Some(&b'.') {
        let frac_end = digits(s, j + 1);
        mant_digits += frac_end - j - 1;
        if mant_digits > 0 {
            j = frac_end;
        }
    }
    if mant_digits == 0 {
        return (0.0, 0, false);
    }
    if matches!(s.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(s.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        let e_end = digits(s, k);
        if e_end > k {
            j = e_end;
        }
    }
    let text = std::str::from_utf8(&s[start..j]).unwrap_or("0");
    let v: f64 = text.parse().unwrap_or(0.0);
    let nonzero_digits = s[i..j]
        .iter()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .any(|b| (b'1'..=b'9').contains(b));
    let erange = v.is_infinite() || (nonzero_digits && v.abs() < f64::MIN_POSITIVE);
    (v, j, erange)
}

fn hex_digit_follows(s: &[u8]) -> bool {
    match s.first() {
        Some(b) if b.is_ascii_hexdigit() => true,
        Some(b'.') => s.get(1).is_some_and(|b| b.is_ascii_hexdigit()),
        _ => false,
    }
}

/// A hexadecimal float after `0x`: mantissa digits, optional fraction,
/// optional binary exponent `p[sign]digits`. Returns (value, bytes used).
fn hex_float(s: &[u8]) -> (f64, usize) {
    let mut mant: u128 = 0;
    let mut exp: i64 = 0;
    let mut i = 0;
    let mut seen_dot = false;
    while i < s.len() {
        let b = s[i];
        if b == b'.' && !seen_dot {
            seen_dot = true;
        } else if let Some(d) = (b as char).to_digit(16) {
            if mant < (1u128 << 100) {
                mant = mant * 16 + d as u128;
                if seen_dot {
                    exp -= 4;
                }
            } else if !seen_dot {
                exp += 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let mut k = i + 1;
        let neg = s.get(k) == Some(&b'-');
        if matches!(s.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        let start = k;
        let mut e: i64 = 0;
        while k < s.len() && s[k].is_ascii_digit() {
            e = (e * 10 + (s[k] - b'0') as i64).min(100_000);
            k += 1;
        }
        if k > start {
            exp += if neg { -e } else { e };
            i = k;
        }
    }
    let v = (mant as f64) * 2f64.powi(exp.clamp(-100_000, 100_000) as i32);
    (v, i)
}

/// One element and what it sorts by.
struct Item {
    elem: Vec<u8>,
    score: f64,
    /// ALPHA with BY: the weight's bytes (`None`: missing).
    cmp: Option<Vec<u8>>,
}

/// `strcoll` in the C locale: bytes compared up to the first NUL.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    cstr(a).cmp(cstr(b))
}

fn sort_generic(ctx: &mut Ctx, args: &[Bytes], readonly: bool) -> CmdResult {
    let mut o = parse(args, readonly)?;
    let key = &args[1];
    // Load the elements: a missing key sorts as an empty list.
    let (db, mut converted) = (ctx.db, false);
    let (kind, mut elems) = match ctx.read(key).map(|e| &mut e.value) {
        None => (Kind::List, Vec::new()),
        Some(v) => {
            if let Value::ZSet(z) = v {
                // Redis converts a compact sorted set to its skiplist form
                // for good when SORT reads it; OBJECT ENCODING and DUMP show
                // it, so we do the same.
                if z.encoding() == "listpack" {
                    converted = true;
                    let items = z.range(0, z.len());
                    let lim = tiering::Limits {
                        zset_max_listpack_entries: 0,
                        ..Default::default()
                    };
                    **z = tiering::ZSetValue::from_sorted(items, &lim);
                }
            }
            load(v)?
        }
    };
    if converted {
        ctx.st.ks.changed_in_place(db, key);
    }
    if o.dont_sort && kind == Kind::Set && o.store.is_some() {
        // Sets have no order of their own: a stored result is sorted so
        // that it is the same everywhere.
        o.dont_sort = false;
        o.alpha = true;
        o.by = None;
    }
    // Equal ALPHA weights of a set's elements (see below): Redis's order
    // for them follows its hash table, so a log replaying this SORT gives
    // another list in redis-server (or even in the same one, restarted).
    // The stored result is logged instead.
    let log_result = o.store.is_some() && kind == Kind::Set && o.alpha && o.by.is_some();
    let len = elems.len() as i64;
    let (limit_start, limit_count) = o.limit.unwrap_or((0, -1));
    let mut start = limit_start.max(0);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start.saturating_add(limit_count).saturating_sub(1)
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    if o.dont_sort && kind != Kind::Set {
        // Native order, reversed by DESC.
        if o.desc {
            elems.reverse();
        }
    }
    let mut items: Vec<Item> = elems
        .into_iter()
        .map(|elem| Item {
            elem,
            score: 0.0,
            cmp: None,
        })
        .collect();
    let mut conversion_error = false;
    if !o.dont_sort {
        for it in items.iter_mut() {
            let weight = match o.by {
                Some(p) => match lookup(ctx, p, &it.elem) {
                    Some(w) => w,
                    None => continue,
                },
                None => it.elem.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    it.cmp = Some(weight);
                }
            } else {
                match numeric_weight(&weight) {
                    Some(v) => it.score = v,
                    None => conversion_error = true,
                }
            }
        }
        let (alpha, by, store, desc) = (o.alpha, o.by.is_some(), o.store.is_some(), o.desc);
        // Equal ALPHA weights would keep the set's own order, which is
        // not the same in another server or after a reload: a stored
        // result (which the AOF and replicas replay) orders them by the
        // elements. Redis leaves that order to its quicksort.
        let tie_by_elem = store && kind == Kind::Set;
        items.sort_by(|a, b| {
            let c = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.elem.cmp(&b.elem))
            } else if by {
                let c = match (&a.cmp, &b.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) if store => x.cmp(y),
                    (Some(x), Some(y)) => collate(x, y),
                };
                if tie_by_elem {
                    c.then_with(|| a.elem.cmp(&b.elem))
                } else {
                    c
                }
            } else if store {
                a.elem.cmp(&b.elem)
            } else {
                collate(&a.elem, &b.elem)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        });
    }
    if conversion_error {
        return Err(CmdError::msg(
            "ERR One or more scores can't be converted into double",
        ));
    }
    let range: &[Item] = if end >= start && start >= 0 {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let per = o.get.len().max(1);
    let output_len = range.len() * per;
    match o.store {
        None => {
            // Looked up while replying, as Redis does (a subscriber running
            // the command gets each `keymiss` among the elements).
            ctx.out.array(output_len);
            for it in range {
                if o.get.is_empty() {
                    ctx.out.bulk(&it.elem);
                }
                for p in &o.get {
                    match lookup(ctx, p, &it.elem) {
                        Some(b) => ctx.out.bulk(&b),
                        None => ctx.out.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(output_len);
            for it in range {
                if o.get.is_empty() {
                    out.push(it.elem.clone());
                }
                for p in &o.get {
                    out.push(lookup(ctx, p, &it.elem).unwrap_or_default());
                }
            }
            let (db, now) = (ctx.db, ctx.now_ms);
            if out.is_empty() {
                if ctx.st.ks.delete_any(db, dst).is_some() {
                    ctx.modified(dst);
                    ctx.notify(notify::GENERIC, "del", dst);
                    ctx.dirty(1);
                }
            } else {
                let limits = ctx.st.config.tun.limits;
                let list = new_list(&out, &limits);
                let found = ctx.write(dst).is_some();
                ctx.st.ks.set(db, dst, list.into_value(), false, now);
                ctx.modified(dst);
                if !found {
                    ctx.notify_new(dst);
                }
                // A list event in Redis, not a generic one.
                ctx.notify(notify::LIST, "sortstore", dst);
                ctx.dirty(out.len() as u64);
                if log_result && ctx.propagating() {
                    ctx.propagate_as(stored_list_ops(dst, &out));
                }
            }
            ctx.out.int(output_len as i64);
        }
    }
    Ok(())
}

/// Elements per logged `RPUSH` of a stored result.
const RPUSH_BATCH: usize = 1024;

/// A stored SORT result as the commands that rebuild it: `DEL dst`, then
/// `RPUSH dst e...` in batches of [`RPUSH_BATCH`] (one unit of the log).
fn stored_list_ops(dst: &[u8], elems: &[Vec<u8>]) -> Vec<Vec<Bytes>> {
    let key = Bytes::copy_from_slice(dst);
    let mut ops = vec![vec![Bytes::from_static(b"DEL"), key.clone()]];
    for chunk in elems.chunks(RPUSH_BATCH) {
        let mut c = Vec::with_capacity(chunk.len() + 2);
        c.push(Bytes::from_static(b"RPUSH"));
        c.push(key.clone());
        c.extend(chunk.iter().map(|e| Bytes::copy_from_slice(e)));
        ops.push(c);
    }
    ops
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// The elements of a sortable value in its native order (a set's is
/// arbitrary), or WRONGTYPE.
fn load(v: &Value) -> Result<(Kind, Vec<Vec<u8>>), CmdError> {
    match v {
        Value::List(l) => Ok((Kind::List, crate::values::list_items(l))),
        Value::Set(s) => Ok((Kind::Set, crate::values::set_members(s))),
        Value::ZSet(z) => Ok((
            Kind::ZSet,
            crate::values::zset_items(z)
                .into_iter()
                .map(|(m, _)| m)
                .collect(),
        )),
        _ => Err(CmdError::WRONGTYPE),
    }
}

/// The stored result, in the representation RPUSH of the same elements
/// would give.
fn new_list(items: &[Vec<u8>], limits: &tiering::Limits) -> ListValue {
    ListValue::from_items(items.iter().map(|v| &v[..]), limits.list_max_listpack_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_like_c() {
        assert_eq!(c_strtod(b"1.5"), (1.5, 3, false));
        assert_eq!(c_strtod(b"  -2e3x"), (-2000.0, 7 - 1, false));
        assert_eq!(c_strtod(b""), (0.0, 0, false));
        assert_eq!(c_strtod(b"abc"), (0.0, 0, false));
        assert_eq!(c_strtod(b"0x10"), (16.0, 4, false));
        assert_eq!(c_strtod(b"0x"), (0.0, 1, false));
        assert_eq!(c_strtod(b"1e"), (1.0, 1, false));
        assert_eq!(c_strtod(b".5"), (0.5, 2, false));
        assert_eq!(c_strtod(b"5."), (5.0, 2, false));
        assert_eq!(c_strtod(b"-inf"), (f64::NEG_INFINITY, 4, false));
        assert_eq!(c_strtod(b"Infinity"), (f64::INFINITY, 8, false));
        assert!(c_strtod(b"1e400").2);
        assert!(c_strtod(b"1e-400").2);
        assert!(c_strtod(b"5e-324").2);
        assert!(!c_strtod(b"0e-400").2);
        assert!(c_strtod(b"nan").0.is_nan());
    }

    #[test]
    fn numeric_weights() {
        assert_eq!(numeric_weight(b""), Some(0.0));
        assert_eq!(numeric_weight(b" 1"), Some(1.0));
        assert_eq!(numeric_weight(b"1 "), None);
        assert_eq!(numeric_weight(b"1\0junk"), Some(1.0));
        assert_eq!(numeric_weight(b"nan"), None);
        assert_eq!(numeric_weight(b"   "), None);
    }

    #[test]
    fn patterns() {
        assert!(matches!(resolve(b"#", b"x"), Target::Element));
        assert!(matches!(resolve(b"nostar", b"x"), Target::Nothing));
        match resolve(b"w_*_s", b"3") {
            Target::Key(k) => assert_eq!(k, b"w_3_s"),
            _ => panic!("key"),
        }
        match resolve(b"h_*->f", b"3") {
            Target::Field(k, f) => {
                assert_eq!(k, b"h_3");
                assert_eq!(f, b"f");
            }
            _ => panic!("field"),
        }
        // "->" with nothing after it is part of the key name.
        match resolve(b"h_*->", b"3") {
            Target::Key(k) => assert_eq!(k, b"h_3->"),
            _ => panic!("key"),
        }
        // "->" before the star does not count.
        match resolve(b"a->b*", b"3") {
            Target::Key(k) => assert_eq!(k, b"a->b3"),
            _ => panic!("key"),
        }
    }
}
