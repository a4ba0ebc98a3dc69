//! The one choke point every command goes through: lookup → checks →
//! execute → account (stats, errors). Propagation to the AOF and replicas
//! hooks in here too, so no command can bypass it.

use std::borrow::Cow;
use std::time::Instant;

use bytes::Bytes;

use crate::commands::{multi, CommandDef, TABLE};
use crate::notify;
use crate::reply::Reply;
use crate::server::{ClientInfo, CmdRef, CmdStat, ReplyMode, Shared, State};
use tiering::{Access, Entry, Keyspace};

/// An error reply, with its code (`ERR ...`, `WRONGTYPE ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, str>);

pub type CmdResult = Result<(), CmdError>;

impl CmdError {
    pub const WRONGTYPE: CmdError = CmdError(Cow::Borrowed(
        "WRONGTYPE Operation against a key holding the wrong kind of value",
    ));
    pub const NOT_INTEGER: CmdError =
        CmdError(Cow::Borrowed("ERR value is not an integer or out of range"));
    pub const NOT_FLOAT: CmdError = CmdError(Cow::Borrowed("ERR value is not a valid float"));
    pub const SYNTAX: CmdError = CmdError(Cow::Borrowed("ERR syntax error"));
    pub const OVERFLOW: CmdError =
        CmdError(Cow::Borrowed("ERR increment or decrement would overflow"));
    pub const NO_SUCH_KEY: CmdError = CmdError(Cow::Borrowed("ERR no such key"));
    pub const DB_RANGE: CmdError = CmdError(Cow::Borrowed("ERR DB index is out of range"));

    pub fn msg(s: impl Into<Cow<'static, str>>) -> CmdError {
        CmdError(s.into())
    }
}

/// What a command sees: the server state, its client, and where its reply
/// goes.
pub struct Ctx<'a> {
    pub st: &'a mut State,
    pub shared: &'a Shared,
    pub id: u64,
    /// The client's selected database (copied in and out of the registry).
    pub db: usize,
    /// `CLIENT NO-TOUCH` is on: reads leave LRU/LFU alone.
    pub no_touch: bool,
    pub out: &'a mut Reply,
    /// Command time: one clock reading per command, so a command sees one
    /// consistent "now" for all expiry decisions.
    pub now_ms: i64,
    pub cmd: &'static CommandDef,
}

impl Ctx<'_> {
    pub fn client(&mut self) -> &mut ClientInfo {
        self.st
            .clients
            .get_mut(&self.id)
            .expect("executing client is registered")
    }

    pub fn ks(&mut self) -> &mut Keyspace {
        &mut self.st.ks
    }

    fn access(&self, write: bool) -> Access {
        let no_touch =
            self.st.clients.get(&self.id).is_some_and(|c| c.no_touch) && self.cmd.name != "touch";
        match (write, no_touch) {
            (true, _) => Access::Write,
            // Redis still counts hits and misses for NO-TOUCH clients.
            (false, true) => Access::Inspect,
            (false, false) => Access::Read,
        }
    }

    /// Looks up a key for reading (counts a hit or a miss; a miss fires
    /// `keymiss`, as Redis's `lookupKeyRead`).
    pub fn read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let a = self.access(false);
        let (db, now) = (self.db, self.now_ms);
        // Off (the common case): one flag test. On: a miss is reported.
        if self.wants(notify::KEY_MISS | notify::EXPIRED)
            && (self.wants(notify::KEY_MISS) || self.subscribes())
        {
            if self.st.ks.lookup(db, key, now, a).is_none() {
                // The expiry this lookup caused, if any, then the miss:
                // published here, so a subscriber running the command gets
                // them where Redis writes them, ahead of what follows.
                self.st.drain_expired();
                self.notify(notify::KEY_MISS, "keymiss", key);
                self.take_own_messages();
                return None;
            }
            // Found: look again without counting (the borrow of the first
            // lookup cannot be returned from inside the branch).
            return self.st.ks.lookup(db, key, now, Access::ReadNoTouch);
        }
        self.st.ks.lookup(db, key, now, a)
    }

    /// A lookup with [`Access::Inspect`] (introspection commands: counts
    /// a hit or a miss, keeps the LRU/LFU field); true if the key is live.
    /// A miss fires `keymiss` unless `quiet` (OBJECT does not, as Redis's
    /// `LOOKUP_NONOTIFY`).
    pub fn inspect(&mut self, key: &[u8], quiet: bool) -> bool {
        let (db, now) = (self.db, self.now_ms);
        let found = self.st.ks.lookup(db, key, now, Access::Inspect).is_some();
        if !found && !quiet {
            self.notify(notify::KEY_MISS, "keymiss", key);
        }
        found
    }

    /// Looks up a key for writing.
    pub fn write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.write_lookup(key, Access::Write)
    }

    /// Looks up a key whose metadata (expiry) a write changes: the value
    /// itself is not needed, so a cold one stays cold.
    pub fn write_meta(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.write_lookup(key, Access::WriteMeta)
    }

    fn write_lookup(&mut self, key: &[u8], access: Access) -> Option<&mut Entry> {
        let (db, now) = (self.db, self.now_ms);
        if self.wants(notify::EXPIRED) && self.subscribes() {
            // A subscriber running the command gets the `expired` of this
            // lookup now, ahead of whatever the command writes next.
            if self.st.ks.lookup(db, key, now, access).is_none() {
                self.st.drain_expired();
                self.take_own_messages();
                return None;
            }
            return self.st.ks.lookup(db, key, now, Access::ReadNoTouch);
        }
        self.st.ks.lookup(db, key, now, access)
    }

    /// The command is logged (AOF) as `ops` instead of itself: for
    /// commands whose effect depends on when or how they ran (relative
    /// expiries, random picks, float formatting, blocking).
    pub fn propagate_as(&mut self, ops: Vec<Vec<Bytes>>) {
        if self.st.aof.logging() {
            self.st.prop_override = Some(ops);
        }
    }

    /// True if the command's changes are logged (so a command builds its
    /// [`Ctx::propagate_as`] arguments only then).
    #[inline]
    pub fn propagating(&self) -> bool {
        self.st.aof.logging()
    }

    /// [`Ctx::propagate_as`] with one command, given as its parts (see
    /// [`Prop`]); does nothing unless [`Ctx::propagating`].
    pub fn propagate_one(&mut self, parts: &[Prop]) {
        if self.propagating() {
            self.propagate_as(vec![parts.iter().map(Prop::to_bytes).collect()]);
        }
    }

    /// Records `n` changes to the dataset (for save points and INFO).
    pub fn dirty(&mut self, n: u64) {
        self.st.dirty += n;
        self.st.changes += n;
    }

    /// Reports that the command changed `key` in the selected database
    /// (see [`State::signal_modified`]).
    pub fn modified(&mut self, key: &[u8]) {
        let db = self.db;
        self.st.signal_modified(db, key);
    }

    /// True if keyspace events of `class` are published (one flag test).
    #[inline]
    pub fn wants(&self, class: u32) -> bool {
        self.st.config.tun.notify_flags & class != 0
    }

    /// Fires keyspace event `event` of `class` for `key` of the selected
    /// database (see [`notify::notify`]).
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.db;
        self.notify_db(class, event, key, db);
    }

    /// [`Ctx::notify`] for a key of database `db` (COPY and MOVE fire
    /// events in the destination database).
    #[inline]
    pub fn notify_db(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        if self.wants(class) {
            notify::fire(self.st, event, key, db);
            self.take_own_messages();
        }
    }

    /// True if the running client subscribes to anything (it may receive
    /// the events of its own commands).
    fn subscribes(&self) -> bool {
        self.st
            .clients
            .get(&self.id)
            .is_some_and(|c| c.subs.active())
    }

    /// Moves the messages published to the running client into its reply
    /// buffer now: Redis writes a message to a subscriber's buffer when it
    /// is published, so a command's own events come before, after or
    /// between the parts of its reply exactly where the command fires
    /// them (most before the reply; list pushes and pops after it).
    pub fn take_own_messages(&mut self) {
        let ps = &mut self.st.pubsub;
        if !ps.own_pending.is_empty() && ps.exec_client == Some(self.id) {
            let from = self.out.buf.len();
            self.out.buf.append(&mut ps.own_pending);
            ps.push_marks.push((from, self.out.buf.len()));
        }
    }

    /// Before a command stores at `key`: true if that will add the key
    /// (it is not live now) and `new` events are wanted, so the caller
    /// fires [`Ctx::notify_new`] once it has stored. Applies lazy expiry,
    /// as the command's own write lookup would.
    #[inline]
    pub fn adds_key(&mut self, key: &[u8]) -> bool {
        if !self.wants(notify::NEW) {
            return false;
        }
        let (db, now) = (self.db, self.now_ms);
        !self.st.ks.exists(db, key, now)
    }

    /// `key` was added to the selected database: the `new` event (Redis
    /// fires it whenever a key is added, before the command's own event).
    #[inline]
    pub fn notify_new(&mut self, key: &[u8]) {
        self.notify(notify::NEW, "new", key);
    }
}

/// A part of a command logged in place of the one that ran
/// ([`Ctx::propagate_one`]): a fixed word, an argument, or a number.
pub enum Prop<'a> {
    Word(&'static str),
    Arg(&'a [u8]),
    Int(i64),
}

impl Prop<'_> {
    fn to_bytes(&self) -> Bytes {
        match self {
            Prop::Word(w) => Bytes::from_static(w.as_bytes()),
            Prop::Arg(a) => Bytes::copy_from_slice(a),
            Prop::Int(n) => Bytes::from(n.to_string()),
        }
    }
}

/// Parses an integer argument as Redis does (`string2ll`).
pub fn arg_i64(a: &[u8]) -> Result<i64, CmdError> {
    tiering::value::parse_strict_i64(a).ok_or(CmdError::NOT_INTEGER)
}

/// Parses a float argument as Redis's `string2ld`/`strtod` (no spaces, no
/// NaN, `inf` allowed).
pub fn arg_f64(a: &[u8]) -> Result<f64, CmdError> {
    parse_float(a).ok_or(CmdError::NOT_FLOAT)
}

pub fn parse_float(a: &[u8]) -> Option<f64> {
    if a.is_empty()
        || a.len() > 5000
        || a[0].is_ascii_whitespace()
        || a[a.len() - 1].is_ascii_whitespace()
    {
        return None;
    }
    let s = std::str::from_utf8(a).ok()?;
    let l = s.to_ascii_lowercase();
    let v = match l.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => {
            if l.contains("nan")
                || l.contains("inf")
                || l.starts_with("0x")
                || l.starts_with("-0x")
                || l.starts_with("+0x")
            {
                return None;
            }
            s.parse::<f64>().ok()?
        }
    };
    if v.is_nan() {
        return None;
    }
    Some(v)
}

pub fn lower(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_lowercase()
}

fn unknown_command(args: &[Bytes]) -> Vec<u8> {
    // Redis appends `'%.*s' ` pieces while the list is under 128 bytes, each
    // cut to what is left of those 128. Arguments are C strings there: they
    // end at the first NUL byte, and other bytes are copied as they are.
    let mut list: Vec<u8> = Vec::new();
    for a in args.iter().skip(1) {
        if list.len() >= 128 {
            break;
        }
        let room = 128 - list.len();
        list.push(b'\'');
        list.extend_from_slice(c_str(a, room));
        list.extend_from_slice(b"' ");
    }
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(c_str(&args[0], 128));
    msg.extend_from_slice(b"', with args beginning with: ");
    msg.extend_from_slice(&list);
    msg
}

/// `a` as Redis's `%.<max>s` prints it: up to the first NUL, at most `max`
/// bytes, raw (not re-encoded as UTF-8).
fn c_str(a: &[u8], max: usize) -> &[u8] {
    let end = a.iter().position(|&b| b == 0).unwrap_or(a.len()).min(max);
    &a[..end]
}

/// Runs one command for client `id`, writing its reply to `out`.
pub fn execute(st: &mut State, shared: &Shared, id: u64, out: &mut Reply, args: &[Bytes]) {
    execute_at(st, shared, id, out, args, Instant::now());
}

/// [`execute`] with the command's start time given: a batch of pipelined
/// commands starts each one at the time the previous one ended (returned
/// here), so a command costs one clock read instead of two (two were
/// about 4% of a pipelined HSET's time).
pub fn execute_at(
    st: &mut State,
    shared: &Shared,
    id: u64,
    out: &mut Reply,
    args: &[Bytes],
    now: Instant,
) -> Instant {
    let start_len = out.buf.len();
    let Some(client) = st.clients.get_mut(&id) else {
        return now;
    };
    let mut end = now;
    client.last_interaction = now;
    let (db, authed, no_touch) = (client.db, client.authenticated, client.no_touch);
    st.stats.commands_processed += 1;
    let queueing = client.multi.is_some();
    // RESP2 with subscriptions: replies share the stream with messages.
    let pubsub_mode = client.resp == 2 && client.subs.active();
    st.pubsub.exec_client = Some(id);
    match resolve(st, id, args) {
        Err(msg) => {
            out.error_bytes(&msg);
            st.stats.count_error(&String::from_utf8_lossy(&msg));
            if queueing {
                abort_multi(st, id);
            }
        }
        Ok(r)
            if st.loading.is_some()
                && id != crate::aof::LOADER_ID
                && r.cmd.flags & crate::commands::LOADING == 0 =>
        {
            let msg = "LOADING Redis is loading the dataset in memory";
            out.error(msg);
            st.stats.count_error(msg);
            reject(st, r);
            if queueing {
                abort_multi(st, id);
            }
        }
        // Replaying the log, commands are not refused for memory: they
        // were accepted when they ran (Redis calls them directly too).
        Ok(r) if authed && !st.aof.loading && crate::evict::refuses(st, id, r, queueing) => {
            let msg = if r.parent.unwrap_or(r.cmd).name == "exec" {
                // EXEC refused ends the transaction (Redis's execCommandAbort).
                if let Some(c) = st.clients.get_mut(&id) {
                    c.multi = None;
                }
                multi::unwatch_all(st, id);
                format!(
                    "EXECABORT Transaction discarded because of: {}",
                    crate::evict::OOM_ERROR
                )
            } else {
                if queueing {
                    abort_multi(st, id);
                }
                crate::evict::OOM_ERROR.to_string()
            };
            out.error(&msg);
            st.stats.count_error(&msg);
            reject(st, r);
        }
        Ok(r) if authed && st.aof.logging() && crate::aof::refuses(st, r.cmd).is_some() => {
            let msg = crate::aof::refuses(st, r.cmd).unwrap_or_default();
            out.error(&msg);
            st.stats.count_error(&msg);
            reject(st, r);
            if queueing {
                abort_multi(st, id);
            }
        }
        Ok(r) if authed && pubsub_mode && !allowed_in_pubsub_mode(r) => {
            let msg = format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                r.full_name()
            );
            out.error(&msg);
            st.stats.count_error(&msg);
            reject(st, r);
            if queueing {
                abort_multi(st, id);
            }
        }
        Ok(r) if queueing && authed && r.cmd.flags & crate::commands::NO_MULTI != 0 => {
            let msg = "ERR Command not allowed inside a transaction";
            out.error(msg);
            st.stats.count_error(msg);
            reject(st, r);
            abort_multi(st, id);
        }
        Ok(r) if queueing && authed && !multi::runs_inside_multi(r.parent.unwrap_or(r.cmd)) => {
            if let Some(m) = st.clients.get_mut(&id).and_then(|c| c.multi.as_mut()) {
                m.queue.push((r, args.to_vec()));
            }
            out.simple("QUEUED");
        }
        Ok(r) => {
            end = run(st, shared, id, db, authed, no_touch, out, args, r, now);
            crate::blocking::after_command(st, id, args, Some(r));
        }
    }
    st.drain_expired();
    // The command's own unit first: clients it serves (below) are logged
    // after it, each as a unit of its own, as Redis 7.0 does.
    crate::aof::end_unit(st);
    if st.ks.has_ready() {
        crate::blocking::handle_ready(st, shared);
    }
    // Messages to this client that no command reply took (published while
    // serving another client's blocked command).
    if !st.pubsub.own_pending.is_empty() {
        let from = out.buf.len();
        out.buf.append(&mut st.pubsub.own_pending);
        st.pubsub.push_marks.push((from, out.buf.len()));
    }
    st.pubsub.exec_client = None;
    finish_reply_mode(st, id, out, start_len);
    if st.config.tun.tiering_force_cold {
        // After the command, so the next one finds its keys cold and
        // loads them the way a real workload does (`promote.rs`).
        crate::evict::force_cold(st);
    }
    end
}

/// What a RESP2 client with subscriptions may run: (un)subscribe, PING,
/// QUIT and RESET.
fn allowed_in_pubsub_mode(r: CmdRef) -> bool {
    r.parent.is_none()
        && matches!(
            r.cmd.name,
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "psubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        )
}

/// A command was refused while queueing a transaction: EXEC will answer
/// EXECABORT.
fn abort_multi(st: &mut State, id: u64) {
    if let Some(m) = st.clients.get_mut(&id).and_then(|c| c.multi.as_mut()) {
        m.aborted = true;
    }
}

/// Runs one command queued by MULTI (EXEC calls this for each), with the
/// client's current database and flags.
pub fn run_queued(
    st: &mut State,
    shared: &Shared,
    id: u64,
    out: &mut Reply,
    args: &[Bytes],
    r: CmdRef,
) {
    let Some(c) = st.clients.get(&id) else {
        return;
    };
    let (db, authed, no_touch) = (c.db, c.authenticated, c.no_touch);
    run(
        st,
        shared,
        id,
        db,
        authed,
        no_touch,
        out,
        args,
        r,
        Instant::now(),
    );
}

/// Finds the declaration to run and checks arity, or returns the error
/// text (unknown command or subcommand, wrong arity), counting a rejected
/// call where there is a command to count it against.
fn resolve(st: &mut State, id: u64, args: &[Bytes]) -> Result<CmdRef, Vec<u8>> {
    let Some(top) = TABLE.get(&args[0]) else {
        return Err(unknown_command(args));
    };
    let r = if !top.subcommands.is_empty() && args.len() >= 2 {
        match top.subcommand(&args[1]) {
            Some(sub) => CmdRef {
                cmd: sub,
                parent: Some(top),
            },
            None => {
                reject(
                    st,
                    CmdRef {
                        cmd: top,
                        parent: None,
                    },
                );
                let mut msg = b"ERR unknown subcommand '".to_vec();
                msg.extend_from_slice(c_str(&args[1], 128));
                msg.extend_from_slice(
                    format!("'. Try {} HELP.", top.name.to_ascii_uppercase()).as_bytes(),
                );
                return Err(msg);
            }
        }
    } else {
        CmdRef {
            cmd: top,
            parent: None,
        }
    };
    if let Some(c) = st.clients.get_mut(&id) {
        c.last_cmd = Some(r);
    }
    if !r.cmd.arity_ok(args.len()) || (r.cmd.handler.is_none() && args.len() < 2) {
        reject(st, r);
        return Err(format!(
            "ERR wrong number of arguments for '{}' command",
            r.full_name()
        )
        .into_bytes());
    }
    Ok(r)
}

fn stat_of(st: &mut State, r: CmdRef) -> &mut CmdStat {
    st.stats
        .commands
        .entry(r.cmd as *const CommandDef as usize)
        .or_insert_with(|| CmdStat {
            name: r.full_name(),
            ..Default::default()
        })
}

fn reject(st: &mut State, r: CmdRef) {
    stat_of(st, r).rejected += 1;
}

#[allow(clippy::too_many_arguments)]
fn run(
    st: &mut State,
    shared: &Shared,
    id: u64,
    db: usize,
    authed: bool,
    no_touch: bool,
    out: &mut Reply,
    args: &[Bytes],
    r: CmdRef,
    t0: Instant,
) -> Instant {
    let start_len = out.buf.len();
    if !authed && r.cmd.flags & crate::commands::NO_AUTH == 0 {
        let msg = "NOAUTH Authentication required.";
        out.error(msg);
        st.stats.count_error(msg);
        reject(st, r);
        return t0;
    }
    let Some(handler) = r.cmd.handler else {
        // Containers always resolve to a subcommand before this point.
        return t0;
    };
    let now_ms = st.clock.ms_at(t0);
    let mut ctx = Ctx {
        st,
        shared,
        id,
        db,
        no_touch,
        out,
        now_ms,
        cmd: r.cmd,
    };
    let changes_before = ctx.st.changes;
    let result = handler(&mut ctx, args);
    let new_db = ctx.db;
    let st = ctx.st;
    let out = ctx.out;
    if new_db != db {
        if let Some(c) = st.clients.get_mut(&id) {
            c.db = new_db;
        }
    }
    // Expiries this command caused and no later event of it published:
    // their events go before the command's reply too.
    st.drain_expired();
    // Logged after the deletions of the keys it found expired.
    if st.aof.logging() || st.prop_override.is_some() {
        let changed = st.changes != changes_before;
        crate::aof::after_command(st, db, r.cmd.name, args, changed);
    }
    let end = Instant::now();
    let usec = end.duration_since(t0).as_micros() as u64;
    let failed = result.is_err();
    if let Err(e) = result {
        cut_reply(st, out, start_len);
        out.error(&e.0);
        st.stats.count_error(&e.0);
    }
    // Messages this command published to its own client that are not in
    // its reply buffer yet (published outside `Ctx::notify`: an expiry
    // with no event of the command after it, a PUBLISH to itself) go
    // before its reply, after the messages already there, as Redis writes
    // them into the client's buffer before replying.
    if !st.pubsub.own_pending.is_empty() && st.pubsub.exec_client == Some(id) {
        let at = st
            .pubsub
            .push_marks
            .iter()
            .filter(|m| m.0 >= start_len)
            .map(|m| m.1)
            .max()
            .unwrap_or(start_len);
        let n = st.pubsub.own_pending.len();
        out.buf.splice(at..at, st.pubsub.own_pending.drain(..));
        for m in st.pubsub.push_marks.iter_mut().filter(|m| m.0 >= at) {
            m.0 += n;
            m.1 += n;
        }
        st.pubsub.push_marks.push((at, at + n));
    }
    // A command that blocked counts once, when it ends (served, timed
    // out or unblocked), as Redis's updateStatsOnUnblock does; a re-run
    // for a ready key that finds nothing to take does not count either.
    let blocked = st.blocking.pending(out.buf.len() > start_len);
    let stat = stat_of(st, r);
    stat.usec += usec;
    if blocked {
        return end;
    }
    stat.calls += 1;
    if failed {
        stat.failed += 1;
    }
    end
}

/// Cuts the reply written since `start_len` (a command failed after
/// writing part of it), keeping the push frames among it: messages
/// already delivered to the client, which Redis does not take back.
fn cut_reply(st: &mut State, out: &mut Reply, start_len: usize) {
    let marks = &mut st.pubsub.push_marks;
    if !marks.iter().any(|m| m.0 >= start_len) {
        out.buf.truncate(start_len);
        return;
    }
    let mut kept = Vec::new();
    for m in marks.iter_mut().filter(|m| m.0 >= start_len) {
        let bytes = &out.buf[m.0..m.1];
        let from = start_len + kept.len();
        kept.extend_from_slice(bytes);
        *m = (from, start_len + kept.len());
    }
    out.buf.truncate(start_len);
    out.buf.extend_from_slice(&kept);
}

/// A blocked command ended without being served (timeout, CLIENT
/// UNBLOCK): counts its call, failed if it ended in an error.
pub fn count_unblocked(st: &mut State, r: CmdRef, failed: bool) {
    let stat = stat_of(st, r);
    stat.calls += 1;
    if failed {
        stat.failed += 1;
    }
}

/// Applies `CLIENT REPLY OFF|SKIP`: drops this command's reply if asked,
/// except its push frames (subscription confirmations and messages), which
/// Redis 7.0 sends regardless.
fn finish_reply_mode(st: &mut State, id: u64, out: &mut Reply, start_len: usize) {
    let marks = std::mem::take(&mut st.pubsub.push_marks);
    if let Some(c) = st.clients.get_mut(&id) {
        let drop = match c.reply_mode {
            ReplyMode::On => false,
            ReplyMode::Off => true,
            ReplyMode::Skip => {
                c.reply_mode = ReplyMode::On;
                true
            }
            ReplyMode::SkipNext => {
                c.reply_mode = ReplyMode::Skip;
                false
            }
        };
        if drop {
            let kept: Vec<u8> = marks
                .iter()
                .filter(|m| m.0 >= start_len && m.1 <= out.buf.len())
                .flat_map(|&(a, b)| out.buf[a..b].to_vec())
                .collect();
            out.buf.truncate(start_len);
            out.buf.extend_from_slice(&kept);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_parse_like_redis() {
        assert_eq!(parse_float(b"1.5"), Some(1.5));
        assert_eq!(parse_float(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float(b"1e3"), Some(1000.0));
        assert_eq!(parse_float(b".5"), Some(0.5));
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"abc", b"1.5x"] {
            assert_eq!(parse_float(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn unknown_command_text() {
        let args = vec![Bytes::from("foo"), Bytes::from("a"), Bytes::from("b")];
        assert_eq!(
            unknown_command(&args),
            b"ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
        // C-string semantics, as Redis's printf: cut at NUL, other bytes raw.
        let args = vec![
            Bytes::from_static(b"\xff\x00x"),
            Bytes::from_static(b"a\x00b"),
            Bytes::from_static(b"\xfe"),
        ];
        assert_eq!(
            unknown_command(&args),
            b"ERR unknown command '\xff', with args beginning with: 'a' '\xfe' "
        );
    }
}
