//! Sorted-set values: unique members ordered by score, then member bytes.
//!
//! Two representations, as in Redis:
//!
//! * [`ZSetValue::Pack`] (`OBJECT ENCODING` says `listpack`): a [`Pack`]
//!   of alternating member and score entries, kept sorted. A score is its
//!   8 little-endian bytes. Lookups scan linearly, which the
//!   `zset-max-listpack-entries` / `-value` limits keep short.
//! * [`ZSetValue::Sorted`] (`skiplist`): a [`Sorted`], an order-statistic
//!   B+tree plus a member dict: O(log n) inserts, removals, rank and range
//!   lookups, O(1) `ZSCORE` (see [`crate::sorted`]).
//!
//! Conversion from `listpack` to `skiplist` happens when an insert passes a
//! limit; the other way only for freshly built results
//! ([`ZSetValue::from_sorted`]), as Redis does for its `*STORE` commands.

use std::cmp::Ordering;

use crate::limits::Limits;
use crate::pack::Pack;
pub use crate::sorted::Sorted;

#[derive(Clone, Debug, PartialEq)]
pub enum ZSetValue {
    /// The compact representation (`listpack`).
    Pack(Pack),
    /// The large representation (`skiplist`).
    Sorted(Box<Sorted>),
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::Pack(Pack::new())
    }
}

/// Total order of (score, member): scores compare numerically (they are
/// never NaN), equal scores by member bytes.
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2)
        .unwrap_or(Ordering::Equal)
        .then_with(|| m1.cmp(m2))
}

/// A score as a listpack entry. An integral score below 2^48 in
/// magnitude (ranks, counters, timestamps, geohashes: most scores) is a
/// zigzag LEB128 integer of 1 to 7 bytes; anything else is its 8 IEEE-754
/// bytes. The entry's length tells the two apart. A zero of either sign
/// is the integer 0, as in Redis's listpack (where `-0` reads back `0`).
/// Compared with always 8 bytes, this saves up to 7 bytes per member,
/// which is what keeps small sorted sets within Redis's memory.
struct Score {
    buf: [u8; 8],
    len: usize,
}

impl std::ops::Deref for Score {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

const INT_SCORE_LIMIT: f64 = (1u64 << 48) as f64;

fn enc_score(s: f64) -> Score {
    let mut buf = [0u8; 8];
    if s.fract() == 0.0 && s.abs() < INT_SCORE_LIMIT {
        let v = s as i64;
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        let mut len = 0;
        loop {
            if z < 0x80 {
                buf[len] = z as u8;
                return Score { buf, len: len + 1 };
            }
            buf[len] = (z as u8 & 0x7f) | 0x80;
            z >>= 7;
            len += 1;
        }
    }
    Score {
        buf: s.to_le_bytes(),
        len: 8,
    }
}

fn dec_score(b: &[u8]) -> f64 {
    if let Ok(a) = <[u8; 8]>::try_from(b) {
        return f64::from_le_bytes(a);
    }
    let mut z = 0u64;
    for (i, &byte) in b.iter().enumerate() {
        z |= ((byte & 0x7f) as u64) << (7 * i);
    }
    ((z >> 1) as i64 ^ -((z & 1) as i64)) as f64
}

impl ZSetValue {
    /// An empty zset in the representation Redis would choose for
    /// `entries` members whose longest is `max_len` bytes.
    pub fn with_hint(entries: usize, max_len: usize, lim: &Limits) -> ZSetValue {
        if entries <= lim.zset_max_listpack_entries && max_len <= lim.zset_max_listpack_value {
            ZSetValue::Pack(Pack::new())
        } else {
            ZSetValue::Sorted(Box::default())
        }
    }

    /// A zset holding `items` (already sorted and unique), in the
    /// representation its size calls for.
    pub fn from_sorted(items: Vec<(Vec<u8>, f64)>, lim: &Limits) -> ZSetValue {
        let max_len = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        let mut z = ZSetValue::with_hint(items.len(), max_len, lim);
        match &mut z {
            ZSetValue::Pack(p) => {
                let scores: Vec<Score> = items.iter().map(|(_, s)| enc_score(*s)).collect();
                *p = Pack::from_items(
                    items
                        .iter()
                        .zip(scores.iter())
                        .flat_map(|((m, _), s)| [&m[..], &s[..]]),
                );
            }
            ZSetValue::Sorted(s) => {
                **s = Sorted::from_sorted(items.iter().map(|(m, sc)| (&m[..], *sc)));
            }
        }
        z
    }

    /// Prefetches `members`' entries in the member table (see
    /// [`Dict::prefetch_keys`](crate::dict::Dict::prefetch_keys)); nothing
    /// to do for the packed form.
    pub fn prefetch(&self, members: &[&[u8]]) {
        if let ZSetValue::Sorted(s) = self {
            s.prefetch(members);
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            ZSetValue::Pack(_) => "listpack",
            ZSetValue::Sorted(_) => "skiplist",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            ZSetValue::Pack(p) => p.heap_size(),
            ZSetValue::Sorted(s) => std::mem::size_of::<Sorted>() + s.heap_size(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSetValue::Pack(p) => p.len() / 2,
            ZSetValue::Sorted(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index (pair index) of `member` in a pack.
    fn pack_find(p: &Pack, member: &[u8]) -> Option<(usize, f64)> {
        let mut it = p.iter();
        let mut i = 0;
        while let Some(m) = it.next() {
            let s = it.next().expect("pairs");
            if m == member {
                return Some((i, dec_score(s)));
            }
            i += 1;
        }
        None
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetValue::Pack(p) => Self::pack_find(p, member).map(|(_, s)| s),
            ZSetValue::Sorted(s) => s.score(member),
        }
    }

    /// The 0-based rank (lowest score first) and score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSetValue::Pack(p) => Self::pack_find(p, member),
            ZSetValue::Sorted(s) => s.rank(member),
        }
    }

    /// Number of members for which `before(score, member)` holds; the
    /// predicate must be true for a prefix of the order (a range bound).
    pub fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSetValue::Pack(p) => {
                let mut it = p.iter();
                let mut n = 0;
                while let Some(m) = it.next() {
                    let s = dec_score(it.next().expect("pairs"));
                    if !before(s, m) {
                        break;
                    }
                    n += 1;
                }
                n
            }
            ZSetValue::Sorted(s) => s.count_before(before),
        }
    }

    /// Calls `f(member, score)` for ranks `start..end` (clamped), in order.
    pub fn for_range(&self, start: usize, end: usize, mut f: impl FnMut(&[u8], f64)) {
        let end = end.min(self.len());
        if start >= end {
            return;
        }
        match self {
            ZSetValue::Pack(p) => {
                let mut it = p.iter().skip(start * 2);
                for _ in start..end {
                    let m = it.next().expect("pairs");
                    let s = dec_score(it.next().expect("pairs"));
                    f(m, s);
                }
            }
            ZSetValue::Sorted(s) => s.for_range(start, end, f),
        }
    }

    /// Calls `f(member, score)` for ranks `start..end` (clamped), from the
    /// highest rank down (ZREVRANGE order).
    pub fn for_range_rev(&self, start: usize, end: usize, mut f: impl FnMut(&[u8], f64)) {
        let end = end.min(self.len());
        if start >= end {
            return;
        }
        match self {
            ZSetValue::Pack(_) => {
                let mut v = Vec::with_capacity(end - start);
                self.for_range(start, end, |m, s| v.push((m.to_vec(), s)));
                for (m, s) in v.into_iter().rev() {
                    f(&m, s);
                }
            }
            ZSetValue::Sorted(s) => s.for_range_rev(start, end, f),
        }
    }

    /// One step of a ZSCAN: calls `f(member, score)` for some members and
    /// returns the next cursor, 0 when done. A `listpack` set is returned
    /// whole in one call (whatever the cursor), as Redis does; a large one
    /// walks its member dict, so a member present for the whole scan is
    /// returned at least once even if the set grows or shrinks meanwhile.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSetValue::Pack(_) => {
                self.for_range(0, self.len(), f);
                0
            }
            ZSetValue::Sorted(s) => s.scan(cursor, &mut f),
        }
    }

    /// Members and scores of ranks `start..end`, owned.
    pub fn range(&self, start: usize, end: usize) -> Vec<(Vec<u8>, f64)> {
        let mut v = Vec::with_capacity(end.saturating_sub(start).min(self.len()));
        self.for_range(start, end, |m, s| v.push((m.to_vec(), s)));
        v
    }

    /// Sets `member`'s score (adding it if new), converting to the large
    /// representation if a limit is passed. Returns true if it was added.
    pub fn set(&mut self, member: &[u8], score: f64, lim: &Limits) -> bool {
        if let ZSetValue::Pack(p) = self {
            // A listpack keeps a zero score as the integer 0: -0 reads back
            // as 0 there (the large representation keeps the sign).
            let score = if score == 0.0 { 0.0 } else { score };
            let found = Self::pack_find(p, member);
            if found.is_none()
                && (p.len() / 2 + 1 > lim.zset_max_listpack_entries
                    || member.len() > lim.zset_max_listpack_value)
            {
                self.convert();
            } else {
                if let Some((i, old)) = found {
                    if old.to_bits() == score.to_bits() {
                        return false;
                    }
                    p.splice(i * 2, 2, &[]);
                }
                let pos = {
                    let mut it = p.iter();
                    let mut n = 0;
                    while let Some(m) = it.next() {
                        let s = dec_score(it.next().expect("pairs"));
                        if cmp_entry(s, m, score, member) != Ordering::Less {
                            break;
                        }
                        n += 1;
                    }
                    n
                };
                p.splice(pos * 2, 0, &[member, &enc_score(score)]);
                return found.is_none();
            }
        }
        let ZSetValue::Sorted(s) = self else {
            unreachable!("converted above")
        };
        s.set(member, score)
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSetValue::Pack(p) => match Self::pack_find(p, member) {
                Some((i, _)) => {
                    p.splice(i * 2, 2, &[]);
                    true
                }
                None => false,
            },
            ZSetValue::Sorted(s) => s.remove(member),
        }
    }

    /// Removes ranks `start..end` (clamped); returns how many went.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match self {
            ZSetValue::Pack(p) => p.splice(start * 2, (end - start) * 2, &[]),
            ZSetValue::Sorted(s) => {
                s.remove_range(start, end);
            }
        }
        end - start
    }

    fn convert(&mut self) {
        if let ZSetValue::Pack(p) = self {
            let mut items = Vec::with_capacity(p.len() / 2);
            let mut it = p.iter();
            while let Some(m) = it.next() {
                items.push((m, dec_score(it.next().expect("pairs"))));
            }
            *self = ZSetValue::Sorted(Box::new(Sorted::from_sorted(items)));
        }
    }

    /// The member and score at `rank` (lowest score first), if any.
    pub fn at(&self, rank: usize) -> Option<(Vec<u8>, f64)> {
        let mut found = None;
        self.for_range(rank, rank + 1, |m, s| found = Some((m.to_vec(), s)));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_scores_round_trip_and_stay_short() {
        let cases = [
            (0.0, 1),
            (-0.0, 1),
            (1.0, 1),
            (-1.0, 1),
            (63.0, 1),
            (64.0, 2),
            (-64.0, 1),
            (1_700_000_000_000.0, 6),
            (281_474_976_710_655.0, 7),
            (-281_474_976_710_655.0, 7),
            (281_474_976_710_656.0, 8),
            (1.5, 8),
            (f64::INFINITY, 8),
            (f64::NEG_INFINITY, 8),
            (1e300, 8),
            (-5e-324, 8),
        ];
        for (s, len) in cases {
            let e = enc_score(s);
            assert_eq!(e.len(), len, "{s}");
            let back = dec_score(&e);
            assert_eq!(back, s, "{s}");
            if s == 0.0 {
                assert!(back.is_sign_positive(), "-0 reads back 0");
            }
        }
    }

    fn all(z: &ZSetValue) -> Vec<(Vec<u8>, f64)> {
        z.range(0, z.len())
    }

    #[test]
    fn both_representations_agree() {
        let lim = Limits {
            zset_max_listpack_entries: 4,
            ..Limits::default()
        };
        let mut small = ZSetValue::default();
        let mut big = ZSetValue::Sorted(Box::default());
        let ops: &[(&[u8], f64)] = &[(b"b", 1.0), (b"a", 1.0), (b"c", -2.0), (b"b", 5.0)];
        for (m, s) in ops {
            assert_eq!(small.set(m, *s, &Limits::default()), big.set(m, *s, &lim));
        }
        assert_eq!(all(&small), all(&big));
        assert_eq!(small.encoding(), "listpack");
        assert_eq!(small.rank(b"b"), Some((2, 5.0)));
        assert_eq!(big.rank(b"b"), Some((2, 5.0)));
        assert_eq!(small.count_before(|s, _| s < 1.0), 1);
        assert_eq!(big.count_before(|s, _| s < 1.0), 1);
        assert!(small.remove(b"a") && big.remove(b"a"));
        assert_eq!(all(&small), all(&big));
        let mut z = ZSetValue::default();
        for i in 0..5u8 {
            z.set(&[i], 0.0, &lim);
        }
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.remove_range(1, 3), 2);
        assert_eq!(all(&z).len(), 3);
        assert_eq!(ZSetValue::from_sorted(all(&z), &lim).encoding(), "listpack");
    }
}
