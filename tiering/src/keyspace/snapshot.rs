//! Point-in-time snapshots of the keyspace without copying it (for
//! BGSAVE).
//!
//! A snapshot walks every database with a SCAN cursor, a bounded number of
//! entries per step, while commands keep running between steps. What makes
//! the result a consistent picture of the moment the snapshot began is a
//! generation mark on every entry:
//!
//! - starting a snapshot picks a new generation; every entry that exists
//!   then carries an older one;
//! - the walker hands out each entry whose mark is older, and marks it;
//! - before anything changes or removes an entry that still has an older
//!   mark, the keyspace hands out the entry as it is first (moved out when
//!   it is being removed, cloned when it is changed in place) and marks it;
//! - entries created during the snapshot carry the new mark, so the walker
//!   skips them.
//!
//! So every entry of the starting moment is handed out exactly once, with
//! its value of that moment, and memory grows only by the entries changed
//! while the snapshot runs (copy on write per key, instead of per page as
//! with `fork`). FLUSHDB hands the emptied database to the snapshot, which
//! walks it like a live one; SWAPDB only changes which live database holds
//! which snapshot database.

use super::{Db, Entry, Key, Keyspace};
use crate::value::Value;

/// An entry as it was when the snapshot started.
pub struct SnapEntry {
    /// The database (numbered as at the start of the snapshot).
    pub db: usize,
    pub key: Key,
    pub value: Value,
    pub lru: u32,
    /// Absolute ms or [`NO_EXPIRE`](super::NO_EXPIRE).
    pub expire: i64,
}

pub(super) struct Snapshot {
    gen: u16,
    /// Snapshot database -> the live database that holds it now.
    map: Vec<usize>,
    /// The snapshot database being walked, and the cursor in it.
    next_db: usize,
    cursor: u64,
    /// Databases emptied while the snapshot ran: (snapshot db, contents,
    /// cursor).
    detached: Vec<(usize, Db, u64)>,
    /// Entries handed out by changes before the walker reached them.
    pending: Vec<SnapEntry>,
}

impl Keyspace {
    /// Starts a snapshot. False if one is already running.
    pub fn begin_snapshot(&mut self) -> bool {
        if self.snapshot.is_some() {
            return false;
        }
        self.snap_gen = match self.snap_gen.wrapping_add(1) {
            0 => 1,
            g => g,
        };
        self.snapshot = Some(Box::new(Snapshot {
            gen: self.snap_gen,
            map: (0..self.dbs.len()).collect(),
            next_db: 0,
            cursor: 0,
            detached: Vec::new(),
            pending: Vec::new(),
        }));
        // The snapshot may still have to read the records of cold values
        // that die while it runs.
        if let Some(c) = self.cold.as_deref_mut() {
            c.hold_garbage = true;
        }
        true
    }

    /// Stops the snapshot (finished or abandoned).
    pub fn end_snapshot(&mut self) {
        self.snapshot = None;
        if let Some(c) = self.cold.as_deref_mut() {
            c.hold_garbage = false;
            c.collect_garbage();
        }
    }

    pub fn snapshot_running(&self) -> bool {
        self.snapshot.is_some()
    }

    /// The mark a newly created entry gets.
    pub(super) fn snap_mark(&self) -> u16 {
        self.snapshot.as_ref().map_or(0, |s| s.gen)
    }

    fn snapshot_db_of(s: &Snapshot, live: usize) -> usize {
        s.map.iter().position(|&l| l == live).unwrap_or(live)
    }

    /// Before `key` of `db` changes in place: hands out a copy of it if the
    /// walker has not reached it yet.
    pub(super) fn snapshot_copy_before_change(&mut self, db: usize, key: &[u8]) {
        let Some(s) = self.snapshot.as_mut() else {
            return;
        };
        let d = &mut self.dbs[db];
        let expire = d.expire_of(key);
        let Some(e) = d.entry_mut(key) else {
            return;
        };
        if e.snap == s.gen {
            return;
        }
        e.snap = s.gen;
        let item = SnapEntry {
            db: Self::snapshot_db_of(s, db),
            key: Key::from(key),
            value: e.value.clone(),
            lru: e.lru,
            expire,
        };
        s.pending.push(item);
    }

    /// A removed entry: handed out if the walker has not reached it (a
    /// copy: RENAME and MOVE re-insert the removed entry elsewhere).
    pub(super) fn snapshot_removed(
        &mut self,
        db: usize,
        key: &[u8],
        entry: &mut Entry,
        expire: i64,
    ) {
        let Some(s) = self.snapshot.as_mut() else {
            return;
        };
        if entry.snap != s.gen {
            let item = SnapEntry {
                db: Self::snapshot_db_of(s, db),
                key: Key::from(key),
                value: entry.value.clone(),
                lru: entry.lru,
                expire,
            };
            s.pending.push(item);
            // Re-inserted elsewhere, it is a new entry of this snapshot.
            entry.snap = s.gen;
        }
    }

    /// A database emptied during the snapshot: the snapshot keeps walking
    /// its old contents. Returns what the caller may free (nothing then).
    pub(super) fn snapshot_adopt(&mut self, db: usize, old: Db) -> Db {
        match self.snapshot.as_mut() {
            Some(s) if !old.is_empty() => {
                let sdb = Self::snapshot_db_of(s, db);
                s.detached.push((sdb, old, 0));
                Db::default()
            }
            _ => old,
        }
    }

    /// SWAPDB during a snapshot: the snapshot databases follow their data.
    pub(super) fn snapshot_swapped(&mut self, a: usize, b: usize) {
        if let Some(s) = self.snapshot.as_mut() {
            for l in s.map.iter_mut() {
                if *l == a {
                    *l = b;
                } else if *l == b {
                    *l = a;
                }
            }
        }
    }

    /// Entries handed out by changes since the last call.
    pub fn take_snapshot_pending(&mut self) -> Vec<SnapEntry> {
        self.snapshot
            .as_mut()
            .map(|s| std::mem::take(&mut s.pending))
            .unwrap_or_default()
    }

    /// Walks up to about `budget` entries, calling `f(db, key, entry,
    /// expire)` for each one not handed out yet. Returns true when every
    /// database has been walked (take the pending entries once more, then
    /// end the snapshot).
    pub fn snapshot_step(
        &mut self,
        budget: usize,
        mut f: impl FnMut(usize, &Key, &Entry, i64),
    ) -> bool {
        let Some(s) = self.snapshot.as_mut() else {
            return true;
        };
        let gen = s.gen;
        let mut done = 0usize;
        // Emptied databases first: their memory is freed as they finish.
        while let Some((sdb, db, cursor)) = s.detached.last_mut() {
            walk(*sdb, db, cursor, gen, budget, &mut done, &mut f);
            if *cursor == 0 {
                s.detached.pop();
            }
            if done >= budget {
                return false;
            }
        }
        while s.next_db < s.map.len() {
            let sdb = s.next_db;
            walk(
                sdb,
                &mut self.dbs[s.map[sdb]],
                &mut s.cursor,
                gen,
                budget,
                &mut done,
                &mut f,
            );
            if s.cursor == 0 {
                s.next_db += 1;
            }
            if done >= budget {
                return s.next_db >= s.map.len() && s.detached.is_empty();
            }
        }
        true
    }
}

/// Scans `db` from `cursor` until it is done or `done` reaches `budget`
/// (one unit per bucket), handing out (as database `sdb`) and marking every
/// entry not yet handed out in generation `gen`.
fn walk(
    sdb: usize,
    db: &mut Db,
    cursor: &mut u64,
    gen: u16,
    budget: usize,
    done: &mut usize,
    f: &mut impl FnMut(usize, &Key, &Entry, i64),
) {
    let mut visit = Vec::new();
    loop {
        *cursor = db.scan(*cursor, |k, e| {
            if e.snap != gen {
                f(sdb, k, e, db.expire_of(k));
                visit.push(k.clone());
            }
        });
        *done += 1;
        if *cursor == 0 || *done >= budget {
            break;
        }
    }
    for k in visit {
        db.set_snap(&k, gen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::StrValue;
    use std::collections::BTreeMap;

    fn s(v: &str) -> Value {
        Value::Str(StrValue::from_bytes(v.as_bytes()))
    }

    fn text(v: &Value) -> String {
        match v {
            Value::Str(x) => String::from_utf8_lossy(&x.as_bytes()).into_owned(),
            _ => "?".into(),
        }
    }

    /// Runs a snapshot in small steps while `change` mutates the keyspace
    /// between steps; returns what the snapshot saw.
    fn run(
        ks: &mut Keyspace,
        mut change: impl FnMut(&mut Keyspace, usize),
    ) -> BTreeMap<(usize, String), String> {
        let mut seen = BTreeMap::new();
        assert!(ks.begin_snapshot());
        let mut step = 0;
        loop {
            let done = ks.snapshot_step(3, |db, k, e, _| {
                let prev = seen.insert(
                    (db, String::from_utf8_lossy(k).into_owned()),
                    text(&e.value),
                );
                assert!(prev.is_none(), "handed out twice");
            });
            for p in ks.take_snapshot_pending() {
                let prev = seen.insert(
                    (p.db, String::from_utf8_lossy(&p.key).into_owned()),
                    text(&p.value),
                );
                assert!(prev.is_none(), "handed out twice");
            }
            if done {
                break;
            }
            change(ks, step);
            step += 1;
        }
        ks.end_snapshot();
        seen
    }

    #[test]
    fn the_mark_does_not_grow_entries() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
    }

    #[test]
    fn sees_the_starting_moment_despite_changes() {
        let mut ks = Keyspace::new(4);
        for i in 0..200 {
            ks.set(
                i % 3,
                format!("k{i}").as_bytes(),
                s(&format!("v{i}")),
                false,
                0,
            );
        }
        let mut want = BTreeMap::new();
        for i in 0..200 {
            want.insert((i % 3, format!("k{i}")), format!("v{i}"));
        }
        let seen = run(&mut ks, |ks, step| {
            let i = (step * 7) % 200;
            let db = i % 3;
            let key = format!("k{i}");
            match step % 6 {
                0 => ks.set(db, key.as_bytes(), s("changed"), false, 0),
                1 => {
                    ks.delete(db, key.as_bytes(), 0);
                }
                2 => ks.set(db, format!("new{step}").as_bytes(), s("new"), false, 0),
                3 => {
                    if let Some(e) = ks.lookup(db, key.as_bytes(), 0, crate::Access::Write) {
                        e.value = s("in place");
                    }
                }
                4 => {
                    ks.relocate(db, key.as_bytes(), 3, b"moved", 0);
                }
                _ => {
                    ks.set_expire(db, key.as_bytes(), 99);
                }
            }
        });
        assert_eq!(seen, want);
    }

    #[test]
    fn flush_and_swap_during_a_snapshot() {
        let mut ks = Keyspace::new(3);
        for i in 0..50 {
            ks.set(0, format!("a{i}").as_bytes(), s("0"), false, 0);
            ks.set(1, format!("b{i}").as_bytes(), s("1"), false, 0);
        }
        let seen = run(&mut ks, |ks, step| match step {
            1 => {
                ks.swap_db(0, 1);
            }
            3 => {
                let old = ks.detach_db(1);
                drop(old);
            }
            5 => {
                ks.flush_all();
            }
            _ => {}
        });
        assert_eq!(seen.len(), 100);
        assert!(seen.iter().all(|((db, k), v)| {
            (*db == 0 && k.starts_with('a') && v == "0")
                || (*db == 1 && k.starts_with('b') && v == "1")
        }));
        // A second snapshot sees the current (empty) state.
        assert!(run(&mut ks, |_, _| {}).is_empty());
    }
}
