//! The append-only file: every change to the dataset, logged as the
//! commands that make it, in Redis 7's multi-part layout (formats in
//! `persistence::aof`, design in docs/persistence.md).
//!
//! * **Propagation.** `exec::run` hands each command that changed the
//!   dataset (its `dirty` moved) to [`after_command`]; a command whose
//!   effect depends on when or how it ran replaces itself with
//!   deterministic commands ([`crate::exec::Ctx::propagate_as`]: relative
//!   expiries become `PXAT`/`PEXPIREAT`, `SPOP` becomes `SREM`, ...).
//!   Keys removed by expiry or eviction are logged as `DEL`. What one
//!   client command caused is one *unit*: written as it is, or wrapped in
//!   `MULTI`/`EXEC` when it is several commands (a transaction, an expiry
//!   plus the command), so a torn tail never replays half of it. Tier
//!   moves are not commands and never reach the log (DESIGN invariant 8).
//! * **Writing.** Units collect in a buffer under the state lock; at the
//!   end of each client's batch the buffer is written to the file right
//!   there (io_uring, or `pwrite` where the kernel has none), as Redis
//!   writes before it replies, so a `kill -9` loses nothing acknowledged.
//!   Syncs belong to the sync thread: every second (`everysec`), or, with
//!   `always`, before the batch's replies go, which wait for it; one sync
//!   covers every client whose bytes were written before it (group
//!   commit). A failed write keeps the bytes, retries from the cron, and
//!   holds the replies (and refuses writes with `-MISCONF`) until it
//!   succeeds.
//! * **Rewrite.** `BGREWRITEAOF` opens a new incremental file (later
//!   commands go there) and writes a new base, an RDB snapshot, with the
//!   background-save machinery (point in time, clients keep running,
//!   cold values copied as stored). When it is complete, the manifest
//!   switches to the new base plus the incremental files opened since; the
//!   old files become history and are deleted.
//! * **Loading** replays the base and incremental files through the
//!   command path with a client of its own, with expiry paused (a key
//!   that expired later is deleted by the `DEL` logged when it did).

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use persistence::aof::{self as fmt, AofFile, FileKind, Manifest, ReadError};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::server::{Shared, State, StateAccess};

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

impl Fsync {
    pub fn parse(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

/// How far the log is written and synced, in bytes since the server
/// started logging (across files).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    pub written: u64,
    pub durable: u64,
}

/// What a batch's replies wait for before they are sent.
pub struct Wait {
    rx: watch::Receiver<Mark>,
    target: u64,
    durable: bool,
}

impl Wait {
    pub async fn done(mut self) {
        let (t, durable) = (self.target, self.durable);
        let _ = self
            .rx
            .wait_for(|m| {
                if durable {
                    m.durable >= t
                } else {
                    m.written >= t
                }
            })
            .await;
    }
}

/// The AOF's state (in [`State`]).
pub struct Aof {
    /// Logging is on (`appendonly yes` and the log is open).
    pub on: bool,
    /// `CONFIG SET appendonly yes` ran: the first base is being written;
    /// commands go to a temporary incremental file meanwhile.
    pub wait_rewrite: bool,
    /// Replaying the log at start: nothing is logged.
    pub loading: bool,
    pub policy: Fsync,
    buf: Vec<u8>,
    /// The database the log is positioned in (`SELECT` written).
    sel_db: Option<usize>,
    /// Bytes written to the log's files so far (across files).
    written: u64,
    /// The same, for the sync thread.
    written_shared: Arc<AtomicU64>,
    /// The file written now, with its size (where the next write goes).
    file: Option<Arc<File>>,
    file_size: u64,
    syncer: Option<SyncerHandle>,
    /// The last write failed (its bytes are still in `buf`).
    write_failed: bool,
    marks: Arc<watch::Sender<Mark>>,
    /// The writer's last write or sync error (writes answer `-MISCONF`).
    pub error: Arc<Mutex<Option<String>>>,
    manifest: Manifest,
    /// Sizes for `auto-aof-rewrite-*` and INFO: the base, and the whole
    /// log (base + incremental files).
    pub base_size: u64,
    pub current_size: u64,
    /// The size when the last rewrite ended (auto-rewrite grows from it).
    pub rewrite_base_size: u64,
    pub rewrite: Option<Rewrite>,
    pub rewrite_scheduled: bool,
    pub rewrites: u64,
    pub last_rewrite_secs: i64,
    pub last_rewrite_ok: bool,
    pub rewrite_failures: u64,
    /// Deferred until the file is open: `appendonly yes` at start.
    pub started_at: Option<Instant>,
}

/// A rewrite in progress.
pub struct Rewrite {
    pub started: Instant,
    /// The new base's name (written by the background save).
    base_name: String,
    /// The incremental files opened since it started, first one first.
    new_incrs: Vec<AofFile>,
}

impl Default for Aof {
    fn default() -> Self {
        let (tx, _rx) = watch::channel(Mark::default());
        Aof {
            on: false,
            wait_rewrite: false,
            loading: false,
            policy: Fsync::EverySec,
            buf: Vec::new(),
            sel_db: None,
            written: 0,
            written_shared: Arc::new(AtomicU64::new(0)),
            file: None,
            file_size: 0,
            syncer: None,
            write_failed: false,
            marks: Arc::new(tx),
            error: Arc::new(Mutex::new(None)),
            manifest: Manifest::default(),
            base_size: 0,
            current_size: 0,
            rewrite_base_size: 0,
            rewrite: None,
            rewrite_scheduled: false,
            rewrites: 0,
            last_rewrite_secs: -1,
            last_rewrite_ok: true,
            rewrite_failures: 0,
            started_at: None,
        }
    }
}

impl Aof {
    /// Commands are being logged.
    #[inline]
    pub fn logging(&self) -> bool {
        (self.on || self.wait_rewrite) && !self.loading
    }

    /// Bytes logged but not yet written.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The writer failed its last write or sync.
    pub fn write_error(&self) -> Option<String> {
        self.error.lock().clone()
    }
}

// ---------------------------------------------------------------------
// Propagation

/// Called by `exec::run` after each command: logs what it changed.
/// `changed`: the command counted changes (`Ctx::dirty`) while it ran.
pub fn after_command(st: &mut State, db: usize, name: &str, args: &[Bytes], changed: bool) {
    let rewritten = st.prop_override.take();
    if !st.aof.logging() || name == "exec" {
        // EXEC's commands were logged one by one, inside its unit.
        return;
    }
    match rewritten {
        Some(ops) => {
            for op in ops {
                st.prop.push((db, op));
            }
        }
        None if changed => st.prop.push((db, args.to_vec())),
        None => {}
    }
}

/// The error a command gets while the log cannot be written: writes
/// (and PING, as Redis) answer `-MISCONF` until the writer recovers.
pub fn refuses(st: &State, cmd: &crate::commands::CommandDef) -> Option<String> {
    if cmd.flags & crate::commands::WRITE == 0 && cmd.name != "ping" {
        return None;
    }
    let e = st.aof.error.lock();
    e.as_ref()
        .map(|e| format!("MISCONF Errors writing to the AOF file: {e}"))
}

/// A key removed by expiry or eviction: logged as `DEL`.
pub fn deleted(st: &mut State, db: usize, key: &[u8]) {
    if st.aof.logging() {
        st.prop.push((
            db,
            vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)],
        ));
    }
}

/// Ends the unit of the command that just ran (or the cron's work):
/// appends its commands to the buffer, in `MULTI`/`EXEC` if several.
pub fn end_unit(st: &mut State) {
    if st.prop.is_empty() {
        return;
    }
    let mut ops = std::mem::take(&mut st.prop);
    if !st.aof.logging() {
        return;
    }
    let wrap = ops.len() > 1;
    encode_unit(&mut st.aof, &mut ops, wrap);
}

/// Appends `ops` to the buffer, with `SELECT` where the database changes
/// and inside `MULTI`/`EXEC` if `wrap`.
fn encode_unit(aof: &mut Aof, ops: &mut [(usize, Vec<Bytes>)], wrap: bool) {
    let select = |aof: &mut Aof, db: usize| {
        if aof.sel_db != Some(db) {
            fmt::encode_command(
                &mut aof.buf,
                &[b"SELECT".as_slice(), db.to_string().as_bytes()],
            );
            aof.sel_db = Some(db);
        }
    };
    if wrap {
        // SELECT first: inside MULTI it would be queued like the rest,
        // which replays the same but reads worse.
        select(aof, ops[0].0);
        fmt::encode_command(&mut aof.buf, &[b"MULTI"]);
    }
    for (db, args) in ops.iter() {
        select(aof, *db);
        fmt::encode_command(&mut aof.buf, args);
    }
    if wrap {
        fmt::encode_command(&mut aof.buf, &[b"EXEC"]);
    }
}

/// Writes the buffer to the file. Returns what the caller's replies must
/// wait for if `since` (the log position when its batch started, from
/// [`position`]) has moved: the sync (`always`), or, after a failed
/// write, the write.
pub fn submit(st: &mut State, since: u64) -> Option<Wait> {
    let aof = &mut st.aof;
    let file = aof.file.as_ref()?;
    if !aof.buf.is_empty() {
        // A plain pwrite: a small buffered append through io_uring was
        // measured 2.5x slower here (the kernel hands it to a worker
        // thread); the syncs and the RDB writer's large writes use it.
        use std::os::unix::fs::FileExt;
        match file.write_all_at(&aof.buf, aof.file_size) {
            Ok(()) => {
                let n = aof.buf.len() as u64;
                aof.written += n;
                aof.file_size += n;
                aof.current_size += n;
                aof.buf.clear();
                if aof.buf.capacity() > 1 << 22 {
                    aof.buf.shrink_to(1 << 16);
                }
                aof.written_shared.store(aof.written, Ordering::Release);
                if aof.write_failed {
                    aof.write_failed = false;
                    *aof.error.lock() = None;
                    info!("AOF write error recovered: the log is written again");
                }
                if aof.marks.receiver_count() > 0 {
                    let w = aof.written;
                    aof.marks.send_modify(|m| m.written = w);
                }
            }
            Err(e) => {
                // The bytes stay in the buffer; the cron tries again.
                aof.write_failed = true;
                fail(&aof.error, e.to_string());
            }
        }
    }
    let target = aof.written + aof.buf.len() as u64;
    if target <= since {
        return None;
    }
    let durable = aof.policy == Fsync::Always;
    if durable {
        if let Some(s) = &aof.syncer {
            let _ = s.tx.send(SyncMsg::Sync);
        }
    } else if aof.written >= target {
        return None;
    }
    Some(Wait {
        rx: aof.marks.subscribe(),
        target,
        durable,
    })
}

/// The log position now (buffered bytes included).
pub fn position(st: &State) -> u64 {
    st.aof.written + st.aof.buf.len() as u64
}

// ---------------------------------------------------------------------
// The sync thread

enum SyncMsg {
    /// Sync what is written (`always`: replies wait for it).
    Sync,
    /// Continue with another file (a rewrite started): the old one is
    /// synced first.
    Switch(Arc<File>),
    Policy(Fsync),
    /// Sync, then answer.
    Flush(mpsc::Sender<Result<(), String>>),
}

struct SyncerHandle {
    tx: mpsc::Sender<SyncMsg>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for SyncerHandle {
    fn drop(&mut self) {
        // Closing the channel ends the thread after a last sync.
        let (tx, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Writes and syncs with io_uring when the kernel allows it: a write and
/// a sync linked in one submission. Used by the AOF writer and the RDB
/// (background save) writer.
pub(crate) struct Ring {
    ring: Option<io_uring::IoUring>,
}

impl Ring {
    /// `who` names the writer in the log line saying which way it writes.
    pub(crate) fn new(who: &str) -> Ring {
        match io_uring::IoUring::new(4) {
            Ok(ring) => {
                tracing::debug!("{who} uses io_uring");
                Ring { ring: Some(ring) }
            }
            Err(e) => {
                warn!("io_uring is not available ({e}): the {who} falls back to write(2)");
                Ring { ring: None }
            }
        }
    }

    /// Writes `data` at `offset` of `file`, then syncs its data if
    /// `sync`.
    pub(crate) fn write(
        &mut self,
        file: &File,
        mut data: &[u8],
        mut offset: u64,
        sync: bool,
    ) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        use std::os::unix::io::AsRawFd;
        let Some(ring) = self.ring.as_mut() else {
            file.write_all_at(data, offset)?;
            if sync {
                file.sync_data()?;
            }
            return Ok(());
        };
        let fd = io_uring::types::Fd(file.as_raw_fd());
        loop {
            let len = data.len().min(1 << 30) as u32;
            let write = io_uring::opcode::Write::new(fd, data.as_ptr(), len)
                .offset(offset)
                .build()
                .user_data(1);
            let linked_sync = sync && len as usize == data.len();
            let write = if linked_sync {
                write.flags(io_uring::squeue::Flags::IO_LINK)
            } else {
                write
            };
            let fsync = io_uring::opcode::Fsync::new(fd)
                .flags(io_uring::types::FsyncFlags::DATASYNC)
                .build()
                .user_data(2);
            // SAFETY: the buffer and the file outlive the submission: we
            // wait for every completion before returning.
            unsafe {
                let mut sq = ring.submission();
                sq.push(&write)
                    .map_err(|_| std::io::Error::other("ring full"))?;
                if linked_sync {
                    sq.push(&fsync)
                        .map_err(|_| std::io::Error::other("ring full"))?;
                }
            }
            let want = if linked_sync { 2 } else { 1 };
            ring.submit_and_wait(want)?;
            let mut written = None;
            let mut synced = Ok(());
            for cqe in ring.completion() {
                let r = cqe.result();
                match cqe.user_data() {
                    1 if r < 0 => written = Some(Err(std::io::Error::from_raw_os_error(-r))),
                    1 => written = Some(Ok(r as usize)),
                    _ if r == -libc::ECANCELED => {}
                    _ if r < 0 => synced = Err(std::io::Error::from_raw_os_error(-r)),
                    _ => {}
                }
            }
            let n = written.unwrap_or_else(|| Err(std::io::Error::other("no completion")))?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "short write",
                ));
            }
            if n < data.len() {
                // A short write cancelled the linked sync: go on.
                data = &data[n..];
                offset += n as u64;
                continue;
            }
            synced?;
            if sync && !linked_sync {
                file.sync_data()?;
            }
            return Ok(());
        }
    }

    /// Syncs the file's data (a sync of its own, when nothing was
    /// written with it).
    fn sync(&mut self, file: &File) -> std::io::Result<()> {
        use std::os::unix::io::AsRawFd;
        let Some(ring) = self.ring.as_mut() else {
            return file.sync_data();
        };
        let fsync = io_uring::opcode::Fsync::new(io_uring::types::Fd(file.as_raw_fd()))
            .flags(io_uring::types::FsyncFlags::DATASYNC)
            .build()
            .user_data(2);
        // SAFETY: the file outlives the submission (we wait for it).
        unsafe {
            ring.submission()
                .push(&fsync)
                .map_err(|_| std::io::Error::other("ring full"))?;
        }
        ring.submit_and_wait(1)?;
        for cqe in ring.completion() {
            if cqe.result() < 0 {
                return Err(std::io::Error::from_raw_os_error(-cqe.result()));
            }
        }
        Ok(())
    }
}

/// Makes `file` (of `size` bytes) the one written, starting the sync
/// thread if needed (or handing it the new file, after it synced the old
/// one).
fn use_file(aof: &mut Aof, file: File, size: u64) -> Result<(), String> {
    let file = Arc::new(file);
    aof.file = Some(file.clone());
    aof.file_size = size;
    if let Some(s) = &aof.syncer {
        let _ = s.tx.send(SyncMsg::Switch(file));
        return Ok(());
    }
    let (tx, rx) = mpsc::channel();
    let marks = aof.marks.clone();
    let error = aof.error.clone();
    let written = aof.written_shared.clone();
    let policy = aof.policy;
    // Everything written before this thread is synced already (by the one
    // before it, when the log was closed), none of this file yet.
    let durable = aof.written;
    let thread = std::thread::Builder::new()
        .name("aof-sync".into())
        .spawn(move || syncer_main(rx, file, policy, durable, &written, &marks, &error))
        .map_err(|e| e.to_string())?;
    aof.syncer = Some(SyncerHandle {
        tx,
        thread: Some(thread),
    });
    Ok(())
}

/// The sync thread: syncs when asked (`always`), every second
/// (`everysec`), before a switch of files and at the end; publishes how
/// far the log is durable. A failed sync is retried.
fn syncer_main(
    rx: mpsc::Receiver<SyncMsg>,
    mut file: Arc<File>,
    mut policy: Fsync,
    mut durable: u64,
    written: &AtomicU64,
    marks: &watch::Sender<Mark>,
    error: &Mutex<Option<String>>,
) {
    let mut ring = Ring::new("AOF sync thread");
    marks.send_modify(|m| m.durable = m.durable.max(durable));
    let mut last_sync = Instant::now();
    let mut failing = false;
    let mut closed = false;
    while !closed {
        let timeout = if failing {
            Duration::from_millis(100)
        } else if policy == Fsync::EverySec {
            Duration::from_secs(1).saturating_sub(last_sync.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        let mut msgs = Vec::new();
        match rx.recv_timeout(timeout) {
            Ok(m) => msgs.push(m),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => closed = true,
        }
        while let Ok(m) = rx.try_recv() {
            msgs.push(m);
        }
        let mut want = failing || closed;
        let mut flushes = Vec::new();
        for m in msgs {
            match m {
                SyncMsg::Sync => want = true,
                SyncMsg::Policy(p) => policy = p,
                SyncMsg::Flush(ack) => {
                    want = true;
                    flushes.push(ack);
                }
                SyncMsg::Switch(new) => {
                    // Everything written to the old file is synced before
                    // the new one counts.
                    if let Err(e) = ring.sync(&file) {
                        fail(error, e.to_string());
                    }
                    file = new;
                    want = true;
                }
            }
        }
        let upto = written.load(Ordering::Acquire);
        let due = policy == Fsync::EverySec && last_sync.elapsed() >= Duration::from_secs(1);
        if (want || due) && upto > durable || !flushes.is_empty() || failing {
            match ring.sync(&file) {
                Ok(()) => {
                    durable = durable.max(upto);
                    last_sync = Instant::now();
                    if failing {
                        failing = false;
                        if error.lock().take().is_some() {
                            info!("AOF sync error recovered");
                        }
                    }
                    marks.send_modify(|m| m.durable = durable);
                }
                Err(e) => {
                    failing = true;
                    fail(error, e.to_string());
                }
            }
        } else if due {
            last_sync = Instant::now();
        }
        for ack in flushes {
            let _ = ack.send(match error.lock().clone() {
                None => Ok(()),
                Some(e) => Err(e),
            });
        }
    }
}

fn fail(error: &Mutex<Option<String>>, e: String) {
    // As strerror() reads, the way Redis shows it after MISCONF.
    let e = match e.find(" (os error ") {
        Some(i) => e[..i].to_string(),
        None => e,
    };
    let mut slot = error.lock();
    if slot.is_none() {
        warn!("Error writing the AOF: {e}. Writes are refused until it is written again");
    }
    *slot = Some(e);
}

// ---------------------------------------------------------------------
// Files and the manifest

fn aof_dir(st: &State) -> PathBuf {
    PathBuf::from(st.config.get("appenddirname").unwrap_or("appendonlydir"))
}

fn filename(st: &State) -> String {
    st.config
        .get("appendfilename")
        .unwrap_or("appendonly.aof")
        .to_string()
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes the manifest atomically (temporary file, sync, rename, sync of
/// the directory).
fn persist_manifest(dir: &Path, name: &str, m: &Manifest) -> Result<(), String> {
    let path = dir.join(fmt::manifest_name(name));
    let tmp = dir.join(format!("temp-{}", fmt::manifest_name(name)));
    let r = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(&m.to_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        sync_dir(dir)
    })();
    r.map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Opens a log file for writing at its end (`fresh`: emptied first, for
/// a new file whose name a crash may have left behind).
fn open_append(path: &Path, fresh: bool) -> Result<(File, u64), String> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(fresh)
        .open(path)
        .map_err(|e| format!("opening {}: {e}", path.display()))?;
    let size = f.metadata().map_err(|e| e.to_string())?.len();
    Ok((f, size))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Reads the manifest, if there is one. A single-file AOF of Redis 6 in
/// the data directory (`appendfilename`) becomes the base of a new
/// manifest, as Redis 7 upgrades it.
fn read_manifest(st: &State) -> Result<Option<Manifest>, String> {
    let dir = aof_dir(st);
    let name = filename(st);
    let path = dir.join(fmt::manifest_name(&name));
    match std::fs::read(&path) {
        Ok(text) => Manifest::parse(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let old = PathBuf::from(&name);
            if !old.is_file() {
                return Ok(None);
            }
            info!("Upgrading the single-file AOF {name} to the multi-part layout");
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let m = Manifest {
                base: Some(AofFile {
                    name: name.clone(),
                    seq: 1,
                    kind: FileKind::Base,
                }),
                ..Default::default()
            };
            std::fs::rename(&old, dir.join(&name)).map_err(|e| e.to_string())?;
            persist_manifest(&dir, &name, &m)?;
            Ok(Some(m))
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

// ---------------------------------------------------------------------
// Loading

/// The client id the log is replayed with.
pub(crate) const LOADER_ID: u64 = u64::MAX - 1;

/// Loads the AOF at start (`appendonly yes`). Ok(false) if there is none.
pub fn load(acc: &mut StateAccess) -> Result<bool, String> {
    let Some(manifest) = acc.with(|st| {
        st.aof.policy = Fsync::parse(st.config.get("appendfsync").unwrap_or("everysec"));
        read_manifest(st)
    })?
    else {
        return Ok(false);
    };
    let start = Instant::now();
    let total = replay(acc, &manifest)?;
    acc.with(|st| {
        // What was replayed is on disk already.
        st.dirty = 0;
        st.aof.manifest = manifest;
        st.aof.current_size = total;
        st.aof.rewrite_base_size = total;
    });
    info!(
        "DB loaded from append only file: {:.3} seconds",
        start.elapsed().as_secs_f64()
    );
    Ok(true)
}

/// Replays the files of `manifest` into the keyspace, with expiry paused
/// and nothing logged. Returns the bytes replayed.
fn replay(acc: &mut StateAccess, manifest: &Manifest) -> Result<u64, String> {
    let files: Vec<AofFile> = manifest.replay_order().cloned().collect();
    let (dir, truncated_ok) = acc.with(|st| {
        let dir = aof_dir(st);
        let total: u64 = files.iter().map(|f| file_size(&dir.join(&f.name))).sum();
        if let Some(l) = st.loading.as_mut() {
            l.total_bytes = total;
        }
        st.aof.loading = true;
        st.ks.pause_expiry(true);
        let kill = Arc::new(crate::server::KillSwitch::default());
        let any: std::net::SocketAddr = ([0, 0, 0, 0], 0).into();
        st.register_client(LOADER_ID, any, any, -1, kill);
        if let Some(c) = st.clients.get_mut(&LOADER_ID) {
            // The log's commands were authorised when they ran.
            c.authenticated = true;
        }
        (dir, st.config.get("aof-load-truncated") != Some("no"))
    });
    let mut result = Ok(0);
    let mut done = 0u64;
    for (i, f) in files.iter().enumerate() {
        let path = dir.join(&f.name);
        let last = i + 1 == files.len();
        match load_file(acc, &path, last, truncated_ok, done) {
            Ok(()) => {
                let size = file_size(&path);
                done += size;
                if f.kind == FileKind::Base {
                    acc.with(|st| st.aof.base_size = size);
                }
                result = result.map(|t| t + size);
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    acc.with(|st| {
        st.unregister_client(LOADER_ID);
        st.ks.pause_expiry(false);
        st.aof.loading = false;
        st.prop.clear();
        st.prop_override = None;
    });
    result
}

/// Commands replayed per hold of the state lock.
const REPLAY_BATCH: usize = 256;

/// Replays one file. `before` is the bytes of the files replayed before
/// it (progress).
fn load_file(
    acc: &mut StateAccess,
    path: &Path,
    last: bool,
    truncated_ok: bool,
    before: u64,
) -> Result<(), String> {
    let shown = path.display().to_string();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return Err(format!("opening the append only file {shown}: {e}")),
    };
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Ok(());
    }
    // SAFETY: the file is ours and nothing writes it while it loads.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("{shown}: {e}"))?;
    let mut from = 0;
    if fmt::is_rdb(&map) {
        info!("Reading RDB base file on AOF loading...");
        let loaded = crate::persist::load_rdb_bytes(acc, &map, true)
            .map_err(|e| format!("the AOF base file {shown}: {e}"))?;
        from = loaded;
    }
    let data = &map[from..];
    let mut reader = fmt::Commands::new(data);
    // Where the transaction being replayed started, if inside one.
    let mut multi_at: Option<usize> = None;
    let mut stop: Option<ReadError> = None;
    let mut last_report = Instant::now();
    let total = map.len().max(1);
    let mut batch: Vec<Vec<Bytes>> = Vec::with_capacity(REPLAY_BATCH);
    let mut batch_end = 0usize;
    loop {
        let item = reader.next();
        match &item {
            Some(Ok((offset, args))) => {
                if crate::commands::TABLE.get(args[0]).is_none() {
                    return Err(format!(
                        "Unknown command '{}' reading the append only file {shown} at offset {}",
                        String::from_utf8_lossy(args[0]),
                        from + offset
                    ));
                }
                if args[0].eq_ignore_ascii_case(b"multi") {
                    multi_at = Some(*offset);
                } else if args[0].eq_ignore_ascii_case(b"exec") {
                    multi_at = None;
                }
                batch.push(args.iter().map(|a| Bytes::copy_from_slice(a)).collect());
                batch_end = from + reader.position();
                if batch.len() < REPLAY_BATCH {
                    continue;
                }
            }
            Some(Err(e)) => stop = Some(e.clone()),
            None => {}
        }
        run_batch(acc, &mut batch, before + batch_end as u64)?;
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            info!("Loading AOF {shown}... {}%", batch_end * 100 / total);
        }
        if item.is_none() || stop.is_some() {
            break;
        }
    }
    // A transaction without its EXEC is a torn tail too.
    let stop = match (stop, multi_at) {
        (None, Some(at)) => Some(ReadError::Truncated { offset: at }),
        (Some(ReadError::Truncated { .. }), Some(at)) => Some(ReadError::Truncated { offset: at }),
        (s, _) => s,
    };
    let Some(stop) = stop else {
        return Ok(());
    };
    let at = from + stop.offset();
    match stop {
        ReadError::Truncated { .. } if last && truncated_ok => {
            warn!("!!! Warning: short read while loading the AOF file {shown}!!!");
            warn!("!!! Truncating the AOF {shown} at offset {at} !!!");
            acc.with(|st| {
                if let Some(c) = st.clients.get_mut(&LOADER_ID) {
                    c.multi = None;
                }
            });
            drop(map);
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| format!("{shown}: {e}"))?;
            f.set_len(at as u64)
                .and_then(|()| f.sync_all())
                .map_err(|e| format!("truncating {shown}: {e}"))?;
            warn!("AOF {shown} loaded anyway because aof-load-truncated is enabled");
            Ok(())
        }
        ReadError::Truncated { .. } => Err(format!(
            "Unexpected end of file reading the append only file {shown} at offset {at}. \
             Make a backup of the file, then either run valkey-tiered-check-aof --fix on it, \
             or set aof-load-truncated yes and restart"
        )),
        ReadError::Bad { what, .. } => Err(format!(
            "Bad file format reading the append only file {shown} at offset {at}: {what}. \
             Make a backup of the file, then run valkey-tiered-check-aof --fix on it"
        )),
    }
}

/// Runs a batch of logged commands with the loader's client, in one hold
/// of the state lock; records the progress.
fn run_batch(
    acc: &mut StateAccess,
    batch: &mut Vec<Vec<Bytes>>,
    loaded: u64,
) -> Result<(), String> {
    acc.with_shared(|st, shared| {
        crate::persist::load_stopped(st)?;
        let mut out = crate::reply::Reply::new(crate::reply::Proto::Resp2);
        for args in batch.drain(..) {
            crate::exec::execute(st, shared, LOADER_ID, &mut out, &args);
            out.buf.clear();
        }
        // The replayed commands are never refused for memory: the spill
        // is the loader's.
        crate::persist::spill_while_loading(st, crate::server::now_ms());
        crate::persist::loaded_upto(st, loaded);
        Ok(())
    })
}

// ---------------------------------------------------------------------
// Opening, rewriting, closing

/// After loading at start with `appendonly yes`: opens the log for
/// appending (creating the directory, an empty base and the first
/// incremental file when there was no AOF).
pub fn open_on_start(st: &mut State) -> Result<(), String> {
    st.aof.policy = Fsync::parse(st.config.get("appendfsync").unwrap_or("everysec"));
    let dir = aof_dir(st);
    let name = filename(st);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    if st.aof.manifest.base.is_none() && st.aof.manifest.incrs.is_empty() {
        // No AOF yet: a base of the dataset as it is (empty, as Redis
        // does not load the RDB when the AOF is on).
        let seq = 1;
        let rdb = st.config.get("aof-use-rdb-preamble") != Some("no");
        let base = fmt::base_name(&name, seq, rdb);
        info!("Creating AOF base file {base} on server start");
        // The dataset is empty here: as commands, that is an empty file.
        let bytes = if rdb {
            crate::persist::dump_dataset_as(st, crate::server::now_ms(), true)?
        } else {
            Vec::new()
        };
        write_file_synced(&dir.join(&base), &bytes)?;
        st.aof.manifest.base = Some(AofFile {
            name: base,
            seq,
            kind: FileKind::Base,
        });
        st.aof.base_size = bytes.len() as u64;
        st.aof.current_size = bytes.len() as u64;
        st.aof.rewrite_base_size = bytes.len() as u64;
    }
    let incr = match st.aof.manifest.incrs.last() {
        Some(last) => last.clone(),
        None => {
            let seq = st.aof.manifest.last_seq(FileKind::Incr) + 1;
            let f = AofFile {
                name: fmt::incr_name(&name, seq),
                seq,
                kind: FileKind::Incr,
            };
            info!("Creating AOF incr file {} on server start", f.name);
            st.aof.manifest.incrs.push(f.clone());
            f
        }
    };
    let (file, size) = open_append(&dir.join(&incr.name), false)?;
    persist_manifest(&dir, &name, &st.aof.manifest)?;
    use_file(&mut st.aof, file, size)?;
    st.aof.on = true;
    st.aof.sel_db = None;
    delete_history(st);
    Ok(())
}

fn write_file_synced(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let r = (|| -> std::io::Result<()> {
        let mut f = File::create(path)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Some(d) = path.parent() {
            sync_dir(d)?;
        }
        Ok(())
    })();
    r.map_err(|e| format!("writing {}: {e}", path.display()))
}

fn delete_history(st: &mut State) {
    if st.aof.manifest.history.is_empty() || st.config.get("aof-disable-auto-gc") == Some("yes") {
        return;
    }
    let dir = aof_dir(st);
    for h in std::mem::take(&mut st.aof.manifest.history) {
        match std::fs::remove_file(dir.join(&h.name)) {
            Ok(()) => info!("Removing the history file {} in the background", h.name),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => warn!("Removing the AOF history file {}: {e}", h.name),
        }
    }
    let name = filename(st);
    if let Err(e) = persist_manifest(&dir, &name, &st.aof.manifest) {
        warn!("{e}");
    }
}

/// `BGREWRITEAOF`: starts a rewrite now, or schedules it after a running
/// background save. Err carries Redis's error text.
pub fn start_rewrite(shared: &Shared, st: &mut State) -> Result<&'static str, String> {
    if st.aof.rewrite.is_some() {
        return Err("ERR Background append only file rewriting already in progress".into());
    }
    if st.bgsave.is_some() {
        st.aof.rewrite_scheduled = true;
        return Ok("Background append only file rewriting scheduled");
    }
    rewrite_now(shared, st)?;
    Ok("Background append only file rewriting started")
}

fn rewrite_now(shared: &Shared, st: &mut State) -> Result<(), String> {
    st.aof.rewrite_scheduled = false;
    let dir = aof_dir(st);
    let name = filename(st);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let base_seq = st.aof.manifest.last_seq(FileKind::Base) + 1;
    let rdb = st.config.get("aof-use-rdb-preamble") != Some("no");
    let base_name = fmt::base_name(&name, base_seq, rdb);
    // Commands from now on go to a new incremental file: the new base
    // holds everything before.
    let seq = st.aof.manifest.last_seq(FileKind::Incr) + 1;
    let incr = AofFile {
        name: fmt::incr_name(&name, seq),
        seq,
        kind: FileKind::Incr,
    };
    let (file, size) = open_append(&dir.join(&incr.name), true)?;
    if st.aof.on {
        // The new file joins the manifest now, so a crash during the
        // rewrite replays the old base, the old files and this one.
        st.aof.manifest.incrs.push(incr.clone());
        persist_manifest(&dir, &name, &st.aof.manifest)?;
    }
    switch_file(st, file, size)?;
    let path = dir.join(&base_name);
    crate::persist::start_snapshot(shared, st, crate::persist::Target::AofBase { path, rdb })
        .map_err(|e| e.to_string())?;
    info!("Background append only file rewriting started");
    st.aof.rewrite = Some(Rewrite {
        started: Instant::now(),
        base_name,
        new_incrs: vec![incr],
    });
    Ok(())
}

/// Continues the log in `file`: what is buffered goes to the old file
/// first.
fn switch_file(st: &mut State, file: File, size: u64) -> Result<(), String> {
    let _ = submit(st, u64::MAX);
    st.aof.sel_db = None;
    use_file(&mut st.aof, file, size)
}

/// Closes the log: the last bytes written and synced, the sync thread
/// stopped.
fn close(aof: &mut Aof) {
    aof.syncer = None;
    aof.file = None;
    aof.file_size = 0;
}

/// The background save of a rewrite ended (`ok`: the base is complete on
/// disk under its final name).
pub fn rewrite_done(st: &mut State, ok: Result<u64, String>) {
    let Some(rw) = st.aof.rewrite.take() else {
        return;
    };
    let secs = rw.started.elapsed().as_secs() as i64;
    st.aof.last_rewrite_secs = secs;
    let dir = aof_dir(st);
    let name = filename(st);
    let bytes = match ok {
        Ok(n) => n,
        Err(e) => {
            warn!("Background AOF rewrite failed: {e}");
            st.aof.last_rewrite_ok = false;
            st.aof.rewrite_failures += 1;
            let _ = std::fs::remove_file(dir.join(&rw.base_name));
            if st.aof.wait_rewrite {
                // The first base failed: the log stays off.
                st.aof.wait_rewrite = false;
                st.aof.buf.clear();
                close(&mut st.aof);
                let _ = std::fs::remove_file(dir.join(&rw.new_incrs[0].name));
            }
            return;
        }
    };
    let old = std::mem::take(&mut st.aof.manifest);
    let mut m = Manifest {
        base: Some(AofFile {
            name: rw.base_name.clone(),
            seq: base_seq_of(&rw.base_name),
            kind: FileKind::Base,
        }),
        incrs: Vec::new(),
        history: old.history.clone(),
    };
    // The incremental files opened since the rewrite started stay; the
    // older ones and the old base become history.
    let first_new = rw.new_incrs[0].seq;
    for f in old.base.iter().chain(&old.incrs) {
        if f.kind == FileKind::Incr && f.seq >= first_new {
            m.incrs.push(f.clone());
        } else {
            m.history.push(AofFile {
                kind: FileKind::History,
                ..f.clone()
            });
        }
    }
    if m.incrs.is_empty() {
        m.incrs = rw.new_incrs.clone();
    }
    if let Err(e) = persist_manifest(&dir, &name, &m) {
        warn!("Background AOF rewrite failed: {e}");
        st.aof.last_rewrite_ok = false;
        st.aof.rewrite_failures += 1;
        st.aof.manifest = old;
        return;
    }
    st.aof.manifest = m;
    st.aof.base_size = bytes;
    let incr_bytes: u64 = st
        .aof
        .manifest
        .incrs
        .iter()
        .map(|f| file_size(&dir.join(&f.name)))
        .sum();
    st.aof.current_size = bytes + incr_bytes + st.aof.buf.len() as u64;
    st.aof.rewrite_base_size = st.aof.current_size;
    st.aof.rewrites += 1;
    st.aof.last_rewrite_ok = true;
    st.aof.rewrite_failures = 0;
    if st.aof.wait_rewrite {
        st.aof.wait_rewrite = false;
        st.aof.on = true;
        info!("AOF rewrite done: the append only file is on");
    }
    info!("Background AOF rewrite finished successfully ({bytes} bytes base, {secs} s)");
    delete_history(st);
}

fn base_seq_of(name: &str) -> u64 {
    name.rsplit(".base.")
        .nth(1)
        .and_then(|s| s.rsplit('.').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// A rewrite's snapshot was abandoned (FLUSHALL, SHUTDOWN): it starts
/// again from the cron. Nothing is lost: the log keeps going to the
/// incremental file it opened.
pub fn rewrite_abandoned(st: &mut State) {
    if let Some(rw) = st.aof.rewrite.take() {
        let _ = std::fs::remove_file(aof_dir(st).join(&rw.base_name));
        st.aof.rewrite_scheduled = st.aof.on || st.aof.wait_rewrite;
        warn!("Background AOF rewrite abandoned; it starts again shortly");
    }
}

/// `CONFIG SET appendonly yes` at run time: logging starts into a new
/// incremental file while a rewrite writes the first base; the log is on
/// (and in the manifest) when it completes.
pub fn enable(shared: &Shared, st: &mut State) -> Result<(), String> {
    if st.aof.on || st.aof.wait_rewrite {
        return Ok(());
    }
    if st.bgsave.is_some() {
        return Err("a background save is in progress, try again when it ends".into());
    }
    st.aof.policy = Fsync::parse(st.config.get("appendfsync").unwrap_or("everysec"));
    // Files of an earlier session are history now.
    if let Ok(Some(m)) = read_manifest(st) {
        let mut old = m;
        let all: Vec<AofFile> = old
            .base
            .take()
            .into_iter()
            .chain(old.incrs.drain(..))
            .collect();
        for f in all {
            old.history.push(AofFile {
                kind: FileKind::History,
                ..f
            });
        }
        st.aof.manifest = old;
    }
    st.aof.wait_rewrite = true;
    if let Err(e) = rewrite_now(shared, st) {
        st.aof.wait_rewrite = false;
        st.aof.buf.clear();
        close(&mut st.aof);
        return Err(e);
    }
    Ok(())
}

/// `CONFIG SET appendonly no`: syncs and closes the log.
pub fn disable(st: &mut State) {
    if !st.aof.on && !st.aof.wait_rewrite {
        return;
    }
    let _ = flush_and_sync(st);
    if st.aof.rewrite.is_some() {
        crate::persist::abort_bgsave(st);
        st.aof.rewrite = None;
    }
    close(&mut st.aof);
    st.aof.on = false;
    st.aof.wait_rewrite = false;
    st.aof.rewrite_scheduled = false;
    info!("The append only file is off");
}

/// Writes and syncs everything logged so far (SHUTDOWN, DEBUG LOADAOF).
pub fn flush_and_sync(st: &mut State) -> Result<(), String> {
    let _ = submit(st, u64::MAX);
    if st.aof.write_failed {
        return Err(st.aof.write_error().unwrap_or_default());
    }
    let Some(s) = &st.aof.syncer else {
        return Ok(());
    };
    let (tx, rx) = mpsc::channel();
    if s.tx.send(SyncMsg::Flush(tx)).is_err() {
        return Err("the AOF sync thread stopped".into());
    }
    rx.recv()
        .unwrap_or_else(|_| Err("the AOF sync thread stopped".into()))
}

/// `appendfsync` changed.
pub fn set_policy(st: &mut State) {
    let p = Fsync::parse(st.config.get("appendfsync").unwrap_or("everysec"));
    st.aof.policy = p;
    if let Some(s) = &st.aof.syncer {
        let _ = s.tx.send(SyncMsg::Policy(p));
    }
}

/// The cron's part: logs the cron's deletions, starts a scheduled or
/// automatic rewrite.
pub fn cron(shared: &Shared, st: &mut State) {
    end_unit(st);
    let _ = submit(st, u64::MAX);
    if st.aof.rewrite_scheduled && st.bgsave.is_none() && st.aof.rewrite.is_none() {
        if let Err(e) = rewrite_now(shared, st) {
            warn!("Background AOF rewrite failed to start: {e}");
        }
        return;
    }
    if !st.aof.on || st.aof.rewrite.is_some() || st.bgsave.is_some() {
        return;
    }
    let pct = st.config.num("auto-aof-rewrite-percentage");
    let min = st.config.num("auto-aof-rewrite-min-size").max(0) as u64;
    if pct <= 0 || st.aof.current_size < min {
        return;
    }
    let base = st.aof.rewrite_base_size.max(1);
    let growth = (st.aof.current_size.saturating_sub(base)) * 100 / base;
    if growth >= pct as u64 {
        info!("Starting automatic rewriting of AOF on {growth}% growth");
        if let Err(e) = rewrite_now(shared, st) {
            warn!("Background AOF rewrite failed to start: {e}");
        }
    }
}

/// `DEBUG LOADAOF`: syncs the log, empties the dataset and loads it back.
pub fn reload(shared: &Shared, st: &mut State) -> Result<(), String> {
    if !st.aof.on {
        return Ok(());
    }
    flush_and_sync(st)?;
    st.ks.flush_all();
    let manifest = st.aof.manifest.clone();
    replay(&mut StateAccess::Held(st, shared), &manifest).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full disk: the bytes stay in the buffer, the error is set (so
    /// writes answer -MISCONF), the replies wait, nothing is reported
    /// written.
    #[test]
    fn a_failed_write_keeps_the_bytes_and_reports_the_error() {
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            eprintln!("NOTICE: no /dev/full; skipping");
            return;
        };
        let mut st = State::new(crate::config::Config::default());
        use_file(&mut st.aof, full, 0).expect("file");
        st.aof.on = true;
        st.aof.buf = b"*1\r\n$4\r\nPING\r\n".to_vec();
        let n = st.aof.buf.len() as u64;
        let wait = submit(&mut st, 0).expect("the replies wait");
        assert_eq!(wait.target, n);
        assert!(!wait.durable);
        let e = st.aof.write_error().expect("error");
        assert!(e.contains("No space left on device"), "{e}");
        assert_eq!(st.aof.buffered() as u64, n, "the bytes are kept");
        assert_eq!(st.aof.marks.borrow().written, 0);
        let misconf = refuses(
            &st,
            crate::commands::TABLE.get(b"set".as_slice()).expect("set"),
        );
        assert_eq!(
            misconf.as_deref(),
            Some("MISCONF Errors writing to the AOF file: No space left on device")
        );
        assert!(flush_and_sync(&mut st).is_err());
    }

    /// With `always` the replies wait for the sync thread's sync, which
    /// reports the bytes durable.
    #[test]
    fn with_always_the_replies_wait_for_the_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = File::create(dir.path().join("log")).expect("file");
        let mut st = State::new(crate::config::Config::default());
        st.aof.policy = Fsync::Always;
        use_file(&mut st.aof, f, 0).expect("file");
        st.aof.on = true;
        st.aof.buf = b"*1\r\n$4\r\nPING\r\n".to_vec();
        let wait = submit(&mut st, 0).expect("the replies wait");
        assert!(wait.durable);
        let target = wait.target;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), wait.done())
                .await
                .expect("synced in time")
        });
        assert!(st.aof.marks.borrow().durable >= target);
        assert_eq!(
            std::fs::read(dir.path().join("log")).expect("read"),
            b"*1\r\n$4\r\nPING\r\n"
        );
        // Nothing new: nothing to wait for.
        assert!(submit(&mut st, target).is_none());
    }

    #[test]
    fn units_of_several_commands_are_transactions_and_select_is_written_once() {
        let mut aof = Aof {
            on: true,
            ..Aof::default()
        };
        let ops = |v: &[&[&str]]| -> Vec<Vec<Bytes>> {
            v.iter()
                .map(|c| {
                    c.iter()
                        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                        .collect()
                })
                .collect()
        };
        let mut buf = Vec::new();
        for (db, unit) in [
            (0, ops(&[&["SET", "a", "1"]])),
            (0, ops(&[&["DEL", "x"], &["SET", "x", "2"]])),
            (3, ops(&[&["INCR", "n"]])),
        ] {
            aof.buf.clear();
            let mut pending: Vec<(usize, Vec<Bytes>)> = unit.into_iter().map(|o| (db, o)).collect();
            let wrap = pending.len() > 1;
            // The same encoding end_unit does, through its State-free core.
            encode_unit(&mut aof, &mut pending, wrap);
            buf.extend_from_slice(&aof.buf);
        }
        let cmds: Vec<String> = fmt::Commands::new(&buf)
            .map(|c| {
                let (_, args) = c.expect("valid");
                args.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            cmds,
            ["SELECT 0", "SET a 1", "MULTI", "DEL x", "SET x 2", "EXEC", "SELECT 3", "INCR n"]
        );
    }
}
