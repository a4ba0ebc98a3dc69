//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Between MULTI and EXEC a client's commands are checked (existence,
//! arity, authentication) and queued instead of run; a command refused at
//! that point marks the transaction aborted, and EXEC then answers
//! `EXECABORT`. EXEC runs the queue back to back under the executor lock,
//! so no other client's command interleaves. WATCH is optimistic locking:
//! a change to a watched key (reported by commands through
//! [`Ctx::modified`]) makes the next EXEC answer a null array instead of
//! running anything. The queueing itself happens in [`crate::exec`].

use bytes::Bytes;
use tiering::Key;

use super::{ks, C_TRANSACTION, KS_RO};
use super::{CommandDef, ALLOW_BUSY, BASE, FAST, LOADING, NOSCRIPT, SKIP_SLOWLOG, STALE};
use crate::exec::{CmdError, CmdResult, Ctx};
use crate::server::{CmdRef, State};

const TX: u32 = C_TRANSACTION;

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "multi",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        acl: TX,
        group: "transactions",
        since: "1.2.0",
        summary: "Starts a transaction: later commands are queued until EXEC.",
        complexity: "O(1)",
        handler: Some(multi),
        ..BASE
    },
    CommandDef {
        name: "exec",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        acl: TX,
        group: "transactions",
        since: "1.2.0",
        summary: "Runs the commands queued since MULTI, as one uninterrupted block.",
        complexity: "Depends on commands in the transaction",
        handler: Some(exec),
        ..BASE
    },
    CommandDef {
        name: "discard",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        acl: TX,
        group: "transactions",
        since: "2.0.0",
        summary: "Drops the commands queued since MULTI.",
        complexity: "O(N), when N is the number of queued commands",
        handler: Some(discard),
        ..BASE
    },
    CommandDef {
        name: "watch",
        arity: -2,
        flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        acl: TX,
        first_key: 1,
        last_key: -1,
        key_step: 1,
        key_specs: &[ks(KS_RO, 1, -1, 1)],
        group: "transactions",
        since: "2.2.0",
        summary: "Makes the next EXEC fail if any of the keys changes before it.",
        complexity: "O(1) for every key.",
        handler: Some(watch),
        ..BASE
    },
    CommandDef {
        name: "unwatch",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        acl: TX,
        group: "transactions",
        since: "2.2.0",
        summary: "Forgets every key this connection watches.",
        complexity: "O(1)",
        handler: Some(unwatch),
        ..BASE
    },
];

/// A transaction being queued.
#[derive(Default)]
pub struct Multi {
    pub queue: Vec<(CmdRef, Vec<Bytes>)>,
    /// A command was refused while queueing: EXEC answers EXECABORT.
    pub aborted: bool,
}

/// Commands that run at once even inside MULTI (they control the
/// transaction or the connection).
pub fn runs_inside_multi(top: &CommandDef) -> bool {
    matches!(
        top.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// One watched key: the key, and whether it was already logically expired
/// (but not yet removed) when WATCH ran. Such a key's removal is not a
/// change, and its expiry does not fail EXEC.
pub struct Watched {
    pub db: usize,
    pub key: Key,
    pub expired_at_watch: bool,
}

fn multi(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let c = ctx.client();
    if c.multi.is_some() {
        return Err(CmdError::msg("ERR MULTI calls can not be nested"));
    }
    c.multi = Some(Box::default());
    ctx.out.ok();
    Ok(())
}

fn discard(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    if ctx.client().multi.take().is_none() {
        return Err(CmdError::msg("ERR DISCARD without MULTI"));
    }
    let id = ctx.id;
    unwatch_all(ctx.st, id);
    ctx.out.ok();
    Ok(())
}

fn watch(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.client().multi.is_some() {
        return Err(CmdError::msg("ERR WATCH inside MULTI is not allowed"));
    }
    let (id, db, now) = (ctx.id, ctx.db, ctx.now_ms);
    for key in &args[1..] {
        if !ctx.st.watches.add(id, db, key) {
            continue;
        }
        let d = ctx.st.ks.db(db);
        let expired_at_watch = d.peek(key).is_some_and(|e| d.is_expired(key, &e, now));
        ctx.client().watched.push(Watched {
            db,
            key: Key::from(&key[..]),
            expired_at_watch,
        });
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let id = ctx.id;
    unwatch_all(ctx.st, id);
    ctx.out.ok();
    Ok(())
}

/// Forgets every key client `id` watches and clears its "changed" flag.
pub fn unwatch_all(st: &mut State, id: u64) {
    let Some(c) = st.clients.get_mut(&id) else {
        return;
    };
    c.dirty_cas = false;
    for w in std::mem::take(&mut c.watched) {
        st.watches.remove(id, w.db, &w.key);
    }
}

/// True if a key watched by client `id` has expired since WATCH: Redis
/// counts that as a change even though no command touched the key.
fn watched_key_expired(st: &State, id: u64, now_ms: i64) -> bool {
    let Some(c) = st.clients.get(&id) else {
        return false;
    };
    c.watched.iter().any(|w| {
        let d = st.ks.db(w.db);
        !w.expired_at_watch
            && d.peek(&w.key)
                .is_some_and(|e| d.is_expired(&w.key, &e, now_ms))
    })
}

fn exec(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let id = ctx.id;
    let Some(m) = ctx.client().multi.take() else {
        return Err(CmdError::msg("ERR EXEC without MULTI"));
    };
    if m.aborted {
        unwatch_all(ctx.st, id);
        return Err(CmdError::msg(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    let changed = ctx.client().dirty_cas || watched_key_expired(ctx.st, id, ctx.now_ms);
    unwatch_all(ctx.st, id);
    if changed {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array(m.queue.len());
    ctx.st.in_exec = true;
    for (r, args) in &m.queue {
        crate::exec::run_queued(ctx.st, ctx.shared, id, ctx.out, args, *r);
    }
    ctx.st.in_exec = false;
    // A SELECT inside the transaction moved the client.
    ctx.db = ctx.client().db;
    Ok(())
}
