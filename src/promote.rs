//! Asynchronous promotion: a command whose keys hold cold values waits for
//! them off the command thread, so no other client waits with it (DESIGN
//! §4, invariant 3).
//!
//! Before a client's command runs, [`plan`] looks at the keys it will
//! touch (from the command table's key specs; for EXEC, the keys of every
//! queued command). If any of them is cold and the command needs its
//! value, the command does not run yet: each missing value is read and
//! decoded on the blocking pool, at most `tiering-io-threads` at a time,
//! and put back into its entry ([`Keyspace::install_loaded`]). The client
//! awaits those loads with the state unlocked, so other clients keep
//! running; its own later pipelined commands wait behind it, in order.
//! Clients that need a value already being read wait for that same read.
//!
//! The command then runs as usual. If a value went cold again in between
//! (demotion runs before every command), or a key was not in the plan
//! (SORT's BY/GET patterns), the lookup loads it on the command thread:
//! correctness never depends on the plan.
//!
//! [`Keyspace::install_loaded`]: tiering::Keyspace::install_loaded

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::watch;

use crate::server::{now_ms, Shared, State};

/// The loads a command waits for.
pub type Wait = Vec<watch::Receiver<bool>>;

/// Commands that only look at or replace keys, never at their values:
/// their cold keys stay cold.
fn header_only(name: &[u8], args: &[Bytes]) -> bool {
    const NAMES: &[&str] = &[
        "del",
        "unlink",
        "exists",
        "type",
        "ttl",
        "pttl",
        "expiretime",
        "pexpiretime",
        "expire",
        "pexpire",
        "expireat",
        "pexpireat",
        "persist",
        "rename",
        "renamenx",
        "move",
        "touch",
        "mset",
        "msetnx",
        "setex",
        "psetex",
        "restore",
        "object",
        "memory",
        "debug",
    ];
    if name.eq_ignore_ascii_case(b"set") {
        // SET ... GET returns the old value.
        return !args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
    }
    NAMES
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// The keys (database, key) whose values `args` will read, if it runs now.
fn keys_needed(st: &State, id: u64, args: &[Bytes]) -> Vec<(usize, Bytes)> {
    let Some(c) = st.clients.get(&id) else {
        return Vec::new();
    };
    if !c.authenticated {
        return Vec::new();
    }
    let db = c.db;
    let mut out = Vec::new();
    let mut add = |args: &[Bytes]| {
        let Some(def) = crate::commands::TABLE.resolve(args) else {
            return;
        };
        if !def.arity_ok(args.len()) || header_only(&args[0], args) {
            return;
        }
        for p in crate::commands::key_positions(def, args) {
            if let Some(k) = args.get(p) {
                out.push((db, k.clone()));
            }
        }
    };
    if args[0].eq_ignore_ascii_case(b"exec") {
        if let Some(m) = &c.multi {
            for (_, queued) in &m.queue {
                add(queued);
            }
        }
    } else if c.multi.is_none() {
        add(args);
    }
    out
}

/// Starts the loads the command `args` of client `id` needs, if any of its
/// keys is cold; returns what to wait for before running it.
pub fn plan(st: &mut State, shared: &Shared, id: u64, args: &[Bytes]) -> Option<Wait> {
    if st.ks.cold_keys() == 0 {
        return None;
    }
    let now = now_ms();
    let mut wait = Wait::new();
    for (db, key) in keys_needed(st, id, args) {
        let Some(r) = st.ks.cold_ref_of(db, &key, now) else {
            continue;
        };
        if let Some(rx) = st.cold_inflight.get(&r.id) {
            wait.push(rx.clone());
            continue;
        }
        let (Some(store), Some(shared)) = (st.ks.cold(), shared.me.upgrade()) else {
            return None;
        };
        let reader = store.reader();
        let permits = st.cold_reads.clone();
        let (tx, rx) = watch::channel(false);
        st.cold_inflight.insert(r.id, rx.clone());
        wait.push(rx);
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let start = Instant::now();
            let r2 = r.clone();
            let loaded = tokio::task::spawn_blocking(move || reader.load(&r2)).await;
            let us = start.elapsed().as_micros().min(u64::MAX as u128) as u64;
            {
                let mut st = shared.state.lock();
                st.cold_inflight.remove(&r.id);
                match loaded {
                    Ok(Ok(v)) => {
                        st.ks.install_loaded(db, &key, r.id, v, us);
                    }
                    // The command's own lookup retries on the command
                    // thread and reports the failure.
                    Ok(Err(e)) => tracing::debug!("cold read of record {} failed: {e}", r.id),
                    Err(_) => {}
                }
            }
            let _ = tx.send(true);
        });
    }
    (!wait.is_empty()).then_some(wait)
}

/// Waits for every load of `wait` (a load whose task ended without a
/// result counts as done: the command thread loads the value then).
pub async fn wait_for(wait: Wait) {
    for mut rx in wait {
        let _ = rx.wait_for(|done| *done).await;
    }
}

/// How many cold reads may run at once (`tiering-io-threads`).
pub fn readers(n: usize) -> Arc<tokio::sync::Semaphore> {
    Arc::new(tokio::sync::Semaphore::new(n.max(1)))
}
