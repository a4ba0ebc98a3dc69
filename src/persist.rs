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

use crate::server::State;

fn rdb_path(st: &State) -> PathBuf {
    PathBuf::from(st.config.get("dbfilename").unwrap_or("dump.rdb"))
}

/// The whole dataset as RDB bytes (logically expired keys left out).
pub fn dump_dataset(st: &State, now_ms: i64) -> Vec<u8> {
    let compress = st.config.get("rdbcompression") != Some("no");
    let checksum = st.config.get("rdbchecksum") != Some("no");
    let mut w = RdbWriter::new(compress, st.config.tun.limits.list_max_listpack_size);
    w.aux("redis-ver", crate::REDIS_COMPAT_VERSION.as_bytes());
    w.aux("redis-bits", b"64");
    let now_s = now_ms / 1000;
    w.aux("ctime", now_s.to_string().as_bytes());
    w.aux(
        "used-mem",
        tiering::memory::used_memory().to_string().as_bytes(),
    );
    w.aux("aof-base", b"0");
    let mut out = Vec::new();
    for db in 0..st.ks.db_count() {
        let d = st.ks.db(db);
        if d.is_empty() {
            continue;
        }
        w.select_db(db as u64, d.len() as u64, d.volatile_len() as u64);
        for (key, e) in d.iter() {
            if d.is_expired(key, e, now_ms) {
                continue;
            }
            let exp = d.expire_of(key);
            let (obj, form) = crate::values::to_object(&e.value);
            w.entry(key, &obj, form, (exp != NO_EXPIRE).then_some(exp));
        }
        out.extend(w.take());
    }
    out.extend(w.finish(checksum));
    out
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
    let bytes = dump_dataset(st, now);
    let path = rdb_path(st);
    match write_atomically(&path, &bytes) {
        Ok(()) => {
            st.dirty = 0;
            st.last_save_unix = now / 1000;
            st.persist.saves += 1;
            st.persist.last_status_ok = true;
            info!(
                "DB saved on disk ({} bytes in {} ms)",
                bytes.len(),
                start.elapsed().as_millis()
            );
            Ok(())
        }
        Err(e) => {
            st.persist.last_status_ok = false;
            warn!("Failed saving the DB to {}: {e}", path.display());
            Err(e.to_string())
        }
    }
}

/// Loads `<dbfilename>` into the (empty) keyspace if the file exists.
/// Returns the number of keys loaded.
pub fn load(st: &mut State) -> Result<usize, String> {
    let path = rdb_path(st);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    // SAFETY: the file is ours (in our data directory) and is only read
    // while mapped; nothing else writes it while the server starts.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
    load_bytes(st, &map).map_err(|e| format!("{}: {e}", path.display()))
}

/// Loads RDB bytes into the keyspace (keys replace existing ones).
pub fn load_bytes(st: &mut State, data: &[u8]) -> Result<usize, String> {
    let start = Instant::now();
    let now = crate::server::now_ms();
    let limits = st.config.tun.limits;
    let lfu_policy = st.ks.lfu_policy;
    let dbs = st.ks.db_count() as u64;
    let mut n = 0usize;
    let total = data.len().max(1);
    let mut last_report = Instant::now();
    let ks = &mut st.ks;
    let loaded = read_rdb(data, |ev| {
        if let Event::Key(k) = ev {
            if k.db >= dbs {
                return Err(format!(
                    "the file has database {} but this server has {dbs}",
                    k.db
                ));
            }
            if k.expire_ms.is_some_and(|t| t <= now) {
                return Ok(());
            }
            let Some(value) = crate::values::from_object(k.value, &limits) else {
                return Ok(());
            };
            let lru = match (lfu_policy, k.freq, k.idle_secs) {
                (true, Some(f), _) => lfu::with_freq(f, now as u64),
                (false, _, Some(i)) => lfu::with_idle(i, now as u64),
                _ => lfu::initial(lfu_policy, now as u64),
            };
            let db = k.db as usize;
            ks.delete(db, &k.key, now);
            ks.insert_entry(
                db,
                k.key.into(),
                Entry::new(value, lru),
                k.expire_ms.unwrap_or(NO_EXPIRE),
            );
            n += 1;
            if n % 100_000 == 0 && last_report.elapsed().as_secs() >= 1 {
                last_report = Instant::now();
                info!("Loading RDB... {n} keys");
            }
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    info!(
        "DB loaded from disk: {n} keys, RDB version {}, {} bytes in {} ms",
        loaded.version,
        total,
        start.elapsed().as_millis()
    );
    Ok(n)
}
