//! Saving the dataset to an RDB file and loading it at start-up.
//!
//! `SAVE`, `SHUTDOWN` (with save points configured, or `SAVE`), SIGTERM and
//! `DEBUG RELOAD` write `<dir>/<dbfilename>` in the foreground: the file
//! is built in a temporary file, synced and renamed over the old one, so a
//! crash never leaves a half-written dump in its place. At start-up an
//! existing dump is mapped and loaded before the server accepts clients;
//! keys already expired are skipped, as are empty collections.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use persistence::file::{read_rdb, Event, RdbWriter};
use tiering::{lfu, Entry, NO_EXPIRE};
use tracing::{info, warn};

use crate::server::{State, StateAccess};

fn rdb_path(st: &State) -> PathBuf {
    PathBuf::from(st.config.get("dbfilename").unwrap_or("dump.rdb"))
}

/// An RDB file started with the configured compression and list node
/// size, and our AUX fields; with whether to end it with a checksum.
fn start_file(st: &State, now_ms: i64, aof_base: bool) -> (RdbWriter, bool) {
    let compress = st.config.get("rdbcompression") != Some("no");
    let checksum = st.config.get("rdbchecksum") != Some("no");
    let mut w = RdbWriter::new(compress, st.config.tun.limits.list_max_listpack_size);
    w.aux("redis-ver", crate::REDIS_COMPAT_VERSION.as_bytes());
    w.aux("redis-bits", b"64");
    w.aux("ctime", (now_ms / 1000).to_string().as_bytes());
    w.aux(
        "used-mem",
        tiering::memory::used_memory().to_string().as_bytes(),
    );
    w.aux("aof-base", if aof_base { b"1" } else { b"0" });
    (w, checksum)
}

/// The save points (`save`) are configured.
pub fn has_save_points(st: &State) -> bool {
    !st.config.get("save").unwrap_or("").is_empty()
}

/// The whole dataset as RDB bytes (logically expired keys left out).
/// Cold values are copied from the cold tier as the RDB object bytes they
/// are stored as; a cold value that cannot be read fails the save.
pub fn dump_dataset(st: &State, now_ms: i64) -> Result<Vec<u8>, String> {
    dump_dataset_as(st, now_ms, false)
}

/// [`dump_dataset`], marked as an AOF base (`aof-base` 1) if `aof_base`.
pub fn dump_dataset_as(st: &State, now_ms: i64, aof_base: bool) -> Result<Vec<u8>, String> {
    let (mut w, checksum) = start_file(st, now_ms, aof_base);
    let mut out = Vec::new();
    for db in 0..st.ks.db_count() {
        let d = st.ks.db(db);
        if d.is_empty() {
            continue;
        }
        w.select_db(db as u64, d.len() as u64, d.volatile_len() as u64);
        let mut failed = None;
        d.for_each(|key, e| {
            if failed.is_some() || d.is_expired(key, e, now_ms) {
                return;
            }
            let exp = d.expire_of(key);
            let exp = (exp != NO_EXPIRE).then_some(exp);
            if let tiering::Value::Cold(r) = &e.value {
                match st.ks.cold_object(r) {
                    Ok(obj) => w.entry_raw(key, &obj, exp),
                    Err(err) => failed = Some(err),
                }
                return;
            }
            let (obj, form) = crate::values::to_object(&e.value);
            w.entry(key, &obj, form, exp);
        });
        if let Some(err) = failed {
            return Err(err);
        }
        out.extend(w.take());
    }
    out.extend(w.finish(checksum));
    Ok(out)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, synced, then renamed over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_file_name(format!("temp-{}.rdb", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        } else {
            std::fs::File::open(".")?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `SAVE`: writes the dataset now. Updates the save statistics.
pub fn save(st: &mut State) -> Result<(), String> {
    let start = Instant::now();
    let now = crate::server::now_ms();
    let path = rdb_path(st);
    let written = dump_dataset(st, now).and_then(|bytes| {
        write_atomically(&path, &bytes)
            .map(|()| bytes.len())
            .map_err(|e| e.to_string())
    });
    match written {
        Ok(len) => {
            st.dirty = 0;
            st.last_save_unix = now / 1000;
            st.persist.saves += 1;
            st.persist.last_status_ok = true;
            info!(
                "DB saved on disk ({} bytes in {} ms)",
                len,
                start.elapsed().as_millis()
            );
            Ok(())
        }
        Err(e) => {
            st.persist.last_status_ok = false;
            warn!("Failed saving the DB to {}: {e}", path.display());
            Err(e)
        }
    }
}

/// Loads `<dbfilename>` into the (empty) keyspace if the file exists.
/// Returns the number of keys loaded.
pub fn load(acc: &mut StateAccess) -> Result<usize, String> {
    let path = acc.with(|st| rdb_path(st));
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    // SAFETY: the file is ours (in our data directory) and is only read
    // while mapped; nothing else writes it while the server starts.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
    acc.with(|st| {
        if let Some(l) = st.loading.as_mut() {
            l.total_bytes = map.len() as u64;
        }
    });
    load_rdb(acc, &map, false)
        .map(|(n, _)| n)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// An AOF's RDB base: expired keys are kept (the log deletes them after,
/// as Redis loads a preamble). Returns the bytes the RDB took.
pub fn load_rdb_bytes(acc: &mut StateAccess, data: &[u8], aof_base: bool) -> Result<usize, String> {
    load_rdb(acc, data, aof_base).map(|(_, len)| len)
}

/// Keys decoded before they go into the keyspace, a batch at a time.
const LOAD_BATCH: usize = 1024;

/// Loads RDB bytes into the keyspace (keys replace existing ones): keys
/// are decoded outside the state lock and inserted a batch at a time, so
/// that clients are answered while a big file loads. Returns the keys
/// loaded and the bytes the RDB took.
fn load_rdb(
    acc: &mut StateAccess,
    data: &[u8],
    keep_expired: bool,
) -> Result<(usize, usize), String> {
    let start = Instant::now();
    let now = crate::server::now_ms();
    let (limits, lfu_policy, dbs) = acc.with(|st| {
        (
            st.config.tun.limits,
            st.ks.lfu_policy,
            st.ks.db_count() as u64,
        )
    });
    let mut n = 0usize;
    let total = data.len().max(1);
    let mut last_report = Instant::now();
    let mut batch: Vec<(usize, Vec<u8>, Entry, i64)> = Vec::with_capacity(LOAD_BATCH);
    let mut at = 0usize;
    let mut insert = |acc: &mut StateAccess,
                      batch: &mut Vec<(usize, Vec<u8>, Entry, i64)>,
                      at: usize|
     -> Result<(), String> {
        acc.with(|st| {
            load_stopped(st)?;
            for (db, key, entry, expire) in batch.drain(..) {
                st.ks.delete(db, &key, now);
                st.ks.insert_entry(db, key.into(), entry, expire);
                n += 1;
                if n % 256 == 0 {
                    spill_while_loading(st, now);
                }
            }
            loaded_upto(st, at as u64);
            Ok(())
        })
    };
    let loaded = read_rdb(data, |ev| {
        if let Event::Key(k) = ev {
            if k.db >= dbs {
                return Err(format!(
                    "the file has database {} but this server has {dbs}",
                    k.db
                ));
            }
            at = k.offset;
            if !keep_expired && k.expire_ms.is_some_and(|t| t <= now) {
                return Ok(());
            }
            let Some(value) = crate::values::from_object(k.value, k.form, &limits) else {
                return Ok(());
            };
            let lru = lfu::restored(lfu_policy, k.freq, k.idle_secs, now as u64);
            batch.push((
                k.db as usize,
                k.key,
                Entry::new(value, lru),
                k.expire_ms.unwrap_or(NO_EXPIRE),
            ));
            if batch.len() >= LOAD_BATCH {
                insert(acc, &mut batch, at)?;
                if last_report.elapsed().as_secs() >= 1 {
                    last_report = Instant::now();
                    info!("Loading RDB... {}%", at * 100 / total);
                }
            }
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    insert(acc, &mut batch, loaded.length)?;
    info!(
        "DB loaded from disk: {n} keys, RDB version {}, {} bytes in {} ms",
        loaded.version,
        total,
        start.elapsed().as_millis()
    );
    Ok((n, loaded.length))
}

/// A load step (RDB or AOF) checks this first: SHUTDOWN stops a load.
pub(crate) fn load_stopped(st: &State) -> Result<(), String> {
    if st.shutdown_requested {
        return Err("the load was stopped by SHUTDOWN".to_string());
    }
    Ok(())
}

/// While loading, a dataset bigger than the hot tier spills to the cold
/// tier, so loading never needs more RAM than `maxmemory`.
pub(crate) fn spill_while_loading(st: &mut State, now: i64) {
    let t = &st.config.tun;
    let (maxmemory, samples, min_size) =
        (t.maxmemory, t.maxmemory_samples, t.tiering_min_value_size);
    if st.ks.cold().is_some() && maxmemory > 0 {
        st.ks
            .demote_while(samples, min_size, crate::evict::DEMOTE_BATCH, now, || {
                tiering::memory::used_memory() as u64 > maxmemory
            });
    }
}

/// After a load step: the progress INFO shows, and the memory peak (the
/// cron, which keeps it otherwise, does not run yet).
pub(crate) fn loaded_upto(st: &mut State, bytes: u64) {
    if let Some(l) = st.loading.as_mut() {
        l.loaded_bytes = bytes;
    }
    let used = tiering::memory::used_memory() as u64;
    st.stats.peak_memory = st.stats.peak_memory.max(used);
}

/// A background save in progress (see `tiering::keyspace` snapshots: the
/// keyspace is walked a slice at a time between clients' commands). The
/// walk encodes hot values, which it borrows, and passes cold ones by
/// reference: the writer thread reads those from the cold tier itself
/// (its records stay until the snapshot ends), so no client waits for
/// the disk, and writes the file.
pub struct BgSave {
    target: Target,
    /// A base written as commands (`aof-use-rdb-preamble no`).
    commands: bool,
    /// The database the file is positioned in (SELECTDB written).
    current_db: Option<usize>,
    sizes: Vec<(u64, u64)>,
    items: Vec<Item>,
    /// Bytes of encoded values in `items`.
    items_bytes: usize,
    /// To the writer thread; bounded, so the walk goes no faster than the
    /// file is written (what waits in between counts in `used_memory`).
    tx: Option<std::sync::mpsc::SyncSender<Vec<Item>>>,
    /// The walk is complete; what is left is handing over its last items
    /// and the end mark.
    walked: bool,
    pub started: Instant,
    dirty_at_start: u64,
}

/// What the walk hands the writer thread, in file order.
enum Item {
    /// SELECTDB (with RESIZEDB sizes), or SELECT in a command base.
    Select(usize, u64, u64),
    /// A hot value, copied out (the writer thread encodes and compresses
    /// it), or (command base) its commands.
    Obj(
        Vec<u8>,
        persistence::object::Object,
        persistence::object::Form,
        Option<i64>,
    ),
    Commands(Vec<u8>),
    /// A cold value, read by the writer thread.
    Cold(Vec<u8>, tiering::cold::ColdRef, Option<i64>),
}

/// How much of the keyspace one step of a background save walks.
const STEP_BUDGET: usize = 256;
/// Bytes collected before they go to the writer thread.
const CHUNK: usize = 1 << 20;

impl BgSave {
    fn entry(&mut self, db: usize, key: &[u8], value: &tiering::Value, expire: i64) {
        self.select(db);
        let expire = (expire != NO_EXPIRE).then_some(expire);
        if let tiering::Value::Cold(r) = value {
            self.items.push(Item::Cold(key.to_vec(), r.clone(), expire));
            self.items_bytes += 64;
            return;
        }
        let (obj, form) = crate::values::to_object(value);
        if self.commands {
            let mut out = Vec::new();
            persistence::aof::object_commands(&mut out, key, &obj, expire);
            self.items_bytes += out.len();
            self.items.push(Item::Commands(out));
        } else {
            self.items_bytes += value.heap_size() + key.len();
            self.items.push(Item::Obj(key.to_vec(), obj, form, expire));
        }
    }

    fn select(&mut self, db: usize) {
        if self.current_db != Some(db) {
            let (keys, expires) = self.sizes.get(db).copied().unwrap_or((0, 0));
            self.items.push(Item::Select(db, keys, expires));
            self.current_db = Some(db);
        }
    }

    /// Hands what the walk collected to the writer thread, unless the
    /// writer is behind (false: try again later).
    fn flush_items(&mut self) -> bool {
        if self.items.is_empty() {
            return true;
        }
        let Some(tx) = &self.tx else {
            return true;
        };
        match tx.try_send(std::mem::take(&mut self.items)) {
            Ok(()) => {
                self.items_bytes = 0;
                true
            }
            Err(std::sync::mpsc::TrySendError::Full(items)) => {
                self.items = items;
                false
            }
            // The writer failed; it reports that.
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                self.items_bytes = 0;
                true
            }
        }
    }

    /// This is a `BGSAVE` (not an AOF rewrite).
    pub fn is_rdb(&self) -> bool {
        self.target == Target::Rdb
    }
}

/// A cold record's RDB object bytes (type byte + body) decoded.
fn decode_object(raw: &[u8]) -> Result<persistence::object::Object, String> {
    let Some((&t, body)) = raw.split_first() else {
        return Err("an empty cold record".into());
    };
    persistence::object::read_object(t, &mut persistence::rdb::Reader::new(body))
        .map_err(|e| format!("a cold record does not decode: {e:?}"))
}

/// What a background snapshot writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The dump (`BGSAVE`, save points).
    Rdb,
    /// A new AOF base (`BGREWRITEAOF`), renamed to `path` when complete:
    /// an RDB, or commands if not `rdb` (`aof-use-rdb-preamble no`).
    AofBase { path: PathBuf, rdb: bool },
}

/// `BGSAVE`: starts a background save. Err if one is running.
pub fn start_bgsave(shared: &crate::server::Shared, st: &mut State) -> Result<(), &'static str> {
    if st.bgsave.as_ref().is_some_and(|b| !b.is_rdb()) {
        return Err("ERR An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    start_snapshot(shared, st, Target::Rdb)
}

/// Starts a background snapshot to `target`. Err if one is running.
pub fn start_snapshot(
    shared: &crate::server::Shared,
    st: &mut State,
    target: Target,
) -> Result<(), &'static str> {
    if st.bgsave.is_some() || !st.ks.begin_snapshot() {
        return Err("ERR Background save already in progress");
    }
    let now = crate::server::now_ms();
    let commands = matches!(target, Target::AofBase { rdb: false, .. });
    let (file, checksum) = start_file(st, now, target != Target::Rdb);
    let sizes = (0..st.ks.db_count())
        .map(|d| (st.ks.db(d).len() as u64, st.ks.db(d).volatile_len() as u64))
        .collect();
    let path = match &target {
        Target::Rdb => rdb_path(st),
        Target::AofBase { path, .. } => path.clone(),
    };
    let reader = st.ks.cold().map(|c| c.reader());
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(2);
    let file = (!commands).then_some(file);
    let file_task = std::thread::Builder::new()
        .name("bgsave-writer".into())
        .spawn(move || write_file(&path, rx, file, checksum, reader))
        .map_err(|_| "ERR Background save failed to start")?;
    let rdb = target == Target::Rdb;
    st.bgsave = Some(BgSave {
        target,
        commands,
        current_db: None,
        sizes,
        items: Vec::new(),
        items_bytes: 0,
        tx: Some(tx),
        walked: false,
        started: Instant::now(),
        dirty_at_start: st.dirty,
    });
    if rdb {
        st.persist.last_bgsave_try = now / 1000;
        info!("Background saving started");
    }
    if let Some(me) = shared.me.upgrade() {
        tokio::spawn(drive_bgsave(me, file_task));
    }
    Ok(())
}

/// The writer thread of a background snapshot: receives the walk's items,
/// reads cold values from the cold tier, builds the file (`rdb`: an RDB
/// with the header already in it; None: a command base) in a temporary
/// file, and when the walk says it is complete (an empty batch) syncs it
/// and renames it into place. A dropped sender (the save was abandoned)
/// or an error removes it.
fn write_file(
    path: &Path,
    rx: std::sync::mpsc::Receiver<Vec<Item>>,
    mut rdb: Option<RdbWriter>,
    checksum: bool,
    reader: Option<tiering::cold::ColdReader>,
) -> Result<u64, String> {
    let tmp = path.with_file_name(format!("temp-bg-{}.rdb", std::process::id()));
    // Below the command thread: on a machine with few cores the snapshot
    // takes longer rather than clients waiting (measured on 2 cores:
    // p99.9 during BGSAVE 2.7x without, see docs/persistence.md).
    // SAFETY: plain integers; `setpriority` on this thread's id only.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
    let result = (|| -> Result<u64, String> {
        let f = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
        // Writes of about CHUNK bytes, on io_uring where the kernel has it.
        let mut ring = crate::aof::Ring::new("RDB writer");
        let mut cmds: Vec<u8> = Vec::new();
        let mut n = 0u64;
        let mut write = |bytes: &[u8], n: &mut u64| -> Result<(), String> {
            if !bytes.is_empty() {
                ring.write(&f, bytes, *n, false)
                    .map_err(|e| e.to_string())?;
                *n += bytes.len() as u64;
            }
            Ok(())
        };
        loop {
            let items = rx
                .recv()
                .map_err(|_| "the background save was abandoned".to_string())?;
            if items.is_empty() {
                break;
            }
            for item in items {
                match item {
                    Item::Select(db, keys, expires) => match rdb.as_mut() {
                        Some(w) => w.select_db(db as u64, keys, expires),
                        None => persistence::aof::encode_command(
                            &mut cmds,
                            &[b"SELECT".as_slice(), db.to_string().as_bytes()],
                        ),
                    },
                    Item::Obj(key, obj, form, exp) => {
                        if let Some(w) = rdb.as_mut() {
                            w.entry(&key, &obj, form, exp);
                        }
                    }
                    Item::Commands(bytes) => cmds.extend_from_slice(&bytes),
                    Item::Cold(key, r, exp) => {
                        let raw = reader
                            .as_ref()
                            .ok_or("a cold value without a cold tier")?
                            .read_object(&r)?;
                        match rdb.as_mut() {
                            Some(w) => w.entry_raw(&key, &raw, exp),
                            None => {
                                let obj = decode_object(&raw)?;
                                persistence::aof::object_commands(&mut cmds, &key, &obj, exp);
                            }
                        }
                    }
                }
            }
            if let Some(w) = rdb.as_mut() {
                if w.buffered() >= CHUNK {
                    let bytes = w.take();
                    write(&bytes, &mut n)?;
                }
            }
            if cmds.len() >= CHUNK {
                write(&cmds, &mut n)?;
                cmds.clear();
            }
        }
        match rdb.take() {
            Some(w) => write(&w.finish(checksum), &mut n)?,
            None => write(&cmds, &mut n)?,
        }
        f.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| e.to_string())?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| e.to_string())?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Walks the keyspace a step at a time, letting clients run in between,
/// then waits for the writer thread and records the outcome. The snapshot
/// (and with it the cold records it refers to) ends when the file is
/// written.
async fn drive_bgsave(
    shared: std::sync::Arc<crate::server::Shared>,
    file_task: std::thread::JoinHandle<Result<u64, String>>,
) {
    loop {
        let behind = {
            let mut st = shared.state.lock();
            let State { ks, bgsave, .. } = &mut *st;
            let Some(bg) = bgsave.as_mut() else {
                // Abandoned (SHUTDOWN, FLUSHALL).
                return;
            };
            if bg.walked {
                // The last items, then the end mark (the writer finishes
                // the file).
                if bg.flush_items() {
                    let end = match &bg.tx {
                        Some(tx) => tx.try_send(Vec::new()),
                        None => Ok(()),
                    };
                    if !matches!(end, Err(std::sync::mpsc::TrySendError::Full(_))) {
                        bg.tx = None;
                        break;
                    }
                }
                true
            } else if (bg.items_bytes >= CHUNK || bg.items.len() >= 4 * STEP_BUDGET)
                && !bg.flush_items()
            {
                true
            } else {
                for p in ks.take_snapshot_pending() {
                    bg.entry(p.db, &p.key, &p.value, p.expire);
                }
                bg.walked = ks.snapshot_step(STEP_BUDGET, |db, key, e, expire| {
                    bg.entry(db, key, &e.value, expire);
                });
                for p in ks.take_snapshot_pending() {
                    bg.entry(p.db, &p.key, &p.value, p.expire);
                }
                false
            }
        };
        if behind {
            // The writer is behind: clients run meanwhile.
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
    let result = tokio::task::spawn_blocking(move || file_task.join())
        .await
        .ok()
        .and_then(|r| r.ok())
        .unwrap_or_else(|| Err("the writer thread failed".into()));
    let mut st = shared.state.lock();
    let Some(bg) = st.bgsave.take() else {
        // Abandoned meanwhile (its snapshot ended then).
        return;
    };
    st.ks.end_snapshot();
    if !bg.is_rdb() {
        crate::aof::rewrite_done(&mut st, result);
        return;
    }
    st.persist.last_bgsave_secs = bg.started.elapsed().as_secs() as i64;
    match result {
        Ok(bytes) => {
            st.dirty = st.dirty.saturating_sub(bg.dirty_at_start);
            st.last_save_unix = crate::server::now_ms() / 1000;
            st.persist.saves += 1;
            st.persist.last_status_ok = true;
            info!(
                "Background saving terminated with success ({bytes} bytes in {} ms)",
                bg.started.elapsed().as_millis()
            );
        }
        Err(e) => {
            st.persist.last_status_ok = false;
            warn!("Background saving error: {e}");
        }
    }
}

/// Abandons a running background save (its temporary file is removed).
/// An AOF rewrite abandoned this way is tried again later (its
/// incremental file keeps everything meanwhile).
pub fn abort_bgsave(st: &mut State) {
    if let Some(bg) = st.bgsave.take() {
        st.ks.end_snapshot();
        if bg.is_rdb() {
            warn!("Background saving abandoned");
        } else {
            crate::aof::rewrite_abandoned(st);
        }
    }
}

/// The cron's save points: starts a background save when one of the
/// `save <seconds> <changes>` conditions holds (and, after a failure, not
/// sooner than 5 seconds after the last try), as Redis does.
pub fn check_save_points(shared: &crate::server::Shared, st: &mut State) {
    if st.bgsave.is_some() {
        return;
    }
    if st.persist.bgsave_scheduled && st.aof.rewrite.is_none() {
        st.persist.bgsave_scheduled = false;
        let _ = start_bgsave(shared, st);
        return;
    }
    if st.dirty == 0 {
        return;
    }
    let now_s = crate::server::now_ms() / 1000;
    let points = st.config.get("save").unwrap_or("").to_string();
    let nums: Vec<i64> = points
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let due = nums.chunks_exact(2).any(|p| {
        let (secs, changes) = (p[0], p[1]);
        st.dirty >= changes as u64
            && now_s - st.last_save_unix > secs
            && (st.persist.last_status_ok || now_s - st.persist.last_bgsave_try > 5)
    });
    if due {
        info!("Save point reached: {} changes", st.dirty);
        let _ = start_bgsave(shared, st);
    }
}
