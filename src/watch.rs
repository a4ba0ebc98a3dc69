//! WATCH bookkeeping: which clients watch which keys, so that a change to a
//! key can flag their transactions to fail (optimistic locking).
//!
//! Commands report every key they change through
//! [`State::signal_modified`](crate::server::State::signal_modified) (what
//! Redis calls `signalModifiedKey`); with no watcher registered that is one
//! branch on an empty map.

use std::collections::HashMap;

use tiering::Key;

/// Keys being watched, per database, with the clients watching each.
#[derive(Default)]
pub struct Watches {
    by_key: HashMap<(usize, Key), Vec<u64>>,
}

impl Watches {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Registers `client` as a watcher of `key`; false if it already was.
    pub fn add(&mut self, client: u64, db: usize, key: &[u8]) -> bool {
        let ids = self.by_key.entry((db, Key::from(key))).or_default();
        if ids.contains(&client) {
            return false;
        }
        ids.push(client);
        true
    }

    /// Removes `client` from the watchers of `key`.
    pub fn remove(&mut self, client: u64, db: usize, key: &Key) {
        let k = (db, key.clone());
        if let Some(ids) = self.by_key.get_mut(&k) {
            ids.retain(|&c| c != client);
            if ids.is_empty() {
                self.by_key.remove(&k);
            }
        }
    }

    /// The clients watching `key` of `db`.
    pub fn watchers(&self, db: usize, key: &[u8]) -> &[u64] {
        if self.by_key.is_empty() {
            return &[];
        }
        self.by_key
            .get(&(db, Key::from(key)))
            .map_or(&[], |v| v.as_slice())
    }

    /// The clients watching any key of `db` (`None`: every database), with
    /// the watched keys: FLUSHDB, FLUSHALL and SWAPDB decide per key.
    pub fn in_db(&self, db: Option<usize>) -> Vec<(u64, usize, Key)> {
        let mut v = Vec::new();
        for ((d, k), ids) in &self.by_key {
            if db.is_none_or(|x| x == *d) {
                v.extend(ids.iter().map(|&c| (c, *d, k.clone())));
            }
        }
        v
    }

    /// Number of distinct keys watched (`INFO`'s `watching_clients` and
    /// friends count from here).
    pub fn key_count(&self) -> usize {
        self.by_key.len()
    }
}
