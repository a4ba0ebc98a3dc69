//! The keyspace's side of tiering: demoting cold values to the cold store
//! and promoting them back when a command needs them.
//!
//! Demotion picks victims the way LFU eviction does (the same sampled
//! pool, idlest first, see `evict.rs`), but among hot values of at least
//! `tiering-min-value-size` bytes only, and instead of deleting the key it
//! swaps the value for a [`ColdRef`]. Victims of one round are encoded
//! first and written in one RocksDB batch; only then do their entries
//! drop the RAM copy. Demotion and promotion do not change what a key
//! holds, so they are not writes: nothing is propagated, WATCH is not
//! touched, and a running snapshot keeps walking (it reads a cold value
//! from the store when it meets one).
//!
//! Promotion is synchronous for now: a read or write lookup that meets a
//! cold value reads its record, decodes it and puts it back in the entry;
//! the record becomes garbage. Lookups that only need the entry's header
//! (TYPE, EXISTS, TTL, OBJECT ENCODING/FREQ, SCAN's type filter) leave
//! the value cold.

use super::{Entry, Key, Keyspace, CLEAN, CLEAN_PREPAID, DEMOTING, NOT_CLEAN};
use crate::cold::{ColdRef, ColdStore};
use crate::dict::Dict;
use crate::estimate::Touch;
use crate::lfu;
use crate::value::Value;
use rand::Rng;

/// Tiering counters kept by the keyspace (the store keeps its own).
#[derive(Default, Debug, Clone)]
pub struct TierStats {
    /// Lookups served from a hot value.
    pub hot_hits: u64,
    /// Lookups answered from a cold key's in-RAM header alone.
    pub header_hits: u64,
    /// Cold values that could not be read back (disk or record error);
    /// the key keeps its cold value and the command sees an error.
    pub failed_loads: u64,
    pub last_error: Option<String>,
    /// Promotions done on the command thread because no asynchronous load
    /// had brought the value in first.
    pub sync_loads: u64,
    /// Read numbers ([`CleanCopy::load`]) as of the last and the previous
    /// cron tick: a `CLEAN_PREPAID` mark from a read numbered up to
    /// `prepaid_before` is older than a tick, so it belongs to a command
    /// that never looked its key up (refused, aborted, its client gone)
    /// and no longer holds its value in RAM. (Checked where demotion meets
    /// a mark, rather than by visiting every loaded key each tick: that
    /// visit was a twentieth of the command thread under cold reads.)
    prepaid_last: u64,
    prepaid_before: u64,
    /// Where the demotion walk (used when sampling finds no candidate)
    /// stopped.
    walk_db: usize,
    walk_cursor: u64,
    walk_calls: u32,
    /// Values read back with their record kept (numbers the reads).
    loads: u64,
    /// Demotion batches the writer thread has not finished, oldest first.
    inflight: std::collections::VecDeque<Pending>,
    /// A batch failed to write since the last round.
    write_failed: bool,
    /// The batch each value being demoted belongs to. A value changed
    /// while in flight may be demoted again in a later batch before the
    /// first is taken in: only its latest batch may drop it.
    demoting: std::collections::HashMap<(usize, Key), u64, ahash::RandomState>,
    batches: u64,
    /// Calls of [`Keyspace::force_cold`].
    force_calls: u64,
    /// Tests: finished batches are taken in only when asked to wait, so a
    /// test can change values while their batch is known to be pending.
    #[cfg(test)]
    pub(super) hold_reaps: bool,
    /// The hot list: keys whose values were hot when listed (see
    /// [`Keyspace::list_hot`]). Demotion samples it instead of the whole
    /// table, where hot values may be a few percent of the keys.
    hot: Vec<(usize, Key)>,
    /// The list is kept up to date (from the first demotion on).
    hot_active: bool,
    /// `tiering-min-value-size` as of the last demotion round.
    min_size: usize,
    /// A pass over the hot list under way (see [`Keyspace::tier_cron`]).
    sweep: Option<Sweep>,
    /// Cold keys and the RAM they take, as of the last complete pass over
    /// the keys (see [`Keyspace::ram_per_cold_key`]), and the pass under
    /// way.
    cold_key_ram: Option<(u64, u64)>,
    cold_scan: (u64, u64),
    /// Cold keys whose headers alone were looked up since the last cron
    /// tick: the lookup moved them into the main table, the tick moves
    /// them back (see [`Keyspace::tier_cron`]).
    pub(super) looked_at: Vec<(usize, Key)>,
}

/// How many sampled hot-list entries make one round of candidates (the
/// eviction pool keeps the best across rounds, as Redis's does).
const HOT_PROBES: usize = 4;

/// Hot-list samples drawn (and their table entries prefetched) together.
const SAMPLE_BATCH: usize = 8;

/// Prefetches the table entries of the hot-list entries at `draw`: the
/// keys of one database together, so that their misses overlap.
fn prefetch_listed(dbs: &[super::Db], hot: &[(usize, Key)], draw: &[usize]) {
    let mut keys: [&[u8]; SAMPLE_BATCH] = [&[]; SAMPLE_BATCH];
    let mut done = [false; SAMPLE_BATCH];
    for a in 0..draw.len() {
        if done[a] {
            continue;
        }
        let db = hot[draw[a]].0;
        let mut n = 0;
        for b in a..draw.len() {
            if !done[b] && hot[draw[b]].0 == db {
                keys[n] = hot[draw[b]].1.as_bytes();
                n += 1;
                done[b] = true;
            }
        }
        if let Some(d) = dbs.get(db) {
            d.main.prefetch_keys(&keys[..n], super::key_far);
        }
    }
}

/// Candidates met again in one demotion round before it stops looking
/// (plus two per candidate found: sampling a few values meets them again
/// and again before it has met them all).
const MAX_REPEATS: usize = 8;

/// Buckets the fallback walk visits per demotion candidate asked for.
const WALK_BUCKETS: usize = 64;

impl TierStats {
    /// `value` is a hot value that just arrived at `key` of `db` (a new
    /// key, a promotion, a value replacing a cold or small one): it joins
    /// the hot list if it may ever be worth demoting. Collections are
    /// listed whatever their size, since they grow in place; strings from
    /// `tiering-min-value-size` bytes (a string that grows in place past
    /// it, with APPEND or SETRANGE, is found by the fallback walk).
    pub(super) fn list_hot(&mut self, db: usize, key: &[u8], value: &Value) {
        if self.hot_active && self.listable(value) {
            self.hot.push((db, Key::from(key)));
        }
    }

    fn listable(&self, v: &Value) -> bool {
        listable(self.min_size, v)
    }

    /// Takes stale entry `i` out of the hot list. If a sweep already
    /// counted it, its key leaves the sweep's record too: a later entry of
    /// the same key (listed again) is then not taken for a duplicate.
    fn unlist(&mut self, i: usize) {
        let gone = self.hot.swap_remove(i);
        if let Some(sw) = self.sweep.as_mut() {
            if i < sw.at {
                // (The entry moved into `i` from the end goes unchecked
                // in this pass: the next pass checks it.)
                sw.seen.remove(&gone);
            }
        }
    }
}

/// RAM one key of `t` takes in the table itself: its node and its share
/// of the bucket array.
fn table_share<V>(t: &Dict<Key, V>) -> u64 {
    (Dict::<Key, V>::node_size() + t.bucket_count() * std::mem::size_of::<usize>() / t.len().max(1))
        as u64
}

/// See [`TierStats::list_hot`].
fn listable(min_size: usize, v: &Value) -> bool {
    match v {
        Value::Cold(_) => false,
        Value::Str(s) => s.heap_size() >= min_size,
        _ => true,
    }
}

/// A pass of the cron over the hot list: entries before `at` are checked
/// (live, listed once); `seen` holds their keys.
#[derive(Debug, Default, Clone)]
struct Sweep {
    at: usize,
    seen: std::collections::HashSet<(usize, Key), ahash::RandomState>,
}

/// Hot-list entries the cron checks per call.
const SWEEP_SLICE: usize = 8192;

/// Most stale hot-list entries one demotion candidate may clear out of
/// its way (each is cleared once, so the cost is paid once per entry; the
/// bound only keeps one command from paying for a mass deletion).
const MAX_STALE_PROBES: usize = 1 << 16;

/// A demotion batch being written: for each value, its key, its record
/// and the record's stored size.
#[derive(Debug, Clone)]
struct Pending {
    seq: u64,
    items: Vec<(usize, Key, ColdRef, usize)>,
    bytes: u64,
}

/// Most demotion batches being written at once, and most bytes they may
/// hold: past either, a demotion round waits for the oldest (writers are
/// slowed, nothing is dropped). This is the slack over `maxmemory`.
const MAX_INFLIGHT_BATCHES: usize = 4;
const MAX_INFLIGHT_BYTES: u64 = 4 << 20;

/// Result of one demotion round.
#[derive(Debug, Default, Clone, Copy)]
pub struct Demoted {
    pub values: usize,
    /// No hot value big enough is left to demote.
    pub exhausted: bool,
    /// What is over the budget is values on probation loaded for commands
    /// about to run (see [`Keyspace::demote_round_over`]).
    pub deferred: bool,
}

/// Most bytes of values on probation, loaded for commands that have not
/// run yet, that may keep the hot tier over `maxmemory` (they leave once
/// their commands have run) rather than push hot values out.
pub const PREPAID_SLACK: u64 = 4 << 20;

/// Frequency-gated admission of values read back from the cold tier
/// (`tiering-admission`), in the spirit of TinyLFU: a value read back is
/// admitted to the hot set only if its key has been read back from the
/// cold tier twice before, recently (a count-min sketch of cold reads, aged by
/// halving, says so). One that has not is still served from RAM, but goes
/// on probation: it is the first to leave when room is needed, for free
/// (its record is still its clean copy). So a scan of read-once keys
/// cycles through the probation queue instead of flushing the hot set,
/// while a key read back three times within the sketch's window joins it.
///
/// Only cold reads are counted: hot hits cost nothing extra. (The keys'
/// LFU counters cannot tell one read from a few: Redis's logarithmic
/// counter goes from 5 to 6 on the first access and then rises with
/// probability 1/11, so a sketch is needed.)
#[derive(Debug)]
pub struct Admission {
    /// The gate is on (`tiering-admission frequency`).
    pub gated: bool,
    sketch: Sketch,
    /// Values read back on probation, oldest first, with the number of
    /// the read that brought each (an entry that changed, moved or was
    /// demoted and read again since is skipped).
    pub(super) probation: std::collections::VecDeque<(usize, Key, u64)>,
    /// Values read back and admitted to the hot set, and put on probation.
    pub admitted: u64,
    pub on_probation: u64,
    /// Values demoted from probation (without a write).
    pub probation_demotions: u64,
}

impl Default for Admission {
    fn default() -> Admission {
        Admission {
            gated: true,
            sketch: Sketch::new(SKETCH_WIDTH_BITS),
            probation: Default::default(),
            admitted: 0,
            on_probation: 0,
            probation_demotions: 0,
        }
    }
}

/// Longest probation queue; past it the oldest mark is forgotten (the
/// value stays an ordinary hot value).
const PROBATION_MAX: usize = 1 << 16;

/// Counters per row of the sketch, as a power of two: 4 rows of 2^18
/// one-byte counters (1 MiB).
const SKETCH_WIDTH_BITS: u32 = 18;

/// Cold reads a key needs within the sketch's window to be admitted. With
/// 2, a key from the long tail of a Zipf workload that happened to be
/// read twice within the window pushed out a hotter value: at 2M keys of
/// 1 KB and a tenth of them in RAM, 3 raised the hot-hit ratio from 0.66
/// to 0.68, and under uniform reads (nothing worth keeping) cut
/// admissions by six.
const ADMIT_READS: u8 = 3;

/// A count-min sketch of cold reads with conservative update: 4 rows of
/// saturating byte counters; after as many additions as a row has
/// counters, every counter is halved, so old reads fade (the window is
/// about that many cold reads, and few counters share increments, which
/// keeps a key read once from looking read twice).
#[derive(Debug)]
struct Sketch {
    rows: Vec<u8>,
    mask: u64,
    width_bits: u32,
    additions: u64,
    hasher: ahash::RandomState,
}

impl Sketch {
    fn new(width_bits: u32) -> Sketch {
        Sketch {
            rows: Vec::new(),
            mask: (1u64 << width_bits) - 1,
            width_bits,
            additions: 0,
            hasher: ahash::RandomState::with_seeds(0x9e37, 0x79b9, 0x7f4a, 0x7c15),
        }
    }

    fn slots(&self, db: usize, key: &[u8]) -> [usize; 4] {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.hasher.build_hasher();
        db.hash(&mut h);
        key.hash(&mut h);
        let h = h.finish();
        // Two halves of the hash, combined as in double hashing.
        let (a, b) = (h & 0xffff_ffff, (h >> 32) | 1);
        let width = 1usize << self.width_bits;
        std::array::from_fn(|i| {
            i * width + (a.wrapping_add(b.wrapping_mul(i as u64 + 1)) & self.mask) as usize
        })
    }

    /// Counts one read of `key` of `db`; returns the reads now estimated.
    fn add(&mut self, db: usize, key: &[u8]) -> u8 {
        if self.rows.is_empty() {
            self.rows = vec![0; 4 << self.width_bits];
        }
        let slots = self.slots(db, key);
        let min = slots.iter().map(|&i| self.rows[i]).min().unwrap_or(0);
        let new = min.saturating_add(1);
        for i in slots {
            // Conservative update: only the counters at the minimum rise.
            if self.rows[i] < new {
                self.rows[i] = new;
            }
        }
        self.additions += 1;
        if self.additions >= 1 << self.width_bits {
            self.additions = 0;
            for c in &mut self.rows {
                *c >>= 1;
            }
        }
        new
    }
}

impl Admission {
    /// Values on probation now (marks of values since changed included).
    pub fn probation_len(&self) -> usize {
        self.probation.len()
    }

    /// A value of `key` of `db` was read back (read number `load`): admits
    /// it or puts it on probation.
    fn consider(&mut self, db: usize, key: &[u8], load: u64) {
        let reads = self.sketch.add(db, key);
        if !self.gated || reads >= ADMIT_READS {
            self.admitted += 1;
            return;
        }
        self.on_probation += 1;
        if self.probation.len() == PROBATION_MAX {
            self.probation.pop_front();
        }
        self.probation.push_back((db, Key::from(key), load));
    }
}

/// The record a hot value was read from, still its exact copy.
#[derive(Debug)]
pub(super) struct CleanCopy {
    r: ColdRef,
    /// Which read back this is (a probation mark names it: a record id
    /// comes back when a value is demoted for free and read again).
    load: u64,
}

/// The read number of the clean copy of `key` of `db` ([`CleanCopy::load`]),
/// which dates a `CLEAN_PREPAID` mark (see `TierStats::prepaid_before`).
fn read_number(clean: &super::CleanCopies, db: usize, key: &[u8]) -> Option<u64> {
    clean.get(&(db, Key::from(key))).map(|cc| cc.load)
}

/// Puts `value`, just read from record `r`, into `e` (the entry of `key`
/// of `db`) and keeps the record as its clean copy; `state` says whether
/// the command that needs it has looked it up yet. Returns the read's
/// number (see [`CleanCopy::load`]).
#[allow(clippy::too_many_arguments)]
fn keep_clean(
    tier: &mut TierStats,
    clean: &mut super::CleanCopies,
    c: &mut ColdStore,
    e: &mut Entry,
    db: usize,
    key: &[u8],
    value: Value,
    r: ColdRef,
    state: u8,
) -> u64 {
    e.value = value;
    e.clean = state;
    c.promoted_clean(&r);
    tier.loads += 1;
    let load = tier.loads;
    clean.insert((db, Key::from(key)), CleanCopy { r, load });
    tier.list_hot(db, key, &e.value);
    load
}

/// The reverse of [`keep_clean`]: `e`, an unchanged copy of record `r`
/// (already taken out of the clean table), points back at the record and
/// drops its RAM copy; no write is needed.
fn point_back(c: &mut ColdStore, e: &mut Entry, r: ColdRef) {
    e.clean = NOT_CLEAN;
    c.redemoted(&r);
    // Freed inline, so the caller's used_memory reading sees the bytes go.
    drop(std::mem::replace(&mut e.value, Value::Cold(r)));
}

impl Keyspace {
    /// Turns tiering on with `store` as the cold tier.
    pub fn attach_cold(&mut self, store: ColdStore) {
        self.cold = Some(Box::new(store));
    }

    pub fn cold(&self) -> Option<&ColdStore> {
        self.cold.as_deref()
    }

    pub fn cold_mut(&mut self) -> Option<&mut ColdStore> {
        self.cold.as_deref_mut()
    }

    /// Shows the hit-ratio estimator a command's use of `e`, the entry of
    /// `key` of `db`, if the key is in its sample.
    #[inline]
    pub(super) fn sample_access(&mut self, db: usize, key: &[u8], e: &Entry, read: bool) {
        let Some(h) = self.estimator.sampled(db, key) else {
            return;
        };
        let size = match &e.value {
            // Its size in RAM as last seen; the record's size otherwise.
            Value::Cold(r) => self.estimator.known_size(h).unwrap_or(r.size as usize),
            v => v.heap_size(),
        };
        let touch = if read { Touch::Read } else { Touch::Modify };
        self.estimator.record(h, size, lfu::counter(e.lru), touch);
    }

    /// The estimator's hash of `key` of `db` and the size of `value`, if
    /// the key is in its sample: a blind write is about to store `value`.
    #[inline]
    pub(super) fn blind_sample(
        &self,
        db: usize,
        key: &[u8],
        value: &Value,
    ) -> Option<(u64, usize)> {
        self.cold.as_ref()?;
        let h = self.estimator.sampled(db, key)?;
        Some((h, value.heap_size()))
    }

    /// One step of the estimator's pass over the key space that sums the
    /// bytes of the hot values that may be demoted (what a smaller or
    /// larger `maxmemory` would change): about 1/64 of the keys a call
    /// (1,024 to 8,192), so at `hz` 10 a pass takes about 6 seconds, up to
    /// 25 s at 2M keys; cron calls it.
    pub fn estimator_step(&mut self) {
        if self.cold.is_none() {
            return;
        }
        let n = self.dbs.len();
        let min = self.estimator.min_value_size;
        // At most 8192 entries a tick (a few hundred µs under the lock):
        // on a big key space a pass takes longer, and the sum changes
        // slowly anyway.
        let budget = (self.total_keys() / 64).clamp(1024, 8192);
        let mut seen = 0u64;
        let mut visited = 0;
        while seen < budget && visited <= n {
            let est = &mut self.estimator;
            let db = est.scan_db % n;
            let d = &self.dbs[db];
            // What a cold key costs: its record in the cold-key table (the
            // table's bytes, pages and buckets, shared out), or where it
            // still sits in the main table its node and bucket share and a
            // key too long for the node; and the expiry record (node,
            // bucket share, another copy of a long key).
            let node = table_share(&d.main);
            let resting = d.cold.bytes_per_key();
            let expiry = table_share(&d.volatile);
            let (mut sum, mut count, mut cold, mut cold_bytes) = (0u64, 0u64, 0u64, 0u64);
            let mut unsettled = Vec::new();
            est.scan_cursor = d.scan_in(est.scan_cursor, |k, e, at_rest| {
                count += 1;
                if e.value.is_cold() {
                    let long_key = k.heap_size() as u64;
                    cold += 1;
                    cold_bytes += if at_rest { resting } else { node + long_key };
                    if e.has_expire() {
                        cold_bytes += expiry + long_key;
                    }
                    if !at_rest {
                        // A cold key left in the main table (one whose
                        // read back failed, say; header lookups go back at
                        // the next tick): it goes back to rest.
                        unsettled.push(k.clone());
                    }
                    return;
                }
                let s = e.value.heap_size();
                if s >= min && s > 0 {
                    sum += s as u64;
                }
            });
            for k in unsettled {
                self.dbs[db].settle(&k);
            }
            let est = &mut self.estimator;
            est.scan_sum += sum;
            self.tier.cold_scan.0 += cold;
            self.tier.cold_scan.1 += cold_bytes;
            seen += count.max(1);
            if est.scan_cursor == 0 {
                visited += 1;
                est.scan_db = db + 1;
                if est.scan_db == n {
                    est.scan_db = 0;
                    est.hot_value_bytes = Some(std::mem::take(&mut est.scan_sum));
                    self.tier.cold_key_ram = Some(std::mem::take(&mut self.tier.cold_scan));
                    break;
                }
            }
        }
    }

    /// Loads `e`, the entry of `key` of `db`, back into RAM. After a read
    /// lookup the record stays as the value's clean copy; after a write
    /// lookup the value is about to change, so the record goes.
    pub(super) fn promote(&mut self, db: usize, key: &[u8], e: &mut Entry, read: bool) {
        let Value::Cold(r) = &e.value else {
            return;
        };
        let r = r.clone();
        let Some(c) = self.cold.as_deref_mut() else {
            return;
        };
        match c.load(&r) {
            Ok(v) => {
                self.tier.sync_loads += 1;
                if read {
                    let load =
                        keep_clean(&mut self.tier, &mut self.clean, c, e, db, key, v, r, CLEAN);
                    self.admission.consider(db, key, load);
                } else {
                    e.value = v;
                    c.forget(&r);
                    c.stats.promotions += 1;
                    self.tier.list_hot(db, key, &e.value);
                }
            }
            Err(err) => {
                self.tier.failed_loads += 1;
                self.tier.last_error = Some(err);
            }
        }
    }

    /// Loads the cold value of `key` of `db` into RAM, if it is cold (the
    /// snapshot writer and DEBUG use the value without a lookup).
    pub fn promote_key(&mut self, db: usize, key: &[u8]) {
        let p: Option<*mut Entry> = self.dbs[db].entry_mut(key).map(|e| e as *mut Entry);
        if let Some(e) = p {
            // SAFETY: the pointer comes from the table of `self.dbs`;
            // `promote` touches only the cold store, the clean table and
            // the counters, never the tables, so the entry stays where it
            // is.
            self.promote(db, key, unsafe { &mut *e }, false);
        }
    }

    /// The cold reference of `key` of `db`, if it is live and cold (what
    /// an asynchronous load would fetch before a command runs).
    pub fn cold_ref_of(&self, db: usize, key: &[u8], now_ms: i64) -> Option<ColdRef> {
        let d = self.dbs.get(db)?;
        let e = d.peek(key)?;
        match &e.value {
            Value::Cold(r) if !d.is_expired(key, &e, now_ms) => Some(r.clone()),
            _ => None,
        }
    }

    /// Puts a value loaded off the command thread back into `key` of `db`,
    /// if the entry still refers to record `id` (it may have been deleted,
    /// overwritten, renamed or already promoted meanwhile: then the loaded
    /// value is simply dropped). True if installed.
    pub fn install_loaded(
        &mut self,
        db: usize,
        key: &[u8],
        id: u64,
        value: Value,
        read_us: u64,
    ) -> bool {
        let Some(c) = self.cold.as_deref_mut() else {
            return false;
        };
        // (A key resting in the cold-key table moves back only for the
        // value it waits for.)
        let Some(e) = self
            .dbs
            .get_mut(db)
            .and_then(|d| d.entry_with_record(key, id))
        else {
            return false;
        };
        match &e.value {
            Value::Cold(r) if r.id == id => {
                // Loaded ahead of the command: it may only read the value;
                // a write lookup drops the clean copy.
                let r = r.clone();
                c.loaded(read_us);
                let load = keep_clean(
                    &mut self.tier,
                    &mut self.clean,
                    c,
                    e,
                    db,
                    key,
                    value,
                    r,
                    CLEAN_PREPAID,
                );
                self.admission.consider(db, key, load);
                true
            }
            _ => false,
        }
    }

    /// The tier's periodic upkeep (the server's cron): ages the
    /// `CLEAN_PREPAID` marks, takes in finished demotion batches, and
    /// sweeps the hot list once it is more than half stale (keys deleted,
    /// demoted or listed twice), a slice per call, so the list stays
    /// within about twice the hot keys even when no demotion runs, and no
    /// call holds the lock for a whole pass; and moves the cold keys whose
    /// headers alone were looked up back into the cold-key table.
    pub fn tier_cron(&mut self) {
        self.tier.prepaid_before = std::mem::replace(&mut self.tier.prepaid_last, self.tier.loads);
        self.reap_demotions(false);
        if self.tier.hot_active {
            let hot = self.hot_keys() as usize;
            if self.tier.sweep.is_none() && self.tier.hot.len() > 2 * hot + 64 {
                self.tier.sweep = Some(Sweep::default());
            }
            self.sweep_hot_list(SWEEP_SLICE);
        }
        for (db, key) in std::mem::take(&mut self.tier.looked_at) {
            if let Some(d) = self.dbs.get_mut(db) {
                d.settle(&key);
            }
        }
        self.trim_bookkeeping();
    }

    /// Gives back the room of bookkeeping that once held many more
    /// entries than it does now (a hot list of every key while the data
    /// fitted in RAM, the clean copies of a read-mostly phase): a
    /// collection never shrinks by itself, and at `maxmemory` every byte it
    /// keeps is a hot value less. Seen in a `maxmemory` sweep from 100% to
    /// 5% of 500,000 keys: 26 MB held, more than the cold keys' 22 MB.
    fn trim_bookkeeping(&mut self) {
        fn wasteful(len: usize, capacity: usize) -> bool {
            capacity > 4 * len + 4096
        }
        let hot = &mut self.tier.hot;
        if self.tier.sweep.is_none() && wasteful(hot.len(), hot.capacity()) {
            hot.shrink_to(hot.len() + hot.len() / 4);
        }
        if wasteful(self.clean.len(), self.clean.capacity()) {
            self.clean
                .shrink_to(self.clean.len() + self.clean.len() / 4);
        }
        let probation = &mut self.admission.probation;
        if wasteful(probation.len(), probation.capacity()) {
            probation.shrink_to(probation.len() + probation.len() / 4);
        }
        let demoting = &mut self.tier.demoting;
        if wasteful(demoting.len(), demoting.capacity()) {
            demoting.shrink_to(demoting.len() + demoting.len() / 4);
        }
    }

    /// True if a `CLEAN_PREPAID` mark on `key` of `db` is current: its
    /// read is not older than a cron tick (see `prepaid_before`).
    pub(super) fn prepaid_current(&self, db: usize, key: &[u8]) -> bool {
        read_number(&self.clean, db, key).is_some_and(|r| r > self.tier.prepaid_before)
    }

    /// The clean copy of `key` of `db` is stale (the value changed, moved
    /// or went away): its record becomes garbage.
    pub(super) fn drop_clean(&mut self, db: usize, key: &[u8]) {
        if let Some(cc) = self.clean.remove(&(db, Key::from(key))) {
            if let Some(c) = self.cold.as_deref_mut() {
                c.drop_copy(&cc.r);
            }
        }
    }

    /// A read changed the representation of `key`'s value in place (SORT
    /// turns a compact sorted set into a skiplist, as Redis does): its
    /// cold copy no longer matches.
    pub fn changed_in_place(&mut self, db: usize, key: &[u8]) {
        if let Some(e) = self.dbs.get_mut(db).and_then(|d| d.main.get_mut(key)) {
            if e.clean != NOT_CLEAN {
                e.clean = NOT_CLEAN;
                self.drop_clean(db, key);
            }
        }
    }

    /// SWAPDB: clean copies follow their databases.
    pub(super) fn swap_clean(&mut self, a: usize, b: usize) {
        if self.clean.is_empty() || a == b {
            return;
        }
        let old = std::mem::take(&mut self.clean);
        self.clean = old
            .into_iter()
            .map(|((d, k), r)| {
                let d = if d == a {
                    b
                } else if d == b {
                    a
                } else {
                    d
                };
                ((d, k), r)
            })
            .collect();
    }

    /// `key` of `db` got a new value in place of `old`: a cold old value's
    /// record, or the clean copy of a hot one (`was_clean`), is garbage.
    pub(super) fn replaced(&mut self, db: usize, key: &[u8], old: &Value, was_clean: bool) {
        if was_clean {
            self.drop_clean(db, key);
        }
        self.discard(old);
        // A listable old value was listed already.
        if self.tier.hot_active && !self.tier.listable(old) {
            if let Some(e) = self.dbs[db].main.get(key) {
                self.tier.list_hot(db, key, &e.value);
            }
        }
    }

    /// The value `v` (just removed or replaced) is gone: a cold one's
    /// record becomes garbage.
    pub(super) fn discard(&mut self, v: &Value) {
        if let (Value::Cold(r), Some(c)) = (v, self.cold.as_deref_mut()) {
            c.forget(r);
        }
    }

    /// Every cold value of `db` is about to go (FLUSHDB, FLUSHALL).
    pub(super) fn forget_cold_of(&mut self, db: usize) {
        // The hot list's entries of `db` go too (a compare each, no
        // lookup), so the next demotion does not have to find them stale.
        if !self.tier.hot.is_empty() {
            self.tier.hot.retain(|(d, _)| *d != db);
            self.tier.sweep = None;
        }
        let Some(c) = self.cold.as_deref_mut() else {
            return;
        };
        if !self.clean.is_empty() {
            self.clean.retain(|(d, _), cc| {
                if *d == db {
                    c.drop_copy(&cc.r);
                }
                *d != db
            });
        }
        if c.stats.cold_keys == 0 {
            return;
        }
        self.dbs[db].for_each(|_, e| {
            if let Value::Cold(r) = &e.value {
                c.forget(r);
            }
        });
    }

    /// Reads the RDB object bytes of a cold value (for a snapshot or a
    /// dump that streams it without decoding).
    pub fn cold_object(&self, r: &ColdRef) -> Result<Vec<u8>, String> {
        match self.cold.as_deref() {
            Some(c) => c.read_object(r),
            None => Err("tiering is off".into()),
        }
    }

    /// Decodes the value behind `r` without promoting it.
    pub fn cold_value(&mut self, r: &ColdRef) -> Result<Value, String> {
        match self.cold.as_deref_mut() {
            Some(c) => c.load(r),
            None => Err("tiering is off".into()),
        }
    }

    /// Keys whose values are cold, and all keys, over every database.
    pub fn cold_keys(&self) -> u64 {
        self.cold.as_deref().map_or(0, |c| c.stats.cold_keys)
    }

    /// Keys whose values are in RAM.
    pub fn hot_keys(&self) -> u64 {
        self.total_keys().saturating_sub(self.cold_keys())
    }

    pub fn total_keys(&self) -> u64 {
        self.dbs.iter().map(|d| d.len() as u64).sum()
    }

    /// Demotes up to `max` of the coldest hot values of at least
    /// `min_size` bytes, chosen from samples of `samples` keys per database.
    pub fn demote_round(
        &mut self,
        samples: usize,
        min_size: usize,
        max: usize,
        now_ms: i64,
    ) -> Demoted {
        self.demote_round_over(samples, min_size, max, now_ms, u64::MAX)
    }

    /// [`demote_round`](Self::demote_round) for a hot tier `over` bytes
    /// over its budget: values on probation go first, and when values
    /// loaded for commands that have not run yet account for the excess
    /// (up to [`PREPAID_SLACK`] bytes of them), no hot value is demoted
    /// for them ([`Demoted::deferred`]): they leave, for free, once their
    /// commands have run. Otherwise every cold read a key had only once
    /// would push a hot value out before its own value left.
    pub fn demote_round_over(
        &mut self,
        samples: usize,
        min_size: usize,
        max: usize,
        now_ms: i64,
        over: u64,
    ) -> Demoted {
        let mut out = Demoted::default();
        if self.cold.is_none() {
            out.exhausted = true;
            return out;
        }
        if min_size != self.tier.min_size {
            // Which strings the list holds depends on it: rebuild.
            self.tier.min_size = min_size;
            self.tier.hot_active = false;
        }
        self.reap_demotions(false);
        if std::mem::take(&mut self.tier.write_failed) {
            // The cold tier refuses writes (a full disk): stop here, as a
            // failed write did before writes moved off this thread.
            out.exhausted = true;
            return out;
        }
        let waiting;
        (out.values, waiting) = self.demote_probation(max);
        if out.values == max {
            return out;
        }
        if over <= waiting.min(PREPAID_SLACK) {
            out.deferred = true;
            return out;
        }
        let max = max - out.values;
        let mut picked: Vec<(usize, Key)> = Vec::with_capacity(max);
        // Keys picked in this round are not candidates again; the attempts
        // are bounded all the same, and a few repeats (a walk's find)
        // mean that fewer hot values than `max` qualify (with keys alone
        // near `maxmemory`, every command asks for a round).
        let mut repeats = 0;
        for _ in 0..max * 2 {
            match self.demotion_candidate(samples, min_size, now_ms, &picked) {
                Some(c) => {
                    if !picked.contains(&c) {
                        picked.push(c);
                        if picked.len() == max {
                            break;
                        }
                    } else {
                        repeats += 1;
                        if repeats > MAX_REPEATS + 2 * picked.len() {
                            break;
                        }
                    }
                }
                None => {
                    out.exhausted = picked.is_empty();
                    break;
                }
            }
        }
        if picked.is_empty() {
            return out;
        }
        let Some(c) = self.cold.as_deref_mut() else {
            return out;
        };
        let mut records = Vec::with_capacity(picked.len());
        let mut items = Vec::with_capacity(picked.len());
        let mut bytes = 0u64;
        let seq = self.tier.batches + 1;
        for (db, key) in picked {
            let Some(e) = self.dbs[db].main.get_mut(key.as_bytes()) else {
                continue;
            };
            if e.clean != NOT_CLEAN {
                // Unchanged since its promotion: point back at its record.
                e.clean = NOT_CLEAN;
                if let Some(cc) = self.clean.remove(&(db, key.clone())) {
                    point_back(c, e, cc.r);
                    self.dbs[db].settle(key.as_bytes());
                    out.values += 1;
                    continue;
                }
            }
            if let Some((r, rec)) = c.encode(&e.value) {
                bytes += (e.value.heap_size() + rec.len()) as u64;
                e.clean = DEMOTING;
                self.tier.demoting.insert((db, key.clone()), seq);
                items.push((db, key, r.clone(), rec.len() - crate::cold::HEADER));
                records.push((r.id, rec));
            }
        }
        if records.is_empty() {
            return out;
        }
        out.values += items.len();
        self.tier.batches = seq;
        c.submit(seq, records);
        self.tier.inflight.push_back(Pending { seq, items, bytes });
        // Past the bound, wait for the writer: commands that need room go
        // at the disk's pace.
        while self.tier.inflight.len() > MAX_INFLIGHT_BATCHES
            || (self.tier.inflight.len() > 1 && self.demoting_bytes() > MAX_INFLIGHT_BYTES)
        {
            if !self.reap_one(true) {
                break;
            }
        }
        out
    }

    /// Takes in the demotion batches the writer has finished (waiting for
    /// every one if `wait`): a value that did not change while it was
    /// being written drops to its record; one that changed, moved or went
    /// away stays as it is, and its record becomes garbage. If a batch
    /// failed, its values stay hot and the next round reports exhaustion.
    pub fn reap_demotions(&mut self, wait: bool) {
        #[cfg(test)]
        if self.tier.hold_reaps && !wait {
            return;
        }
        while !self.tier.inflight.is_empty() && self.reap_one(wait) {}
    }

    /// One finished batch, if there is one (waiting for it if `wait`).
    fn reap_one(&mut self, wait: bool) -> bool {
        let Some(c) = self.cold.as_deref_mut() else {
            return false;
        };
        let Some((seq, result)) = c.written(wait) else {
            return false;
        };
        let Some(p) = self.tier.inflight.pop_front() else {
            return false;
        };
        debug_assert_eq!(p.seq, seq, "batches finish in order");
        let ok = match result {
            Ok(()) => true,
            Err(err) => {
                self.tier.last_error = Some(err);
                self.tier.write_failed = true;
                false
            }
        };
        for (db, key, r, stored) in p.items {
            let slot = (db, key);
            let latest = self.tier.demoting.get(&slot) == Some(&p.seq);
            if latest {
                self.tier.demoting.remove(&slot);
            }
            match self
                .dbs
                .get_mut(db)
                .and_then(|d| d.main.get_mut(slot.1.as_bytes()))
            {
                Some(e) if latest && e.clean == DEMOTING => {
                    e.clean = NOT_CLEAN;
                    if ok {
                        c.demoted(&r, stored);
                        // Freed inline, so the caller's used_memory reading
                        // sees the bytes go.
                        drop(std::mem::replace(&mut e.value, Value::Cold(r)));
                        self.dbs[db].settle(slot.1.as_bytes());
                    }
                }
                _ if ok => c.unused(r.id),
                _ => {}
            }
        }
        true
    }

    /// Demotes every value that qualifies (`tiering-force-cold`), and
    /// waits for the writes; with `inflight`, every other call leaves its
    /// last batches being written instead, so the next command meets
    /// values in flight rather than cold ones.
    pub fn force_cold(
        &mut self,
        samples: usize,
        min_size: usize,
        batch: usize,
        now_ms: i64,
        inflight: bool,
    ) {
        self.tier.force_calls = self.tier.force_calls.wrapping_add(1);
        if !inflight || self.tier.force_calls % 2 == 0 {
            self.demote_while(samples, min_size, batch, now_ms, || true);
            return;
        }
        self.reap_demotions(true);
        loop {
            let round = self.demote_round(samples, min_size, batch, now_ms);
            if round.exhausted || round.values == 0 {
                break;
            }
        }
    }

    /// RAM that demotions being written will free (their values and
    /// records; a few batches at most).
    pub fn demoting_bytes(&self) -> u64 {
        self.tier.inflight.iter().map(|p| p.bytes).sum()
    }

    /// Values being written to the cold tier (`demotion_queue`).
    pub fn demotion_queue(&self) -> usize {
        self.tier.inflight.iter().map(|p| p.items.len()).sum()
    }

    /// Demotes up to `max` values on probation that are still unchanged
    /// copies of their records (one that changed is an ordinary hot value
    /// now); no write is needed. Returns how many, and the bytes of the
    /// values met that wait for their commands.
    fn demote_probation(&mut self, max: usize) -> (usize, u64) {
        let mut done = 0;
        let mut waiting_bytes = 0;
        // Values loaded for a command that has not run yet stay until it
        // has (demoting them now would make the command read them again,
        // on the command thread); they keep their place in the queue.
        let mut waiting = Vec::new();
        while done < max {
            let Some((db, key, load)) = self.admission.probation.pop_front() else {
                break;
            };
            let Some(e) = self
                .dbs
                .get_mut(db)
                .and_then(|d| d.main.get_mut(key.as_bytes()))
            else {
                continue;
            };
            if e.clean == NOT_CLEAN {
                continue;
            }
            if e.clean == CLEAN_PREPAID && load > self.tier.prepaid_before {
                waiting_bytes += e.value.heap_size() as u64;
                waiting.push((db, key, load));
                continue;
            }
            let slot = (db, key);
            if self.clean.get(&slot).is_none_or(|cc| cc.load != load) {
                continue;
            }
            let (Some(cc), Some(c)) = (self.clean.remove(&slot), self.cold.as_deref_mut()) else {
                continue;
            };
            point_back(c, e, cc.r);
            self.dbs[slot.0].settle(slot.1.as_bytes());
            self.admission.probation_demotions += 1;
            done += 1;
        }
        for w in waiting.into_iter().rev() {
            self.admission.probation.push_front(w);
        }
        (done, waiting_bytes)
    }

    /// Demotes rounds of up to `batch` values while `more()` says so and
    /// something is left to demote.
    pub fn demote_while(
        &mut self,
        samples: usize,
        min_size: usize,
        batch: usize,
        now_ms: i64,
        mut more: impl FnMut() -> bool,
    ) {
        while more() {
            let round = self.demote_round(samples, min_size, batch, now_ms);
            // Its callers need the values out of RAM now.
            self.reap_demotions(true);
            if round.exhausted || round.values == 0 {
                break;
            }
        }
        self.reap_demotions(true);
    }

    /// The next value to demote: the lowest LFU counter among sampled hot
    /// values of at least `min_size` bytes, other than those `picked`.
    fn demotion_candidate(
        &mut self,
        samples: usize,
        min_size: usize,
        now_ms: i64,
        picked: &[(usize, Key)],
    ) -> Option<(usize, Key)> {
        let n = self.dbs.len();
        let now = now_ms.max(0) as u64;
        let params = self.lfu;
        if self.hot_keys() == 0 {
            return None;
        }
        if !self.tier.hot_active {
            self.rebuild_hot_list();
        }
        // A value loaded for a command that has not run yet stays until it
        // has (or until its mark is older than a cron tick: see
        // `prepaid_before`).
        let (clean, before) = (&self.clean, self.tier.prepaid_before);
        let qualifies = |db: usize, k: &Key, e: &Entry| {
            !e.value.is_cold()
                && e.clean != DEMOTING
                && e.value.heap_size() >= min_size
                && (e.clean != CLEAN_PREPAID
                    || read_number(clean, db, k).is_some_and(|r| r <= before))
        };
        // Sample the hot list: entries gone cold, deleted, or strings too
        // small to list leave it as they are met (and do not count as
        // probes: a list made stale by a mass deletion is cleared by the
        // candidates that meet it, a little each).
        let min_listed = self.tier.min_size;
        let mut stale = 0;
        for _ in 0..4 {
            let pool = &mut self.evict_pool;
            let tier = &mut self.tier;
            let mut probes = 0;
            let mut offered = 0;
            while offered < samples.max(1)
                && probes < samples.max(1) * HOT_PROBES
                && stale < MAX_STALE_PROBES
                && !tier.hot.is_empty()
            {
                // Draw the next samples together and ask for their table
                // entries at once: each lookup is a cache miss or two on
                // a big table, and their misses then overlap instead of
                // coming one after another.
                let mut draw = [0usize; SAMPLE_BATCH];
                let n = (samples.max(1) - offered).clamp(1, SAMPLE_BATCH);
                for d in &mut draw[..n] {
                    *d = self.rng.gen_range(0..tier.hot.len());
                }
                prefetch_listed(&self.dbs, &tier.hot, &draw[..n]);
                for &i in &draw[..n] {
                    // An earlier sample of this draw may have left the
                    // list and moved its last entry.
                    let Some((db, k)) = tier.hot.get(i) else {
                        continue;
                    };
                    match self.dbs.get(*db).and_then(|d| d.main.get(k.as_bytes())) {
                        Some(e) if listable(min_listed, &e.value) => {
                            probes += 1;
                            if qualifies(*db, k, e) {
                                pool.offer(
                                    255 - lfu::decayed_counter(e.lru, params, now) as u64,
                                    *db,
                                    k,
                                );
                                offered += 1;
                            }
                        }
                        _ => {
                            stale += 1;
                            tier.unlist(i);
                        }
                    }
                }
            }
            if tier.hot.is_empty() {
                break;
            }
            while let Some((_, db, key)) = self.evict_pool.entries.pop() {
                if !picked.iter().any(|(d, k)| *d == db && *k == key)
                    && self.dbs[db]
                        .main
                        .get(key.as_bytes())
                        .is_some_and(|e| qualifies(db, &key, e))
                {
                    return Some((db, key));
                }
            }
        }
        // The list found nothing: every listed value is cold, a small
        // collection, or loaded for a command not run yet. What it cannot
        // hold is a string that grew in place past the size limit (APPEND,
        // SETRANGE): walk on from where the last walk stopped, a few
        // buckets every 16th call, so such strings are found in time
        // without a walk on every call when nothing is left.
        self.tier.walk_calls = self.tier.walk_calls.wrapping_add(1);
        if self.tier.walk_calls % 16 != 0 {
            return None;
        }
        let mut found = None;
        for _ in 0..WALK_BUCKETS {
            let db = self.tier.walk_db % n;
            let d = &self.dbs[db];
            self.tier.walk_cursor = d.main.scan(self.tier.walk_cursor, |k, e| {
                if found.is_none() && qualifies(db, k, e) {
                    found = Some((db, k.clone()));
                }
            });
            if self.tier.walk_cursor == 0 {
                self.tier.walk_db = (db + 1) % n;
            }
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Lists every hot value (the first demotion, or after
    /// `tiering-min-value-size` changed): one pass over the keys.
    fn rebuild_hot_list(&mut self) {
        let tier = &mut self.tier;
        tier.hot.clear();
        tier.sweep = None;
        tier.hot_active = true;
        for (i, d) in self.dbs.iter().enumerate() {
            for (k, e) in d.main.iter() {
                if tier.listable(&e.value) {
                    tier.hot.push((i, k.clone()));
                }
            }
        }
    }

    /// Checks up to `budget` hot-list entries of the pass under way:
    /// entries gone, cold, too small to list or listed twice (a key
    /// deleted and created again) leave the list. Ends the pass at the end
    /// of the list.
    fn sweep_hot_list(&mut self, budget: usize) {
        let tier = &mut self.tier;
        let Some(sw) = tier.sweep.as_mut() else {
            return;
        };
        let min = tier.min_size;
        for _ in 0..budget {
            let Some((db, k)) = tier.hot.get(sw.at) else {
                tier.sweep = None;
                return;
            };
            let live = self
                .dbs
                .get(*db)
                .and_then(|d| d.main.get(k.as_bytes()))
                .is_some_and(|e| listable(min, &e.value));
            if live && sw.seen.insert((*db, k.clone())) {
                sw.at += 1;
            } else {
                // The last entry moves here and is checked next.
                tier.hot.swap_remove(sw.at);
            }
        }
    }

    /// SWAPDB: the listed keys of `a` and `b`, and the values being
    /// demoted, trade databases.
    pub(super) fn swap_tier_dbs(&mut self, a: usize, b: usize) {
        let swap = |db: &mut usize| {
            if *db == a {
                *db = b;
            } else if *db == b {
                *db = a;
            }
        };
        for (db, _) in &mut self.tier.hot {
            swap(db);
        }
        // The pass's keys were named by database: start it over.
        self.tier.sweep = None;
        for p in &mut self.tier.inflight {
            for (db, ..) in &mut p.items {
                swap(db);
            }
        }
        if !self.tier.demoting.is_empty() {
            let old = std::mem::take(&mut self.tier.demoting);
            self.tier.demoting = old
                .into_iter()
                .map(|((mut db, k), seq)| {
                    swap(&mut db);
                    ((db, k), seq)
                })
                .collect();
        }
    }

    /// RAM one cold key takes on average, measured by the last pass of the
    /// cron over the keys ([`estimator_step`](Self::estimator_step)): its
    /// share of the cold-key table (or, for one not at rest, its node,
    /// bucket share and a key too long for the node) and its expiry
    /// record. Before the first pass finds cold keys, the cold-key table's
    /// bytes per key of database 0, or a main-table node and bucket share
    /// while that table is empty.
    pub fn ram_per_cold_key(&self) -> u64 {
        match self.tier.cold_key_ram {
            Some((n, bytes)) if n > 0 => bytes / n,
            _ if !self.dbs[0].cold.is_empty() => self.dbs[0].cold.bytes_per_key(),
            _ => table_share(&self.dbs[0].main),
        }
    }

    /// Entries in the hot list (for INFO and tests).
    pub fn hot_list_len(&self) -> usize {
        self.tier.hot.len()
    }

    /// Room the hot list and the clean-copy table hold (tests).
    #[cfg(test)]
    pub(super) fn bookkeeping_capacity(&self) -> (usize, usize) {
        (self.tier.hot.capacity(), self.clean.capacity())
    }
}
