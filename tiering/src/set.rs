//! Set values: unordered collections of unique members.
//!
//! Three representations, chosen the way Redis 7.2 chooses them so that
//! `OBJECT ENCODING` (which tools read) reports the same thing:
//!
//! * [`IntSet`] (`intset`) while every member is a canonical 64-bit integer
//!   and the set holds at most `set-max-intset-entries` members: a sorted
//!   array of integers, all stored at the smallest width (2, 4 or 8 bytes)
//!   that fits the widest member, so membership is a binary search and a
//!   set of small numbers costs two bytes per member.
//! * [`Pack`] (`listpack`) while the set holds at most
//!   `set-max-listpack-entries` members, none longer than
//!   `set-max-listpack-value` bytes: members in insertion order, found by a
//!   linear scan, which is faster than hashing for a few dozen entries and
//!   has no per-member allocation.
//! * [`Dict`] (`hashtable`) otherwise. Its scan cursor survives resizes,
//!   which SSCAN needs.
//!
//! Conversions only go "up" (intset → listpack → hashtable, or intset →
//! hashtable); removing members never converts back, as in Redis.

use rand::Rng;

use crate::dict::Dict;
use crate::limits::Limits;
use crate::pack::Pack;

/// Parses `s` as Redis parses a member for the intset test: an optional
/// `-`, no leading zeros, no `+`, no spaces, and within `i64`. Only such
/// strings round-trip through the integer form byte for byte.
pub fn parse_int(s: &[u8]) -> Option<i64> {
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
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    // Accumulate negatively so that i64::MIN parses without overflow.
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub(i64::from(c - b'0'))?;
    }
    if neg {
        Some(v)
    } else {
        v.checked_neg()
    }
}

/// A sorted set of distinct integers stored at one common width.
///
/// `buf` holds `len * width` little-endian bytes; the width only grows
/// (when a member does not fit), as in Redis, so removing the one wide
/// member keeps the others wide.
#[derive(Clone, PartialEq, Eq)]
pub struct IntSet {
    width: u8,
    buf: Box<[u8]>,
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet {
            width: 2,
            buf: Box::default(),
        }
    }
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

fn width_for(v: i64) -> u8 {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

impl IntSet {
    pub fn new() -> IntSet {
        IntSet::default()
    }

    pub fn len(&self) -> usize {
        self.buf.len() / self.width as usize
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes per member (2, 4 or 8).
    pub fn width(&self) -> usize {
        self.width as usize
    }

    pub fn heap_size(&self) -> usize {
        self.buf.len()
    }

    /// The member at sorted position `idx`.
    pub fn get(&self, idx: usize) -> Option<i64> {
        let w = self.width as usize;
        let b = self.buf.get(idx * w..idx * w + w)?;
        Some(match w {
            2 => i64::from(i16::from_le_bytes([b[0], b[1]])),
            4 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            _ => i64::from_le_bytes(b.try_into().expect("slice is 8 bytes")),
        })
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i).expect("index below len"))
    }

    /// `Ok(position)` if present, else `Err(insertion point)`.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let m = self.get(mid).expect("mid below len");
            match m.cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        width_for(v) <= self.width && self.search(v).is_ok()
    }

    fn encode(out: &mut Vec<u8>, v: i64, w: u8) {
        match w {
            2 => out.extend_from_slice(&(v as i16).to_le_bytes()),
            4 => out.extend_from_slice(&(v as i32).to_le_bytes()),
            _ => out.extend_from_slice(&v.to_le_bytes()),
        }
    }

    /// Adds `v`; false if it was already there.
    pub fn insert(&mut self, v: i64) -> bool {
        let need = width_for(v).max(self.width);
        let pos = if need > self.width {
            // A wider value is beyond every current member on one side.
            if v < 0 {
                0
            } else {
                self.len()
            }
        } else {
            match self.search(v) {
                Ok(_) => return false,
                Err(p) => p,
            }
        };
        let mut out = Vec::with_capacity((self.len() + 1) * need as usize);
        for (i, m) in self.iter().enumerate() {
            if i == pos {
                Self::encode(&mut out, v, need);
            }
            Self::encode(&mut out, m, need);
        }
        if pos == self.len() {
            Self::encode(&mut out, v, need);
        }
        self.width = need;
        self.buf = out.into_boxed_slice();
        true
    }

    /// Removes `v`; false if it was not there.
    pub fn remove(&mut self, v: i64) -> bool {
        if width_for(v) > self.width {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let w = self.width as usize;
        let mut out = Vec::with_capacity(self.buf.len() - w);
        out.extend_from_slice(&self.buf[..pos * w]);
        out.extend_from_slice(&self.buf[pos * w + w..]);
        self.buf = out.into_boxed_slice();
        true
    }
}

/// The member table of a `hashtable` set (values unused).
pub type Table = Dict<Box<[u8]>, ()>;

pub enum SetValue {
    /// Integers only (`intset`).
    Int(IntSet),
    /// The compact representation (`listpack`).
    Pack(Pack),
    /// The general representation (`hashtable`).
    Table(Table),
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::Int(IntSet::new())
    }
}

impl Clone for SetValue {
    fn clone(&self) -> Self {
        match self {
            SetValue::Int(i) => SetValue::Int(i.clone()),
            SetValue::Pack(p) => SetValue::Pack(p.clone()),
            SetValue::Table(t) => {
                let mut n = Table::new();
                for (k, _) in t.iter() {
                    n.insert(k.clone(), ());
                }
                SetValue::Table(n)
            }
        }
    }
}

impl std::fmt::Debug for SetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = self.members();
        m.sort();
        f.debug_struct("SetValue")
            .field("encoding", &self.encoding())
            .field("members", &m)
            .finish()
    }
}

/// Equal means same members (and same encoding, which is observable).
impl PartialEq for SetValue {
    fn eq(&self, other: &Self) -> bool {
        self.encoding() == other.encoding()
            && self.len() == other.len()
            && self.members().iter().all(|m| other.contains(m))
    }
}

fn int_bytes(v: i64) -> Vec<u8> {
    v.to_string().into_bytes()
}

impl SetValue {
    /// A new empty set meant to receive `first` and about `size_hint`
    /// members in total: the representation Redis 7.2 starts with.
    pub fn for_insert(first: &[u8], size_hint: usize, lim: &Limits) -> SetValue {
        if parse_int(first).is_some() && size_hint <= lim.set_max_intset_entries {
            SetValue::Int(IntSet::new())
        } else if size_hint <= lim.set_max_listpack_entries {
            SetValue::Pack(Pack::new())
        } else {
            SetValue::Table(Table::new())
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Int(_) => "intset",
            SetValue::Pack(_) => "listpack",
            SetValue::Table(_) => "hashtable",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            SetValue::Int(i) => i.heap_size(),
            SetValue::Pack(p) => p.heap_size(),
            SetValue::Table(t) => {
                t.bucket_count() * std::mem::size_of::<usize>()
                    + t.iter().map(|(k, _)| k.len() + 48).sum::<usize>()
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetValue::Int(i) => i.len(),
            SetValue::Pack(p) => p.len(),
            SetValue::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            SetValue::Int(i) => parse_int(m).is_some_and(|v| i.contains(v)),
            SetValue::Pack(p) => p.position(m, 1).is_some(),
            SetValue::Table(t) => t.contains_key(m),
        }
    }

    /// All members, in the representation's order.
    pub fn members(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|m| out.push(m.to_vec()));
        out
    }

    /// Calls `f` on every member, in the representation's order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            SetValue::Int(i) => i.iter().for_each(|v| f(&int_bytes(v))),
            SetValue::Pack(p) => p.iter().for_each(f),
            SetValue::Table(t) => t.iter().for_each(|(k, _)| f(k)),
        }
    }

    /// Converts to the hash table, sized for `expect` members.
    pub fn to_table(&mut self) {
        if matches!(self, SetValue::Table(_)) {
            return;
        }
        let mut t = Table::new();
        self.for_each(|m| {
            t.insert(m.into(), ());
        });
        *self = SetValue::Table(t);
    }

    /// Redis 7.2's pre-sizing before a multi-member add: a set about to
    /// receive more members than its compact limit goes straight to the
    /// hash table.
    pub fn reserve(&mut self, size_hint: usize, lim: &Limits) {
        let over = match self {
            SetValue::Int(_) => size_hint > lim.set_max_intset_entries,
            SetValue::Pack(_) => size_hint > lim.set_max_listpack_entries,
            SetValue::Table(_) => false,
        };
        if over {
            self.to_table();
        }
    }

    /// Adds `m`, converting the representation when a limit is crossed;
    /// false if it was already a member.
    pub fn insert(&mut self, m: &[u8], lim: &Limits) -> bool {
        match self {
            SetValue::Int(i) => {
                if let Some(v) = parse_int(m) {
                    if !i.insert(v) {
                        return false;
                    }
                    if i.len() > lim.set_max_intset_entries {
                        self.to_table();
                    }
                    return true;
                }
                // A non-integer: listpack if the result still fits, else
                // straight to the hash table.
                let maxlen = i.iter().map(|v| int_bytes(v).len()).max().unwrap_or(0);
                if i.len() < lim.set_max_listpack_entries
                    && m.len() <= lim.set_max_listpack_value
                    && maxlen <= lim.set_max_listpack_value
                {
                    let items: Vec<Vec<u8>> = i.iter().map(int_bytes).collect();
                    let mut p = Pack::from_items(items.iter().map(Vec::as_slice));
                    p.push_back(m);
                    *self = SetValue::Pack(p);
                } else {
                    self.to_table();
                    if let SetValue::Table(t) = self {
                        t.insert(m.into(), ());
                    }
                }
                true
            }
            SetValue::Pack(p) => {
                if p.position(m, 1).is_some() {
                    return false;
                }
                if p.len() < lim.set_max_listpack_entries && m.len() <= lim.set_max_listpack_value {
                    p.push_back(m);
                } else {
                    self.to_table();
                    if let SetValue::Table(t) = self {
                        t.insert(m.into(), ());
                    }
                }
                true
            }
            SetValue::Table(t) => {
                if t.contains_key(m) {
                    return false;
                }
                t.insert(m.into(), ());
                true
            }
        }
    }

    /// Removes `m`; false if it was not a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            SetValue::Int(i) => parse_int(m).is_some_and(|v| i.remove(v)),
            SetValue::Pack(p) => match p.position(m, 1) {
                Some(idx) => {
                    p.remove(idx);
                    true
                }
                None => false,
            },
            SetValue::Table(t) => {
                let gone = t.remove(m).is_some();
                if gone {
                    t.shrink_if_needed();
                }
                gone
            }
        }
    }

    /// A uniformly chosen member (close to uniform for the hash table), or
    /// `None` when empty.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        match self {
            SetValue::Int(i) => i.get(rng.gen_range(0..i.len())).map(int_bytes),
            SetValue::Pack(p) => p.get(rng.gen_range(0..p.len())).map(<[u8]>::to_vec),
            SetValue::Table(t) => t.random_entry(rng).map(|(k, _)| k.to_vec()),
        }
    }

    /// One SSCAN step over the hash table; compact representations return
    /// everything at once with cursor 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8])) -> u64 {
        match self {
            SetValue::Table(t) => t.scan(cursor, |k, _| f(k)),
            _ => {
                self.for_each(f);
                0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_is_strict() {
        assert_eq!(parse_int(b"0"), Some(0));
        assert_eq!(parse_int(b"-1"), Some(-1));
        assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"1.0",
        ] {
            assert_eq!(parse_int(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn intset_widens_and_stays_sorted() {
        let mut s = IntSet::new();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert_eq!(s.width(), 2);
        assert!(s.insert(70_000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -3, 5, 70_000]);
        assert!(s.contains(70_000) && !s.contains(4));
        assert!(s.remove(i64::MIN));
        assert!(!s.remove(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.heap_size(), 3 * 8);
    }

    fn lim(ints: usize, entries: usize, value: usize) -> Limits {
        Limits {
            set_max_intset_entries: ints,
            set_max_listpack_entries: entries,
            set_max_listpack_value: value,
            ..Limits::default()
        }
    }

    #[test]
    fn conversions_follow_the_limits() {
        let l = lim(4, 3, 5);
        let mut s = SetValue::for_insert(b"1", 1, &l);
        assert_eq!(s.encoding(), "intset");
        for m in [b"1", b"2"] {
            s.insert(m, &l);
        }
        // Two integers plus a short string fit the listpack.
        s.insert(b"a", &l);
        assert_eq!(s.encoding(), "listpack");
        // The fourth member exceeds set-max-listpack-entries.
        s.insert(b"b", &l);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 4);

        // Too many integers: intset goes straight to the hash table.
        let mut s = SetValue::for_insert(b"1", 1, &l);
        for i in 0..5 {
            s.insert(i.to_string().as_bytes(), &l);
        }
        assert_eq!(s.encoding(), "hashtable");

        // A long string added to an intset skips the listpack.
        let mut s = SetValue::for_insert(b"1", 1, &l);
        s.insert(b"1", &l);
        s.insert(b"toolong", &l);
        assert_eq!(s.encoding(), "hashtable");

        // A non-integer first member starts as a listpack.
        assert_eq!(SetValue::for_insert(b"x", 1, &l).encoding(), "listpack");
        assert_eq!(SetValue::for_insert(b"x", 4, &l).encoding(), "hashtable");
        assert_eq!(SetValue::for_insert(b"1", 4, &l).encoding(), "intset");
    }

    #[test]
    fn reserve_and_remove() {
        let l = lim(4, 3, 5);
        let mut s = SetValue::for_insert(b"1", 1, &l);
        s.insert(b"1", &l);
        s.reserve(5, &l);
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"1"));
        assert!(s.remove(b"1"));
        assert!(!s.remove(b"1"));
        assert!(s.is_empty());
    }

    #[test]
    fn table_scan_visits_everything() {
        let l = lim(4, 3, 5);
        let mut s = SetValue::for_insert(b"x", 1000, &l);
        for i in 0..1000 {
            s.insert(format!("m{i}").as_bytes(), &l);
        }
        let mut seen = std::collections::HashSet::new();
        let mut c = 0;
        loop {
            c = s.scan(c, |m| {
                seen.insert(m.to_vec());
            });
            if c == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
        let mut rng = rand::thread_rng();
        assert!(s.random(&mut rng).is_some_and(|m| s.contains(&m)));
    }
}
