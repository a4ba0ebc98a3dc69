//! Whole RDB files: the header, auxiliary fields, databases, key entries,
//! the end marker and the checksum.
//!
//! ```text
//! "REDIS" + 4-digit version
//! (0xFA aux-key aux-value)*
//! per database: 0xFE db-number, 0xFB key-count expires-count,
//!   per key: [0xFC expire-ms (LE64)] [0xF8 idle-secs | 0xF9 freq-byte]
//!            type key value
//! 0xFF, CRC-64 of everything before (LE64; all zero when checksums are off)
//! ```
//!
//! The reader accepts versions 1 to 12 (Redis 2.x to 7.4, Valkey 7-8),
//! seconds expiries (`0xFD`), and skips what this server has no use for
//! (function libraries, module auxiliary data it cannot interpret is an
//! error), reporting each key to a callback so that a file bigger than
//! memory can stream into the cold tier.

use crate::crc64::crc64;
use crate::object::{read_object, write_object, Form, ListFill, Object};
use crate::rdb::*;

/// The oldest and newest RDB versions we read.
pub const MIN_VERSION: u16 = 1;
pub const MAX_VERSION: u16 = 12;

/// Builds an RDB file in memory, or in pieces for a streaming writer:
/// [`take`](RdbWriter::take) hands out what is complete so far while the
/// checksum keeps running.
pub struct RdbWriter {
    w: Writer,
    crc: u64,
    fill: ListFill,
}

impl RdbWriter {
    /// Starts a file with the header; `compress` is `rdbcompression`,
    /// `fill` the list node size (`list-max-listpack-size`).
    pub fn new(compress: bool, fill: ListFill) -> RdbWriter {
        let mut w = Writer::new(compress);
        w.buf
            .extend_from_slice(format!("REDIS{:04}", RDB_VERSION).as_bytes());
        RdbWriter { w, crc: 0, fill }
    }

    pub fn aux(&mut self, key: &str, value: &[u8]) {
        self.w.byte(OP_AUX);
        self.w.string(key.as_bytes());
        self.w.string(value);
    }

    pub fn select_db(&mut self, db: u64, keys: u64, expires: u64) {
        self.w.byte(OP_SELECTDB);
        self.w.length(db);
        self.w.byte(OP_RESIZEDB);
        self.w.length(keys);
        self.w.length(expires);
    }

    /// One key: expiry (absolute ms) if any, then type, key and value.
    pub fn entry(&mut self, key: &[u8], obj: &Object, form: Form, expire_ms: Option<i64>) {
        if let Some(ms) = expire_ms {
            self.w.byte(OP_EXPIRETIME_MS);
            self.w.millis(ms);
        }
        let mut body = Writer::new(self.w.compress);
        write_object(&mut body, obj, form, self.fill);
        // Type byte, key, body.
        self.w.byte(body.buf[0]);
        self.w.string(key);
        self.w.buf.extend_from_slice(&body.buf[1..]);
    }

    /// One key whose value is already RDB object bytes (type byte and
    /// body, as the cold tier keeps them): copied without decoding.
    pub fn entry_raw(&mut self, key: &[u8], object: &[u8], expire_ms: Option<i64>) {
        let Some((&t, body)) = object.split_first() else {
            return;
        };
        if let Some(ms) = expire_ms {
            self.w.byte(OP_EXPIRETIME_MS);
            self.w.millis(ms);
        }
        self.w.byte(t);
        self.w.string(key);
        self.w.buf.extend_from_slice(body);
    }

    /// Bytes waiting in the buffer.
    pub fn buffered(&self) -> usize {
        self.w.buf.len()
    }

    /// Bytes written so far, removed from the buffer (the checksum
    /// continues over them).
    pub fn take(&mut self) -> Vec<u8> {
        let out = std::mem::take(&mut self.w.buf);
        self.crc = crc64(self.crc, &out);
        out
    }

    /// Ends the file: the end marker and the checksum (zero if
    /// `checksum` is off, as Redis's `rdbchecksum no`).
    pub fn finish(mut self, checksum: bool) -> Vec<u8> {
        self.w.byte(OP_EOF);
        let mut out = self.take();
        let crc = if checksum { self.crc } else { 0 };
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// What the reader reports, in file order.
#[derive(Debug, PartialEq)]
pub enum Event {
    Aux(Vec<u8>, Vec<u8>),
    /// A database starts; the sizes if the file has a RESIZEDB record.
    Db(u64),
    Resize {
        keys: u64,
        expires: u64,
    },
    Key(KeyEntry),
    /// A function library (Redis 7 functions): not supported here, skipped.
    Function(Vec<u8>),
}

#[derive(Debug, PartialEq)]
pub struct KeyEntry {
    pub db: u64,
    pub key: Vec<u8>,
    pub value: Object,
    /// Whether the value came as a compact blob (see
    /// [`stored_form`](crate::object::stored_form)).
    pub form: Form,
    /// Absolute expiry in ms, if any.
    pub expire_ms: Option<i64>,
    /// Idle seconds (LRU) or access frequency (LFU) saved with the key.
    pub idle_secs: Option<u64>,
    pub freq: Option<u8>,
    /// Where the key's record starts in the file (progress reports).
    pub offset: usize,
}

/// Why a file could not be loaded, with the byte offset.
#[derive(Debug, PartialEq)]
pub struct LoadError {
    pub offset: usize,
    pub error: FileError,
}

#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum FileError {
    /// Not an RDB file, or a version we do not know.
    BadHeader,
    UnsupportedVersion(u16),
    Format(Error),
    UnknownOpcode(u8),
    /// Module data (values or auxiliary fields) cannot be loaded here.
    Module,
    /// The stored checksum does not match.
    Checksum {
        stored: u64,
        computed: u64,
    },
    /// The callback asked to stop.
    Stopped(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match &self.error {
            FileError::BadHeader => "not an RDB file (bad header)".to_string(),
            FileError::UnsupportedVersion(v) => format!("unsupported RDB version {v}"),
            FileError::Format(e) => e.to_string(),
            FileError::UnknownOpcode(o) => format!("unknown opcode {o}"),
            FileError::Module => "module data cannot be loaded by this server".to_string(),
            FileError::Checksum { stored, computed } => {
                format!("wrong checksum (stored {stored:016x}, computed {computed:016x})")
            }
            FileError::Stopped(why) => why.clone(),
        };
        write!(f, "{what} at offset {}", self.offset)
    }
}

/// What a successful read found.
#[derive(Debug, PartialEq, Eq)]
pub struct Loaded {
    pub version: u16,
    /// Bytes the RDB took (an AOF with an RDB preamble continues after).
    pub length: usize,
}

/// Reads an RDB file, calling `sink` for every event; `sink` can stop the
/// load by returning an error message.
pub fn read_rdb(
    data: &[u8],
    mut sink: impl FnMut(Event) -> Result<(), String>,
) -> Result<Loaded, LoadError> {
    let fail = |offset: usize, error: FileError| LoadError { offset, error };
    if data.len() < 9 || &data[..5] != b"REDIS" {
        return Err(fail(0, FileError::BadHeader));
    }
    let version: u16 = std::str::from_utf8(&data[5..9])
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or(fail(5, FileError::BadHeader))?;
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
        return Err(fail(5, FileError::UnsupportedVersion(version)));
    }
    let mut r = Reader::new(data);
    r.pos = 9;
    let mut db = 0u64;
    let mut expire: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    let fmt = |r: &Reader, e: Error| fail(r.pos, FileError::Format(e));
    loop {
        let at = r.pos;
        let op = r.byte().map_err(|e| fmt(&r, e))?;
        match op {
            OP_EOF => break,
            OP_SELECTDB => {
                db = r.length().map_err(|e| fmt(&r, e))?;
                sink(Event::Db(db)).map_err(|m| fail(at, FileError::Stopped(m)))?;
            }
            OP_RESIZEDB => {
                let keys = r.length().map_err(|e| fmt(&r, e))?;
                let expires = r.length().map_err(|e| fmt(&r, e))?;
                sink(Event::Resize { keys, expires })
                    .map_err(|m| fail(at, FileError::Stopped(m)))?;
            }
            OP_AUX => {
                let k = r.string().map_err(|e| fmt(&r, e))?;
                let v = r.string().map_err(|e| fmt(&r, e))?;
                sink(Event::Aux(k, v)).map_err(|m| fail(at, FileError::Stopped(m)))?;
            }
            OP_EXPIRETIME_MS => expire = Some(r.millis().map_err(|e| fmt(&r, e))?),
            OP_EXPIRETIME => {
                let b = r.bytes(4).map_err(|e| fmt(&r, e))?;
                let secs = i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64;
                expire = Some(secs * 1000);
            }
            OP_IDLE => idle = Some(r.length().map_err(|e| fmt(&r, e))?),
            OP_FREQ => freq = Some(r.byte().map_err(|e| fmt(&r, e))?),
            OP_FUNCTION2 => {
                let code = r.string().map_err(|e| fmt(&r, e))?;
                sink(Event::Function(code)).map_err(|m| fail(at, FileError::Stopped(m)))?;
            }
            OP_FUNCTION | OP_MODULE_AUX | TYPE_MODULE | TYPE_MODULE_2 => {
                return Err(fail(at, FileError::Module));
            }
            t => {
                let key = r.string().map_err(|e| fmt(&r, e))?;
                let value = read_object(t, &mut r).map_err(|e| match e {
                    Error::BadType(b) => fail(at, FileError::UnknownOpcode(b)),
                    e => fmt(&r, e),
                })?;
                let entry = KeyEntry {
                    db,
                    key,
                    value,
                    form: crate::object::stored_form(t),
                    expire_ms: expire.take(),
                    idle_secs: idle.take(),
                    freq: freq.take(),
                    offset: at,
                };
                sink(Event::Key(entry)).map_err(|m| fail(at, FileError::Stopped(m)))?;
            }
        }
    }
    if version >= 5 {
        let end = r.pos;
        let b = r.bytes(8).map_err(|e| fail(end, FileError::Format(e)))?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        let stored = u64::from_le_bytes(a);
        if stored != 0 {
            let computed = crc64(0, &data[..end]);
            if computed != stored {
                return Err(fail(end, FileError::Checksum { stored, computed }));
            }
        }
    }
    Ok(Loaded {
        version,
        length: r.pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = RdbWriter::new(true, -2);
        w.aux("redis-ver", b"7.2.4");
        w.aux("redis-bits", b"64");
        w.select_db(0, 2, 1);
        w.entry(b"s", &Object::Str(b"v".to_vec()), Form::Compact, None);
        w.entry(
            b"l",
            &Object::List(vec![b"a".to_vec(), b"b".to_vec()]),
            Form::Compact,
            Some(4_102_444_800_000),
        );
        let mut head = w.take();
        w.select_db(3, 1, 0);
        w.entry(
            b"h",
            &Object::Hash(vec![(b"f".to_vec(), b"1".to_vec())]),
            Form::Large,
            None,
        );
        head.extend(w.finish(true));
        head
    }

    #[test]
    fn writes_and_reads_back() {
        let file = sample();
        assert!(file.starts_with(b"REDIS0010"));
        let mut keys = Vec::new();
        let v = read_rdb(&file, |e| {
            if let Event::Key(k) = e {
                keys.push((k.db, k.key, k.expire_ms));
            }
            Ok(())
        })
        .expect("loads");
        assert_eq!(v.version, 10);
        assert_eq!(v.length, file.len());
        assert_eq!(
            keys,
            vec![
                (0, b"s".to_vec(), None),
                (0, b"l".to_vec(), Some(4_102_444_800_000)),
                (3, b"h".to_vec(), None),
            ]
        );
    }

    #[test]
    fn damage_is_reported_with_an_offset() {
        let file = sample();
        for cut in 0..file.len() {
            assert!(read_rdb(&file[..cut], |_| Ok(())).is_err(), "cut at {cut}");
        }
        let mut bad = file.clone();
        let n = bad.len();
        bad[n - 12] ^= 0x40;
        assert!(read_rdb(&bad, |_| Ok(())).is_err());
        for i in 9..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0xff;
            let _ = read_rdb(&bad, |_| Ok(()));
        }
        // Checksum 0 means "not computed".
        let mut unsummed = file.clone();
        unsummed[n - 8..].fill(0);
        assert!(read_rdb(&unsummed, |_| Ok(())).is_ok());
        let e = read_rdb(b"REDIS0099", |_| Ok(())).expect_err("version");
        assert_eq!(e.error, FileError::UnsupportedVersion(99));
        assert_eq!(
            read_rdb(b"HELLO", |_| Ok(())).expect_err("hdr").error,
            FileError::BadHeader
        );
    }
}
