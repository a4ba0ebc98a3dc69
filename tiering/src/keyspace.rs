//! The keyspace: numbered databases of entries, with expiry and access
//! tracking. This is the engine the server's commands call; it knows nothing
//! of RESP or sockets.
//!
//! Expiry follows Redis: a key is logically gone once `now > expire`. It is
//! removed lazily when a lookup meets it, and actively by a cron cycle that
//! walks each database's index of volatile keys. Every such removal is
//! recorded in [`Keyspace::take_expired`] so the server can propagate it as a
//! `DEL` (AOF, replicas) and fire the `expired` keyspace event.

use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::coldkeys::{ColdKeys, Rest};
use crate::dict::Dict;
use crate::lfu::{self, LfuParams};
use crate::value::Value;

mod evict;
mod lazyfree;
mod snapshot;
mod tier;
pub use evict::{Policy, POOL_SIZE};
pub use lazyfree::{lazy_free, lazyfree_pending, lazyfreed_objects, LAZYFREE_THRESHOLD_BYTES};
pub use snapshot::SnapEntry;
pub use tier::{Admission, Demoted, TierStats};

pub use crate::key::Key;

/// No expiry set.
pub const NO_EXPIRE: i64 = -1;

/// A stored value with its metadata.
///
/// The expiry time is not here: like Redis, a database keeps the times of
/// its volatile keys in a table of their own, and the entry only says
/// whether it has one. Keeping those 8 bytes out of every entry puts the
/// hash node (key, entry, chain link) in the 64-byte allocation class
/// instead of the 80-byte one.
#[derive(Debug)]
pub struct Entry {
    pub value: Value,
    /// LRU clock or LFU counter, see [`crate::lfu`].
    pub lru: u32,
    /// The key has an expiry in the database's volatile table.
    volatile: bool,
    /// Snapshot generation mark (see `keyspace/snapshot.rs`); fits in the
    /// padding after `volatile`, so entries do not grow.
    snap: u16,
    /// The value is an unmodified copy of a record still in the cold tier
    /// (the record is in the keyspace's clean table): demoting it again
    /// needs no write. Cleared by anything that changes or moves it.
    /// [`CLEAN_PREPAID`] marks a copy loaded ahead of a command whose
    /// lookup has not come yet (that lookup is not a hot hit).
    clean: u8,
}

/// [`Entry::clean`] states.
const NOT_CLEAN: u8 = 0;
const CLEAN: u8 = 1;
const CLEAN_PREPAID: u8 = 2;
/// Not a clean copy: the value is being written to the cold tier, and
/// drops to its record when the write is done unless something changed it
/// meanwhile (every change clears the state).
const DEMOTING: u8 = 3;

impl Entry {
    pub fn new(value: Value, lru: u32) -> Entry {
        Entry {
            value,
            lru,
            volatile: false,
            snap: 0,
            clean: NOT_CLEAN,
        }
    }

    pub fn has_expire(&self) -> bool {
        self.volatile
    }
}

/// One numbered database.
/// Expiry is paused: no key is expired, lazily or actively. The server
/// replays its append-only file this way, as Redis does: a key that
/// expired later is deleted by the `DEL` logged then, and the commands
/// before that must find it. One per process, like the server's dataset.
static EXPIRY_PAUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Where a key keeps its bytes when not inline (for [`Dict::prefetch_keys`]).
fn key_far(k: &Key) -> Option<*const u8> {
    match k {
        Key::Heap(b) => Some(b.as_ptr()),
        Key::Inline { .. } => None,
    }
}

/// An entry as a read sees it: in the main table, or rebuilt from its
/// record in the cold-key table (see `coldkeys.rs`).
pub enum EntryRef<'a> {
    Hot(&'a Entry),
    Resting(Entry),
}

impl std::ops::Deref for EntryRef<'_> {
    type Target = Entry;
    fn deref(&self) -> &Entry {
        match self {
            EntryRef::Hot(e) => e,
            EntryRef::Resting(e) => e,
        }
    }
}

/// The entry a resting cold key stands for.
fn rested(rest: Rest) -> Entry {
    Entry {
        value: Value::Cold(rest.r),
        lru: rest.lru,
        volatile: rest.volatile,
        snap: rest.snap,
        clean: NOT_CLEAN,
    }
}

/// [`Db::entry_mut`] on the two tables, so that a caller can hold the
/// entry and the database's other fields at once.
fn entry_in<'a>(
    main: &'a mut Dict<Key, Entry>,
    cold: &mut ColdKeys,
    key: &[u8],
) -> Option<&'a mut Entry> {
    entry_if(main, cold, key, |_| true)
}

/// [`entry_in`] if the entry's value passes `ok` (a resting key moves
/// back into the main table only then).
fn entry_if<'a>(
    main: &'a mut Dict<Key, Entry>,
    cold: &mut ColdKeys,
    key: &[u8],
    ok: impl Fn(&Value) -> bool,
) -> Option<&'a mut Entry> {
    let hot = main.get_mut(key).map(|e| e as *mut Entry);
    match hot {
        // SAFETY: the pointer comes from the unique borrow of `main` this
        // call holds and nothing touched the table since; the returned
        // reference keeps that borrow. (Returning the reference directly
        // from a conditional branch is the borrow checker's "problem case
        // #3".)
        Some(e) if ok(unsafe { &(*e).value }) => Some(unsafe { &mut *e }),
        Some(_) => None,
        None if wake_if(main, cold, key, |r| ok(&Value::Cold(r.r.clone()))) => main.get_mut(key),
        None => None,
    }
}

/// Moves `key` from the cold-key table back into the main table, if it
/// rests there and what it keeps passes `take`.
fn wake_if(
    main: &mut Dict<Key, Entry>,
    cold: &mut ColdKeys,
    key: &[u8],
    take: impl FnOnce(&Rest) -> bool,
) -> bool {
    if cold.is_empty() {
        return false;
    }
    match cold.remove_if(key, take) {
        Some(r) => {
            main.insert_new(Key::new(key), rested(r));
            true
        }
        None => false,
    }
}

/// One numbered database: two tables of keys. `main` holds every key
/// whose value is in RAM, and cold keys on their way (being looked at,
/// or waiting to be moved); `cold` holds the cold keys at rest, in a
/// quarter of the room (see `coldkeys.rs`). A key is in one of them at
/// most. Whatever needs a key's entry finds it in either: an access that
/// may change the entry first moves a resting key back into `main`
/// ([`entry_mut`](Db::entry_mut)); reads rebuild the entry
/// ([`peek`](Db::peek)); scans walk both tables with one cursor.
#[derive(Default)]
pub struct Db {
    main: Dict<Key, Entry>,
    cold: ColdKeys,
    /// Keys that carry an expiry, with the expiry (absolute Unix ms).
    /// Walked by the active expiry cycle.
    volatile: Dict<Key, i64>,
    /// Average TTL of keys seen by the expiry cycle (for INFO keyspace).
    pub avg_ttl: i64,
    expire_cursor: u64,
}

impl Db {
    pub fn len(&self) -> usize {
        self.main.len() + self.cold.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }
    /// Keys resting in the cold-key table.
    pub fn resting_len(&self) -> usize {
        self.cold.len()
    }
    /// The entry as stored, expired or not (no side effects).
    pub fn peek(&self, key: &[u8]) -> Option<EntryRef<'_>> {
        if let Some(e) = self.main.get(key) {
            return Some(EntryRef::Hot(e));
        }
        if self.cold.is_empty() {
            return None;
        }
        self.cold.get(key).map(|r| EntryRef::Resting(rested(r)))
    }
    /// The entry of `key` as a command sees it after looking the key up
    /// (the lookup brought it into the main table, and loaded a cold
    /// value): reads the main table only.
    pub fn loaded(&self, key: &[u8]) -> Option<&Entry> {
        self.main.get(key)
    }
    /// True if `key` is here, expired or not.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.main.contains_key(key) || (!self.cold.is_empty() && self.cold.contains(key))
    }
    /// The expiry of `key` (absolute ms), or [`NO_EXPIRE`].
    pub fn expire_of(&self, key: &[u8]) -> i64 {
        self.volatile.get(key).copied().unwrap_or(NO_EXPIRE)
    }
    /// True if `e`, the entry of `key`, is logically expired at `now_ms`
    /// (never while expiry is paused).
    pub fn is_expired(&self, key: &[u8], e: &Entry, now_ms: i64) -> bool {
        e.volatile
            && !EXPIRY_PAUSED.load(std::sync::atomic::Ordering::Relaxed)
            && self.volatile.get(key).is_some_and(|&t| now_ms > t)
    }

    /// One step of a scan over both tables (see [`crate::dict::scan_tables`]):
    /// a key present for the whole scan is returned even if it moves
    /// between the tables meanwhile.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&Key, &Entry)) -> u64 {
        self.scan_in(cursor, |k, e, _| f(k, e))
    }

    /// [`scan`](Self::scan), also telling `f` whether the key rests in the
    /// cold-key table.
    fn scan_in(&self, cursor: u64, mut f: impl FnMut(&Key, &Entry, bool)) -> u64 {
        if self.cold.is_empty() {
            return self.main.scan(cursor, |k, e| f(k, e, false));
        }
        let (mut ms, mut ts, mut n) = ([0u64; 4], [0usize; 4], 0);
        let masks = self.main.masks().into_iter().chain(self.cold.masks());
        for (t, m) in masks.enumerate() {
            if let Some(m) = m {
                (ms[n], ts[n]) = (m, t);
                n += 1;
            }
        }
        crate::dict::scan_tables(cursor, &ms[..n], |i, b| match ts[i] {
            t @ (0 | 1) => self
                .main
                .visit_bucket(t, b as usize, &mut |k, e| f(k, e, false)),
            t => self.cold.visit_bucket(t - 2, b as usize, &mut |k, r| {
                f(&Key::new(k), &rested(r), true);
            }),
        })
    }

    /// Calls `f` for every key (no particular order): KEYS, SAVE, DEBUG.
    pub fn for_each(&self, mut f: impl FnMut(&Key, &Entry)) {
        for (k, e) in self.main.iter() {
            f(k, e);
        }
        self.cold.for_each(|k, r| f(&Key::new(k), &rested(r)));
    }

    /// A random key and its entry (keys in either table equally likely,
    /// short chains favoured as in `Dict`).
    pub fn random_entry<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Option<(Key, EntryRef<'_>)> {
        let (hot, resting) = (self.main.len(), self.cold.len());
        if hot + resting == 0 {
            return None;
        }
        if rng.gen_range(0..hot + resting) < hot {
            let (k, e) = self.main.random_entry(rng)?;
            Some((k.clone(), EntryRef::Hot(e)))
        } else {
            let (k, r) = self.cold.random(rng)?;
            Some((k, EntryRef::Resting(rested(r))))
        }
    }

    pub fn bucket_count(&self) -> usize {
        self.main.bucket_count() + self.cold.bucket_count()
    }

    /// The collection step of one `SCAN` call, as Redis does it: visit
    /// buckets from `cursor` until at least `count` keys are collected,
    /// the iteration completes (cursor 0), or `count * 10` further buckets
    /// have been visited (so a sparse table cannot stall the server).
    /// Returns the next cursor and the keys, expired ones included: the
    /// caller filters (pattern, type, expiry) afterwards, as Redis does.
    pub fn scan_keys(&self, cursor: u64, count: usize) -> (u64, Vec<Key>) {
        let count = count.max(1);
        let mut keys = Vec::new();
        let mut cursor = cursor;
        let mut budget = count.saturating_mul(10);
        loop {
            cursor = self.scan(cursor, |k, _| keys.push(k.clone()));
            if cursor == 0 || budget == 0 {
                break;
            }
            budget -= 1;
            if keys.len() >= count {
                break;
            }
        }
        (cursor, keys)
    }

    /// The entry of `key`, to read or change: a resting cold key moves
    /// back into the main table first.
    fn entry_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        entry_in(&mut self.main, &mut self.cold, key)
    }

    /// The entry of `key` if its value is the cold record `id` (what a
    /// load off the command thread brought back): a resting key moves back
    /// into the main table only then.
    fn entry_with_record(&mut self, key: &[u8], id: u64) -> Option<&mut Entry> {
        entry_if(
            &mut self.main,
            &mut self.cold,
            key,
            |v| matches!(v, Value::Cold(r) if r.id == id),
        )
    }

    /// Moves `key` into the cold-key table if its value is cold and
    /// nothing is under way on it. True if it moved.
    fn settle(&mut self, key: &[u8]) -> bool {
        let Some(e) = self.main.get(key) else {
            return false;
        };
        let Value::Cold(r) = &e.value else {
            return false;
        };
        if e.clean != NOT_CLEAN {
            return false;
        }
        let rest = Rest {
            r: r.clone(),
            lru: e.lru,
            snap: e.snap,
            volatile: e.volatile,
        };
        if !self.cold.insert_new(key, &rest) {
            return false;
        }
        self.main.remove(key);
        true
    }

    /// Removes `key` from whichever table holds it.
    fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        if let Some(e) = self.main.remove(key) {
            return Some(e);
        }
        if self.cold.is_empty() {
            return None;
        }
        self.cold.remove(key).map(rested)
    }

    /// Stores `entry` under `key`, replacing (and returning) what either
    /// table held.
    fn insert(&mut self, key: Key, entry: Entry) -> Option<Entry> {
        if !self.cold.is_empty() {
            if let Some(r) = self.cold.remove(&key) {
                self.main.insert_new(key, entry);
                return Some(rested(r));
            }
        }
        self.main.insert(key, entry)
    }

    /// Sets the snapshot mark of `key`, in whichever table holds it.
    fn set_snap(&mut self, key: &[u8], gen: u16) {
        match self.main.get_mut(key) {
            Some(e) => e.snap = gen,
            None => {
                self.cold.set_snap(key, gen);
            }
        }
    }

    fn clear(&mut self) {
        self.main.clear();
        self.cold.clear();
    }
}

/// Counters reported in `INFO stats`.
#[derive(Default, Debug, Clone)]
pub struct KeyspaceStats {
    pub hits: u64,
    pub misses: u64,
    pub expired_keys: u64,
    /// Percentage of keys estimated to be logically expired but not yet
    /// removed, from the last active cycle's sample.
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_cpu_milliseconds: u64,
}

/// How a lookup counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A read: counts a hit or miss and updates the LRU/LFU field.
    Read,
    /// A read that must not change access tracking or counters (existence
    /// checks inside write commands, NO-TOUCH clients).
    ReadNoTouch,
    /// A read by an introspection command (`TTL`, `TYPE`, `EXISTS`,
    /// `OBJECT`, SCAN's `TYPE` filter): counts a hit or miss as Redis's
    /// `LOOKUP_NOTOUCH` does, but leaves the LRU/LFU field alone.
    Inspect,
    /// A write: updates access tracking, no hit/miss accounting.
    Write,
    /// A write that changes only the key's metadata (EXPIRE, PERSIST): as
    /// `Write`, but a cold value stays cold (only its header changes).
    WriteMeta,
}

pub struct Keyspace {
    dbs: Vec<Db>,
    pub lfu_policy: bool,
    pub lfu: LfuParams,
    pub stats: KeyspaceStats,
    /// Keys removed by expiry since the last [`take_expired`](Self::take_expired).
    expired: Vec<(usize, Key)>,
    /// When true (a replica), logically expired keys are hidden but not
    /// deleted: the primary's `DEL` does that.
    pub hide_expired_only: bool,
    rng: SmallRng,
    expire_db_cursor: usize,
    /// The running snapshot (BGSAVE), if any, and the last generation used.
    snapshot: Option<Box<snapshot::Snapshot>>,
    snap_gen: u16,
    /// Keys blocked clients wait for, as [`ready_id`] bytes; adding one of
    /// them to its database records it in `ready` (Redis's
    /// `signalKeyAsReady`). Empty, and free, while nobody is blocked.
    blocked_keys: std::collections::HashSet<Vec<u8>>,
    ready: Vec<(usize, Vec<u8>)>,
    /// Eviction candidates kept between rounds, and the next database the
    /// random policies look at (see `keyspace/evict.rs`).
    evict_pool: evict::Pool,
    evict_next_db: usize,
    /// The cold tier, when tiering is on (see `keyspace/tier.rs`).
    cold: Option<Box<crate::cold::ColdStore>>,
    pub tier: TierStats,
    /// Which values read back from the cold tier join the hot set.
    pub admission: tier::Admission,
    /// The online hit-ratio-vs-size estimate (see `estimate.rs`).
    pub estimator: crate::estimate::Estimator,
    /// Cold records of hot values that have not changed since they were
    /// promoted (entries with `clean` set), by database and key.
    clean: CleanCopies,
}

/// Records of hot values unchanged since their promotion, by database and
/// key (see `keyspace/tier.rs`).
type CleanCopies = std::collections::HashMap<(usize, Key), tier::CleanCopy, ahash::RandomState>;

/// The identity of `key` of `db` in the blocked-key set.
fn ready_id(db: usize, key: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + key.len());
    v.extend_from_slice(&(db as u64).to_le_bytes());
    v.extend_from_slice(key);
    v
}

/// Result of one active-expiry cycle.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExpireCycle {
    pub sampled: usize,
    pub expired: usize,
    pub timed_out: bool,
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            lfu_policy: false,
            lfu: LfuParams::default(),
            stats: KeyspaceStats::default(),
            expired: Vec::new(),
            hide_expired_only: false,
            rng: SmallRng::from_entropy(),
            expire_db_cursor: 0,
            snapshot: None,
            snap_gen: 0,
            blocked_keys: Default::default(),
            ready: Vec::new(),
            evict_pool: Default::default(),
            evict_next_db: 0,
            cold: None,
            tier: TierStats::default(),
            admission: Default::default(),
            estimator: crate::estimate::Estimator::new(0),
            clean: Default::default(),
        }
    }

    /// Prefetches the table entries of `keys` in database `db` ahead of
    /// their lookups (see [`Dict::prefetch_slot`]): all slots first, then
    /// all chain heads, so the cache misses of a pipelined batch overlap.
    pub fn prefetch(&self, db: usize, keys: &[&[u8]]) {
        if let Some(d) = self.dbs.get(db) {
            d.main.prefetch_keys(keys, key_far);
        }
    }

    /// True if the value at `key` is a collection in its table form (the
    /// only kind whose member lookups miss the cache), so that
    /// [`prefetch_members`](Self::prefetch_members) has something to do.
    pub fn has_member_table(&self, db: usize, key: &[u8]) -> bool {
        let Some(e) = self.dbs.get(db).and_then(|d| d.main.get(key)) else {
            return false;
        };
        match &e.value {
            Value::Set(s) => matches!(**s, crate::set::SetValue::Table(_)),
            Value::Hash(h) => matches!(**h, crate::hash::HashValue::Table(_)),
            Value::ZSet(z) => matches!(**z, crate::zset::ZSetValue::Sorted(_)),
            _ => false,
        }
    }

    /// Prefetches `members` inside the collection stored at `key` (a batch
    /// of SADD/HSET/ZSCORE... on one big set, hash or sorted set), the
    /// same way. Changes nothing, not even access tracking.
    pub fn prefetch_members(&self, db: usize, key: &[u8], members: &[&[u8]]) {
        let Some(e) = self.dbs.get(db).and_then(|d| d.main.get(key)) else {
            return;
        };
        match &e.value {
            Value::Set(s) => s.prefetch(members),
            Value::Hash(h) => h.prefetch(members),
            Value::ZSet(z) => z.prefetch(members),
            _ => {}
        }
    }

    /// Pauses (or resumes) expiry: see [`EXPIRY_PAUSED`].
    pub fn pause_expiry(&mut self, paused: bool) {
        EXPIRY_PAUSED.store(paused, std::sync::atomic::Ordering::Relaxed);
    }

    /// Expiry is paused (a command must not delete a key for an expiry
    /// time already past either).
    pub fn expiry_paused(&self) -> bool {
        EXPIRY_PAUSED.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    pub fn db(&self, db: usize) -> &Db {
        &self.dbs[db]
    }

    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }

    /// Keys removed by expiry since the last call, oldest first.
    pub fn take_expired(&mut self) -> Vec<(usize, Key)> {
        std::mem::take(&mut self.expired)
    }

    pub fn has_expired_events(&self) -> bool {
        !self.expired.is_empty()
    }

    /// Starts (`true`) or stops recording additions of `key` to `db` for
    /// [`take_ready`](Self::take_ready).
    pub fn watch_ready(&mut self, db: usize, key: &[u8], on: bool) {
        if on {
            self.blocked_keys.insert(ready_id(db, key));
        } else {
            self.blocked_keys.remove(&ready_id(db, key));
        }
    }

    /// Watched keys added (or replaced) since the last call, in order.
    pub fn take_ready(&mut self) -> Vec<(usize, Vec<u8>)> {
        std::mem::take(&mut self.ready)
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Records that `key` of `db` was added, if someone waits for it.
    fn added(&mut self, db: usize, key: &[u8]) {
        if !self.blocked_keys.is_empty() && self.blocked_keys.contains(&ready_id(db, key)) {
            self.ready.push((db, key.to_vec()));
        }
    }

    /// Removes `key` if it is logically expired (recording the removal for
    /// propagation). Returns true if the key is (now) absent because of
    /// expiry; false if it is live or was not there at all.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        let d = &self.dbs[db];
        let Some(e) = d.peek(key) else {
            return false;
        };
        if !d.is_expired(key, &e, now_ms) {
            return false;
        }
        if self.hide_expired_only {
            return true;
        }
        if let Some((e, _)) = self.remove_raw(db, key) {
            self.discard(&e.value);
        }
        self.stats.expired_keys += 1;
        self.expired.push((db, key.into()));
        true
    }

    /// Looks a key up, applying lazy expiry and access accounting.
    pub fn lookup(
        &mut self,
        db: usize,
        key: &[u8],
        now_ms: i64,
        access: Access,
    ) -> Option<&mut Entry> {
        let counts = matches!(access, Access::Read | Access::Inspect);
        let touches = matches!(access, Access::Read | Access::Write | Access::WriteMeta);
        if matches!(access, Access::Write | Access::WriteMeta) && self.snapshot.is_some() {
            // The caller may change the value in place.
            self.snapshot_copy_before_change(db, key);
        }
        // One walk on the common path: find the entry; only a key with an
        // expiry goes through the expiry check (and a second lookup).
        let lfu_policy = self.lfu_policy;
        let params = self.lfu;
        let e: *mut Entry = match self.dbs[db].entry_mut(key) {
            None => {
                if counts {
                    self.stats.misses += 1;
                }
                return None;
            }
            Some(e) => e,
        };
        // SAFETY: `e` comes from the unique borrow of `self` this call holds.
        // On the path that uses it, nothing touches the table between the
        // lookup and the use (only `stats`, `rng` and `estimator`, other
        // fields), so the
        // entry has not moved; the returned reference keeps the borrow.
        let volatile = unsafe { (*e).volatile };
        let e: &mut Entry = if !volatile {
            unsafe { &mut *e }
        } else {
            if self.expire_if_needed(db, key, now_ms) {
                if counts {
                    self.stats.misses += 1;
                }
                return None;
            }
            let e: *mut Entry = self.dbs[db].entry_mut(key)?;
            // SAFETY: as above, a fresh lookup after the expiry check.
            unsafe { &mut *e }
        };
        if touches {
            e.lru = lfu::touch(e.lru, lfu_policy, params, now_ms as u64, &mut self.rng);
        }
        if counts {
            self.stats.hits += 1;
        }
        // (A mark older than a cron tick belongs to a command that never
        // ran: this lookup is someone else's, and a hot hit.)
        let prepaid = e.clean == CLEAN_PREPAID && self.prepaid_current(db, key);
        if e.clean == CLEAN_PREPAID {
            e.clean = CLEAN;
        }
        if e.clean != NOT_CLEAN && matches!(access, Access::Write) {
            // The caller may change the value: the cold copy goes stale.
            e.clean = NOT_CLEAN;
            self.drop_clean(db, key);
        }
        if self.cold.is_some() {
            let uses_value = matches!(access, Access::Read | Access::Write);
            if uses_value {
                self.estimator.note(!prepaid && !e.value.is_cold());
                self.sample_access(db, key, e, access == Access::Read);
            }
            if let Value::Cold(_) = e.value {
                if uses_value {
                    self.promote(db, key, e, access == Access::Read);
                } else {
                    self.tier.header_hits += 1;
                    // Only its header was needed: back to the cold-key
                    // table at the next cron tick, so that a walk of TYPE
                    // or TTL lookups over many cold keys does not hold
                    // their table nodes.
                    self.tier.looked_at.push((db, Key::from(key)));
                }
            } else if uses_value && !prepaid {
                // (A value loaded for this command just before it ran is a
                // cold hit, already counted.)
                self.tier.hot_hits += 1;
            }
        }
        Some(e)
    }

    /// True if the key exists (and is not expired); no access tracking.
    pub fn exists(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        self.lookup(db, key, now_ms, Access::ReadNoTouch).is_some()
    }

    /// Stores `value` under `key`. An existing key's expiry is cleared unless
    /// `keep_ttl`; under an LFU policy an overwrite keeps the access counter.
    pub fn set(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool, now_ms: i64) {
        self.added(db, key);
        let lru = lfu::initial(self.lfu_policy, now_ms as u64);
        let lfu_policy = self.lfu_policy;
        self.snapshot_copy_before_change(db, key);
        let mark = self.snap_mark();
        let sample = self.blind_sample(db, key, &value);
        let d = &mut self.dbs[db];
        let (old, was_clean) = match entry_in(&mut d.main, &mut d.cold, key) {
            Some(e) => {
                let old = std::mem::replace(&mut e.value, value);
                if !lfu_policy {
                    e.lru = lru;
                }
                self.estimator.record_blind(sample, e.lru);
                if !keep_ttl && e.volatile {
                    e.volatile = false;
                    d.volatile.remove(key);
                }
                (old, std::mem::take(&mut e.clean) != NOT_CLEAN)
            }
            None => {
                self.tier.list_hot(db, key, &value);
                let mut e = Entry::new(value, lru);
                e.snap = mark;
                d.main.insert_new(key.into(), e);
                self.estimator.record_blind(sample, lru);
                return;
            }
        };
        self.replaced(db, key, &old, was_clean);
    }

    /// Adds `key`, known to be absent (the caller's write lookup found
    /// nothing), with a new value and no expiry; returns the new entry.
    /// What commands that create a collection on first write use.
    pub fn insert_new(&mut self, db: usize, key: &[u8], value: Value, now_ms: i64) -> &mut Entry {
        self.added(db, key);
        let lru = lfu::initial(self.lfu_policy, now_ms as u64);
        self.tier.list_hot(db, key, &value);
        let mut e = Entry::new(value, lru);
        e.snap = self.snap_mark();
        self.dbs[db].main.insert_new(key.into(), e)
    }

    /// A write lookup followed by [`set`](Self::set), in one walk of the
    /// table where possible: what a plain `SET` does. A logically expired
    /// old value still counts as expired (and is recorded for
    /// propagation), and under an LFU policy the old counter is touched and
    /// kept, exactly as the two calls would do.
    pub fn overwrite(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool, now_ms: i64) {
        // The lookups below are for expiry and access tracking only: the
        // old value is replaced unseen, so a cold one is not read back
        // (`WriteMeta`), as for a key without an expiry.
        if self.snapshot.is_some() {
            self.lookup(db, key, now_ms, Access::WriteMeta);
            self.set(db, key, value, keep_ttl, now_ms);
            return;
        }
        self.added(db, key);
        let lfu_policy = self.lfu_policy;
        let params = self.lfu;
        let sample = self.blind_sample(db, key, &value);
        let Keyspace {
            dbs,
            rng,
            estimator,
            tier,
            ..
        } = self;
        let d = &mut dbs[db];
        let (old, was_clean) = match d.entry_mut(key) {
            Some(e) if !e.volatile => {
                let old = std::mem::replace(&mut e.value, value);
                e.lru = if lfu_policy {
                    lfu::touch(e.lru, true, params, now_ms as u64, rng)
                } else {
                    lfu::initial(false, now_ms as u64)
                };
                estimator.record_blind(sample, e.lru);
                (old, std::mem::take(&mut e.clean) != NOT_CLEAN)
            }
            Some(_) => {
                // Has an expiry: take the general path.
                self.lookup(db, key, now_ms, Access::WriteMeta);
                self.set(db, key, value, keep_ttl, now_ms);
                return;
            }
            None => {
                let lru = lfu::initial(lfu_policy, now_ms as u64);
                tier.list_hot(db, key, &value);
                d.main.insert_new(key.into(), Entry::new(value, lru));
                estimator.record_blind(sample, lru);
                return;
            }
        };
        self.replaced(db, key, &old, was_clean);
    }

    /// The expiry of `key` (absolute ms) or [`NO_EXPIRE`], as stored (no
    /// lazy expiry: look the key up first).
    pub fn get_expire(&self, db: usize, key: &[u8]) -> i64 {
        self.dbs[db].expire_of(key)
    }

    /// Adds a key known to be absent, with its expiry ([`NO_EXPIRE`] for
    /// none; used by RENAME, COPY, MOVE, RESTORE and loading).
    pub fn insert_entry(&mut self, db: usize, key: Key, mut entry: Entry, expire: i64) {
        // Whatever it replaces is handed to a running snapshot first.
        self.snapshot_copy_before_change(db, &key);
        entry.snap = self.snap_mark();
        entry.clean = NOT_CLEAN;
        self.added(db, &key);
        let d = &mut self.dbs[db];
        entry.volatile = expire != NO_EXPIRE;
        if entry.volatile {
            d.volatile.insert(key.clone(), expire);
        } else {
            d.volatile.remove(&key[..]);
        }
        let k = key.clone();
        self.tier.list_hot(db, &k, &entry.value);
        if let Some(old) = d.insert(key, entry) {
            self.discard(&old.value);
            if old.clean != NOT_CLEAN {
                self.drop_clean(db, &k);
            }
        }
    }

    /// Removes a key, returning its entry and expiry.
    fn remove_raw(&mut self, db: usize, key: &[u8]) -> Option<(Entry, i64)> {
        let d = &mut self.dbs[db];
        let mut e = d.remove(key)?;
        let expire = if e.volatile {
            d.volatile.remove(key).unwrap_or(NO_EXPIRE)
        } else {
            NO_EXPIRE
        };
        self.snapshot_removed(db, key, &mut e, expire);
        if self.cold.is_some() {
            if let Some(h) = self.estimator.sampled(db, key) {
                self.estimator.forget(h);
            }
        }
        if e.clean != NOT_CLEAN {
            e.clean = NOT_CLEAN;
            self.drop_clean(db, key);
        }
        Some((e, expire))
    }

    /// Deletes a key (expired or not). Returns the entry if it was live.
    pub fn delete(&mut self, db: usize, key: &[u8], now_ms: i64) -> Option<Entry> {
        let e = self.delete_with_expire(db, key, now_ms).map(|(e, _)| e);
        if let Some(e) = &e {
            self.discard(&e.value);
        }
        e
    }

    /// Deletes a key whether or not it is logically expired, recording no
    /// expiry: Redis's `dbDelete` where no lookup comes first (RESTORE
    /// REPLACE, a `*STORE` whose result is empty), which reports an expired
    /// key as deleted. Returns the entry if there was one.
    pub fn delete_any(&mut self, db: usize, key: &[u8]) -> Option<Entry> {
        let (e, _) = self.remove_raw(db, key)?;
        self.discard(&e.value);
        Some(e)
    }

    /// Like [`delete`](Self::delete), also returning the key's expiry.
    fn delete_with_expire(&mut self, db: usize, key: &[u8], now_ms: i64) -> Option<(Entry, i64)> {
        if self.expire_if_needed(db, key, now_ms) {
            return None;
        }
        self.remove_raw(db, key)
    }

    /// Sets an absolute expiry (ms) on an existing key.
    pub fn set_expire(&mut self, db: usize, key: &[u8], when_ms: i64) -> bool {
        self.snapshot_copy_before_change(db, key);
        let d = &mut self.dbs[db];
        match d.entry_mut(key) {
            Some(e) => {
                e.volatile = true;
                d.volatile.insert(key.into(), when_ms);
                true
            }
            None => false,
        }
    }

    /// Removes the expiry of an existing key; true if it had one.
    pub fn persist(&mut self, db: usize, key: &[u8]) -> bool {
        self.snapshot_copy_before_change(db, key);
        let d = &mut self.dbs[db];
        match d.entry_mut(key) {
            Some(e) if e.volatile => {
                e.volatile = false;
                d.volatile.remove(key);
                true
            }
            _ => false,
        }
    }

    /// Deletes a live key like [`delete`](Self::delete), but hands a big
    /// value to the background thread to free (`UNLINK`). True if the key
    /// was live.
    pub fn unlink(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        match self.delete(db, key, now_ms) {
            Some(e) => {
                if e.value.heap_size() >= LAZYFREE_THRESHOLD_BYTES {
                    lazy_free(e);
                }
                true
            }
            None => false,
        }
    }

    /// Moves the live entry `from` of `from_db` to `to` of `to_db`, with its
    /// expiry and access field (RENAME, MOVE), replacing whatever `to` held.
    /// Returns false, changing nothing, if `from` is missing or expired.
    /// Afterwards exactly one copy of the entry exists, under `to`.
    pub fn relocate(
        &mut self,
        from_db: usize,
        from: &[u8],
        to_db: usize,
        to: &[u8],
        now_ms: i64,
    ) -> bool {
        if from_db == to_db && from == to {
            return self.exists(from_db, from, now_ms);
        }
        let Some((entry, expire)) = self.delete_with_expire(from_db, from, now_ms) else {
            return false;
        };
        self.delete(to_db, to, now_ms);
        self.insert_entry(to_db, to.into(), entry, expire);
        true
    }

    /// Stores a copy of the live entry `from` of `from_db` under `to` of
    /// `to_db` (COPY): an equal value with the same expiry, and a fresh
    /// access field, as a newly created object gets. Replaces whatever `to`
    /// held. Returns false, changing nothing, if `from` is missing or
    /// expired.
    pub fn copy_entry(
        &mut self,
        from_db: usize,
        from: &[u8],
        to_db: usize,
        to: &[u8],
        now_ms: i64,
    ) -> bool {
        let d = &self.dbs[from_db];
        let Some(src) = d.peek(from).filter(|e| !d.is_expired(from, e, now_ms)) else {
            return false;
        };
        let expire = d.expire_of(from);
        // A cold source is read, not promoted: the copy is a new value,
        // the source stays where it is.
        let value = match &src.value {
            Value::Cold(r) => match self.cold.as_mut().map(|c| c.load(r)) {
                Some(Ok(v)) => v,
                _ => {
                    self.tier.failed_loads += 1;
                    return false;
                }
            },
            v => v.clone(),
        };
        let entry = Entry::new(value, lfu::initial(self.lfu_policy, now_ms as u64));
        self.delete(to_db, to, now_ms);
        self.insert_entry(to_db, to.into(), entry, expire);
        true
    }

    /// Empties `db` and returns its former contents, for the caller to drop
    /// inline or with [`lazy_free`] (`FLUSHDB ASYNC`).
    pub fn detach_db(&mut self, db: usize) -> Db {
        self.forget_cold_of(db);
        self.estimator.reset();
        let old = std::mem::take(&mut self.dbs[db]);
        self.snapshot_adopt(db, old)
    }

    /// Removes every key of `db`; returns how many there were.
    pub fn flush_db(&mut self, db: usize) -> usize {
        if self.snapshot.is_some() {
            let n = self.dbs[db].len();
            drop(self.detach_db(db));
            return n;
        }
        self.forget_cold_of(db);
        // The sample's keys are gone: the estimate starts over.
        self.estimator.reset();
        let d = &mut self.dbs[db];
        let n = d.len();
        d.clear();
        d.volatile.clear();
        d.avg_ttl = 0;
        d.expire_cursor = 0;
        n
    }

    pub fn flush_all(&mut self) -> usize {
        (0..self.dbs.len()).map(|i| self.flush_db(i)).sum()
    }

    pub fn swap_db(&mut self, a: usize, b: usize) {
        // The sample is by database and key: it starts over.
        self.estimator.reset();
        self.snapshot_swapped(a, b);
        self.dbs.swap(a, b);
        self.swap_clean(a, b);
        self.swap_tier_dbs(a, b);
        // Every waited-for key of either database may have appeared.
        for id in &self.blocked_keys {
            let (d, key) = id.split_at(8);
            let d = u64::from_le_bytes(d.try_into().expect("8-byte prefix")) as usize;
            if d == a || d == b {
                self.ready.push((d, key.to_vec()));
            }
        }
    }

    /// A random live key of `db` (expired keys met on the way are removed,
    /// as Redis does). Gives up after many expired picks in a row if every
    /// key is volatile, like Redis, to stay bounded.
    pub fn random_key(&mut self, db: usize, now_ms: i64) -> Option<Key> {
        let mut tries = 0;
        loop {
            let (key, expired) = {
                let d = &self.dbs[db];
                let (k, e) = d.random_entry(&mut self.rng)?;
                let expired = d.is_expired(&k, &e, now_ms);
                (k, expired)
            };
            if !expired {
                return Some(key);
            }
            tries += 1;
            let all_volatile = self.dbs[db].volatile.len() == self.dbs[db].len();
            if self.hide_expired_only {
                if all_volatile && tries > 100 {
                    // Every key may be logically expired: return one as Redis
                    // does on a replica rather than loop forever.
                    return Some(key);
                }
                continue;
            }
            self.expire_if_needed(db, &key, now_ms);
        }
    }

    /// Runs incremental rehashing on every db for about `ms` ms in total.
    pub fn rehash_step(&mut self, ms: u64) {
        for d in &mut self.dbs {
            d.main.shrink_if_needed();
            d.cold.shrink_if_needed();
            d.volatile.shrink_if_needed();
            if d.main.is_rehashing() && d.main.rehash_for(ms) {
                return;
            }
            if d.cold.is_rehashing() && d.cold.rehash_for(ms) {
                return;
            }
            if d.volatile.is_rehashing() && d.volatile.rehash_for(ms) {
                return;
            }
        }
    }

    /// One active-expiry cycle, Redis's adaptive algorithm: for each db,
    /// walk buckets of the volatile index in scan order, removing expired
    /// keys, and keep going on a db while more than 10% of sampled keys
    /// were expired, until `budget` runs out.
    pub fn active_expire_cycle(&mut self, now_ms: i64, budget: std::time::Duration) -> ExpireCycle {
        const KEYS_PER_LOOP: usize = 20;
        const ACCEPTABLE_STALE_PERC: usize = 10;
        let start = std::time::Instant::now();
        let mut out = ExpireCycle::default();
        if self.hide_expired_only {
            return out;
        }
        let ndb = self.dbs.len();
        let mut total_sampled = 0usize;
        let mut total_expired = 0usize;
        for _ in 0..ndb {
            let db = self.expire_db_cursor % ndb;
            self.expire_db_cursor = (self.expire_db_cursor + 1) % ndb;
            loop {
                if self.dbs[db].volatile.is_empty() {
                    self.dbs[db].avg_ttl = 0;
                    break;
                }
                let mut sampled = 0usize;
                let mut expired_keys: Vec<Key> = Vec::new();
                let mut ttl_sum = 0i64;
                let mut ttl_n = 0i64;
                let mut buckets = 0;
                let d = &mut self.dbs[db];
                let mut cursor = d.expire_cursor;
                while sampled < KEYS_PER_LOOP && buckets < KEYS_PER_LOOP * 2 {
                    // The volatile table holds the times: no lookup of the
                    // main table is needed to decide.
                    cursor = d.volatile.scan(cursor, |k, &when| {
                        sampled += 1;
                        if now_ms > when {
                            expired_keys.push(k.clone());
                        } else {
                            ttl_sum += when - now_ms;
                            ttl_n += 1;
                        }
                    });
                    buckets += 1;
                    if cursor == 0 {
                        break;
                    }
                }
                d.expire_cursor = cursor;
                if ttl_n > 0 {
                    let avg = ttl_sum / ttl_n;
                    // Running average weighted like Redis (2% per sample).
                    d.avg_ttl = if d.avg_ttl == 0 {
                        avg
                    } else {
                        (d.avg_ttl / 50) * 49 + avg / 50
                    };
                }
                let n_expired = expired_keys.len();
                for k in expired_keys {
                    if let Some((e, _)) = self.remove_raw(db, &k) {
                        self.discard(&e.value);
                    }
                    self.stats.expired_keys += 1;
                    self.expired.push((db, k));
                }
                total_sampled += sampled;
                total_expired += n_expired;
                if start.elapsed() >= budget {
                    out.timed_out = true;
                    self.stats.expired_time_cap_reached_count += 1;
                    break;
                }
                if sampled == 0 || n_expired * 100 <= sampled * ACCEPTABLE_STALE_PERC {
                    break;
                }
            }
            if out.timed_out {
                break;
            }
        }
        out.sampled = total_sampled;
        out.expired = total_expired;
        let perc = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        self.stats.expired_stale_perc = perc * 0.05 + self.stats.expired_stale_perc * 0.95;
        self.stats.expire_cycle_cpu_milliseconds += start.elapsed().as_millis() as u64;
        out
    }
}

#[cfg(test)]
mod tests;
