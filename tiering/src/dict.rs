//! A chained hash table with incremental rehashing and a stateless scan cursor.
//!
//! Why not `std::collections::HashMap`? Three things the keyspace needs that an
//! open-addressing map cannot give:
//!
//! * **SCAN's guarantee.** A key present for the whole of a scan must be
//!   returned at least once, even while the table grows or shrinks between
//!   calls. With power-of-two bucket arrays and a cursor that walks bucket
//!   indexes in *reverse-binary* order (increment the reversed bits), every
//!   bucket of the smaller table maps to a contiguous set of buckets in the
//!   larger one that the cursor visits together, so a resize never makes the
//!   cursor skip a key (it may return a key twice, which Redis allows).
//! * **Random sampling** in O(1) expected time, for RANDOMKEY, eviction-pool
//!   sampling and active expiry: pick a random non-empty bucket, then a random
//!   node of its chain.
//! * **No latency spikes on resize.** Growing a table of 100M entries at once
//!   would stall every client; instead a second table is allocated and buckets
//!   move over a few at a time, on each operation and from the server cron.
//!
//! The layout follows the classic design: two tables, `rehash_idx` marks how
//! far the move from table 0 to table 1 has got; while rehashing, lookups try
//! both tables and inserts go to table 1.

use std::borrow::Borrow;
use std::hash::Hash;

use rand::Rng;

struct Node<K, V> {
    key: K,
    val: V,
    next: Option<Box<Node<K, V>>>,
}

struct Table<K, V> {
    buckets: Vec<Option<Box<Node<K, V>>>>,
    used: usize,
}

impl<K, V> Table<K, V> {
    fn empty() -> Self {
        Table {
            buckets: Vec::new(),
            used: 0,
        }
    }
    fn with_size(n: usize) -> Self {
        let mut buckets = Vec::with_capacity(n);
        buckets.resize_with(n, || None);
        Table { buckets, used: 0 }
    }
    fn mask(&self) -> u64 {
        (self.buckets.len() as u64).wrapping_sub(1)
    }
    fn size(&self) -> usize {
        self.buckets.len()
    }
}

impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        // Drop chains iteratively: a long chain dropped recursively could
        // overflow the stack.
        for b in self.buckets.iter_mut() {
            let mut cur = b.take();
            while let Some(mut node) = cur {
                cur = node.next.take();
            }
        }
    }
}

const INITIAL_SIZE: usize = 4;
/// Below this fill ratio (1/N) the cron shrinks the table.
const MIN_FILL_DIVISOR: usize = 8;

/// A hash table from `K` to `V`; see the module documentation.
pub struct Dict<K, V> {
    t: [Table<K, V>; 2],
    /// Index of the next bucket of table 0 to move, or `None` when not rehashing.
    rehash_idx: Option<usize>,
    hasher: ahash::RandomState,
}

/// A cache prefetch of the line holding `*p` (no effect where the
/// instruction is not available).
#[inline(always)]
fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults, and `p` is a valid
    // reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            p as *const T as *const i8,
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// [`prefetch`] of a raw address (a hint: the address is never read).
#[inline(always)]
fn prefetch_ptr(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// One step of a scan over several power-of-two tables whose keys are
/// placed by the same hash (a table and its rehash target, or two tables
/// that keys move between): `masks` are their bucket masks; `visit(i, b)`
/// must report bucket `b` of table `i`. Returns the next cursor (0 when
/// done).
///
/// Redis's cursor, generalised: the cursor counts in reverse-binary order,
/// so the tables' buckets that share the cursor's low bits are visited in
/// the same step, whichever table a key is in and however the tables
/// resize between steps. A step visits the bucket of the smallest table
/// and all its expansions in the larger ones; a key present for the whole
/// scan, even if it moves between the tables, is returned at least once.
pub fn scan_tables(cursor: u64, masks: &[u64], mut visit: impl FnMut(usize, u64)) -> u64 {
    let (Some(&small), Some(&large)) = (masks.iter().min(), masks.iter().max()) else {
        return 0;
    };
    let mut v = cursor;
    let next = |v: u64, m: u64| (v | !m).reverse_bits().wrapping_add(1).reverse_bits();
    for (i, &m) in masks.iter().enumerate() {
        if m == small {
            visit(i, v & m);
        }
    }
    if small == large {
        return next(v, small);
    }
    let mut first = true;
    loop {
        // Bits above a table's mask count fastest: its bucket comes round
        // once per cycle of them (and at the cursor's first step, which
        // may start mid-cycle).
        for (i, &m) in masks.iter().enumerate() {
            if m != small && (first || v & (large ^ m) == 0) {
                visit(i, v & m);
            }
        }
        first = false;
        v = next(v, large);
        if v & (small ^ large) == 0 {
            return v;
        }
    }
}

/// Calls `rehash(100)` until it reports the rehash done (false) or about
/// `ms` milliseconds have passed (then true: more to do).
pub(crate) fn rehash_for_ms(ms: u64, mut rehash: impl FnMut(usize) -> bool) -> bool {
    let start = std::time::Instant::now();
    while rehash(100) {
        if start.elapsed().as_millis() as u64 >= ms {
            return true;
        }
    }
    false
}

impl<K: Hash + Eq, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

/// The hash function of every table: keyed once per process (random, so
/// clients cannot aim collisions), and the same for all tables, as Redis's
/// one siphash seed is. A collection rebuilt from its elements (a value
/// that comes back from the cold tier) then places every element in the
/// bucket it had, so a SCAN cursor handed out before the rebuild stays
/// valid after it: only the table size may differ, which the cursor
/// tolerates.
pub(crate) fn process_hasher() -> ahash::RandomState {
    static KEYS: std::sync::OnceLock<[u64; 4]> = std::sync::OnceLock::new();
    let k = KEYS.get_or_init(|| {
        use rand::Rng;
        let mut r = rand::thread_rng();
        [r.gen(), r.gen(), r.gen(), r.gen()]
    });
    ahash::RandomState::with_seeds(k[0], k[1], k[2], k[3])
}

impl<K: Hash + Eq, V> Dict<K, V> {
    pub fn new() -> Self {
        Dict {
            t: [Table::empty(), Table::empty()],
            rehash_idx: None,
            hasher: process_hasher(),
        }
    }

    pub fn len(&self) -> usize {
        self.t[0].used + self.t[1].used
    }

    /// Bytes of one node (key, value, chain link), as allocated.
    pub const fn node_size() -> usize {
        std::mem::size_of::<Node<K, V>>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of buckets in both tables (for `DEBUG HTSTATS`-style reporting
    /// and memory accounting).
    pub fn bucket_count(&self) -> usize {
        self.t[0].size() + self.t[1].size()
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    /// First half of a prefetch for a coming lookup of `key`: asks the CPU
    /// to load the bucket slot(s) the key hashes to, and returns the hash
    /// for [`prefetch_chain`](Self::prefetch_chain). A lookup in a large
    /// table is two dependent cache misses (the slot, then the node);
    /// issuing the first miss of many lookups before doing any of them
    /// lets the misses overlap instead of queueing (pipelined clients send
    /// batches of commands). Only a hint: nothing is read or changed.
    pub fn prefetch_slot<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        let h = self.hash(key);
        for t in &self.t {
            if t.size() > 0 {
                prefetch(&t.buckets[(h & t.mask()) as usize]);
            }
        }
        h
    }

    /// Both halves for several keys: every slot first, then every chain
    /// head, so the misses of the batch overlap (at most 32 keys). Then a
    /// third level where keys keep their bytes behind a pointer (`far`
    /// gives it, `None` for a key stored inline): comparing the chain
    /// head's key is the lookup's last miss, and by the time every chain
    /// head has been asked for, the first ones have arrived.
    pub fn prefetch_keys<Q: Hash + ?Sized>(
        &self,
        keys: &[&Q],
        far: impl Fn(&K) -> Option<*const u8>,
    ) {
        let mut hashes = [0u64; 32];
        let n = keys.len().min(hashes.len());
        for (h, k) in hashes.iter_mut().zip(&keys[..n]) {
            *h = self.prefetch_slot(*k);
        }
        for h in &hashes[..n] {
            self.prefetch_chain(*h);
        }
        for h in &hashes[..n] {
            for t in &self.t {
                if t.size() > 0 {
                    if let Some(p) = t.buckets[(*h & t.mask()) as usize]
                        .as_deref()
                        .and_then(|n| far(&n.key))
                    {
                        prefetch_ptr(p);
                    }
                }
            }
        }
    }

    /// Second half: the slot is (nearly) loaded by now; ask for the first
    /// node of its chain.
    pub fn prefetch_chain(&self, hash: u64) {
        for t in &self.t {
            if t.size() > 0 {
                if let Some(n) = &t.buckets[(hash & t.mask()) as usize] {
                    prefetch(&**n);
                }
            }
        }
    }

    /// Moves up to `n` buckets from table 0 to table 1, visiting at most
    /// `10 * n` empty buckets. Returns true if rehashing is still in progress.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n * 10;
        let mut moved = 0;
        while moved < n && self.t[0].used > 0 {
            while self.t[0].buckets[idx].is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let mut cur = self.t[0].buckets[idx].take();
            while let Some(mut node) = cur {
                cur = node.next.take();
                let h = self.hasher.hash_one(&node.key);
                let b = (h & self.t[1].mask()) as usize;
                node.next = self.t[1].buckets[b].take();
                self.t[1].buckets[b] = Some(node);
                self.t[0].used -= 1;
                self.t[1].used += 1;
            }
            idx += 1;
            moved += 1;
        }
        if self.t[0].used == 0 {
            let t1 = std::mem::replace(&mut self.t[1], Table::empty());
            self.t[0] = t1;
            self.rehash_idx = None;
            false
        } else {
            self.rehash_idx = Some(idx);
            true
        }
    }

    /// Rehashes for about `ms` milliseconds (called from the server cron).
    pub fn rehash_for(&mut self, ms: u64) -> bool {
        rehash_for_ms(ms, |n| self.rehash(n))
    }

    fn resize_to(&mut self, wanted: usize) {
        if self.is_rehashing() {
            return;
        }
        let size = wanted.max(INITIAL_SIZE).next_power_of_two();
        if size == self.t[0].size() {
            return;
        }
        if self.t[0].size() == 0 {
            self.t[0] = Table::with_size(size);
            return;
        }
        self.t[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        if self.t[0].size() == 0 {
            self.resize_to(INITIAL_SIZE);
        } else if self.t[0].used >= self.t[0].size() {
            self.resize_to(self.t[0].used + 1);
        }
    }

    /// Shrinks the table when it is mostly empty. Called from the cron, not
    /// from deletes, so a burst of deletes followed by inserts does not
    /// thrash.
    pub fn shrink_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.t[0].size();
        if size > INITIAL_SIZE && self.t[0].used * MIN_FILL_DIVISOR < size {
            self.resize_to(self.t[0].used.max(INITIAL_SIZE));
        }
    }

    fn step(&mut self) {
        if self.is_rehashing() {
            self.rehash(1);
        }
    }

    fn find_in<Q>(&self, ti: usize, h: u64, key: &Q) -> Option<&Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let t = &self.t[ti];
        if t.size() == 0 {
            return None;
        }
        let mut cur = t.buckets[(h & t.mask()) as usize].as_deref();
        while let Some(n) = cur {
            if n.key.borrow() == key {
                return Some(n);
            }
            cur = n.next.as_deref();
        }
        None
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        let h = self.hash(key);
        self.find_in(0, h, key)
            .or_else(|| {
                if self.is_rehashing() {
                    self.find_in(1, h, key)
                } else {
                    None
                }
            })
            .map(|n| &n.val)
    }

    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        let h = self.hash(key);
        self.find_in(0, h, key)
            .or_else(|| {
                if self.is_rehashing() {
                    self.find_in(1, h, key)
                } else {
                    None
                }
            })
            .map(|n| (&n.key, &n.val))
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find_node_mut(key).map(|n| &mut n.val)
    }

    /// The stored key and value, both mutable, so a caller can rewrite an
    /// entry in place (one lookup, no node reallocation). The caller must
    /// leave the key hashing and comparing equal to what it was: the table
    /// does not move the entry.
    pub fn get_key_value_mut<Q>(&mut self, key: &Q) -> Option<(&mut K, &mut V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find_node_mut(key).map(|n| (&mut n.key, &mut n.val))
    }

    fn find_node_mut<Q>(&mut self, key: &Q) -> Option<&mut Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.step();
        let h = self.hash(key);
        let tables = if self.is_rehashing() { 2 } else { 1 };
        for ti in 0..tables {
            let t = &mut self.t[ti];
            if t.size() == 0 {
                continue;
            }
            let b = (h & t.mask()) as usize;
            // One walk of the chain. A loop that conditionally returns a
            // `&mut` into the chain is rejected by today's borrow checker
            // (the NLL "problem case #3"), so the walk uses a raw pointer
            // derived from the unique borrow of `self`.
            let mut cur: *mut Option<Box<Node<K, V>>> = &mut t.buckets[b];
            // SAFETY: `cur` always points into a chain owned by `self`,
            // which is borrowed mutably for the whole call; nothing else
            // can reach it, and the returned reference keeps that borrow.
            unsafe {
                while let Some(n) = (*cur).as_deref_mut() {
                    if n.key.borrow() == key {
                        return Some(n);
                    }
                    cur = &mut n.next;
                }
            }
        }
        None
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, val));
        }
        self.insert_new(key, val);
        None
    }

    /// Inserts a key known to be absent (the caller checked); returns the
    /// stored value.
    pub fn insert_new(&mut self, key: K, val: V) -> &mut V {
        self.expand_if_needed();
        self.step();
        let h = self.hash(&key);
        let ti = if self.is_rehashing() { 1 } else { 0 };
        let t = &mut self.t[ti];
        let b = (h & t.mask()) as usize;
        let next = t.buckets[b].take();
        t.used += 1;
        &mut t.buckets[b].insert(Box::new(Node { key, val, next })).val
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.step();
        let h = self.hash(key);
        let tables = if self.is_rehashing() { 2 } else { 1 };
        for ti in 0..tables {
            let t = &mut self.t[ti];
            if t.size() == 0 {
                continue;
            }
            let b = (h & t.mask()) as usize;
            // Walk the chain with a cursor on the link that owns each node.
            let mut link = &mut t.buckets[b];
            loop {
                match link {
                    None => break,
                    Some(n) if n.key.borrow() == key => {
                        let mut node = link.take().expect("matched Some");
                        *link = node.next.take();
                        t.used -= 1;
                        return Some((node.key, node.val));
                    }
                    Some(n) => link = &mut n.next,
                }
            }
        }
        None
    }

    /// Removes everything, keeping nothing allocated.
    pub fn clear(&mut self) {
        self.t = [Table::empty(), Table::empty()];
        self.rehash_idx = None;
    }

    /// Returns a random entry, or `None` if empty. Not perfectly uniform
    /// (entries in short chains are favoured), which is fine for sampling.
    pub fn random_entry<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        let node = loop {
            let (ti, b) = if let Some(idx) = self.rehash_idx {
                // Buckets of table 0 below rehash_idx are empty: skip them.
                let s0 = self.t[0].size();
                let s1 = self.t[1].size();
                let r = idx + rng.gen_range(0..(s0 + s1 - idx));
                if r >= s0 {
                    (1, r - s0)
                } else {
                    (0, r)
                }
            } else {
                (0, rng.gen_range(0..self.t[0].size()))
            };
            if let Some(n) = self.t[ti].buckets[b].as_deref() {
                break n;
            }
        };
        let mut len = 0;
        let mut cur = Some(node);
        while let Some(n) = cur {
            len += 1;
            cur = n.next.as_deref();
        }
        let mut pick = rng.gen_range(0..len);
        let mut cur = node;
        while pick > 0 {
            cur = cur.next.as_deref().expect("chain length counted");
            pick -= 1;
        }
        Some((&cur.key, &cur.val))
    }

    /// Visits up to `count` entries starting at a random bucket, calling `f`
    /// on each; stops early if `f` returns false. Used for sampling several
    /// entries at once (eviction pool, active expiry). Entries are distinct.
    pub fn sample<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        count: usize,
        mut f: impl FnMut(&K, &V) -> bool,
    ) -> usize {
        if self.is_empty() || count == 0 {
            return 0;
        }
        let tables = if self.is_rehashing() { 2 } else { 1 };
        let maxsize = self.t[0].size().max(self.t[1].size());
        let mut i = rng.gen_range(0..maxsize);
        let mut seen = 0;
        let mut empty_run = 0;
        let mut steps = count * 10;
        while seen < count && steps > 0 {
            steps -= 1;
            for ti in 0..tables {
                let t = &self.t[ti];
                if let Some(idx) = self.rehash_idx {
                    if ti == 0 && i < idx {
                        continue;
                    }
                }
                if i >= t.size() {
                    continue;
                }
                let mut cur = t.buckets[i].as_deref();
                if cur.is_none() {
                    empty_run += 1;
                    if empty_run >= 5 && empty_run > count {
                        i = rng.gen_range(0..maxsize);
                        empty_run = 0;
                    }
                }
                while let Some(n) = cur {
                    empty_run = 0;
                    seen += 1;
                    if !f(&n.key, &n.val) || seen >= count {
                        return seen;
                    }
                    cur = n.next.as_deref();
                }
            }
            i = (i + 1) & (maxsize - 1);
        }
        seen
    }

    /// One step of a SCAN: calls `f` for every entry in the bucket(s) that
    /// `cursor` names and returns the next cursor (0 when the scan is done).
    pub fn scan<'a>(&'a self, cursor: u64, mut f: impl FnMut(&'a K, &'a V)) -> u64 {
        let (mut ms, mut ts, mut n) = ([0u64; 2], [0usize; 2], 0);
        for (t, m) in self.masks().into_iter().enumerate() {
            if let Some(m) = m {
                (ms[n], ts[n]) = (m, t);
                n += 1;
            }
        }
        scan_tables(cursor, &ms[..n], |i, b| {
            let mut cur = self.t[ts[i]].buckets[b as usize].as_deref();
            while let Some(n) = cur {
                f(&n.key, &n.val);
                cur = n.next.as_deref();
            }
        })
    }

    /// The bucket masks of the tables in use, for a scan over several
    /// tables ([`scan_tables`]): table 0's, and table 1's while rehashing.
    pub fn masks(&self) -> [Option<u64>; 2] {
        if self.is_empty() {
            return [None, None];
        }
        let m = |t: &Table<K, V>| (t.size() > 0).then(|| t.mask());
        [
            m(&self.t[0]),
            if self.is_rehashing() {
                m(&self.t[1])
            } else {
                None
            },
        ]
    }

    /// Calls `f` for every entry of bucket `b` of table `t`.
    pub fn visit_bucket(&self, t: usize, b: usize, f: &mut dyn FnMut(&K, &V)) {
        let mut cur = self.t[t].buckets[b].as_deref();
        while let Some(n) = cur {
            f(&n.key, &n.val);
            cur = n.next.as_deref();
        }
    }

    /// Iterates over all entries (no particular order). Used by KEYS, FLUSH,
    /// snapshotting and INFO; not for anything that must be incremental.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            dict: self,
            table: 0,
            bucket: 0,
            node: None,
        }
    }

    /// Drains all entries, leaving the dict empty.
    pub fn drain(&mut self) -> Vec<(K, V)> {
        let mut out = Vec::with_capacity(self.len());
        let tables = std::mem::replace(&mut self.t, [Table::empty(), Table::empty()]);
        self.rehash_idx = None;
        for mut t in tables {
            for b in t.buckets.iter_mut() {
                let mut cur = b.take();
                while let Some(mut n) = cur {
                    cur = n.next.take();
                    let Node { key, val, .. } = *n;
                    out.push((key, val));
                }
            }
        }
        out
    }
}

pub struct Iter<'a, K, V> {
    dict: &'a Dict<K, V>,
    table: usize,
    bucket: usize,
    node: Option<&'a Node<K, V>>,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                self.node = n.next.as_deref();
                return Some((&n.key, &n.val));
            }
            if self.table > 1 {
                return None;
            }
            let t = &self.dict.t[self.table];
            if self.bucket >= t.size() {
                self.table += 1;
                self.bucket = 0;
                continue;
            }
            self.node = t.buckets[self.bucket].as_deref();
            self.bucket += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::HashSet;

    #[test]
    fn insert_get_remove_through_rehash() {
        let mut d: Dict<Vec<u8>, u64> = Dict::new();
        for i in 0..10_000u64 {
            assert!(d.insert(i.to_string().into_bytes(), i).is_none());
        }
        assert_eq!(d.len(), 10_000);
        for i in 0..10_000u64 {
            assert_eq!(d.get(i.to_string().as_bytes()), Some(&i));
        }
        for i in (0..10_000u64).step_by(2) {
            assert_eq!(d.remove(i.to_string().as_bytes()), Some(i));
        }
        assert_eq!(d.len(), 5_000);
        d.shrink_if_needed();
        while d.rehash(100) {}
        for i in 0..10_000u64 {
            assert_eq!(d.get(i.to_string().as_bytes()).is_some(), i % 2 == 1);
        }
        assert_eq!(d.iter().count(), 5_000);
    }

    #[test]
    fn scan_returns_every_stable_key_despite_resizes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut d: Dict<u64, ()> = Dict::new();
        for i in 0..1000 {
            d.insert(i, ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut next_new = 1_000_000u64;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(*k);
            });
            // Churn: grow and shrink the table between scan calls, but
            // never touch keys 0..1000.
            if rng.gen_bool(0.5) {
                for _ in 0..rng.gen_range(0..3000) {
                    d.insert(next_new, ());
                    next_new += 1;
                }
            } else {
                let victims: Vec<u64> = d.iter().map(|(k, _)| *k).filter(|k| *k >= 1000).collect();
                for k in victims {
                    d.remove(&k);
                }
                d.shrink_if_needed();
            }
            d.rehash(rng.gen_range(0..50));
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert!(seen.contains(&i), "key {i} missed by scan");
        }
    }

    /// The property SCAN over several tables rests on: with up to four
    /// tables of any sizes, keys moving between them and tables resizing,
    /// appearing and disappearing between steps, every key present for
    /// the whole scan is visited.
    #[test]
    fn scan_tables_visits_every_stable_key_whatever_moves() {
        use rand::Rng;
        for seed in 0..200u64 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let hashes: Vec<u64> = (0..300).map(|_| rng.gen()).collect();
            // Which table each key is in, and each table's mask.
            let mut at: Vec<usize> = (0..hashes.len()).map(|_| rng.gen_range(0..4)).collect();
            let mut masks: Vec<u64> = (0..4).map(|_| (1u64 << rng.gen_range(0..10)) - 1).collect();
            let mut seen = vec![false; hashes.len()];
            let mut cursor = 0u64;
            for _ in 0..100_000 {
                // Tables holding keys, or not (an empty table is skipped).
                let live: Vec<usize> = (0..4).filter(|t| at.contains(t)).collect();
                let ms: Vec<u64> = live.iter().map(|&t| masks[t]).collect();
                cursor = scan_tables(cursor, &ms, |i, b| {
                    for (k, h) in hashes.iter().enumerate() {
                        if at[k] == live[i] && h & ms[i] == b {
                            seen[k] = true;
                        }
                    }
                });
                if cursor == 0 {
                    break;
                }
                for _ in 0..rng.gen_range(0..20) {
                    let k = rng.gen_range(0..hashes.len());
                    at[k] = rng.gen_range(0..4);
                }
                for m in masks.iter_mut() {
                    if rng.gen_bool(0.2) {
                        *m = (1u64 << rng.gen_range(0..6)) - 1;
                    }
                }
            }
            assert_eq!(cursor, 0, "seed {seed}: the scan did not end");
            assert!(seen.iter().all(|&s| s), "seed {seed}: a key was missed");
        }
    }

    #[test]
    fn random_and_sample_find_entries() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut d: Dict<u32, u32> = Dict::new();
        assert!(d.random_entry(&mut rng).is_none());
        for i in 0..100 {
            d.insert(i, i);
        }
        let mut hit = HashSet::new();
        for _ in 0..5000 {
            let (k, v) = d.random_entry(&mut rng).unwrap();
            assert_eq!(k, v);
            hit.insert(*k);
        }
        assert_eq!(hit.len(), 100);
        let mut n = 0;
        let mut keys = HashSet::new();
        d.sample(&mut rng, 16, |k, _| {
            n += 1;
            keys.insert(*k);
            true
        });
        assert_eq!(n, 16);
        assert_eq!(keys.len(), 16);
    }

    #[test]
    fn drain_and_clear() {
        let mut d: Dict<u32, u32> = Dict::new();
        for i in 0..50 {
            d.insert(i, i);
        }
        let mut all = d.drain();
        all.sort();
        assert_eq!(all.len(), 50);
        assert!(d.is_empty());
        d.insert(1, 1);
        d.clear();
        assert!(d.get(&1).is_none());
    }
}
