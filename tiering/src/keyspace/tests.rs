//! Unit tests of the keyspace engine.

use super::*;
use crate::value::StrValue;

fn s(v: &str) -> Value {
    Value::Str(StrValue::from_bytes(v.as_bytes()))
}

#[test]
fn set_get_expire_lazily() {
    let mut ks = Keyspace::new(16);
    ks.set(0, b"a", s("1"), false, 1000);
    assert!(ks.set_expire(0, b"a", 2000));
    assert!(ks.lookup(0, b"a", 2000, Access::Read).is_some());
    assert!(ks.lookup(0, b"a", 2001, Access::Read).is_none());
    assert_eq!(ks.take_expired(), vec![(0, Key::from(&b"a"[..]))]);
    assert_eq!(ks.db(0).volatile_len(), 0);
    assert_eq!(ks.stats.hits, 1);
    assert_eq!(ks.stats.misses, 1);
}

#[test]
fn delete_any_removes_expired_keys_without_recording_expiry() {
    let mut ks = Keyspace::new(1);
    ks.set(0, b"a", s("1"), false, 1000);
    ks.set_expire(0, b"a", 1500);
    // Logically expired at 2000: `delete` expires it (recorded, no entry
    // returned), `delete_any` removes it as a plain deletion.
    assert!(ks.delete_any(0, b"a").is_some());
    assert!(!ks.has_expired_events());
    assert_eq!(ks.db(0).len(), 0);
    assert_eq!(ks.db(0).volatile_len(), 0);
    assert!(ks.delete_any(0, b"a").is_none());
    ks.set(0, b"b", s("1"), false, 1000);
    ks.set_expire(0, b"b", 1500);
    assert!(ks.delete(0, b"b", 2000).is_none());
    assert_eq!(ks.take_expired(), vec![(0, Key::from(&b"b"[..]))]);
}

#[test]
fn overwrite_clears_ttl_unless_kept() {
    let mut ks = Keyspace::new(1);
    ks.set(0, b"k", s("v"), false, 0);
    ks.set_expire(0, b"k", 100);
    ks.set(0, b"k", s("w"), true, 0);
    assert!(ks.lookup(0, b"k", 0, Access::ReadNoTouch).is_some());
    assert_eq!(ks.get_expire(0, b"k"), 100);
    ks.set(0, b"k", s("x"), false, 0);
    assert!(ks.lookup(0, b"k", 0, Access::ReadNoTouch).is_some());
    assert_eq!(ks.get_expire(0, b"k"), NO_EXPIRE);
    assert_eq!(ks.db(0).volatile_len(), 0);
}

#[test]
fn active_cycle_removes_expired_keys() {
    let mut ks = Keyspace::new(2);
    for i in 0..1000 {
        let k = format!("k{i}");
        ks.set(1, k.as_bytes(), s("v"), false, 0);
        ks.set_expire(1, k.as_bytes(), if i % 2 == 0 { 10 } else { 1_000_000 });
    }
    let mut rounds = 0;
    while ks.db(1).len() > 500 && rounds < 1000 {
        ks.active_expire_cycle(100, std::time::Duration::from_millis(50));
        rounds += 1;
    }
    assert_eq!(ks.db(1).len(), 500);
    assert_eq!(ks.take_expired().len(), 500);
    assert_eq!(ks.stats.expired_keys, 500);
}

#[test]
fn replica_hides_but_keeps_expired() {
    let mut ks = Keyspace::new(1);
    ks.hide_expired_only = true;
    ks.set(0, b"k", s("v"), false, 0);
    ks.set_expire(0, b"k", 5);
    assert!(ks.lookup(0, b"k", 6, Access::Read).is_none());
    assert_eq!(ks.db(0).len(), 1);
    assert!(ks.take_expired().is_empty());
}

fn live(ks: &mut Keyspace, db: usize, k: &str, now: i64) -> Option<(Value, i64, u32)> {
    let (value, lru) = ks
        .lookup(db, k.as_bytes(), now, Access::ReadNoTouch)
        .map(|e| (e.value.clone(), e.lru))?;
    Some((value, ks.get_expire(db, k.as_bytes()), lru))
}

#[test]
fn inspect_counts_but_does_not_touch() {
    let mut ks = Keyspace::new(1);
    ks.set(0, b"k", s("v"), false, 0);
    let before = ks.db(0).peek(b"k").map(|e| e.lru);
    assert!(ks.lookup(0, b"k", 5_000, Access::Inspect).is_some());
    assert!(ks.lookup(0, b"nope", 5_000, Access::Inspect).is_none());
    assert_eq!(ks.db(0).peek(b"k").map(|e| e.lru), before);
    assert_eq!((ks.stats.hits, ks.stats.misses), (1, 1));
    assert!(ks.lookup(0, b"k", 5_000, Access::ReadNoTouch).is_some());
    assert_eq!((ks.stats.hits, ks.stats.misses), (1, 1));
    assert!(ks.lookup(0, b"k", 5_000, Access::Read).is_some());
    assert_ne!(ks.db(0).peek(b"k").map(|e| e.lru), before);
}

#[test]
fn relocate_moves_one_copy_with_ttl_and_lru() {
    let mut ks = Keyspace::new(2);
    ks.set(0, b"a", s("1"), false, 1_000);
    ks.set_expire(0, b"a", 50_000);
    ks.set(0, b"b", s("old"), false, 0);
    ks.set_expire(0, b"b", 60_000);
    let lru = ks.db(0).peek(b"a").map(|e| e.lru);
    assert!(ks.relocate(0, b"a", 0, b"b", 2_000));
    assert!(ks.db(0).peek(b"a").is_none());
    assert_eq!(
        live(&mut ks, 0, "b", 2_000),
        Some((s("1"), 50_000, lru.unwrap_or(0)))
    );
    assert_eq!(ks.db(0).len(), 1);
    assert_eq!(ks.db(0).volatile_len(), 1);
    // Across databases (MOVE), and a key without expiry.
    ks.persist(0, b"b");
    assert!(ks.relocate(0, b"b", 1, b"b", 2_000));
    assert_eq!((ks.db(0).len(), ks.db(1).len()), (0, 1));
    assert_eq!((ks.db(0).volatile_len(), ks.db(1).volatile_len()), (0, 0));
    // Missing or expired sources change nothing.
    assert!(!ks.relocate(0, b"b", 1, b"b", 2_000));
    ks.set_expire(1, b"b", 3_000);
    assert!(!ks.relocate(1, b"b", 1, b"c", 3_001));
    assert_eq!(ks.db(1).len(), 0);
    assert_eq!(ks.take_expired().len(), 1);
    // Onto itself: a no-op that reports whether the key lives.
    ks.set(1, b"x", s("v"), false, 0);
    assert!(ks.relocate(1, b"x", 1, b"x", 0));
    assert_eq!(ks.db(1).len(), 1);
}

#[test]
fn copy_entry_clones_value_and_ttl_with_fresh_lru() {
    let mut ks = Keyspace::new(2);
    ks.lfu_policy = true;
    ks.set(0, b"a", s("hello"), false, 0);
    ks.set_expire(0, b"a", 100_000);
    for _ in 0..50 {
        ks.lookup(0, b"a", 0, Access::Read);
    }
    let src_lru = ks.db(0).peek(b"a").map(|e| e.lru);
    ks.set(1, b"a", s("other"), false, 0);
    assert!(ks.copy_entry(0, b"a", 1, b"a", 0));
    assert_eq!(ks.db(0).peek(b"a").map(|e| e.lru), src_lru);
    let copy = live(&mut ks, 1, "a", 0);
    assert_eq!(copy, Some((s("hello"), 100_000, lfu::initial(true, 0))));
    assert_eq!(ks.db(1).volatile_len(), 1);
    assert!(!ks.copy_entry(0, b"zz", 1, b"a", 0));
    assert!(!ks.copy_entry(0, b"a", 1, b"b", 100_001));
    assert!(ks.db(1).peek(b"b").is_none());
}

#[test]
fn detach_and_swap_databases() {
    let mut ks = Keyspace::new(3);
    for i in 0..100 {
        ks.set(1, format!("k{i}").as_bytes(), s("v"), false, 0);
    }
    ks.set_expire(1, b"k1", 10);
    ks.set(2, b"only", s("v"), false, 0);
    ks.swap_db(1, 2);
    assert_eq!((ks.db(1).len(), ks.db(2).len()), (1, 100));
    assert_eq!(ks.db(2).volatile_len(), 1);
    let old = ks.detach_db(2);
    assert_eq!(old.len(), 100);
    assert!(ks.db(2).is_empty());
    assert_eq!(ks.db(2).volatile_len(), 0);
    lazy_free(old);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while lazyfree_pending() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(lazyfreed_objects() >= 1);
    assert!(ks.lookup(2, b"k5", 0, Access::Read).is_none());
}

#[test]
fn unlink_frees_big_values_in_background() {
    let mut ks = Keyspace::new(1);
    let big = Value::Str(StrValue::from_vec(vec![b'x'; LAZYFREE_THRESHOLD_BYTES]));
    ks.set(0, b"big", big, false, 0);
    ks.set(0, b"small", s("v"), false, 0);
    assert!(ks.unlink(0, b"big", 0));
    assert!(ks.unlink(0, b"small", 0));
    assert!(!ks.unlink(0, b"small", 0));
    assert!(ks.db(0).is_empty());
}

#[test]
fn scan_keys_full_iteration_and_budget() {
    let mut ks = Keyspace::new(1);
    for i in 0..1000 {
        ks.set(0, format!("k{i}").as_bytes(), s("v"), false, 0);
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    let mut calls = 0;
    loop {
        let (next, keys) = ks.db(0).scan_keys(cursor, 10);
        calls += 1;
        assert!(
            next == 0 || keys.len() >= 10,
            "stopped early with {}",
            keys.len()
        );
        seen.extend(keys);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(calls < 200, "{calls} calls");
    // A sparse table: with COUNT 1 one call visits at most 11 buckets.
    for i in 1..1000 {
        ks.delete(0, format!("k{i}").as_bytes(), 0);
    }
    let buckets = ks.db(0).bucket_count();
    assert!(buckets >= 1024);
    let mut cursor = 0;
    let mut calls = 0;
    let mut found = 0;
    loop {
        let (next, keys) = ks.db(0).scan_keys(cursor, 1);
        calls += 1;
        found += keys.len();
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(found, 1);
    assert!(calls >= buckets / 11, "{calls} calls for {buckets} buckets");
}

#[test]
fn overwrite_matches_lookup_then_set() {
    let mut ks = Keyspace::new(1);
    // A new key, then a plain overwrite.
    ks.overwrite(0, b"k", s("1"), false, 0);
    ks.overwrite(0, b"k", s("2"), false, 0);
    assert_eq!(live(&mut ks, 0, "k", 0).map(|x| x.0), Some(s("2")));
    // A logically expired old value counts as expired, and the new value
    // has no expiry.
    ks.set_expire(0, b"k", 10);
    ks.overwrite(0, b"k", s("3"), false, 11);
    assert_eq!(ks.stats.expired_keys, 1);
    assert_eq!(ks.take_expired().len(), 1);
    assert_eq!(ks.get_expire(0, b"k"), NO_EXPIRE);
    // A live volatile value keeps its expiry only with keep_ttl.
    ks.set_expire(0, b"k", 1000);
    ks.overwrite(0, b"k", s("4"), true, 20);
    assert_eq!(ks.get_expire(0, b"k"), 1000);
    ks.overwrite(0, b"k", s("5"), false, 20);
    assert_eq!(ks.get_expire(0, b"k"), NO_EXPIRE);
    assert_eq!(ks.db(0).volatile_len(), 0);
    // Under LFU the counter survives an overwrite (and is touched).
    ks.lfu_policy = true;
    ks.overwrite(0, b"f", s("a"), false, 0);
    for _ in 0..200 {
        ks.lookup(0, b"f", 0, Access::Read);
    }
    let before = ks.db(0).peek(b"f").map(|e| e.lru & 255).unwrap();
    ks.overwrite(0, b"f", s("b"), false, 0);
    let after = ks.db(0).peek(b"f").map(|e| e.lru & 255).unwrap();
    assert!(after >= before && before > 5, "{before} -> {after}");
}

/// Strings only, stored as their bytes: enough of a codec to move values
/// between the tiers in these tests.
struct StrCodec;

impl crate::cold::ValueCodec for StrCodec {
    fn encode(&self, v: &Value, out: &mut Vec<u8>) -> u8 {
        if let Value::Str(s) = v {
            out.extend_from_slice(&s.as_bytes());
        }
        0
    }
    fn decode(&self, _: crate::cold::Repr, _: u8, body: &[u8]) -> Result<Value, String> {
        Ok(Value::Str(StrValue::from_bytes(body)))
    }
}

/// A keyspace with a cold tier in a fresh directory (removed on drop).
struct Tiered {
    ks: Keyspace,
    dir: std::path::PathBuf,
}

impl Drop for Tiered {
    fn drop(&mut self) {
        self.ks.cold = None;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tiered(name: &str) -> Tiered {
    let dir = std::env::temp_dir().join(format!("tiering-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let opts = crate::cold::ColdOptions {
        dir: dir.clone(),
        compression: crate::cold::Compression::None,
        block_cache: 1 << 20,
        write_buffer: 4 << 20,
    };
    let store = crate::cold::ColdStore::open(&opts, std::sync::Arc::new(StrCodec)).unwrap();
    let mut ks = Keyspace::new(16);
    ks.lfu_policy = true;
    ks.attach_cold(store);
    Tiered { ks, dir }
}

fn big(i: usize) -> Value {
    s(&format!("{i:0>200}"))
}

#[test]
fn demotion_finds_the_few_hot_values_among_many_cold_ones() {
    let mut t = tiered("few-hot");
    let ks = &mut t.ks;
    let now = 1_000_000;
    for i in 0..20_000 {
        ks.set(0, format!("k{i}").as_bytes(), big(i), false, now);
    }
    ks.demote_while(5, 64, 1024, now, || true);
    assert_eq!(ks.cold_keys(), 20_000);
    assert_eq!(ks.total_keys(), 20_000);
    // A few new values, one in a key that was cold: one round of 16
    // finds every one of them (a sample of the table would meet one hot
    // value in ~5,000 keys, a bounded walk none).
    for k in ["new1", "new2", "new3"] {
        ks.set(3, k.as_bytes(), big(7), false, now);
    }
    ks.set(0, b"k42", big(42), false, now);
    let r = ks.demote_round(5, 64, 16, now);
    assert_eq!(r.values, 4, "{r:?}");
    // Written in the background: in RAM until the batch is taken in.
    assert_eq!(ks.demotion_queue(), 4);
    ks.tier.hold_reaps = false;
    ks.reap_demotions(true);
    assert_eq!(ks.demotion_queue(), 0);
    assert_eq!(ks.cold_keys(), 20_003);
    // Nothing hot is left: the next round says so at once.
    let r = ks.demote_round(5, 64, 16, now);
    assert_eq!((r.values, r.exhausted), (0, true));
    // Values read back are listed again, and the list stays bounded under
    // churn (deleted keys leave it).
    for round in 0..20 {
        for i in 0..2_000 {
            let k = format!("k{i}");
            if round % 2 == 0 {
                ks.delete(0, k.as_bytes(), now);
            } else {
                ks.set(0, k.as_bytes(), big(i), false, now);
            }
        }
        ks.demote_round(5, 64, 16, now);
        ks.tier_cron();
        let hot = (ks.total_keys() - ks.cold_keys()) as usize;
        assert!(
            ks.hot_list_len() <= 2 * hot + 64,
            "{} for {hot}",
            ks.hot_list_len()
        );
    }
    for i in 0..100 {
        assert!(ks
            .lookup(0, format!("k{}", 5_000 + i).as_bytes(), now, Access::Read)
            .is_some());
    }
    ks.demote_while(5, 64, 1024, now, || true);
    assert_eq!(ks.cold_keys(), ks.total_keys());
    // A flushed database leaves the list at once.
    let before = ks.hot_list_len();
    for i in 0..500 {
        ks.set(5, format!("f{i}").as_bytes(), big(i), false, now);
    }
    assert_eq!(ks.hot_list_len(), before + 500);
    ks.flush_db(5);
    assert_eq!(ks.hot_list_len(), before);
}

#[test]
fn demotion_picks_the_least_used_hot_values() {
    let mut t = tiered("lfu");
    let ks = &mut t.ks;
    let now = 1_000_000;
    for i in 0..5_000 {
        ks.set(0, format!("cold{i}").as_bytes(), big(i), false, now);
    }
    ks.demote_while(5, 64, 1024, now, || true);
    // 200 hot values: the busy half with a high LFU counter.
    for i in 0..200 {
        let k = format!("hot{i}");
        ks.set(0, k.as_bytes(), big(i), false, now);
        if i % 2 == 0 {
            let e = ks.lookup(0, k.as_bytes(), now, Access::Write).unwrap();
            e.lru = lfu::with_freq(200, now as u64);
        }
    }
    let mut done = 0;
    while done < 100 {
        done += ks.demote_round(5, 64, 10, now).values;
    }
    let busy_hot = (0..200)
        .step_by(2)
        .filter(|i| {
            let e = ks.db(0).peek(format!("hot{i}").as_bytes()).unwrap();
            !e.value.is_cold()
        })
        .count();
    // Sampling 5 at a time with a pool is not exact LFU, but nearly.
    assert!(
        busy_hot >= 90,
        "{busy_hot} of the 100 busy values stayed hot"
    );
}

/// A probation mark left behind by a value demoted some other way must
/// not demote the value when it is read back from the same record and
/// admitted (free demotions reuse the record id, so the mark names the
/// read, not the record).
#[test]
fn a_stale_probation_mark_does_not_demote_an_admitted_value() {
    let mut t = tiered("stale-mark");
    let ks = &mut t.ks;
    let now = 1_000_000;
    ks.set(0, b"a", big(1), false, now);
    ks.demote_while(5, 64, 16, now, || true);
    let cold_id = |ks: &Keyspace| match &ks.db(0).peek(b"a").unwrap().value {
        Value::Cold(r) => Some(r.id),
        _ => None,
    };
    let id = cold_id(ks).expect("cold");
    // First read: on probation. Keep its mark aside, as if the value left
    // by another path before the queue reached it.
    assert!(ks.lookup(0, b"a", now, Access::Read).is_some());
    assert_eq!(ks.admission.probation_len(), 1);
    let mark = ks.admission.probation.pop_front().unwrap();
    ks.demote_while(5, 64, 16, now, || true);
    assert_eq!(
        cold_id(ks),
        Some(id),
        "a free demotion points back at the record"
    );
    // Second read: on probation again, and demoted from it.
    assert!(ks.lookup(0, b"a", now, Access::Read).is_some());
    assert_eq!(ks.admission.probation_len(), 1);
    ks.demote_while(5, 64, 16, now, || true);
    assert_eq!(cold_id(ks), Some(id));
    assert_eq!(ks.admission.probation_len(), 0);
    // Third read: admitted, from the same record.
    assert!(ks.lookup(0, b"a", now, Access::Read).is_some());
    assert_eq!(ks.admission.probation_len(), 0);
    ks.admission.probation.push_back(mark);
    assert_eq!(ks.demote_round(5, 1 << 20, 1, now).values, 0);
    assert_eq!(ks.admission.probation_demotions, 1, "the second read's own");
    assert_eq!(cold_id(ks), None, "the admitted value stays hot");
}

/// Demotions are written in the background: a value that changes, moves
/// or goes away before its batch is taken in stays as it is (its record
/// becomes garbage); one that did not change drops to its record.
#[test]
fn a_value_changed_while_being_written_stays_hot() {
    let mut t = tiered("inflight");
    let ks = &mut t.ks;
    let now = 1_000_000;
    let get = |ks: &mut Keyspace, db: usize, k: &str| {
        ks.lookup(db, k.as_bytes(), now, Access::ReadNoTouch)
            .map(|e| (e.value.is_cold(), e.value.clone()))
    };
    for (db, k) in [
        (0, "same"),
        (0, "overwritten"),
        (0, "changed"),
        (0, "deleted"),
        (0, "renamed"),
    ] {
        ks.set(db, k.as_bytes(), big(1), false, now);
    }
    ks.set(0, b"swapped", big(2), false, now);
    ks.set(1, b"swapped", big(3), false, now);
    ks.tier.hold_reaps = true;
    let mut n = 0;
    while n < 7 {
        let r = ks.demote_round(5, 64, 64, now);
        assert!(r.values > 0, "{r:?}");
        n += r.values;
    }
    assert_eq!(ks.demotion_queue(), 7);
    // Meanwhile: an overwrite, a change in place, a delete, a rename and
    // a SWAPDB.
    ks.set(0, b"overwritten", big(9), false, now);
    if let Some(e) = ks.lookup(0, b"changed", now, Access::Write) {
        e.value = big(8);
    }
    ks.delete(0, b"deleted", now);
    assert!(ks.relocate(0, b"renamed", 0, b"renamed2", now));
    ks.swap_db(0, 1);
    ks.swap_db(0, 1);
    ks.swap_db(0, 1);
    ks.tier.hold_reaps = false;
    ks.reap_demotions(true);
    assert_eq!(ks.demotion_queue(), 0);
    assert!(get(ks, 1, "same").unwrap().0);
    assert_eq!(get(ks, 1, "overwritten"), Some((false, big(9))));
    assert_eq!(get(ks, 1, "changed"), Some((false, big(8))));
    assert_eq!(get(ks, 1, "deleted"), None);
    assert_eq!(get(ks, 1, "renamed2"), Some((false, big(1))));
    // Each database's own value, demoted under its new number.
    assert!(get(ks, 1, "swapped").unwrap().0);
    assert!(get(ks, 0, "swapped").unwrap().0);
    assert_eq!(ks.cold_keys(), 3);
    // Read back: the values are the right ones.
    assert_eq!(
        ks.lookup(1, b"swapped", now, Access::Read).unwrap().value,
        big(2)
    );
    assert_eq!(
        ks.lookup(0, b"swapped", now, Access::Read).unwrap().value,
        big(3)
    );
    assert_eq!(
        ks.lookup(1, b"same", now, Access::Read).unwrap().value,
        big(1)
    );
    // Changed, then demoted again in a later batch before the first is
    // taken in: only the later batch may drop it.
    ks.demote_while(5, 64, 64, now, || true);
    for (k, v) in [("same2", 4), ("overwritten", 10)] {
        ks.set(1, k.as_bytes(), big(v), false, now);
    }
    let mut n = 0;
    while n < 2 {
        n += ks.demote_round(5, 64, 64, now).values;
    }
    // The first batch stays pending until the second is submitted.
    ks.tier.hold_reaps = true;
    ks.delete(1, b"same2", now);
    ks.set(1, b"same2", big(5), false, now);
    ks.set(1, b"overwritten", big(11), false, now);
    let mut n = 0;
    while n < 2 {
        n += ks.demote_round(5, 64, 64, now).values;
    }
    assert_eq!(ks.demotion_queue(), 4);
    ks.tier.hold_reaps = false;
    ks.reap_demotions(true);
    assert!(get(ks, 1, "same2").unwrap().0);
    assert!(get(ks, 1, "overwritten").unwrap().0);
    for (k, v) in [("same2", 5), ("overwritten", 11)] {
        assert_eq!(
            ks.lookup(1, k.as_bytes(), now, Access::Read).unwrap().value,
            big(v),
            "{k}"
        );
    }
}

/// The cron clears a stale hot list a slice at a time, never in one pass,
/// and a key created again during a pass stays listed, once.
#[test]
fn the_hot_list_is_swept_a_slice_at_a_time() {
    let mut t = tiered("sweep");
    let ks = &mut t.ks;
    let now = 1_000_000;
    for i in 0..30_000 {
        ks.set(0, format!("k{i}").as_bytes(), big(i), false, now);
    }
    // The first demotion builds the list.
    ks.demote_round(5, 64, 1, now);
    ks.reap_demotions(true);
    assert_eq!(ks.hot_list_len(), 30_000);
    for i in 0..29_000 {
        ks.delete(0, format!("k{i}").as_bytes(), now);
    }
    ks.tier_cron();
    assert!(ks.hot_list_len() > 15_000, "{}", ks.hot_list_len());
    ks.set(0, b"k5", big(5), false, now);
    for _ in 0..10 {
        ks.tier_cron();
    }
    // 1,000 left and k5, less the one the first round demoted if it was
    // one of them.
    let hot = (ks.total_keys() - ks.cold_keys()) as usize;
    assert!((1_000..=1_001).contains(&hot), "{hot}");
    assert_eq!(ks.hot_list_len(), hot);
    ks.demote_while(5, 64, 1024, now, || true);
    assert_eq!(ks.cold_keys(), ks.total_keys(), "k5 was listed");
}

/// Values read back once (on probation) and waiting for their commands
/// may keep the hot tier over budget by their own size, rather than push
/// hot values out: they leave, for free, once their commands have run.
#[test]
fn values_waiting_for_their_commands_do_not_push_hot_values_out() {
    let mut t = tiered("prepaid");
    let ks = &mut t.ks;
    let now = 1_000_000;
    for i in 0..10 {
        ks.set(0, format!("c{i}").as_bytes(), big(i), false, now);
    }
    ks.demote_while(5, 64, 16, now, || true);
    assert_eq!(ks.cold_keys(), 10);
    for i in 0..5 {
        ks.set(0, format!("h{i}").as_bytes(), big(i), false, now);
    }
    // Four cold values loaded ahead of their commands, each read once.
    for i in 0..4 {
        let k = format!("c{i}");
        let r = ks.cold_ref_of(0, k.as_bytes(), now).expect("cold");
        assert!(ks.install_loaded(0, k.as_bytes(), r.id, big(i), 10));
    }
    assert_eq!(ks.admission.probation_len(), 4);
    let hot = |ks: &Keyspace| {
        (0..5)
            .filter(|i| {
                !ks.db(0)
                    .peek(format!("h{i}").as_bytes())
                    .unwrap()
                    .value
                    .is_cold()
            })
            .count()
    };
    // An excess they account for: nothing is demoted.
    let r = ks.demote_round_over(5, 64, 16, now, 1);
    assert!(r.deferred && r.values == 0, "{r:?}");
    assert_eq!(hot(ks), 5);
    // Their commands ran for two of them: those two leave first.
    for i in 0..2 {
        assert!(ks
            .lookup(0, format!("c{i}").as_bytes(), now, Access::Read)
            .is_some());
    }
    let r = ks.demote_round_over(5, 64, 2, now, 1 << 30);
    assert_eq!((r.values, r.deferred), (2, false), "{r:?}");
    assert_eq!(ks.admission.probation_demotions, 2);
    assert_eq!(hot(ks), 5);
    // An excess beyond what waits: hot values go.
    let r = ks.demote_round_over(5, 64, 2, now, 1 << 30);
    assert!(!r.deferred && r.values == 2, "{r:?}");
    ks.tier.hold_reaps = false;
    ks.reap_demotions(true);
    assert_eq!(hot(ks), 3);
    assert_eq!(ks.admission.probation_len(), 2);
    // The other two commands never look their keys up (refused, or their
    // clients gone): a cron tick later their values still wait, two ticks
    // later they leave.
    ks.tier_cron();
    let r = ks.demote_round_over(5, 64, 2, now, 1);
    assert!(r.deferred && r.values == 0, "{r:?}");
    ks.tier_cron();
    let r = ks.demote_round_over(5, 64, 2, now, 1);
    assert_eq!((r.values, r.deferred), (2, false), "{r:?}");
    assert_eq!(ks.admission.probation_demotions, 4);
    assert_eq!(hot(ks), 3);
    // A lookup of a value loaded for its command is that command's cold
    // hit; once the mark is older than a tick, a lookup is a hot hit.
    for (i, ticks, hot_hit) in [(5, 0, 0), (6, 2, 1)] {
        let k = format!("c{i}");
        let r = ks.cold_ref_of(0, k.as_bytes(), now).expect("cold");
        assert!(ks.install_loaded(0, k.as_bytes(), r.id, big(i), 10));
        for _ in 0..ticks {
            ks.tier_cron();
        }
        let before = ks.tier.hot_hits;
        assert!(ks.lookup(0, k.as_bytes(), now, Access::Read).is_some());
        assert_eq!(ks.tier.hot_hits - before, hot_hit, "{k}");
    }
}

/// Keys resting in a database's cold-key table, over every database.
fn resting(ks: &Keyspace) -> usize {
    (0..ks.db_count()).map(|d| ks.db(d).resting_len()).sum()
}

#[test]
fn cold_keys_rest_in_the_compact_table_and_everything_still_finds_them() {
    let mut t = tiered("resting");
    let ks = &mut t.ks;
    let now = 1_000_000;
    let name = |i: usize| format!("key:{i:012}");
    for i in 0..20_000 {
        ks.set(0, name(i).as_bytes(), big(i), false, now);
    }
    for i in 0..100 {
        ks.set(1, name(i).as_bytes(), big(i), false, now);
        ks.set_expire(1, name(i).as_bytes(), now + 10 + i as i64 % 2 * 1_000_000);
    }
    ks.demote_while(5, 64, 1024, now, || true);
    assert_eq!(ks.cold_keys(), 20_100);
    assert_eq!(resting(ks), 20_100);
    assert_eq!(ks.db(0).len(), 20_000);
    // RAM per cold key, 16-byte names (a few with an expiry): 40-byte
    // records plus the bucket array, at most 32 bytes beyond the name
    // once the cron has finished growing the table.
    ks.rehash_step(1000);
    for _ in 0..100 {
        ks.estimator_step();
    }
    let per_key = ks.ram_per_cold_key();
    assert!((40..=48).contains(&per_key), "{per_key}");

    // Header-only lookups bring a key into the main table; the next cron
    // tick puts it back to rest.
    for i in 0..1_000 {
        assert!(ks
            .lookup(0, name(i).as_bytes(), now, Access::Inspect)
            .is_some());
    }
    assert!(ks
        .lookup(0, name(7).as_bytes(), now, Access::WriteMeta)
        .is_some());
    assert_eq!(resting(ks), 19_100);
    assert!(ks
        .db(0)
        .peek(name(1_008).as_bytes())
        .is_some_and(|e| e.value.is_cold()));
    ks.tier_cron();
    assert_eq!(resting(ks), 20_100);

    // A scan returns every key present throughout, while keys move
    // between the tables (read back, demoted again) and others come and go.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    let mut step = 0usize;
    loop {
        let (next, keys) = ks.db(0).scan_keys(cursor, 50);
        seen.extend(keys.into_iter().map(|k| k.to_vec()));
        cursor = next;
        if cursor == 0 {
            break;
        }
        step += 1;
        for j in 0..20 {
            let i = (step * 97 + j * 31) % 20_000;
            assert!(ks
                .lookup(0, name(i).as_bytes(), now, Access::Read)
                .is_some());
        }
        ks.set(0, format!("extra{step}").as_bytes(), big(step), false, now);
        if step % 2 == 0 {
            ks.delete(0, format!("extra{}", step - 1).as_bytes(), now);
        }
        ks.demote_while(5, 64, 1024, now, || true);
    }
    for i in 0..20_000 {
        assert!(seen.contains(name(i).as_bytes()), "{}", name(i));
    }

    // A snapshot sees every key once, with the value it had, while keys
    // move between the tables.
    ks.begin_snapshot();
    let mut snap = std::collections::HashMap::new();
    let mut round = 0;
    loop {
        let done = ks.snapshot_step(200, |db, k, e, _| {
            assert!(snap.insert((db, k.to_vec()), e.value.is_cold()).is_none());
        });
        for p in ks.take_snapshot_pending() {
            assert!(snap.insert((p.db, p.key.to_vec()), true).is_none());
        }
        if done {
            break;
        }
        round += 1;
        for j in 0..10 {
            let i = (round * 13 + j * 1_999) % 20_000;
            ks.lookup(0, name(i).as_bytes(), now, Access::Read);
        }
        ks.demote_while(5, 64, 1024, now, || true);
    }
    for p in ks.take_snapshot_pending() {
        assert!(snap.insert((p.db, p.key.to_vec()), true).is_none());
    }
    ks.end_snapshot();
    assert_eq!(snap.len() as u64, ks.total_keys());

    // Expiry removes resting keys without reading them back; DEL, RENAME
    // and COPY find them.
    let cold_before = ks.cold_keys();
    let cycle = ks.active_expire_cycle(now + 100, std::time::Duration::from_secs(1));
    assert_eq!(cycle.expired, 50);
    assert_eq!(ks.db(1).len(), 50);
    assert_eq!(ks.cold_keys(), cold_before - 50);
    assert!(ks.delete(0, name(3).as_bytes(), now).is_some());
    assert!(ks.db(0).peek(name(3).as_bytes()).is_none());
    assert!(ks.relocate(1, name(1).as_bytes(), 2, b"moved", now));
    assert!(ks.db(2).peek(b"moved").is_some_and(|e| e.value.is_cold()));
    assert_eq!(ks.get_expire(2, b"moved"), now + 10 + 1_000_000);
    assert!(ks.copy_entry(0, name(5).as_bytes(), 2, b"copy", now));
    let copy = ks
        .lookup(2, b"copy", now, Access::Read)
        .map(|e| e.value.clone());
    let want = format!("{:0>200}", 5);
    assert!(matches!(copy, Some(Value::Str(v)) if *v.as_bytes() == *want.as_bytes()));
    // A flushed database leaves nothing behind in either table.
    let n = ks.db(0).len();
    assert_eq!(ks.flush_db(0), n);
    assert_eq!(ks.db(0).resting_len(), 0);
}

#[test]
fn bookkeeping_gives_back_its_room_once_values_are_cold() {
    let mut t = tiered("trim");
    let ks = &mut t.ks;
    let now = 1_000_000;
    for i in 0..20_000 {
        ks.set(0, format!("k{i}").as_bytes(), big(i), false, now);
    }
    // The first round lists every hot value; reads leave clean copies.
    ks.demote_round(5, 64, 16, now);
    ks.reap_demotions(true);
    ks.demote_while(5, 64, 1024, now, || true);
    for i in 0..10_000 {
        ks.lookup(0, format!("k{i}").as_bytes(), now, Access::Read);
    }
    let (hot_before, clean_before) = ks.bookkeeping_capacity();
    assert!(hot_before >= 20_000 && clean_before >= 10_000);
    ks.demote_while(5, 64, 1024, now, || true);
    assert_eq!(ks.cold_keys(), 20_000);
    for _ in 0..10 {
        ks.tier_cron();
    }
    let (hot, clean) = ks.bookkeeping_capacity();
    assert!(hot < 5_000 && clean < 5_000, "{hot} {clean}");
}
