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
use crate::value::format_i64;

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
        if need == self.width {
            // Same width: the bytes around the new member move as they are.
            let at = pos * need as usize;
            out.extend_from_slice(&self.buf[..at]);
            Self::encode(&mut out, v, need);
            out.extend_from_slice(&self.buf[at..]);
        } else {
            for (i, m) in self.iter().enumerate() {
                if i == pos {
                    Self::encode(&mut out, v, need);
                }
                Self::encode(&mut out, m, need);
            }
            if pos == self.len() {
                Self::encode(&mut out, v, need);
            }
        }
        self.width = need;
        self.buf = out.into_boxed_slice();
        true
    }

    /// An intset of `values` (any order, duplicates dropped), at the
    /// narrowest width that holds them all: built in one pass, where
    /// inserting one by one would copy the array each time.
    pub fn from_values(mut values: Vec<i64>) -> IntSet {
        values.sort_unstable();
        values.dedup();
        let width = values.iter().map(|&v| width_for(v)).max().unwrap_or(2);
        let mut out = Vec::with_capacity(values.len() * width as usize);
        for v in values {
            Self::encode(&mut out, v, width);
        }
        IntSet {
            width,
            buf: out.into_boxed_slice(),
        }
    }

    /// Like [`from_values`](Self::from_values), at width `width` (2, 4 or
    /// 8) if that is wider than the values need: an intset keeps its width
    /// when it leaves RAM and comes back.
    pub fn from_values_at(values: Vec<i64>, width: u8) -> IntSet {
        let s = IntSet::from_values(values);
        if !matches!(width, 4 | 8) || width <= s.width {
            return s;
        }
        let mut out = Vec::with_capacity(s.len() * width as usize);
        for v in s.iter() {
            Self::encode(&mut out, v, width);
        }
        IntSet {
            width,
            buf: out.into_boxed_slice(),
        }
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
    /// The general representation (`hashtable`), boxed so that the far
    /// more common small sets do not pay for the table's size in every
    /// value (32 bytes instead of 112).
    Table(Box<Table>),
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
                SetValue::Table(Box::new(n))
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
    let mut buf = [0u8; 20];
    format_i64(v, &mut buf).to_vec()
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
            SetValue::Table(Box::default())
        }
    }

    /// Prefetches `members`' table entries (see [`Dict::prefetch_keys`]);
    /// nothing to do for the packed forms.
    pub fn prefetch(&self, members: &[&[u8]]) {
        if let SetValue::Table(t) = self {
            t.prefetch_keys(members, |m| Some(m.as_ptr()));
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
                std::mem::size_of::<Table>()
                    + t.bucket_count() * std::mem::size_of::<usize>()
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
            SetValue::Int(i) => {
                let mut buf = [0u8; 20];
                i.iter().for_each(|v| f(format_i64(v, &mut buf)));
            }
            SetValue::Pack(p) => p.iter().for_each(f),
            SetValue::Table(t) => t.iter().for_each(|(k, _)| f(k)),
        }
    }

    /// Calls `f` on members, in the representation's order, while it
    /// returns true.
    pub fn for_each_while(&self, mut f: impl FnMut(&[u8]) -> bool) {
        match self {
            SetValue::Int(i) => {
                let mut buf = [0u8; 20];
                for v in i.iter() {
                    if !f(format_i64(v, &mut buf)) {
                        return;
                    }
                }
            }
            SetValue::Pack(p) => {
                for m in p.iter() {
                    if !f(m) {
                        return;
                    }
                }
            }
            SetValue::Table(t) => {
                for (k, _) in t.iter() {
                    if !f(k) {
                        return;
                    }
                }
            }
        }
    }

    /// Converts to an intset if every member is an integer and there are
    /// few enough (what SINTERSTORE does with an all-integer result).
    pub fn maybe_to_intset(&mut self, lim: &Limits) {
        if matches!(self, SetValue::Int(_)) || self.len() > lim.set_max_intset_entries {
            return;
        }
        let mut ints = Vec::with_capacity(self.len());
        let mut all = true;
        self.for_each_while(|m| match parse_int(m) {
            Some(v) => {
                ints.push(v);
                true
            }
            None => {
                all = false;
                false
            }
        });
        if all {
            *self = SetValue::Int(IntSet::from_values(ints));
        }
    }

    /// Converts to the hash table.
    pub fn to_table(&mut self) {
        if matches!(self, SetValue::Table(_)) {
            return;
        }
        let mut t = Table::new();
        self.for_each(|m| {
            t.insert(m.into(), ());
        });
        *self = SetValue::Table(Box::new(t));
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

    /// A set read from an RDB file or RESTORE payload that stored it member
    /// by member (the plain set type), built as Redis 7.2 loads one: an
    /// intset unless there are more members than `set-max-intset-entries`
    /// (then the hash table), converting as each member is added.
    pub fn from_plain(members: &[Vec<u8>], lim: &Limits) -> SetValue {
        let mut s = if members.len() > lim.set_max_intset_entries {
            SetValue::Table(Box::default())
        } else {
            SetValue::Int(IntSet::new())
        };
        if let Some(ints) = all_ints(members) {
            if let SetValue::Int(_) = s {
                return SetValue::Int(IntSet::from_values(ints));
            }
        }
        for m in members {
            s.insert(m, lim);
        }
        s
    }

    /// A set that arrived as a compact blob (intset or listpack): Redis
    /// keeps the blob's representation, an intset as an intset and a
    /// listpack as a listpack (even with members longer than
    /// `set-max-listpack-value`), unless it holds more members than that
    /// representation's entry limit. We cannot tell the two blob types
    /// apart here, so all-integer members make an intset.
    pub fn from_compact(members: &[Vec<u8>], lim: &Limits) -> SetValue {
        let mut s = match all_ints(members) {
            Some(ints) => SetValue::Int(IntSet::from_values(ints)),
            None => SetValue::Pack(Pack::from_items(members.iter().map(Vec::as_slice))),
        };
        let over = match &s {
            SetValue::Int(i) => i.len() > lim.set_max_intset_entries,
            _ => s.len() > lim.set_max_listpack_entries,
        };
        if over {
            s.to_table();
        }
        s
    }

    /// Removes and returns a random member (SPOP without a count).
    pub fn pop_random<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Option<Vec<u8>> {
        let m = self.random(rng)?;
        self.remove(&m);
        Some(m)
    }

    /// Removes `count` random distinct members (fewer than the set holds)
    /// and returns them, as SPOP with a count does.
    ///
    /// The compact representations are small: their members are listed, a
    /// partial shuffle picks the ones to pop, and the representation is
    /// rebuilt from the rest (an intset stays an intset, a listpack a
    /// listpack, as in Redis). For the hash table, popping one member at
    /// a time is cheap while few are taken; when the members that stay are
    /// at most a fifth of those popped, Redis instead draws the ones that
    /// stay into a new set, which starts as a listpack and converts as it
    /// grows; we do the same, so the encoding afterwards matches.
    pub fn pop_many<R: Rng + ?Sized>(
        &mut self,
        count: usize,
        rng: &mut R,
        lim: &Limits,
    ) -> Vec<Vec<u8>> {
        use rand::seq::SliceRandom;
        let size = self.len();
        debug_assert!(count < size);
        let remaining = size - count;
        match self {
            SetValue::Int(_) | SetValue::Pack(_) => {
                let mut all = self.members();
                all.partial_shuffle(rng, count);
                let kept = all.split_off(count);
                *self = match self {
                    SetValue::Int(_) => SetValue::Int(IntSet::from_values(
                        kept.iter()
                            .map(|m| parse_int(m).expect("intset members are integers"))
                            .collect(),
                    )),
                    _ => SetValue::Pack(Pack::from_items(kept.iter().map(Vec::as_slice))),
                };
                all
            }
            SetValue::Table(t) if remaining.saturating_mul(5) > count => {
                let mut out = Vec::with_capacity(count);
                for _ in 0..count {
                    let k = t
                        .random_entry(rng)
                        .expect("more members than popped")
                        .0
                        .clone();
                    t.remove(&k[..]);
                    out.push(k.into_vec());
                }
                t.shrink_if_needed();
                out
            }
            SetValue::Table(t) => {
                let mut kept = SetValue::Pack(Pack::new());
                for _ in 0..remaining {
                    let k = t
                        .random_entry(rng)
                        .expect("more members than kept")
                        .0
                        .clone();
                    t.remove(&k[..]);
                    kept.insert(&k, lim);
                }
                let out = t.drain().into_iter().map(|(k, _)| k.into_vec()).collect();
                *self = kept;
                out
            }
        }
    }

    /// `count` distinct random members (fewer than the set holds), as
    /// SRANDMEMBER with a positive count answers. For a large share of a
    /// hash table (more than a third), or any compact set, all members are
    /// listed and a partial shuffle picks; otherwise random draws repeat
    /// until `count` distinct members are seen, which needs few retries
    /// because most draws are new.
    pub fn sample_distinct<R: Rng + ?Sized>(&self, count: usize, rng: &mut R) -> Vec<Vec<u8>> {
        use rand::seq::SliceRandom;
        match self {
            SetValue::Table(t) if count.saturating_mul(3) <= t.len() => {
                let mut seen: std::collections::HashSet<&[u8]> =
                    std::collections::HashSet::with_capacity(count);
                let mut out = Vec::with_capacity(count);
                while out.len() < count {
                    let (k, _) = t.random_entry(rng).expect("the set is not empty");
                    if seen.insert(k) {
                        out.push(k.to_vec());
                    }
                }
                out
            }
            _ => {
                let mut all = self.members();
                all.partial_shuffle(rng, count);
                all.truncate(count);
                all
            }
        }
    }

    /// Calls `f` on `count` members drawn independently (repeats allowed),
    /// as SRANDMEMBER with a negative count answers. A compact set is
    /// listed once so that each draw is an index, not a walk.
    pub fn sample_repeating<R: Rng + ?Sized>(
        &self,
        count: usize,
        rng: &mut R,
        mut f: impl FnMut(&[u8]),
    ) {
        if self.is_empty() {
            return;
        }
        match self {
            SetValue::Table(t) => {
                for _ in 0..count {
                    f(t.random_entry(rng).expect("the set is not empty").0);
                }
            }
            _ => {
                let all = self.members();
                for _ in 0..count {
                    f(&all[rng.gen_range(0..all.len())]);
                }
            }
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

/// The members as integers, if every one is a canonical integer.
fn all_ints(members: &[Vec<u8>]) -> Option<Vec<i64>> {
    members.iter().map(|m| parse_int(m)).collect()
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

    #[test]
    fn small_sets_stay_small() {
        // Every set value is boxed in the keyspace: the table is boxed again
        // so that the box of an intset or listpack set stays this size.
        assert!(std::mem::size_of::<SetValue>() <= 32);
    }

    #[test]
    fn int_text_matches_to_string() {
        let mut buf = [0u8; 20];
        for v in [0, 1, -1, 9, 10, -10, i64::MAX, i64::MIN, 1234567] {
            assert_eq!(format_i64(v, &mut buf), v.to_string().as_bytes());
        }
    }

    fn bytes(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn loading_follows_redis() {
        let l = lim(4, 3, 5);
        assert_eq!(
            SetValue::from_plain(&bytes(&["3", "1"]), &l).encoding(),
            "intset"
        );
        assert_eq!(
            SetValue::from_plain(&bytes(&["1", "a"]), &l).encoding(),
            "listpack"
        );
        // More members than the intset limit: straight to the table.
        let five = bytes(&["1", "2", "3", "4", "5"]);
        assert_eq!(SetValue::from_plain(&five, &l).encoding(), "hashtable");
        assert_eq!(
            SetValue::from_plain(&bytes(&["a", "b", "c", "d"]), &l).encoding(),
            "hashtable"
        );
        // Blobs keep their representation within the entry limits, even
        // with long members.
        assert_eq!(
            SetValue::from_compact(&bytes(&["7", "-2"]), &l).encoding(),
            "intset"
        );
        assert_eq!(
            SetValue::from_compact(&bytes(&["toolongmember"]), &l).encoding(),
            "listpack"
        );
        assert_eq!(SetValue::from_compact(&five, &l).encoding(), "hashtable");
        assert_eq!(
            SetValue::from_compact(&bytes(&["a", "b", "c", "d"]), &l).encoding(),
            "hashtable"
        );
        let s = SetValue::from_compact(&bytes(&["7", "-2"]), &l);
        assert_eq!(s.members(), bytes(&["-2", "7"]));
    }

    #[test]
    fn pop_many_keeps_the_rest() {
        let l = Limits::default();
        let mut rng = rand::thread_rng();
        for (n, ints) in [(10, true), (10, false), (1000, false), (1000, true)] {
            for count in [1, n / 2, n - 1] {
                let all: Vec<Vec<u8>> = (0..n)
                    .map(|i| if ints { i.to_string() } else { format!("m{i}") }.into_bytes())
                    .collect();
                let mut s = SetValue::for_insert(&all[0], n, &l);
                for m in &all {
                    s.insert(m, &l);
                }
                let enc = s.encoding();
                let popped = s.pop_many(count, &mut rng, &l);
                assert_eq!(popped.len(), count);
                assert_eq!(s.len(), n - count);
                let mut seen = std::collections::HashSet::new();
                for m in &popped {
                    assert!(seen.insert(m.clone()) && !s.contains(m) && all.contains(m));
                }
                // The table keeps what stays in a fresh set when few stay.
                if enc == "hashtable" && (n - count) * 5 <= count {
                    assert_eq!(s.encoding(), "listpack");
                } else {
                    assert_eq!(s.encoding(), enc);
                }
            }
        }
    }

    #[test]
    fn sampling() {
        let l = Limits::default();
        let mut rng = rand::thread_rng();
        let mut s = SetValue::for_insert(b"a", 1, &l);
        for i in 0..1000 {
            s.insert(format!("m{i}").as_bytes(), &l);
        }
        for count in [1, 10, 400, 999] {
            let got = s.sample_distinct(count, &mut rng);
            let uniq: std::collections::HashSet<_> = got.iter().collect();
            assert_eq!((got.len(), uniq.len()), (count, count));
            assert!(got.iter().all(|m| s.contains(m)));
        }
        let mut n = 0;
        s.sample_repeating(5000, &mut rng, |m| {
            assert!(s.contains(m));
            n += 1;
        });
        assert_eq!(n, 5000);
    }
}
