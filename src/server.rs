//! Server-wide state: the keyspace, configuration, connected clients and
//! statistics. All of it lives behind one executor lock ([`Shared::state`]):
//! commands run one at a time in a total order, as in Redis, while network
//! I/O, parsing and reply encoding run in parallel on the tokio runtime
//! outside the lock.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::config::Config;
use tiering::Keyspace;

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The wall clock in milliseconds, derived from a monotonic reading the
/// caller already has: a command takes one clock reading for both its
/// duration (commandstats) and its notion of "now" (expiry), instead of
/// one each. The wall clock is re-read whenever the base is more than
/// 100 ms old, so a step of the system clock shows within that time and
/// the drift between the two clocks never accumulates.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    base: Instant,
    base_ms: i64,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            base: Instant::now(),
            base_ms: now_ms(),
        }
    }

    /// Unix milliseconds at `t` (an `Instant` taken just now).
    pub fn ms_at(&mut self, t: Instant) -> i64 {
        let since = t.saturating_duration_since(self.base);
        if since > Duration::from_millis(100) {
            *self = Clock::new();
            return self.base_ms;
        }
        self.base_ms + since.as_millis() as i64
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Asks a connection task to close, from another task (CLIENT KILL,
/// timeouts, shutdown).
#[derive(Default)]
pub struct KillSwitch {
    killed: AtomicBool,
    notify: Notify,
}

impl KillSwitch {
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
    pub async fn wait(&self) {
        while !self.is_killed() {
            self.notify.notified().await;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
    /// Set by `CLIENT REPLY SKIP`; becomes `Skip` after the current command.
    SkipNext,
}

/// What `CLIENT LIST`/`CLIENT INFO` show of a connection, and the
/// per-connection settings commands change. Kept in the registry so any
/// client can see any other.
pub struct ClientInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub fd: i32,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub created: Instant,
    pub last_interaction: Instant,
    pub db: usize,
    pub resp: u8,
    pub authenticated: bool,
    /// The last command run (and its parent, for subcommands).
    pub last_cmd: Option<CmdRef>,
    pub reply_mode: ReplyMode,
    pub no_evict: bool,
    pub no_touch: bool,
    /// Bytes buffered in the query buffer / output buffer at the last look.
    pub qbuf: usize,
    pub omem: usize,
    pub kill: Arc<KillSwitch>,
    /// Close after the reply of the current command is written (QUIT).
    pub close_after_reply: bool,
    /// Keys this client WATCHes.
    pub watched: Vec<crate::commands::multi::Watched>,
    /// Commands queued since MULTI.
    pub multi: Option<Box<crate::commands::multi::Multi>>,
    /// A watched key changed: the next EXEC fails.
    pub dirty_cas: bool,
    /// Channels, patterns and shard channels subscribed to.
    pub subs: crate::pubsub::ClientSubs,
    /// Messages from other connections waiting to be written to this one.
    pub outbox: Arc<crate::pubsub::Outbox>,
}

/// A resolved command: the declaration that ran and, for a subcommand,
/// its parent.
#[derive(Clone, Copy)]
pub struct CmdRef {
    pub cmd: &'static crate::commands::CommandDef,
    pub parent: Option<&'static crate::commands::CommandDef>,
}

impl CmdRef {
    /// `get`, or `config|get` for a subcommand.
    pub fn full_name(&self) -> String {
        match self.parent {
            Some(p) => format!("{}|{}", p.name, self.cmd.name),
            None => self.cmd.name.to_string(),
        }
    }
}

#[derive(Default, Clone, Debug)]
pub struct CmdStat {
    pub name: String,
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
}

/// Server counters (`INFO stats`, `INFO commandstats`, `INFO errorstats`).
#[derive(Default)]
pub struct Stats {
    pub connections_received: u64,
    pub rejected_connections: u64,
    pub commands_processed: u64,
    pub error_replies: u64,
    /// Per command, keyed by the address of its static declaration (no
    /// string hashing on the hot path).
    pub commands: HashMap<usize, CmdStat, ahash::RandomState>,
    pub errors: BTreeMap<String, u64>,
    /// Ring of (time ms, commands processed) samples for instantaneous
    /// ops/sec.
    pub ops_samples: Vec<(i64, u64)>,
    pub net_samples_in: Vec<(i64, u64)>,
    pub net_samples_out: Vec<(i64, u64)>,
    pub peak_memory: u64,
    /// Keys removed by `maxmemory` eviction.
    pub evicted_keys: u64,
    /// Since when memory has been over `maxmemory` without eviction
    /// catching up, and the total time spent so (INFO's
    /// `current_/total_eviction_exceeded_time`).
    pub eviction_exceeded_since: Option<Instant>,
    pub eviction_exceeded_total: Duration,
}

impl Stats {
    /// `CONFIG RESETSTAT`: clears the counters, keeps the samples' shape.
    pub fn reset(&mut self) {
        let peak = self.peak_memory;
        *self = Stats::default();
        self.peak_memory = peak;
    }

    /// Records whether memory is still over `maxmemory` after eviction.
    pub fn eviction_exceeded(&mut self, over: bool) {
        match (over, self.eviction_exceeded_since) {
            (true, None) => self.eviction_exceeded_since = Some(Instant::now()),
            (false, Some(t)) => {
                self.eviction_exceeded_total += t.elapsed();
                self.eviction_exceeded_since = None;
            }
            _ => {}
        }
    }

    pub fn count_error(&mut self, msg: &str) {
        self.error_replies += 1;
        let code = msg.split(' ').next().unwrap_or("ERR");
        // Redis caps the distinct error codes it tracks at 128.
        if self.errors.len() < 128 || self.errors.contains_key(code) {
            *self.errors.entry(code.to_string()).or_default() += 1;
        }
    }

    fn rate(v: &[(i64, u64)]) -> f64 {
        match (v.first(), v.last()) {
            (Some(a), Some(b)) if b.0 > a.0 => {
                (b.1.saturating_sub(a.1)) as f64 * 1000.0 / (b.0 - a.0) as f64
            }
            _ => 0.0,
        }
    }

    pub fn instantaneous_ops(&self) -> u64 {
        Self::rate(&self.ops_samples).round() as u64
    }
    pub fn instantaneous_in_kbps(&self) -> f64 {
        Self::rate(&self.net_samples_in) / 1024.0
    }
    pub fn instantaneous_out_kbps(&self) -> f64 {
        Self::rate(&self.net_samples_out) / 1024.0
    }
}

pub struct State {
    pub ks: Keyspace,
    /// Wall-clock time for commands, from their monotonic reading.
    pub clock: Clock,
    pub config: Config,
    pub clients: BTreeMap<u64, ClientInfo>,
    pub stats: Stats,
    /// Changes since the last save (`rdb_changes_since_last_save`).
    pub dirty: u64,
    /// Every change counted by `Ctx::dirty`, never reset (SAVE and DEBUG
    /// LOADAOF reset `dirty`): a command changed the dataset if this
    /// moved while it ran, which decides whether the AOF logs it.
    pub changes: u64,
    pub start: Instant,
    pub run_id: String,
    pub replid: String,
    pub replid2: String,
    pub active_expire_enabled: bool,
    /// SHUTDOWN was run: the connection task that ran it wakes the main
    /// task, which stops the server.
    pub shutdown_requested: bool,
    pub executable: String,
    pub tcp_port: u16,
    pub last_save_unix: i64,
    /// Accept loops of the current listeners (replaced on rebinding).
    pub accept_tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Keys under WATCH.
    pub watches: crate::watch::Watches,
    /// EXEC is running a transaction's commands (blocking commands must
    /// not block then).
    pub in_exec: bool,
    /// RDB save statistics (INFO persistence).
    pub persist: PersistStats,
    /// The background save in progress.
    pub bgsave: Option<crate::persist::BgSave>,
    /// Clients waiting in blocking commands.
    pub blocking: crate::blocking::Blocking,
    /// Pub/Sub subscriptions and the delivery of messages.
    pub pubsub: crate::pubsub::PubSub,
    /// Cold records being read for waiting clients, by record id (see
    /// `promote.rs`): a second client needing one waits for the same read.
    pub cold_inflight: std::collections::HashMap<u64, tokio::sync::watch::Receiver<bool>>,
    /// The cold-tier reader threads, started at the first cold read.
    pub cold_readers: Option<crate::promote::ReadPool>,
    /// `tiering-io-threads`, read at start.
    pub cold_reader_threads: usize,
    /// The append-only file.
    pub aof: crate::aof::Aof,
    /// The load at start, while it runs.
    pub loading: Option<LoadingInfo>,
    /// What the command running now propagates (database, arguments):
    /// see `crate::aof`.
    pub prop: Vec<(usize, Vec<bytes::Bytes>)>,
    /// Set by a command that propagates as other commands than itself.
    pub prop_override: Option<Vec<Vec<bytes::Bytes>>>,
}

/// A load in progress at start (INFO persistence `loading_*`): clients
/// are served meanwhile, and commands that need the dataset answer
/// `-LOADING`.
pub struct LoadingInfo {
    pub started: Instant,
    pub start_unix: i64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
}

/// Runs code on the server state: the state the caller holds already
/// (a command), or the shared one, locked for each call so that clients
/// run in between (the load at start).
pub enum StateAccess<'a> {
    Held(&'a mut State, &'a Shared),
    Lock(&'a Shared),
}

impl StateAccess<'_> {
    pub fn with<R>(&mut self, f: impl FnOnce(&mut State) -> R) -> R {
        self.with_shared(|st, _| f(st))
    }

    /// [`StateAccess::with`], with the shared part too (to run commands).
    pub fn with_shared<R>(&mut self, f: impl FnOnce(&mut State, &Shared) -> R) -> R {
        match self {
            StateAccess::Held(st, shared) => f(st, shared),
            StateAccess::Lock(shared) => {
                let mut st = shared.state.lock();
                let r = f(&mut st, shared);
                // Fair: a waiting client gets the lock before the loader
                // takes it again.
                parking_lot::MutexGuard::unlock_fair(st);
                r
            }
        }
    }
}

/// What INFO persistence reports about saving.
pub struct PersistStats {
    pub saves: u64,
    pub last_status_ok: bool,
    /// Unix seconds of the last background save started.
    pub last_bgsave_try: i64,
    /// Duration of the last background save, or -1.
    pub last_bgsave_secs: i64,
    /// `BGSAVE SCHEDULE` ran during an AOF rewrite: it starts after.
    pub bgsave_scheduled: bool,
}

/// Everything the tasks share.
pub struct Shared {
    /// This very value, for code that holds only `&Shared` and needs an
    /// `Arc` (spawning tasks).
    pub me: std::sync::Weak<Shared>,
    pub state: Mutex<State>,
    pub next_client_id: AtomicU64,
    pub net_in: AtomicU64,
    pub net_out: AtomicU64,
    pub shutdown: Notify,
}

pub fn random_hex_id() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..40)
        .map(|_| std::char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect()
}

impl State {
    /// Reports a change to `key` of `db` (Redis's `signalModifiedKey`):
    /// transactions watching it will fail. Every command that changes a
    /// key calls this once per changed key.
    pub fn signal_modified(&mut self, db: usize, key: &[u8]) {
        if self.watches.is_empty() {
            return;
        }
        let State {
            watches,
            clients,
            ks,
            ..
        } = self;
        for id in watches.watchers(db, key) {
            let Some(c) = clients.get_mut(id) else {
                continue;
            };
            // A key already expired when it was watched and now removed
            // has not logically changed: it was gone all along.
            if let Some(w) = c
                .watched
                .iter_mut()
                .find(|w| w.expired_at_watch && w.db == db && &w.key[..] == key)
            {
                if ks.db(db).peek(key).is_none() {
                    w.expired_at_watch = false;
                    continue;
                }
            }
            c.dirty_cas = true;
        }
    }

    /// FLUSHDB (`Some(db)`) or FLUSHALL (`None`) is about to empty
    /// databases: every watched key that exists there changes.
    pub fn signal_flushed(&mut self, db: Option<usize>) {
        if self.watches.is_empty() {
            return;
        }
        for (id, d, key) in self.watches.in_db(db) {
            if self.ks.db(d).peek(&key).is_some() {
                if let Some(c) = self.clients.get_mut(&id) {
                    // A key already expired when watched that is now
                    // removed has not logically changed (as Redis).
                    if let Some(w) = c
                        .watched
                        .iter_mut()
                        .find(|w| w.expired_at_watch && w.db == d && w.key[..] == key[..])
                    {
                        w.expired_at_watch = false;
                        continue;
                    }
                    c.dirty_cas = true;
                }
            }
        }
    }

    /// SWAPDB `a` `b` is about to exchange two databases: a watched key of
    /// either changes if it exists on either side (it appears, disappears
    /// or gets another value).
    pub fn signal_swapped(&mut self, a: usize, b: usize) {
        if self.watches.is_empty() {
            return;
        }
        for (id, d, key) in self.watches.in_db(None) {
            if d != a && d != b {
                continue;
            }
            if self.ks.db(a).peek(&key).is_some() || self.ks.db(b).peek(&key).is_some() {
                if let Some(c) = self.clients.get_mut(&id) {
                    c.dirty_cas = true;
                }
            }
        }
    }

    /// Handles the keys expiry removed since the last call, in the order
    /// they were removed: `expired` keyspace events, changes for WATCH,
    /// and (later) DEL for the AOF and replicas.
    pub fn drain_expired(&mut self) {
        if self.ks.has_expired_events() {
            for (db, key) in self.ks.take_expired() {
                crate::aof::deleted(self, db, &key);
                if self.config.tun.notify_flags & crate::notify::EXPIRED != 0 {
                    crate::notify::publish(self, b"expired", &key, db);
                }
                self.signal_modified(db, &key);
            }
        }
    }

    /// Removes a disconnected client and everything it registered.
    pub fn unregister_client(&mut self, id: u64) {
        crate::commands::multi::unwatch_all(self, id);
        crate::blocking::forget(self, id);
        crate::pubsub::forget(self, id);
        self.clients.remove(&id);
    }

    pub fn new(config: Config) -> State {
        // 0: one reader per core, at least 2 (measured best on 2 cores;
        // more cores usually mean more NVMe queues to keep busy).
        let config_io_threads = match config.num("tiering-io-threads") {
            n if n > 0 => n as usize,
            _ => std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 16)),
        };
        let mut ks = Keyspace::new(config.tun.databases);
        apply_keyspace_tunables(&mut ks, &config);
        State {
            ks,
            clock: Clock::new(),
            tcp_port: config.tun.port,
            config,
            clients: BTreeMap::new(),
            stats: Stats::default(),
            dirty: 0,
            changes: 0,
            start: Instant::now(),
            run_id: random_hex_id(),
            replid: random_hex_id(),
            replid2: "0".repeat(40),
            active_expire_enabled: true,
            shutdown_requested: false,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            last_save_unix: now_ms() / 1000,
            accept_tasks: Vec::new(),
            watches: Default::default(),
            in_exec: false,
            persist: PersistStats {
                saves: 0,
                last_status_ok: true,
                last_bgsave_try: 0,
                last_bgsave_secs: -1,
                bgsave_scheduled: false,
            },
            bgsave: None,
            blocking: Default::default(),
            pubsub: Default::default(),
            cold_inflight: Default::default(),
            cold_readers: None,
            cold_reader_threads: config_io_threads,
            aof: crate::aof::Aof::default(),
            loading: None,
            prop: Vec::new(),
            prop_override: None,
        }
    }

    /// Adds a freshly accepted client to the registry; returns its outbox
    /// (what its connection task writes besides its replies).
    pub fn register_client(
        &mut self,
        id: u64,
        addr: SocketAddr,
        laddr: SocketAddr,
        fd: i32,
        kill: Arc<KillSwitch>,
    ) -> Arc<crate::pubsub::Outbox> {
        let now = Instant::now();
        let outbox = Arc::new(crate::pubsub::Outbox::default());
        let authenticated = self.config.tun.requirepass.is_empty();
        self.clients.insert(
            id,
            ClientInfo {
                id,
                addr,
                laddr,
                fd,
                name: None,
                lib_name: None,
                lib_ver: None,
                created: now,
                last_interaction: now,
                db: 0,
                resp: 2,
                authenticated,
                last_cmd: None,
                reply_mode: ReplyMode::On,
                no_evict: false,
                no_touch: false,
                qbuf: 0,
                omem: 0,
                kill,
                close_after_reply: false,
                watched: Vec::new(),
                multi: None,
                dirty_cas: false,
                subs: Default::default(),
                outbox: outbox.clone(),
            },
        );
        outbox
    }

    /// Highest `used_memory` seen (sampled by the cron and by INFO).
    pub fn stats_peak_memory(&self) -> u64 {
        self.stats
            .peak_memory
            .max(tiering::memory::used_memory() as u64)
    }

    /// Re-reads the tunables the keyspace keeps copies of (after CONFIG SET).
    pub fn config_changed(&mut self) {
        apply_keyspace_tunables(&mut self.ks, &self.config);
    }
}

fn apply_keyspace_tunables(ks: &mut Keyspace, c: &Config) {
    // With tiering on the LFU counter is what demotion ranks values by.
    ks.lfu_policy = c.tun.maxmemory_policy.ends_with("-lfu") || c.tun.tiering;
    if let Some(store) = ks.cold_mut() {
        if let Some(comp) = c
            .get("tiering-compression")
            .and_then(tiering::cold::Compression::parse)
        {
            store.set_compression(comp);
        }
    }
    ks.lfu.log_factor = c.tun.lfu_log_factor;
    ks.lfu.decay_time = c.tun.lfu_decay_time;
    ks.admission.gated = c.get("tiering-admission") != Some("always");
    ks.estimator.gated = ks.admission.gated;
    ks.estimator.min_value_size = c.tun.tiering_min_value_size;
    ks.estimator
        .resize(c.num("tiering-estimator-samples").max(0) as usize);
}

impl Shared {
    pub fn new(config: Config) -> Arc<Shared> {
        Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            state: Mutex::new(State::new(config)),
            next_client_id: AtomicU64::new(1),
            net_in: AtomicU64::new(0),
            net_out: AtomicU64::new(0),
            shutdown: Notify::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_clock_follows_the_wall_clock() {
        let mut c = Clock::new();
        let mut last = 0;
        for _ in 0..50 {
            let t = Instant::now();
            let derived = c.ms_at(t);
            let wall = now_ms();
            assert!((wall - derived).abs() <= 2, "derived {derived} wall {wall}");
            assert!(derived + 1 >= last, "does not go back");
            last = derived;
            std::thread::sleep(Duration::from_millis(7));
        }
    }
}
