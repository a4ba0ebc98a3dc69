//! The cold tier: values demoted out of RAM, stored in RocksDB.
//!
//! What stays in RAM for a cold key is its hash-table entry (key, LFU
//! field, expiry flag) with a [`ColdRef`] in place of the value: the
//! record's id, the value's representation and its encoded size. So
//! `TYPE`, `EXISTS`, `TTL`, `OBJECT ENCODING`, `SCAN`, `DBSIZE` and expiry
//! never touch the disk.
//!
//! Records are keyed by an 8-byte big-endian id taken from a counter that
//! only grows while the process runs (and the directory is recreated at
//! start, since RDB/AOF are the source of truth). An id therefore names
//! one immutable value forever: a key that is deleted, overwritten or
//! promoted can never see its old bytes again (no resurrection), and
//! `RENAME`, `MOVE` and `SWAPDB` move the in-RAM reference without any
//! disk work. Records of values that died are deleted in batches; until
//! then they are unreachable garbage, never visible.
//!
//! A record is a small versioned frame around the value's RDB object
//! encoding (the body of a `DUMP` payload), compressed per record;
//! docs/formats.md gives it byte by byte.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, DBCompressionType, Options, ReadOptions,
    WriteBatch, WriteOptions, DB,
};

use crate::value::Value;

/// The record frame's version byte.
pub const RECORD_VERSION: u8 = 1;
/// Bytes of the record header before the body.
pub const HEADER: usize = 8;

/// Per-record compression (`tiering-compression`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None = 0,
    Lz4 = 1,
    Zstd = 2,
}

impl Compression {
    pub fn parse(s: &str) -> Option<Compression> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Compression::None),
            "lz4" => Some(Compression::Lz4),
            "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// The exact in-memory representation of a value, kept with a cold
/// reference so `OBJECT ENCODING` answers without a disk read, and so the
/// value comes back in the representation it left in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Repr {
    StrInt = 0,
    StrEmb = 1,
    StrRaw = 2,
    ListPack = 3,
    ListQuick = 4,
    HashPack = 5,
    HashTable = 6,
    SetInt = 7,
    SetPack = 8,
    SetTable = 9,
    ZSetPack = 10,
    ZSetSkip = 11,
}

impl Repr {
    pub fn from_u8(b: u8) -> Option<Repr> {
        use Repr::*;
        Some(match b {
            0 => StrInt,
            1 => StrEmb,
            2 => StrRaw,
            3 => ListPack,
            4 => ListQuick,
            5 => HashPack,
            6 => HashTable,
            7 => SetInt,
            8 => SetPack,
            9 => SetTable,
            10 => ZSetPack,
            11 => ZSetSkip,
            _ => return None,
        })
    }

    /// The representation `v` is held in (`None` for a cold value).
    pub fn of(v: &Value) -> Option<Repr> {
        use Repr::*;
        Some(match (v.type_name(), v.encoding()) {
            (_, "int") => StrInt,
            (_, "embstr") => StrEmb,
            (_, "raw") => StrRaw,
            ("list", "listpack") => ListPack,
            ("list", _) => ListQuick,
            ("hash", "listpack") => HashPack,
            ("hash", _) => HashTable,
            ("set", "intset") => SetInt,
            ("set", "listpack") => SetPack,
            ("set", _) => SetTable,
            ("zset", "listpack") => ZSetPack,
            ("zset", _) => ZSetSkip,
            _ => return None,
        })
    }

    pub fn type_name(self) -> &'static str {
        use Repr::*;
        match self {
            StrInt | StrEmb | StrRaw => "string",
            ListPack | ListQuick => "list",
            HashPack | HashTable => "hash",
            SetInt | SetPack | SetTable => "set",
            ZSetPack | ZSetSkip => "zset",
        }
    }

    pub fn encoding(self) -> &'static str {
        use Repr::*;
        match self {
            StrInt => "int",
            StrEmb => "embstr",
            StrRaw => "raw",
            ListPack | HashPack | SetPack | ZSetPack => "listpack",
            ListQuick => "quicklist",
            HashTable | SetTable => "hashtable",
            SetInt => "intset",
            ZSetSkip => "skiplist",
        }
    }
}

/// What RAM holds for a cold value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColdRef {
    /// The record's key in the store.
    pub id: u64,
    /// Bytes of the encoded value before compression (for INFO).
    pub size: u32,
    pub repr: Repr,
    /// Representation detail that must survive the round trip (an
    /// intset's width).
    pub extra: u8,
}

/// Turns values into RDB object bytes and back. The server implements it
/// (it owns the RDB object format); the cold tier only frames, compresses
/// and stores the bytes.
pub trait ValueCodec: Send + Sync {
    /// Appends `v`'s RDB object encoding (type byte and body) to `out`;
    /// returns the representation detail byte to keep with it.
    fn encode(&self, v: &Value, out: &mut Vec<u8>) -> u8;
    /// The value `body` encodes, rebuilt in representation `repr`.
    fn decode(&self, repr: Repr, extra: u8, body: &[u8]) -> Result<Value, String>;
}

/// Tuning of the store, from the config file.
#[derive(Clone, Debug)]
pub struct ColdOptions {
    pub dir: PathBuf,
    pub compression: Compression,
    /// RocksDB block cache (bytes): small, since RAM belongs to the hot tier.
    pub block_cache: usize,
    /// Memtable size (bytes).
    pub write_buffer: usize,
}

/// Counters for `INFO tiering`.
#[derive(Default, Debug, Clone)]
pub struct ColdStats {
    pub cold_keys: u64,
    /// Encoded bytes of the values now cold.
    pub bytes_logical: u64,
    /// Encoded and stored (compressed) body bytes of every demotion so
    /// far: their ratio is the compression ratio.
    pub demoted_logical: u64,
    pub demoted_stored: u64,
    pub promotions: u64,
    pub demotions: u64,
    /// Demotions of values unchanged since their promotion: no write.
    pub free_demotions: u64,
    /// Hot values whose record is still in the cold tier.
    pub clean_copies: u64,
    pub cold_hits: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    /// Cold read latencies, in power-of-two microsecond buckets.
    pub read_us: LatencyHistogram,
}

/// A histogram of latencies in buckets of doubling width (bucket `i` holds
/// values in `[2^(i-1), 2^i)` µs, bucket 0 holds 0, the last one all
/// above 2^30 µs), precise enough for p50/p99 in INFO at a fixed, tiny
/// cost per read.
#[derive(Debug, Clone, Default)]
pub struct LatencyHistogram {
    buckets: [u64; 32],
    count: u64,
}

impl LatencyHistogram {
    pub fn record(&mut self, us: u64) {
        let i = (64 - us.leading_zeros()) as usize;
        self.buckets[i.min(31)] += 1;
        self.count += 1;
    }

    /// The value at quantile `q` (0..=1): the upper bound of the bucket it
    /// falls in, interpolated linearly inside the bucket.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            if seen + n >= rank {
                if i == 0 {
                    return 0;
                }
                let lo = 1u64 << (i - 1);
                let hi = 1u64 << i;
                let frac = (rank - seen) as f64 / n as f64;
                return lo + ((hi - lo) as f64 * frac) as u64;
            }
            seen += n;
        }
        0
    }
}

/// The RocksDB-backed store of cold records.
/// How every write to the store is made: without the WAL (durability is
/// the AOF's and the RDB's job).
fn write_options() -> WriteOptions {
    let mut o = WriteOptions::default();
    o.disable_wal(true);
    o
}

/// Records to write: (record id, record bytes).
type Records = Vec<(u64, Vec<u8>)>;

/// The demotion writer: a thread that writes batches of records while
/// commands go on (see `keyspace/tier.rs`, "Background writes").
struct Writer {
    tx: Option<std::sync::mpsc::Sender<(u64, Records)>>,
    done: std::sync::mpsc::Receiver<(u64, Result<(), String>)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(db: Arc<DB>) -> Result<Writer, String> {
        let (tx, rx) = std::sync::mpsc::channel::<(u64, Records)>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("cold-writer".into())
            .spawn(move || {
                let opts = write_options();
                for (seq, records) in rx {
                    let mut b = WriteBatch::default();
                    for (id, rec) in &records {
                        b.put(key_of(*id), rec);
                    }
                    let r = db
                        .write_opt(b, &opts)
                        .map_err(|e| format!("cold tier write: {e}"));
                    drop(records);
                    if done_tx.send((seq, r)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| format!("starting the cold tier writer: {e}"))?;
        Ok(Writer {
            tx: Some(tx),
            done,
            thread: Some(thread),
        })
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub struct ColdStore {
    db: Arc<DB>,
    writer: Writer,
    dir: PathBuf,
    next_id: u64,
    compression: Compression,
    codec: Arc<dyn ValueCodec>,
    write_opts: WriteOptions,
    /// Ids of records whose values died, deleted at the next flush.
    garbage: Vec<u64>,
    /// While a snapshot (BGSAVE) runs, dead records stay readable: the
    /// snapshot may still have to write them.
    pub hold_garbage: bool,
    /// Batches that could not reach the writer.
    failed: Vec<(u64, Result<(), String>)>,
    pub stats: ColdStats,
}

fn key_of(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

impl ColdStore {
    /// Opens the store at `opts.dir`, removing whatever an earlier run left
    /// there: the cold tier never outlives the process (the dataset comes
    /// back from RDB/AOF).
    pub fn open(opts: &ColdOptions, codec: Arc<dyn ValueCodec>) -> Result<ColdStore, String> {
        let dir = &opts.dir;
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("removing stale cold tier {}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("creating cold tier {}: {e}", dir.display()))?;
        let mut o = Options::default();
        o.create_if_missing(true);
        // Records are compressed one by one before they get here.
        o.set_compression_type(DBCompressionType::None);
        o.set_write_buffer_size(opts.write_buffer);
        o.set_max_write_buffer_number(2);
        // Level compaction with dynamic level sizes keeps space
        // amplification near 1.1 (deleted records are dropped as their
        // files compact), at a write amplification an NVMe drive absorbs.
        o.set_level_compaction_dynamic_level_bytes(true);
        o.set_target_file_size_base(64 << 20);
        o.set_max_background_jobs(2);
        o.set_bytes_per_sync(1 << 20);
        o.set_keep_log_file_num(2);
        let mut t = BlockBasedOptions::default();
        t.set_bloom_filter(10.0, false);
        t.set_whole_key_filtering(true);
        let cache = Cache::new_lru_cache(opts.block_cache);
        t.set_block_cache(&cache);
        // Index and filter blocks stay with their table readers (every
        // file is kept open), outside the block cache: every read needs
        // them, and in the cache they were evicted by each other once the
        // tier passed about 1.5 million records.
        t.set_cache_index_and_filter_blocks(false);
        t.set_block_size(4 << 10);
        // Index entries delta-encoded in runs of 16: a read's seek
        // searches a sixteenth as many restart points (each probe of
        // that search is a cache miss in a big index block) and then
        // scans at most 16 entries that sit together; the index blocks
        // held in RAM shrink too.
        t.set_index_block_restart_interval(16);
        // CRC32C runs on the SSE4.2/PCLMULQDQ instructions the build
        // targets; XXH3 (the default) only gets SSE2 there, and verifying
        // each data block read was a tenth of the cold read path's CPU.
        t.set_checksum_type(rocksdb::ChecksumType::CRC32c);
        o.set_block_based_table_factory(&t);
        // The default column family opened by name, so that MultiGet
        // (which takes a column family) can be used.
        let cf = ColumnFamilyDescriptor::new(rocksdb::DEFAULT_COLUMN_FAMILY_NAME, o.clone());
        let db = DB::open_cf_descriptors(&o, dir, [cf])
            .map_err(|e| format!("opening cold tier: {e}"))?;
        let write_opts = write_options();
        let db = Arc::new(db);
        Ok(ColdStore {
            writer: Writer::start(db.clone())?,
            db,
            dir: dir.clone(),
            next_id: 1,
            compression: opts.compression,
            codec,
            write_opts,
            garbage: Vec::new(),
            hold_garbage: false,
            failed: Vec::new(),
            stats: ColdStats::default(),
        })
    }

    /// A handle that reads and decodes records on another thread, while
    /// the keyspace goes on serving other clients.
    pub fn reader(&self) -> ColdReader {
        ColdReader {
            db: self.db.clone(),
            codec: self.codec.clone(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn set_compression(&mut self, c: Compression) {
        self.compression = c;
    }

    /// Encodes and frames `v` as a record; returns the reference RAM
    /// keeps and the record bytes.
    pub fn encode(&mut self, v: &Value) -> Option<(ColdRef, Vec<u8>)> {
        let repr = Repr::of(v)?;
        let mut body = Vec::new();
        let extra = self.codec.encode(v, &mut body);
        let record = frame(repr, extra, &body, self.compression);
        let id = self.next_id;
        self.next_id += 1;
        let r = ColdRef {
            id,
            size: body.len().min(u32::MAX as usize) as u32,
            repr,
            extra,
        };
        Some((r, record))
    }

    /// Hands `records` to the writer thread as batch number `seq`;
    /// [`written`](Self::written) reports batches done, in order.
    pub fn submit(&mut self, seq: u64, records: Records) {
        let sent = self.writer.tx.as_ref().map(|tx| tx.send((seq, records)));
        if !matches!(sent, Some(Ok(()))) {
            // The thread is gone (it only stops when the store drops).
            self.failed
                .push((seq, Err("cold tier writer stopped".into())));
        }
    }

    /// The next batch the writer finished, waiting for it if `wait`.
    pub fn written(&mut self, wait: bool) -> Option<(u64, Result<(), String>)> {
        if !self.failed.is_empty() {
            return Some(self.failed.remove(0));
        }
        let r = if wait {
            self.writer.done.recv().ok()
        } else {
            self.writer.done.try_recv().ok()
        };
        if let Some((_, Err(_))) = &r {
            self.stats.write_errors += 1;
        }
        r
    }

    /// Record `id` was written but nothing refers to it (its value changed
    /// while it was being written): it is garbage.
    pub fn unused(&mut self, id: u64) {
        self.retire(id);
    }

    /// Accounts for records now referenced from RAM.
    pub fn demoted(&mut self, r: &ColdRef, stored: usize) {
        self.stats.demotions += 1;
        self.stats.cold_keys += 1;
        self.stats.bytes_logical += r.size as u64;
        self.stats.demoted_logical += r.size as u64;
        self.stats.demoted_stored += stored as u64;
    }

    /// The raw record of `r`.
    pub fn read_record(&self, r: &ColdRef) -> Result<Vec<u8>, String> {
        read_record(&self.db, r)
    }

    /// Accounts for a value that a [`ColdReader`] loaded for the keyspace:
    /// one cold hit, one read latency.
    pub fn loaded(&mut self, read_us: u64) {
        self.stats.read_us.record(read_us);
        self.stats.cold_hits += 1;
    }

    /// The RDB object bytes (type byte and body) of `r`, uncompressed.
    pub fn read_object(&self, r: &ColdRef) -> Result<Vec<u8>, String> {
        read_object(&self.db, r)
    }

    /// Reads and decodes the value `r` refers to, timing the read. The
    /// record stays until the caller [`forget`](Self::forget)s the
    /// reference.
    pub fn load(&mut self, r: &ColdRef) -> Result<Value, String> {
        let start = Instant::now();
        read_delay();
        let body = self.read_object(r);
        self.stats
            .read_us
            .record(start.elapsed().as_micros().min(u64::MAX as u128) as u64);
        let body = body.inspect_err(|_| self.stats.read_errors += 1)?;
        self.stats.cold_hits += 1;
        self.codec.decode(r.repr, r.extra, &body)
    }

    /// The value of `r` is back in RAM, unchanged, and its record is kept
    /// as a clean copy (see [`drop_copy`](Self::drop_copy)).
    pub fn promoted_clean(&mut self, r: &ColdRef) {
        self.stats.cold_keys = self.stats.cold_keys.saturating_sub(1);
        self.stats.bytes_logical = self.stats.bytes_logical.saturating_sub(r.size as u64);
        self.stats.promotions += 1;
        self.stats.clean_copies += 1;
    }

    /// A clean copy's value changed or went away: the record is garbage.
    pub fn drop_copy(&mut self, r: &ColdRef) {
        self.stats.clean_copies = self.stats.clean_copies.saturating_sub(1);
        self.retire(r.id);
    }

    /// A clean value went cold again by pointing back at its record: no
    /// write.
    pub fn redemoted(&mut self, r: &ColdRef) {
        self.stats.clean_copies = self.stats.clean_copies.saturating_sub(1);
        self.stats.demotions += 1;
        self.stats.free_demotions += 1;
        self.stats.cold_keys += 1;
        self.stats.bytes_logical += r.size as u64;
    }

    /// The value of `r` is gone from the cold tier (promoted, deleted,
    /// overwritten): its record becomes garbage.
    pub fn forget(&mut self, r: &ColdRef) {
        self.stats.cold_keys = self.stats.cold_keys.saturating_sub(1);
        self.stats.bytes_logical = self.stats.bytes_logical.saturating_sub(r.size as u64);
        self.retire(r.id);
    }

    /// Record `id` is garbage: deleted with the next batch of 1024.
    fn retire(&mut self, id: u64) {
        self.garbage.push(id);
        if self.garbage.len() >= 1024 {
            self.collect_garbage();
        }
    }

    /// Deletes the records of dead values (unless a snapshot holds them).
    pub fn collect_garbage(&mut self) {
        if self.hold_garbage || self.garbage.is_empty() {
            return;
        }
        let mut b = WriteBatch::default();
        for id in self.garbage.drain(..) {
            b.delete(key_of(id));
        }
        if self.db.write_opt(b, &self.write_opts).is_err() {
            // Unreachable records only cost disk space until restart.
            self.stats.write_errors += 1;
        }
    }

    /// Forgets every record (FLUSHALL): one range deletion.
    pub fn clear(&mut self) {
        self.garbage.clear();
        let mut b = WriteBatch::default();
        b.delete_range(key_of(0), key_of(u64::MAX));
        if self.db.write_opt(b, &self.write_opts).is_err() {
            self.stats.write_errors += 1;
        }
        self.stats.cold_keys = 0;
        self.stats.bytes_logical = 0;
    }

    /// Bytes of the store's files on disk (SST files; the memtable is in
    /// RAM, outside `used_memory`).
    pub fn disk_bytes(&self) -> u64 {
        self.db
            .property_int_value("rocksdb.total-sst-files-size")
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// RAM RocksDB itself holds (memtables, block cache, the index and
    /// filter blocks of its files).
    pub fn engine_memory(&self) -> u64 {
        [
            "rocksdb.cur-size-all-mem-tables",
            "rocksdb.block-cache-usage",
            "rocksdb.estimate-table-readers-mem",
        ]
        .iter()
        .filter_map(|p| self.db.property_int_value(*p).ok().flatten())
        .sum()
    }
}

/// Options of every cold read: the data block read is not kept in the
/// block cache. Cold reads are random over a tier much bigger than the
/// cache, so their blocks would only push out the index and filter blocks
/// that every read needs (and a value read back stays in RAM anyway).
fn read_options() -> ReadOptions {
    let mut ro = ReadOptions::default();
    ro.fill_cache(false);
    ro
}

fn read_record(db: &DB, r: &ColdRef) -> Result<Vec<u8>, String> {
    match db.get_opt(key_of(r.id), &read_options()) {
        Ok(Some(rec)) => Ok(rec),
        Ok(None) => Err(format!("cold record {} is missing", r.id)),
        Err(e) => Err(format!("cold tier read: {e}")),
    }
}

/// The uncompressed RDB object bytes of record `r`.
fn read_object(db: &DB, r: &ColdRef) -> Result<Vec<u8>, String> {
    let rec = read_record(db, r)?;
    unframe(&rec).map(|(_, _, body)| body)
}

/// Reads cold values without the keyspace: RocksDB is safe to read from
/// any thread, and a record never changes once written.
#[derive(Clone)]
pub struct ColdReader {
    db: Arc<DB>,
    codec: Arc<dyn ValueCodec>,
}

/// Extra latency of every cold read, in µs (`DEBUG TIERING-READ-DELAY`,
/// for tests): stands in for a slow disk.
static READ_DELAY_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn set_read_delay_us(us: u64) {
    READ_DELAY_US.store(us, std::sync::atomic::Ordering::Relaxed);
}

fn read_delay() {
    let us = READ_DELAY_US.load(std::sync::atomic::Ordering::Relaxed);
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }
}

impl ColdReader {
    /// The RDB object bytes of `r` (for a snapshot that copies them).
    pub fn read_object(&self, r: &ColdRef) -> Result<Vec<u8>, String> {
        read_object(&self.db, r)
    }

    pub fn load(&self, r: &ColdRef) -> Result<Value, String> {
        read_delay();
        let body = read_object(&self.db, r)?;
        self.codec.decode(r.repr, r.extra, &body)
    }

    /// Reads and decodes several values in one RocksDB MultiGet (which
    /// shares the index and filter lookups of records in the same
    /// files); one result per reference, in order.
    pub fn load_many(&self, refs: &[ColdRef]) -> Vec<Result<Value, String>> {
        read_delay();
        let Some(cf) = self.db.cf_handle("default") else {
            return refs.iter().map(|r| self.load(r)).collect();
        };
        let mut order: Vec<usize> = (0..refs.len()).collect();
        order.sort_unstable_by_key(|&i| refs[i].id);
        let keys: Vec<[u8; 8]> = order.iter().map(|&i| key_of(refs[i].id)).collect();
        let got = self
            .db
            .batched_multi_get_cf_opt(&cf, keys.iter(), true, &read_options());
        let mut out: Vec<Option<Result<Value, String>>> = (0..refs.len()).map(|_| None).collect();
        for (&i, rec) in order.iter().zip(got) {
            let r = &refs[i];
            let value = match rec {
                Ok(Some(rec)) => {
                    unframe(&rec).and_then(|(_, _, body)| self.codec.decode(r.repr, r.extra, &body))
                }
                Ok(None) => Err(format!("cold record {} is missing", r.id)),
                Err(e) => Err(format!("cold tier read: {e}")),
            };
            out[i] = Some(value);
        }
        out.into_iter()
            .map(|v| v.unwrap_or_else(|| Err("cold tier read: no result".into())))
            .collect()
    }
}

/// Builds a record: the 8-byte header and the (maybe compressed) body.
/// Compression is kept only when it saves space.
pub fn frame(repr: Repr, extra: u8, body: &[u8], c: Compression) -> Vec<u8> {
    let packed = match c {
        Compression::None => None,
        Compression::Lz4 => Some(lz4_flex::block::compress(body)),
        Compression::Zstd => zstd::bulk::compress(body, 1).ok(),
    };
    let (flag, data) = match &packed {
        Some(p) if p.len() < body.len() => (c as u8, &p[..]),
        _ => (Compression::None as u8, body),
    };
    let mut rec = Vec::with_capacity(HEADER + data.len());
    rec.push(RECORD_VERSION);
    rec.push(flag);
    rec.push(repr as u8);
    rec.push(extra);
    rec.extend_from_slice(&(body.len().min(u32::MAX as usize) as u32).to_le_bytes());
    rec.extend_from_slice(data);
    rec
}

/// Splits a record into its representation, detail byte and uncompressed
/// body, checking the frame.
pub fn unframe(rec: &[u8]) -> Result<(Repr, u8, Vec<u8>), String> {
    if rec.len() < HEADER {
        return Err("cold record too short".into());
    }
    if rec[0] != RECORD_VERSION {
        return Err(format!("cold record version {} unknown", rec[0]));
    }
    let repr = Repr::from_u8(rec[2]).ok_or("cold record: unknown representation")?;
    let len = u32::from_le_bytes(rec[4..8].try_into().expect("4 bytes")) as usize;
    let data = &rec[HEADER..];
    let body = match rec[1] {
        0 => data.to_vec(),
        1 => lz4_flex::block::decompress(data, len).map_err(|e| format!("cold record: {e}"))?,
        2 => zstd::bulk::decompress(data, len).map_err(|e| format!("cold record: {e}"))?,
        c => return Err(format!("cold record: unknown compression {c}")),
    };
    if body.len() != len {
        return Err("cold record: length mismatch".into());
    }
    Ok((repr, rec[3], body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_with_every_compression() {
        let body: Vec<u8> = (0..1000u32).flat_map(|i| (i % 7).to_le_bytes()).collect();
        for c in [Compression::None, Compression::Lz4, Compression::Zstd] {
            let rec = frame(Repr::StrRaw, 3, &body, c);
            assert_eq!(rec[0], RECORD_VERSION);
            if c != Compression::None {
                assert!(rec.len() < body.len() / 2, "{c:?} compresses");
            }
            let (r, extra, b) = unframe(&rec).expect("valid");
            assert_eq!((r, extra), (Repr::StrRaw, 3));
            assert_eq!(b, body);
        }
        // Incompressible bodies are stored as they are.
        let rec = frame(Repr::StrEmb, 0, b"abc", Compression::Lz4);
        assert_eq!(rec[1], 0);
    }

    #[test]
    fn bad_frames_are_errors() {
        assert!(unframe(b"").is_err());
        assert!(unframe(&[9, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(unframe(&[1, 0, 99, 0, 0, 0, 0, 0]).is_err());
        assert!(unframe(&[1, 1, 0, 0, 50, 0, 0, 0, 1, 2]).is_err());
        assert!(unframe(&[1, 0, 0, 0, 5, 0, 0, 0, 1]).is_err());
    }

    #[test]
    fn histogram_quantiles() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.quantile(0.5), 0);
        for us in 1..=100 {
            h.record(us);
        }
        let p50 = h.quantile(0.5);
        assert!((32..=64).contains(&p50), "{p50}");
        let p99 = h.quantile(0.99);
        assert!((64..=128).contains(&p99), "{p99}");
    }
}
