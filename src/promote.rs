//! Asynchronous promotion: a command whose keys hold cold values waits for
//! them off the command thread, so no other client waits with it (DESIGN
//! §4, invariant 3).
//!
//! Before a client's command runs, [`plan`] looks at the keys it will
//! touch (from the command table's key specs; for EXEC, the keys of every
//! queued command). If any of them is cold and the command needs its
//! value, the command does not run yet: each missing value is read and
//! decoded by one of the `tiering-io-threads` reader threads ([`ReadPool`],
//! in batches) and put back into its entry ([`Keyspace::install_loaded`]). The client
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

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};
use tiering::cold::{ColdReader, ColdRef};
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
        let store = st.ks.cold()?;
        if st.cold_readers.is_none() {
            st.cold_readers =
                ReadPool::start(store.reader(), shared.me.clone(), st.cold_reader_threads);
        }
        let pool = st.cold_readers.clone()?;
        let (tx, rx) = watch::channel(false);
        st.cold_inflight.insert(r.id, rx.clone());
        wait.push(rx);
        pool.submit(Request {
            db,
            key,
            r,
            done: tx,
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

/// One value to read back: where it goes and who waits for it.
pub struct Request {
    db: usize,
    key: Bytes,
    r: ColdRef,
    done: watch::Sender<bool>,
}

/// Values waiting to be read, for the reader threads.
struct Queue {
    waiting: Mutex<Waiting>,
    ready: Condvar,
    /// Loads done, whose waiters the command thread's [`release`] task
    /// wakes (when the pool was started on a runtime; see `read_loop`).
    finished: Mutex<Vec<watch::Sender<bool>>>,
    finish: tokio::sync::Notify,
}

#[derive(Default)]
struct Waiting {
    requests: VecDeque<Request>,
    /// Reader threads asleep on `ready`.
    idle: usize,
}

/// The cold-tier reader threads (`tiering-io-threads` of them). Each takes
/// every waiting value up to [`READ_BATCH`] at once, reads them in one
/// RocksDB MultiGet, decodes them, and installs them all under one lock of
/// the state. Under load a thread finds work waiting when it finishes a
/// batch, so values come back without a thread wake-up each: the hand-off
/// cost is paid per batch, not per value.
#[derive(Clone)]
pub struct ReadPool {
    queue: Arc<Queue>,
}

/// Most values one reader thread reads in one go.
const READ_BATCH: usize = 32;

impl ReadPool {
    fn start(reader: ColdReader, shared: Weak<Shared>, threads: usize) -> Option<ReadPool> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let queue = Arc::new(Queue {
            waiting: Mutex::new(Waiting::default()),
            ready: Condvar::new(),
            finished: Mutex::new(Vec::new()),
            finish: tokio::sync::Notify::new(),
        });
        if let Some(rt) = &runtime {
            rt.spawn(release(queue.clone()));
        }
        let batched = runtime.is_some();
        let mut started = 0;
        for i in 0..threads.max(1) {
            let (queue, reader, shared) = (queue.clone(), reader.clone(), shared.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("cold-reader-{i}"))
                .spawn(move || read_loop(&queue, &reader, &shared, batched));
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::warn!("could not start cold reader thread {i}: {e}"),
            }
        }
        // Without a reader, commands load their values on the command
        // thread (the lookup's own fallback) rather than wait forever.
        (started > 0).then_some(ReadPool { queue })
    }

    /// Queues `req`. A sleeping reader is woken only when the queue was
    /// empty: a reader woken earlier, or one still busy, takes whatever
    /// arrives meanwhile in its next batch, which saves a wake-up (a
    /// futex call and a context switch) per value under load.
    fn submit(&self, req: Request) {
        let mut w = self.queue.waiting.lock();
        w.requests.push_back(req);
        let wake = w.idle > 0 && w.requests.len() == 1;
        drop(w);
        if wake {
            self.queue.ready.notify_one();
        }
    }
}

/// Wakes the waiters of finished loads, on the command thread's runtime.
/// A task woken from another thread costs that thread a write to the
/// runtime's wake-up descriptor, one per task; woken from here, the tasks
/// of a whole batch cost one (the wake of this task), and the rest are
/// queued locally.
async fn release(queue: Arc<Queue>) {
    loop {
        queue.finish.notified().await;
        let done = std::mem::take(&mut *queue.finished.lock());
        for d in done {
            let _ = d.send(true);
        }
    }
}

/// `batched`: the waiters of a finished batch are handed to [`release`]
/// (on the command thread's runtime) instead of being woken from here.
fn read_loop(queue: &Queue, reader: &ColdReader, shared: &Weak<Shared>, batched: bool) {
    loop {
        let batch: Vec<Request> = {
            let mut w = queue.waiting.lock();
            while w.requests.is_empty() {
                w.idle += 1;
                queue.ready.wait(&mut w);
                w.idle -= 1;
            }
            let n = w.requests.len().min(READ_BATCH);
            let batch = w.requests.drain(..n).collect();
            // More than one batch waiting: pass the wake-up on, so that a
            // backlog is read by every reader, not one batch after another.
            if !w.requests.is_empty() && w.idle > 0 {
                queue.ready.notify_one();
            }
            batch
        };
        let refs: Vec<ColdRef> = batch.iter().map(|q| q.r.clone()).collect();
        let start = Instant::now();
        // A panic while reading or decoding (a bug, or a record the codec
        // chokes on) must not take the thread with it: the batch's waiters
        // are released (their senders drop) and load on the command thread.
        let read =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.load_many(&refs)));
        let Ok(loaded) = read else {
            if let Some(shared) = shared.upgrade() {
                let mut st = shared.state.lock();
                for q in &batch {
                    st.cold_inflight.remove(&q.r.id);
                }
            }
            continue;
        };
        let us = start.elapsed().as_micros().min(u64::MAX as u128) as u64;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        {
            let mut st = shared.state.lock();
            for (q, v) in batch.iter().zip(loaded) {
                st.cold_inflight.remove(&q.r.id);
                match v {
                    Ok(v) => {
                        st.ks.install_loaded(q.db, &q.key, q.r.id, v, us);
                    }
                    // The command's own lookup retries on the command
                    // thread and reports the failure.
                    Err(e) => tracing::debug!("cold read of record {} failed: {e}", q.r.id),
                }
            }
        }
        if batched {
            queue
                .finished
                .lock()
                .extend(batch.into_iter().map(|q| q.done));
            queue.finish.notify_one();
        } else {
            for q in batch {
                let _ = q.done.send(true);
            }
        }
    }
}
