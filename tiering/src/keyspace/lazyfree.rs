//! The background freeing thread ("lazyfree"): big structures removed by
//! `FLUSHALL ASYNC` or `UNLINK` are dropped there instead of on the thread
//! that executes commands.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

/// Values at least this large (heap bytes) are freed by the background
/// thread when unlinked (Redis's `LAZYFREE_THRESHOLD` counts elements; one
/// allocation of any size is cheap to free, a big collection is not).
pub const LAZYFREE_THRESHOLD_BYTES: usize = 64 * 1024;

type Garbage = Box<dyn Send>;

static LAZYFREE_PENDING: AtomicUsize = AtomicUsize::new(0);
static LAZYFREE_FREED: AtomicUsize = AtomicUsize::new(0);

fn lazyfree_queue() -> Option<&'static Mutex<Sender<Garbage>>> {
    static QUEUE: OnceLock<Option<Mutex<Sender<Garbage>>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = channel::<Garbage>();
            std::thread::Builder::new()
                .name("lazyfree".into())
                .spawn(move || {
                    for g in rx {
                        drop(g);
                        LAZYFREE_PENDING.fetch_sub(1, Ordering::Relaxed);
                        LAZYFREE_FREED.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .ok()
                .map(|_| Mutex::new(tx))
        })
        .as_ref()
}

/// Drops `v` on the background "lazyfree" thread (`FLUSHALL ASYNC`,
/// `UNLINK` of big values), so freeing a large structure does not stall
/// command execution. Drops inline if that thread cannot be started.
pub fn lazy_free<T: Send + 'static>(v: T) {
    let Some(q) = lazyfree_queue() else {
        drop(v);
        return;
    };
    LAZYFREE_PENDING.fetch_add(1, Ordering::Relaxed);
    let sent = match q.lock() {
        Ok(tx) => tx.send(Box::new(v)).map_err(|e| e.0),
        Err(_) => Err(Box::new(v) as Garbage),
    };
    if let Err(g) = sent {
        drop(g);
        LAZYFREE_PENDING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Objects queued for background freeing and not yet freed
/// (`lazyfree_pending_objects` in INFO).
pub fn lazyfree_pending() -> usize {
    LAZYFREE_PENDING.load(Ordering::Relaxed)
}

/// Objects freed by the background thread so far (`lazyfreed_objects`).
pub fn lazyfreed_objects() -> usize {
    LAZYFREE_FREED.load(Ordering::Relaxed)
}
