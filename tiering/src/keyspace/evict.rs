//! Choosing the key to evict when the dataset is over `maxmemory` and
//! tiering is off: Redis's approximated eviction, policy by policy.
//!
//! Redis never looks at every key. For the LRU, LFU and TTL policies it
//! keeps a small *pool* of the best candidates seen so far (16 entries,
//! ordered by "idleness": milliseconds idle for LRU, `255 - counter` for
//! LFU, `u64::MAX - expire time` for TTL). Each round samples
//! `maxmemory-samples` keys from every database (from all keys, or from
//! the keys with an expiry for the `volatile-*` policies), merges them into
//! the pool, and evicts the pool's idlest entry that still exists. The
//! pool outlives the round, so candidates seen earlier keep competing: the
//! result approaches true LRU/LFU as samples grow, at a fixed cost per
//! eviction. The random policies take one random key, visiting the
//! databases round robin.
//!
//! The same sampling is what demotion to the cold tier will use to pick
//! cold values; only what happens to the chosen key differs.

use super::{Entry, Key, Keyspace};
use crate::lfu;

/// `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    VolatileLru,
    AllKeysLfu,
    VolatileLfu,
    AllKeysRandom,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    /// The policy a `maxmemory-policy` value names (the config layer has
    /// already refused anything else; unknown text means no eviction).
    pub fn parse(s: &str) -> Policy {
        match s {
            "allkeys-lru" => Policy::AllKeysLru,
            "volatile-lru" => Policy::VolatileLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "volatile-lfu" => Policy::VolatileLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    /// Only keys with an expiry are candidates.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }
}

/// Entries the pool keeps between rounds (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// The best candidates seen so far, idlest last.
#[derive(Default)]
pub(crate) struct Pool {
    pub(super) entries: Vec<(u64, usize, Key)>,
}

impl Pool {
    /// Merges one sampled key: it goes after every entry strictly less
    /// idle; a full pool drops its least idle entry, or the newcomer when
    /// the newcomer is the least idle of all.
    pub(super) fn offer(&mut self, idle: u64, db: usize, key: &Key) {
        let k = self.entries.partition_point(|e| e.0 < idle);
        if k == 0 && self.entries.len() == POOL_SIZE {
            return;
        }
        self.entries.insert(k, (idle, db, key.clone()));
        if self.entries.len() > POOL_SIZE {
            self.entries.remove(0);
        }
    }
}

impl Keyspace {
    /// The key `policy` evicts next, or `None` when it has no candidate
    /// (no keys at all, or no keys with an expiry for `volatile-*`), in
    /// which case the caller answers `-OOM`.
    pub fn eviction_candidate(
        &mut self,
        policy: Policy,
        samples: usize,
        now_ms: i64,
    ) -> Option<(usize, Key)> {
        let volatile = policy.volatile_only();
        let n = self.dbs.len();
        match policy {
            Policy::NoEviction => None,
            Policy::AllKeysRandom | Policy::VolatileRandom => {
                for _ in 0..n {
                    self.evict_next_db = (self.evict_next_db + 1) % n;
                    let d = &self.dbs[self.evict_next_db];
                    let key = if volatile {
                        d.volatile
                            .random_entry(&mut self.rng)
                            .map(|(k, _)| k.clone())
                    } else {
                        d.random_entry(&mut self.rng).map(|(k, _)| k)
                    };
                    if let Some(k) = key {
                        return Some((self.evict_next_db, k));
                    }
                }
                None
            }
            _ => loop {
                let mut total = 0;
                for i in 0..n {
                    let d = &self.dbs[i];
                    let size = if volatile { d.volatile.len() } else { d.len() };
                    if size == 0 {
                        continue;
                    }
                    total += size;
                    self.populate_pool(i, policy, samples, now_ms);
                }
                if total == 0 {
                    return None;
                }
                // Idlest first; entries whose key has gone since they were
                // sampled are dropped on the way.
                while let Some((_, db, key)) = self.evict_pool.entries.pop() {
                    let d = &self.dbs[db];
                    let live = if volatile {
                        d.volatile.contains_key(key.as_bytes())
                    } else {
                        d.contains(key.as_bytes())
                    };
                    if live {
                        return Some((db, key));
                    }
                }
            },
        }
    }

    fn populate_pool(&mut self, db: usize, policy: Policy, samples: usize, now_ms: i64) {
        let now = now_ms.max(0) as u64;
        let params = self.lfu;
        let d = &self.dbs[db];
        let pool = &mut self.evict_pool;
        let idle_of = |e: &Entry| match policy {
            Policy::AllKeysLfu | Policy::VolatileLfu => {
                255 - lfu::decayed_counter(e.lru, params, now) as u64
            }
            _ => lfu::idle_ms(e.lru, now),
        };
        if policy.volatile_only() {
            d.volatile.sample(&mut self.rng, samples, |k, &when| {
                let idle = if policy == Policy::VolatileTtl {
                    u64::MAX - when.max(0) as u64
                } else {
                    match d.peek(k.as_bytes()) {
                        Some(e) => idle_of(&e),
                        None => return true,
                    }
                };
                pool.offer(idle, db, k);
                true
            });
        } else {
            // (Eviction runs with tiering off: no key rests in the
            // cold-key table.)
            d.main.sample(&mut self.rng, samples, |k, e| {
                pool.offer(idle_of(e), db, k);
                true
            });
        }
    }

    /// Removes an evicted key (whatever its expiry), returning its entry.
    pub fn evict(&mut self, db: usize, key: &[u8]) -> Option<Entry> {
        let e = self.remove_raw(db, key).map(|(e, _)| e)?;
        self.discard(&e.value);
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn ks_with(n: usize) -> Keyspace {
        let mut ks = Keyspace::new(2);
        for i in 0..n {
            ks.set(
                0,
                format!("k{i}").as_bytes(),
                Value::Str(crate::value::StrValue::from_bytes(b"v")),
                false,
                1,
            );
        }
        ks
    }

    #[test]
    fn pool_keeps_the_idlest_sorted() {
        let mut p = Pool::default();
        for i in 0..40u64 {
            p.offer((i * 7919) % 97, 0, &Key::new(format!("{i}").as_bytes()));
        }
        assert_eq!(p.entries.len(), POOL_SIZE);
        let idles: Vec<u64> = p.entries.iter().map(|e| e.0).collect();
        let mut all: Vec<u64> = (0..40u64).map(|i| (i * 7919) % 97).collect();
        all.sort();
        assert_eq!(idles, all[40 - POOL_SIZE..]);
        // Less idle than everything in a full pool: not admitted.
        p.offer(0, 0, &Key::new(b"cold"));
        assert!(p.entries.iter().all(|e| e.2.as_bytes() != b"cold"));
    }

    #[test]
    fn lru_prefers_keys_idle_longest() {
        let mut ks = ks_with(0);
        // 1000 keys last touched an hour ago, 100 touched now. Sampling is
        // random, so a round could see only recent keys; with ten times
        // more old keys nearly every pick is an old one.
        for i in 0..1000 {
            let k = format!("old{i}");
            ks.set(
                0,
                k.as_bytes(),
                Value::Str(crate::value::StrValue::from_bytes(b"v")),
                false,
                1,
            );
        }
        let now = 3_600_000;
        for i in 0..100 {
            let k = format!("new{i}");
            ks.set(
                0,
                k.as_bytes(),
                Value::Str(crate::value::StrValue::from_bytes(b"v")),
                false,
                now,
            );
        }
        let mut old = 0;
        for _ in 0..100 {
            let (db, k) = ks
                .eviction_candidate(Policy::AllKeysLru, 5, now)
                .expect("keys exist");
            old += k.as_bytes().starts_with(b"old") as usize;
            ks.evict(db, k.as_bytes()).expect("candidate is live");
        }
        assert!(old >= 95, "only {old} of 100 evictions took an old key");
    }

    #[test]
    fn volatile_policies_only_touch_keys_with_expiry() {
        let mut ks = ks_with(50);
        for p in [
            Policy::VolatileLru,
            Policy::VolatileLfu,
            Policy::VolatileRandom,
            Policy::VolatileTtl,
        ] {
            assert!(ks.eviction_candidate(p, 5, 10).is_none(), "{p:?}");
        }
        ks.set_expire(0, b"k3", 1_000_000);
        ks.set_expire(0, b"k4", 500_000);
        let (_, k) = ks.eviction_candidate(Policy::VolatileTtl, 5, 10).unwrap();
        assert_eq!(k.as_bytes(), b"k4", "soonest expiry goes first");
        for p in [Policy::VolatileLru, Policy::VolatileRandom] {
            let (_, k) = ks.eviction_candidate(p, 5, 10).unwrap();
            assert!(k.as_bytes() == b"k3" || k.as_bytes() == b"k4");
        }
    }

    #[test]
    fn every_policy_but_noeviction_drains_all_databases() {
        for p in [
            Policy::AllKeysLru,
            Policy::AllKeysLfu,
            Policy::AllKeysRandom,
        ] {
            let mut ks = ks_with(30);
            ks.set(
                1,
                b"other",
                Value::Str(crate::value::StrValue::from_bytes(b"v")),
                false,
                1,
            );
            let mut n = 0;
            while let Some((db, k)) = ks.eviction_candidate(p, 3, 10) {
                ks.evict(db, k.as_bytes()).expect("live");
                n += 1;
            }
            assert_eq!(n, 31, "{p:?}");
        }
        assert!(ks_with(5)
            .eviction_candidate(Policy::NoEviction, 5, 1)
            .is_none());
    }
}
