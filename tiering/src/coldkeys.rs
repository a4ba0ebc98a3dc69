//! The cold-key table: where a key whose value is in the cold tier rests,
//! in 24 bytes plus its name instead of a 64-byte table node.
//!
//! With most values on disk, the keys are what fills RAM: in the main
//! table a cold key costs a boxed node (24-byte key, 32-byte entry,
//! 8-byte link) and its share of the bucket array, about 73 bytes for a
//! 16-byte name. Here it is one packed record in a page of 4 KiB, found
//! through a chained hash table of 4-byte record handles:
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | next record in the chain (handle, 0 = none) |
//! | 4..8 | the value's encoded size ([`ColdRef::size`]) |
//! | 8..14 | the record id, 48 bits |
//! | 14..18 | LRU clock / LFU counter |
//! | 18..20 | snapshot generation mark |
//! | 20 | representation ([`Repr`]) |
//! | 21 | representation detail ([`ColdRef::extra`]) |
//! | 22 | flags (bit 0: the key has an expiry) |
//! | 23 | name length |
//! | 24.. | the name, padded to 4 bytes |
//!
//! So a 16-byte name takes 40 bytes, plus 4 to 8 of bucket array (the
//! table doubles when it holds as many keys as buckets). Keys of more than
//! 255 bytes, or ids past 48 bits, stay in the main table: nothing depends
//! on a key resting here, it only saves memory.
//!
//! Freed records go to a free list per size and are reused by the next
//! key of that size; pages are returned only when the table empties. The
//! table rehashes incrementally and scans with the same reverse-binary
//! cursor as [`Dict`](crate::dict::Dict), with the same hash function, so
//! that a scan over both tables together (see `keyspace.rs`) keeps SCAN's
//! guarantee while keys move between them.
//!
//! This is in-RAM state only: it is rebuilt as values are demoted after a
//! start, and no file holds it.

use crate::cold::{ColdRef, Repr};
use crate::key::Key;
use rand::Rng;

/// Bytes per handle unit: records start on 4-byte boundaries.
const UNIT: usize = 4;
/// Units per page (4 KiB pages: a database with few cold keys wastes
/// little).
const PAGE_SHIFT: u32 = 10;
const PAGE_UNITS: usize = 1 << PAGE_SHIFT;
const PAGE_BYTES: usize = PAGE_UNITS * UNIT;
/// Pages a `u32` handle can name (16 GiB of records).
const MAX_PAGES: usize = 1 << (32 - PAGE_SHIFT);
/// The null handle (unit 0 of page 0 is never used).
const NONE: u32 = 0;
/// Bytes of a record before the name.
pub const RECORD_HEADER: usize = 24;
/// The longest name a record holds.
pub const MAX_KEY: usize = 255;
/// Ids from here on stay in the main table.
const MAX_ID: u64 = 1 << 48;
/// Record sizes in units: up to the header and the longest name.
const CLASSES: usize = (RECORD_HEADER + MAX_KEY).div_ceil(UNIT) + 1;
const INITIAL_SIZE: usize = 4;
/// Below this fill ratio (1/N) the cron shrinks the bucket array.
const MIN_FILL_DIVISOR: usize = 8;

const NEXT: usize = 0;
const SIZE: usize = 4;
const ID: usize = 8;
const LRU: usize = 14;
const SNAP: usize = 18;
const REPR: usize = 20;
const EXTRA: usize = 21;
const FLAGS: usize = 22;
const KLEN: usize = 23;
const VOLATILE: u8 = 1;

/// What a resting cold key keeps besides its name: the parts of its entry
/// that a cold entry uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rest {
    pub r: ColdRef,
    pub lru: u32,
    pub snap: u16,
    pub volatile: bool,
}

fn units_for(key_len: usize) -> usize {
    (RECORD_HEADER + key_len).div_ceil(UNIT)
}

/// Bytes of the record of a name of `key_len` bytes (`MEMORY USAGE`).
pub fn record_bytes(key_len: usize) -> usize {
    units_for(key_len) * UNIT
}

/// See the module documentation.
pub struct ColdKeys {
    pages: Vec<Box<[u8]>>,
    /// Next unused unit of the last page.
    top: usize,
    /// Free-list heads by record size in units.
    free: Vec<u32>,
    /// Bucket arrays (two while rehashing, as in `Dict`).
    t: [Vec<u32>; 2],
    used: [usize; 2],
    rehash_idx: Option<usize>,
    hasher: ahash::RandomState,
}

impl Default for ColdKeys {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a chain link lives: a bucket slot or a record's `next` field.
#[derive(Clone, Copy)]
enum Link {
    Bucket(usize, usize),
    Record(u32),
}

impl ColdKeys {
    pub fn new() -> ColdKeys {
        ColdKeys {
            pages: Vec::new(),
            top: 0,
            free: vec![NONE; CLASSES],
            t: [Vec::new(), Vec::new()],
            used: [0, 0],
            rehash_idx: None,
            hasher: crate::dict::process_hasher(),
        }
    }

    pub fn len(&self) -> usize {
        self.used[0] + self.used[1]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if a key `key` with reference `r` can rest here.
    pub fn fits(key: &[u8], r: &ColdRef) -> bool {
        key.len() <= MAX_KEY && r.id < MAX_ID
    }

    /// Bytes this table holds: pages and bucket arrays.
    pub fn memory(&self) -> usize {
        self.pages.len() * PAGE_BYTES
            + (self.t[0].capacity() + self.t[1].capacity()) * std::mem::size_of::<u32>()
    }

    /// [`memory`](Self::memory) per key (0 when empty).
    pub fn bytes_per_key(&self) -> u64 {
        (self.memory() / self.len().max(1)) as u64
    }

    pub fn bucket_count(&self) -> usize {
        self.t[0].len() + self.t[1].len()
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    // --- records ---

    fn at(&self, h: u32) -> &[u8] {
        let p = (h >> PAGE_SHIFT) as usize;
        let o = (h as usize & (PAGE_UNITS - 1)) * UNIT;
        &self.pages[p][o..]
    }

    fn at_mut(&mut self, h: u32) -> &mut [u8] {
        let p = (h >> PAGE_SHIFT) as usize;
        let o = (h as usize & (PAGE_UNITS - 1)) * UNIT;
        &mut self.pages[p][o..]
    }

    fn next_of(&self, h: u32) -> u32 {
        u32::from_le_bytes(self.at(h)[NEXT..NEXT + 4].try_into().expect("4 bytes"))
    }

    fn set_next(&mut self, h: u32, next: u32) {
        self.at_mut(h)[NEXT..NEXT + 4].copy_from_slice(&next.to_le_bytes());
    }

    fn key_of(&self, h: u32) -> &[u8] {
        let r = self.at(h);
        &r[RECORD_HEADER..RECORD_HEADER + r[KLEN] as usize]
    }

    fn rest_of(&self, h: u32) -> Rest {
        let b = self.at(h);
        let mut id = [0u8; 8];
        id[..6].copy_from_slice(&b[ID..ID + 6]);
        Rest {
            r: ColdRef {
                id: u64::from_le_bytes(id),
                size: u32::from_le_bytes(b[SIZE..SIZE + 4].try_into().expect("4 bytes")),
                // Only `insert_new` writes this byte, from a `Repr`.
                repr: Repr::from_u8(b[REPR]).unwrap_or(Repr::StrRaw),
                extra: b[EXTRA],
            },
            lru: u32::from_le_bytes(b[LRU..LRU + 4].try_into().expect("4 bytes")),
            snap: u16::from_le_bytes(b[SNAP..SNAP + 2].try_into().expect("2 bytes")),
            volatile: b[FLAGS] & VOLATILE != 0,
        }
    }

    fn write(&mut self, h: u32, key: &[u8], rest: &Rest, next: u32) {
        let b = self.at_mut(h);
        b[NEXT..NEXT + 4].copy_from_slice(&next.to_le_bytes());
        b[SIZE..SIZE + 4].copy_from_slice(&rest.r.size.to_le_bytes());
        b[ID..ID + 6].copy_from_slice(&rest.r.id.to_le_bytes()[..6]);
        b[LRU..LRU + 4].copy_from_slice(&rest.lru.to_le_bytes());
        b[SNAP..SNAP + 2].copy_from_slice(&rest.snap.to_le_bytes());
        b[REPR] = rest.r.repr as u8;
        b[EXTRA] = rest.r.extra;
        b[FLAGS] = if rest.volatile { VOLATILE } else { 0 };
        b[KLEN] = key.len() as u8;
        b[RECORD_HEADER..RECORD_HEADER + key.len()].copy_from_slice(key);
    }

    /// A record of `units` units: a freed one of that size, or the next
    /// of the last page (a new page when it is full). `None` when the
    /// handles are used up.
    fn alloc(&mut self, units: usize) -> Option<u32> {
        let head = self.free[units];
        if head != NONE {
            self.free[units] = self.next_of(head);
            return Some(head);
        }
        if self.pages.is_empty() || self.top + units > PAGE_UNITS {
            if self.pages.len() == MAX_PAGES {
                return None;
            }
            self.pages.push(vec![0u8; PAGE_BYTES].into_boxed_slice());
            // Unit 0 of page 0 is the null handle.
            self.top = usize::from(self.pages.len() == 1);
        }
        let h = (((self.pages.len() - 1) << PAGE_SHIFT) | self.top) as u32;
        self.top += units;
        Some(h)
    }

    fn release(&mut self, h: u32, units: usize) {
        let head = self.free[units];
        self.set_next(h, head);
        self.free[units] = h;
    }

    // --- links ---

    fn link(&self, l: Link) -> u32 {
        match l {
            Link::Bucket(t, b) => self.t[t][b],
            Link::Record(h) => self.next_of(h),
        }
    }

    fn set_link(&mut self, l: Link, to: u32) {
        match l {
            Link::Bucket(t, b) => self.t[t][b] = to,
            Link::Record(h) => self.set_next(h, to),
        }
    }

    fn tables(&self) -> usize {
        if self.is_rehashing() {
            2
        } else {
            1
        }
    }

    /// The link that points at `key`'s record, and the table it is in,
    /// if it is here.
    fn find(&self, key: &[u8]) -> Option<(usize, Link)> {
        if self.is_empty() {
            return None;
        }
        let h = self.hash(key);
        for ti in 0..self.tables() {
            let t = &self.t[ti];
            if t.is_empty() {
                continue;
            }
            let mut l = Link::Bucket(ti, (h & (t.len() as u64 - 1)) as usize);
            loop {
                let r = self.link(l);
                if r == NONE {
                    break;
                }
                if self.key_of(r) == key {
                    return Some((ti, l));
                }
                l = Link::Record(r);
            }
        }
        None
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    pub fn get(&self, key: &[u8]) -> Option<Rest> {
        self.find(key).map(|(_, l)| self.rest_of(self.link(l)))
    }

    /// Sets the snapshot mark of `key`'s record; false if it is not here.
    pub fn set_snap(&mut self, key: &[u8], snap: u16) -> bool {
        match self.find(key) {
            Some((_, l)) => {
                let h = self.link(l);
                self.at_mut(h)[SNAP..SNAP + 2].copy_from_slice(&snap.to_le_bytes());
                true
            }
            None => false,
        }
    }

    /// Adds `key`, known to be absent. False, changing nothing, if it
    /// cannot rest here (see [`fits`](Self::fits), or the handles are used
    /// up): the caller keeps it where it is.
    pub fn insert_new(&mut self, key: &[u8], rest: &Rest) -> bool {
        if !Self::fits(key, &rest.r) {
            return false;
        }
        self.expand_if_needed();
        self.step();
        let Some(h) = self.alloc(units_for(key.len())) else {
            return false;
        };
        let ti = usize::from(self.is_rehashing());
        let b = (self.hash(key) & (self.t[ti].len() as u64 - 1)) as usize;
        let next = self.t[ti][b];
        self.write(h, key, rest, next);
        self.t[ti][b] = h;
        self.used[ti] += 1;
        true
    }

    /// Removes `key`, returning what it kept.
    pub fn remove(&mut self, key: &[u8]) -> Option<Rest> {
        self.remove_if(key, |_| true)
    }

    /// Removes `key` if what it keeps passes `take`, returning that.
    pub fn remove_if(&mut self, key: &[u8], take: impl FnOnce(&Rest) -> bool) -> Option<Rest> {
        if self.is_empty() {
            return None;
        }
        self.step();
        let (ti, l) = self.find(key)?;
        let h = self.link(l);
        let rest = self.rest_of(h);
        if !take(&rest) {
            return None;
        }
        let next = self.next_of(h);
        self.set_link(l, next);
        self.used[ti] -= 1;
        self.release(h, units_for(key.len()));
        if self.is_empty() {
            self.clear();
        }
        Some(rest)
    }

    /// Removes everything, keeping nothing allocated.
    pub fn clear(&mut self) {
        *self = ColdKeys {
            hasher: std::mem::take(&mut self.hasher),
            ..ColdKeys::new()
        };
    }

    // --- growth ---

    fn resize_to(&mut self, wanted: usize) {
        if self.is_rehashing() {
            return;
        }
        let size = wanted.max(INITIAL_SIZE).next_power_of_two();
        if size == self.t[0].len() {
            return;
        }
        if self.t[0].is_empty() {
            self.t[0] = vec![NONE; size];
            return;
        }
        self.t[1] = vec![NONE; size];
        self.rehash_idx = Some(0);
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        if self.t[0].is_empty() {
            self.resize_to(INITIAL_SIZE);
        } else if self.used[0] >= self.t[0].len() {
            self.resize_to(self.used[0] + 1);
        }
    }

    /// Shrinks the bucket array when it is mostly empty (from the cron).
    pub fn shrink_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.t[0].len();
        if size > INITIAL_SIZE && self.used[0] * MIN_FILL_DIVISOR < size {
            self.resize_to(self.used[0].max(INITIAL_SIZE));
        }
    }

    fn step(&mut self) {
        if self.is_rehashing() {
            self.rehash(1);
        }
    }

    /// Moves up to `n` buckets from table 0 to table 1 (visiting at most
    /// `10 * n` empty ones). True while rehashing goes on.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n * 10;
        let mut moved = 0;
        let m1 = self.t[1].len() as u64 - 1;
        while moved < n && self.used[0] > 0 {
            while self.t[0][idx] == NONE {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let mut cur = std::mem::replace(&mut self.t[0][idx], NONE);
            while cur != NONE {
                let next = self.next_of(cur);
                let b = (self.hash(self.key_of(cur)) & m1) as usize;
                let head = self.t[1][b];
                self.set_next(cur, head);
                self.t[1][b] = cur;
                self.used[0] -= 1;
                self.used[1] += 1;
                cur = next;
            }
            idx += 1;
            moved += 1;
        }
        if self.used[0] == 0 {
            self.t[0] = std::mem::take(&mut self.t[1]);
            self.used = [self.used[1], 0];
            self.rehash_idx = None;
            false
        } else {
            self.rehash_idx = Some(idx);
            true
        }
    }

    /// Rehashes for about `ms` milliseconds (the server cron).
    pub fn rehash_for(&mut self, ms: u64) -> bool {
        crate::dict::rehash_for_ms(ms, |n| self.rehash(n))
    }

    // --- walking ---

    /// The bucket masks of the tables in use (for a scan over several
    /// tables): table 0's, and table 1's while rehashing.
    pub fn masks(&self) -> [Option<u64>; 2] {
        let m = |t: &Vec<u32>| (!t.is_empty()).then(|| t.len() as u64 - 1);
        if self.is_empty() {
            return [None, None];
        }
        [
            m(&self.t[0]),
            if self.is_rehashing() {
                m(&self.t[1])
            } else {
                None
            },
        ]
    }

    /// Calls `f` for every key in bucket `b` of table `t`.
    pub fn visit_bucket(&self, t: usize, b: usize, f: &mut dyn FnMut(&[u8], Rest)) {
        let mut cur = self.t[t][b];
        while cur != NONE {
            f(self.key_of(cur), self.rest_of(cur));
            cur = self.next_of(cur);
        }
    }

    /// Calls `f` for every key (no particular order).
    pub fn for_each(&self, mut f: impl FnMut(&[u8], Rest)) {
        for t in 0..self.tables() {
            for b in 0..self.t[t].len() {
                self.visit_bucket(t, b, &mut f);
            }
        }
    }

    /// A random key (short chains favoured, as in `Dict`), or `None` if
    /// empty.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(Key, Rest)> {
        if self.is_empty() {
            return None;
        }
        let head = loop {
            let (ti, b) = match self.rehash_idx {
                Some(idx) => {
                    let (s0, s1) = (self.t[0].len(), self.t[1].len());
                    let r = idx + rng.gen_range(0..(s0 + s1 - idx));
                    if r >= s0 {
                        (1, r - s0)
                    } else {
                        (0, r)
                    }
                }
                None => (0, rng.gen_range(0..self.t[0].len())),
            };
            if self.t[ti][b] != NONE {
                break self.t[ti][b];
            }
        };
        let mut len = 0;
        let mut cur = head;
        while cur != NONE {
            len += 1;
            cur = self.next_of(cur);
        }
        let mut cur = head;
        for _ in 0..rng.gen_range(0..len) {
            cur = self.next_of(cur);
        }
        Some((Key::new(self.key_of(cur)), self.rest_of(cur)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::{HashMap, HashSet};

    fn rest(id: u64) -> Rest {
        Rest {
            r: ColdRef {
                id,
                size: (id as u32).wrapping_mul(3),
                repr: Repr::from_u8((id % 12) as u8).expect("repr"),
                extra: id as u8,
            },
            lru: id as u32 ^ 0xdead_beef,
            snap: id as u16,
            volatile: id % 2 == 0,
        }
    }

    #[test]
    fn records_keep_every_field_and_free_space_is_reused() {
        let mut c = ColdKeys::new();
        let mut want = HashMap::new();
        for i in 1..5000u64 {
            let key = format!("key:{i:0>width$}", width = (i % 40) as usize);
            let r = rest(i << 20);
            assert!(c.insert_new(key.as_bytes(), &r));
            want.insert(key, r);
        }
        assert_eq!(c.len(), want.len());
        for (k, r) in &want {
            assert_eq!(c.get(k.as_bytes()).as_ref(), Some(r), "{k}");
        }
        let pages = c.pages.len();
        // Remove half and add as many again: the freed records serve them.
        let gone: Vec<String> = want.keys().filter(|k| k.len() % 2 == 0).cloned().collect();
        for k in &gone {
            assert_eq!(c.remove(k.as_bytes()), want.remove(k));
            assert_eq!(c.get(k.as_bytes()), None);
        }
        for k in &gone {
            let r = rest(k.len() as u64 + 7);
            assert!(c.insert_new(k.as_bytes(), &r));
            want.insert(k.clone(), r);
        }
        assert_eq!(c.pages.len(), pages);
        assert!(c.set_snap(gone[0].as_bytes(), 999));
        want.get_mut(&gone[0]).expect("present").snap = 999;
        let mut seen = HashMap::new();
        c.for_each(|k, r| {
            seen.insert(String::from_utf8(k.to_vec()).expect("utf8"), r);
        });
        assert_eq!(seen, want);
    }

    #[test]
    fn long_names_and_wide_ids_stay_out() {
        let mut c = ColdKeys::new();
        assert!(!c.insert_new(&[b'x'; 256], &rest(1)));
        assert!(c.insert_new(&[b'x'; 255], &rest(1)));
        assert!(!c.insert_new(b"wide", &rest(1 << 48)));
        assert!(c.insert_new(b"", &rest((1 << 48) - 1)));
        assert_eq!(c.get(b"").map(|r| r.r.id), Some((1 << 48) - 1));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn a_16_byte_name_takes_40_bytes() {
        assert_eq!(units_for(16) * UNIT, 40);
        let mut c = ColdKeys::new();
        for i in 0..100_000u64 {
            assert!(c.insert_new(format!("key:{i:012}").as_bytes(), &rest(i)));
        }
        while c.rehash(100) {}
        let per_key = c.memory() as f64 / c.len() as f64;
        assert!(per_key < 48.0, "{per_key}");
    }

    #[test]
    fn scan_with_rehash_returns_every_key_and_emptying_frees_all() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut c = ColdKeys::new();
        for i in 0..3000u64 {
            c.insert_new(format!("k{i}").as_bytes(), &rest(i + 1));
        }
        // A scan by bucket while keys come and go: every key present
        // throughout is seen.
        let mut seen = HashSet::new();
        let mut v = 0u64;
        let mut step = 0u64;
        loop {
            let (mut ms, mut ts, mut n) = ([0u64; 2], [0usize; 2], 0);
            for (t, m) in c.masks().into_iter().enumerate() {
                if let Some(m) = m {
                    (ms[n], ts[n]) = (m, t);
                    n += 1;
                }
            }
            v = crate::dict::scan_tables(v, &ms[..n], |i, b| {
                c.visit_bucket(ts[i], b as usize, &mut |k, _| {
                    seen.insert(k.to_vec());
                });
            });
            step += 1;
            c.insert_new(format!("new{step}").as_bytes(), &rest(step));
            if step % 3 == 0 {
                c.remove(format!("new{}", step - 1).as_bytes());
            }
            c.rehash(1);
            if v == 0 {
                break;
            }
        }
        for i in 0..3000u64 {
            assert!(seen.contains(format!("k{i}").as_bytes()), "k{i}");
        }
        assert!(c.random(&mut rng).is_some());
        let all: Vec<Vec<u8>> = {
            let mut v = Vec::new();
            c.for_each(|k, _| v.push(k.to_vec()));
            v
        };
        for k in all {
            assert!(c.remove(&k).is_some());
        }
        assert!(c.is_empty());
        assert_eq!(c.memory(), 0);
        assert!(c.random(&mut rng).is_none());
    }
}
