//! `maxmemory` with tiering off: Redis's eviction, run before every
//! command.
//!
//! When `used_memory` is over `maxmemory`, keys chosen by
//! `maxmemory-policy` (see `tiering/src/keyspace/evict.rs`) are deleted
//! until it is not, within a time budget set by
//! `maxmemory-eviction-tenacity`; what is left over is picked up by the
//! next command or the cron. If nothing can be evicted (`noeviction`, or
//! no key qualifies), commands flagged `denyoom` are refused with `-OOM`,
//! and so is everything queued inside MULTI; reads and deletes still run,
//! so a full server can always be drained.

use std::time::{Duration, Instant};

use tiering::keyspace::Policy;

use crate::commands::DENYOOM;
use crate::server::{now_ms, CmdRef, State};

/// What eviction achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or no limit).
    Ok,
    /// Still over, but keys are being evicted; the budget ran out.
    Running,
    /// Over the limit and nothing left to evict.
    Fail,
}

/// Redis's error for a command refused for lack of memory.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// The time one call may spend evicting, from
/// `maxmemory-eviction-tenacity` (Redis's `evictionTimeLimitUs`): 50 µs
/// per point up to 10, then growing 15% per point, unlimited at 100.
fn time_limit(tenacity: u32) -> Option<Duration> {
    if tenacity <= 10 {
        Some(Duration::from_micros(50 * tenacity as u64))
    } else if tenacity < 100 {
        Some(Duration::from_micros(
            (500.0 * 1.15f64.powf(tenacity as f64 - 10.0)) as u64,
        ))
    } else {
        None
    }
}

/// Bytes over the limit, if any.
fn over_limit(maxmemory: u64) -> Option<u64> {
    let used = tiering::memory::used_memory() as u64;
    (maxmemory > 0 && used > maxmemory).then(|| used - maxmemory)
}

/// Evicts keys until memory is under `maxmemory` (Redis's
/// `performEvictions`).
pub fn perform_evictions(st: &mut State) -> Outcome {
    if st.ks.demotion_queue() > 0 {
        // Demotions written since the last command leave RAM now.
        st.ks.reap_demotions(false);
    }
    let t = &st.config.tun;
    let Some(to_free) = over_limit(t.maxmemory) else {
        st.stats.eviction_exceeded(false);
        return Outcome::Ok;
    };
    if st.ks.cold().is_some() {
        return perform_demotions(st, to_free);
    }
    let policy = Policy::parse(&t.maxmemory_policy);
    let (samples, lazy, limit) = (
        t.maxmemory_samples,
        t.lazyfree_lazy_eviction,
        time_limit(t.maxmemory_eviction_tenacity),
    );
    let start = Instant::now();
    let now = now_ms();
    let mut freed: u64 = 0;
    let mut evicted: u64 = 0;
    let mut outcome = Outcome::Fail;
    while freed < to_free {
        let Some((db, key)) = st.ks.eviction_candidate(policy, samples, now) else {
            break;
        };
        let before = tiering::memory::used_memory() as u64;
        if let Some(entry) = st.ks.evict(db, key.as_bytes()) {
            if lazy {
                tiering::keyspace::lazy_free(entry);
            } else {
                drop(entry);
            }
        }
        freed += before.saturating_sub(tiering::memory::used_memory() as u64);
        evicted += 1;
        st.stats.evicted_keys += 1;
        st.signal_modified(db, key.as_bytes());
        crate::aof::deleted(st, db, key.as_bytes());
        crate::notify::notify(st, crate::notify::EVICTED, "evicted", key.as_bytes(), db);
        // Every 16 keys: with lazy freeing the bytes leave later, so look
        // at the real figure; and respect the time budget.
        if evicted % 16 == 0 {
            if lazy && over_limit(st.config.tun.maxmemory).is_none() {
                break;
            }
            if limit.is_some_and(|l| start.elapsed() > l) {
                outcome = Outcome::Running;
                break;
            }
        }
    }
    if freed >= to_free || (lazy && over_limit(st.config.tun.maxmemory).is_none()) {
        outcome = Outcome::Ok;
    }
    st.stats.eviction_exceeded(outcome != Outcome::Ok);
    outcome
}

/// Values demoted per RocksDB batch.
pub const DEMOTE_BATCH: usize = 64;

/// With tiering on: demotes the coldest values until the hot tier is under
/// `maxmemory`, within the same time budget as eviction. Nothing is ever
/// deleted; when no hot value is left to demote (keys and their headers
/// alone fill `maxmemory`), the outcome is `Fail` and commands that add
/// data get `-OOM`.
fn perform_demotions(st: &mut State, to_free: u64) -> Outcome {
    let t = &st.config.tun;
    let (samples, min_size, limit) = (
        t.maxmemory_samples,
        t.tiering_min_value_size,
        time_limit(t.maxmemory_eviction_tenacity),
    );
    let start = Instant::now();
    let now = now_ms();
    let maxmemory = st.config.tun.maxmemory;
    // Values being written to the cold tier (finished batches were taken
    // in by `perform_evictions`) leave RAM when their batch is done: they
    // count as gone (the slack over `maxmemory` this allows is bounded,
    // see `tier.rs`).
    let first = tiering::memory::used_memory() as u64;
    let outcome = loop {
        let used = (tiering::memory::used_memory() as u64).saturating_sub(st.ks.demoting_bytes());
        if first.saturating_sub(used) >= to_free || used <= maxmemory {
            break Outcome::Ok;
        }
        let round = st
            .ks
            .demote_round_over(samples, min_size, DEMOTE_BATCH, now, used - maxmemory);
        if round.deferred {
            break Outcome::Ok;
        }
        if round.exhausted || round.values == 0 {
            break Outcome::Fail;
        }
        if limit.is_some_and(|l| start.elapsed() > l) {
            break Outcome::Running;
        }
    };
    if let Some(c) = st.ks.cold_mut() {
        c.collect_garbage();
    }
    st.stats.eviction_exceeded(outcome != Outcome::Ok);
    outcome
}

/// `tiering-force-cold yes`: after each command, demotes every hot value of
/// at least `tiering-min-value-size` bytes, whatever the memory use, so the
/// next command finds its keys cold. A testing aid: the tiering variant of the
/// differential test runs every command against cold values this way. With
/// `tiering-force-cold-inflight yes`, every other time the demotions are
/// left being written, so the next command meets its values in flight
/// (and may change them before their batch is taken in).
pub fn force_cold(st: &mut State) {
    let (samples, min_size, inflight) = (
        st.config.tun.maxmemory_samples,
        st.config.tun.tiering_min_value_size,
        st.config.tun.tiering_force_cold_inflight,
    );
    st.ks
        .force_cold(samples, min_size, DEMOTE_BATCH, now_ms(), inflight);
}

/// Runs eviction before a command and says whether the command must be
/// refused for lack of memory (Redis's `processCommand` rule): when
/// nothing more can be evicted, commands flagged `denyoom` are refused,
/// EXEC too if it has one queued, and inside MULTI everything but EXEC,
/// DISCARD, QUIT and RESET (queueing itself takes memory).
pub fn refuses(st: &mut State, id: u64, r: CmdRef, queueing: bool) -> bool {
    if st.config.tun.maxmemory == 0 || perform_evictions(st) != Outcome::Fail {
        return false;
    }
    let name = r.parent.unwrap_or(r.cmd).name;
    if name == "exec" {
        return st
            .clients
            .get(&id)
            .and_then(|c| c.multi.as_ref())
            .is_some_and(|m| m.queue.iter().any(|(q, _)| q.cmd.flags & DENYOOM != 0));
    }
    r.cmd.flags & DENYOOM != 0 || (queueing && !matches!(name, "discard" | "quit" | "reset"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_budget_follows_redis() {
        assert_eq!(time_limit(0), Some(Duration::ZERO));
        assert_eq!(time_limit(10), Some(Duration::from_micros(500)));
        assert_eq!(time_limit(11), Some(Duration::from_micros(575)));
        assert_eq!(time_limit(99), Some(Duration::from_micros(126_205_358)));
        assert_eq!(time_limit(100), None);
    }
}
