//! Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP): a client waits until one of its keys gets data.
//!
//! How it works, and why this way:
//!
//! * A blocking command first tries to do its work like its non-blocking
//!   twin. If every key it names is missing, its handler calls [`block`]
//!   instead of replying, which leaves a request in [`Blocking`]. The
//!   executor (`exec::execute`) turns that into a [`Blocked`] record: the
//!   client's arguments, database, keys, deadline and a notification.
//!   Inside MULTI/EXEC (and later scripts) [`block`] replies as a timeout
//!   would, at once: a transaction never waits.
//! * The keyspace learns which keys are waited for
//!   ([`tiering::Keyspace::watch_ready`]) and records every such key that
//!   is added to its database, whatever adds it (a push, LMOVE into it,
//!   RENAME, MOVE, COPY, RESTORE, SWAPDB). This is Redis's "key ready"
//!   signal, and it costs nothing while nobody is blocked.
//! * After each command the executor calls [`handle_ready`]: for each ready
//!   key, the clients waiting for it are tried in the order they blocked
//!   (FIFO). Trying a client re-runs its own command with "serving" set to
//!   that key; the handler then looks only at that key (Redis 7.0 serves
//!   the key that became ready, not the first of the client's keys) and
//!   either answers (the client is served: its reply is stored and its
//!   connection task notified) or finds nothing to take (wrong type, or
//!   the earlier clients emptied it) and the client keeps waiting. The
//!   next client is tried while the key still exists (a sorted-set waiter
//!   behind a list waiter is served when the key gets a sorted set). Keeping the
//!   command itself as the unit of work makes the mechanism generic: a
//!   sorted-set command only has to know how to serve one ready key.
//! * The connection task of a blocked client stops executing its batch
//!   (later pipelined commands stay in its input buffer), writes what it
//!   has, and waits for the notification, the deadline, CLIENT KILL, or
//!   the socket closing (it keeps reading to notice). On the deadline it
//!   answers nil itself, under the lock, if nobody served it first. Then
//!   it writes the reply and resumes with the rest of its input.
//!   Other clients are never held up: nothing waits under the lock.
//! * CLIENT UNBLOCK, a disconnect, or a timeout removes the record and the
//!   client from every key's queue.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

use crate::exec::{CmdError, CmdResult, Ctx};
use crate::reply::{Proto, Reply};
use crate::server::{CmdRef, Shared, State};

/// A client waiting in a blocking command.
pub struct Blocked {
    pub args: Vec<Bytes>,
    pub cmd: CmdRef,
    pub db: usize,
    pub keys: Vec<Bytes>,
    /// Absolute deadline in ms, or `None` to wait forever.
    pub deadline_ms: Option<i64>,
    pub wake: Arc<Notify>,
}

/// What a handler asked for when it decided to block.
pub struct Request {
    keys: Vec<Bytes>,
    deadline_ms: Option<i64>,
}

/// The blocked clients and the queues of the keys they wait for.
#[derive(Default)]
pub struct Blocking {
    clients: HashMap<u64, Blocked>,
    queues: HashMap<(usize, Bytes), VecDeque<u64>>,
    /// Replies of clients that were served, unblocked or timed out, until
    /// their connection task takes them.
    done: HashMap<u64, Vec<u8>>,
    /// Set by [`block`] during a command.
    request: Option<Request>,
    /// During a re-run: the key being served.
    serving: Option<Bytes>,
}

impl Blocking {
    /// The command that just ran asked to block, or was a re-run for a
    /// ready key that found nothing to take (`produced` false): either way
    /// it has not ended yet.
    pub fn pending(&self, produced: bool) -> bool {
        self.request.is_some() || (self.serving.is_some() && !produced)
    }

    /// The command a blocked client waits in.
    pub fn command_of(&self, id: u64) -> Option<CmdRef> {
        self.clients.get(&id).map(|b| b.cmd)
    }

    pub fn is_blocked(&self, id: u64) -> bool {
        self.clients.contains_key(&id)
    }

    /// Number of blocked clients (`INFO clients`).
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The deadline and notification a blocked client's task waits on.
    pub fn wait_info(&self, id: u64) -> Option<(Option<i64>, Arc<Notify>)> {
        self.clients
            .get(&id)
            .map(|b| (b.deadline_ms, b.wake.clone()))
    }

    /// The reply of a client no longer blocked, once.
    pub fn take_done(&mut self, id: u64) -> Option<Vec<u8>> {
        self.done.remove(&id)
    }
}

/// Parses a blocking timeout in seconds (a float) into an absolute
/// deadline; `None` for 0, which waits forever. Errors as Redis: the
/// milliseconds are truncated to a 64-bit integer, so infinities and huge
/// values come out negative.
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<Option<i64>, CmdError> {
    let secs = crate::exec::parse_float(arg)
        .ok_or(CmdError::msg("ERR timeout is not a float or out of range"))?;
    let ms = secs * 1000.0;
    let ms = if ms.is_finite() && ms.abs() < i64::MAX as f64 {
        ms.trunc() as i64
    } else {
        i64::MIN
    };
    if ms < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    if ms == 0 {
        return Ok(None);
    }
    if ms > i64::MAX - now_ms {
        return Err(CmdError::msg("ERR timeout is out of range"));
    }
    Ok(Some(now_ms + ms))
}

/// The key a re-run serves, if this run is one.
pub fn serving(ctx: &Ctx) -> Option<Bytes> {
    ctx.st.blocking.serving.clone()
}

/// Called by a blocking command whose keys are all empty: blocks the
/// client, or inside a transaction answers nil at once (a null array, or
/// a null bulk string if `bulk_nil`, as Redis does for BLMOVE and
/// BRPOPLPUSH there; their timeouts answer a null array all the same).
pub fn block(ctx: &mut Ctx, keys: &[Bytes], deadline_ms: Option<i64>, bulk_nil: bool) -> CmdResult {
    if ctx.st.in_exec {
        if bulk_nil {
            ctx.out.null();
        } else {
            ctx.out.null_array();
        }
        return Ok(());
    }
    ctx.st.blocking.request = Some(Request {
        keys: keys.to_vec(),
        deadline_ms,
    });
    Ok(())
}

/// After a command ran: if its handler asked to block, registers the
/// client.
pub fn after_command(st: &mut State, id: u64, args: &[Bytes], cmd: Option<CmdRef>) {
    let Some(req) = st.blocking.request.take() else {
        return;
    };
    let (Some(cmd), Some(db)) = (cmd, st.clients.get(&id).map(|c| c.db)) else {
        return;
    };
    for k in &req.keys {
        let q = st.blocking.queues.entry((db, k.clone())).or_default();
        if q.is_empty() {
            st.ks.watch_ready(db, k, true);
        }
        if !q.contains(&id) {
            q.push_back(id);
        }
    }
    st.blocking.clients.insert(
        id,
        Blocked {
            args: args.to_vec(),
            cmd,
            db,
            keys: req.keys,
            deadline_ms: req.deadline_ms,
            wake: Arc::new(Notify::new()),
        },
    );
}

/// Removes a blocked client from every queue; stores `reply` for its task
/// and wakes it. Returns false if it was not blocked.
fn finish(st: &mut State, id: u64, reply: Option<Vec<u8>>) -> bool {
    let Some(b) = st.blocking.clients.remove(&id) else {
        return false;
    };
    for k in &b.keys {
        let qk = (b.db, k.clone());
        if let Some(q) = st.blocking.queues.get_mut(&qk) {
            q.retain(|&c| c != id);
            if q.is_empty() {
                st.blocking.queues.remove(&qk);
                st.ks.watch_ready(b.db, k, false);
            }
        }
    }
    if let Some(r) = reply {
        st.blocking.done.insert(id, r);
    }
    b.wake.notify_one();
    true
}

fn proto_of(st: &State, id: u64) -> Proto {
    match st.clients.get(&id) {
        Some(c) if c.resp == 3 => Proto::Resp3,
        _ => Proto::Resp2,
    }
}

/// The deadline passed (the client's task calls this): answers nil unless
/// the client was served meanwhile.
pub fn time_out(st: &mut State, id: u64) {
    let mut out = Reply::new(proto_of(st, id));
    out.null_array();
    if let Some(cmd) = st.blocking.command_of(id) {
        crate::exec::count_unblocked(st, cmd, false);
    }
    finish(st, id, Some(out.buf));
}

/// CLIENT UNBLOCK: true if `id` was blocked. `error` answers the
/// UNBLOCKED error instead of the timeout's nil.
pub fn unblock(st: &mut State, id: u64, error: bool) -> bool {
    if !st.blocking.is_blocked(id) {
        return false;
    }
    let mut out = Reply::new(proto_of(st, id));
    if error {
        let msg = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
        out.error(msg);
        st.stats.count_error(msg);
    } else {
        out.null_array();
    }
    if let Some(cmd) = st.blocking.command_of(id) {
        crate::exec::count_unblocked(st, cmd, error);
    }
    finish(st, id, Some(out.buf))
}

/// A client disconnected: forgets it.
pub fn forget(st: &mut State, id: u64) {
    finish(st, id, None);
    st.blocking.done.remove(&id);
}

/// Serves the clients waiting for keys that became ready, in FIFO order
/// per key, re-running each one's command for the ready key (see the
/// module comment).
pub fn handle_ready(st: &mut State, shared: &Shared) {
    while st.ks.has_ready() {
        for (db, key) in st.ks.take_ready() {
            let key = Bytes::from(key);
            // Clients that could not be served stay queued; the walk goes
            // past them (a list waiter when the key got a sorted set, say)
            // as long as the key still exists.
            let mut skipped = 0;
            loop {
                let Some(&id) = st
                    .blocking
                    .queues
                    .get(&(db, key.clone()))
                    .and_then(|q| q.get(skipped))
                else {
                    break;
                };
                let Some(b) = st.blocking.clients.get(&id) else {
                    break;
                };
                let (args, cmd) = (b.args.clone(), b.cmd);
                let mut out = Reply::new(proto_of(st, id));
                st.blocking.serving = Some(key.clone());
                crate::exec::run_queued(st, shared, id, &mut out, &args, cmd);
                st.blocking.serving = None;
                st.drain_expired();
                // What serving it changed is one unit of the log.
                crate::aof::end_unit(st);
                if out.buf.is_empty() {
                    // Nothing for this client to take from the key (any
                    // more): the next one may still find something of
                    // its type, unless the key is gone.
                    if st.ks.db(db).peek(&key).is_none() {
                        break;
                    }
                    skipped += 1;
                    continue;
                }
                finish(st, id, Some(out.buf));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_like_redis() {
        assert_eq!(parse_timeout(b"0", 1000), Ok(None));
        assert_eq!(parse_timeout(b"0.0001", 1000), Ok(None));
        assert_eq!(parse_timeout(b"1.5", 1000), Ok(Some(2500)));
        assert_eq!(parse_timeout(b".01", 1000), Ok(Some(1010)));
        let neg = Err(CmdError::msg("ERR timeout is negative"));
        assert_eq!(parse_timeout(b"-1", 1000), neg);
        assert_eq!(parse_timeout(b"inf", 1000), neg);
        assert_eq!(parse_timeout(b"1e20", 1000), neg);
        assert_eq!(
            parse_timeout(b"x", 1000),
            Err(CmdError::msg("ERR timeout is not a float or out of range"))
        );
        assert_eq!(
            parse_timeout(b"9000000000000000", 1_000_000_000_000_000_000),
            Err(CmdError::msg("ERR timeout is out of range"))
        );
    }
}
